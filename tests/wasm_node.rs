//! The Wasm build in Node: real gloo-net HTTP against the sandbox, JS store callbacks, JS errors.
#![cfg(target_arch = "wasm32")]

mod wasm_shared;
