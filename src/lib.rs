//! Shoppingfeed order connector engine: import, acknowledge, ship and follow tickets, written once in
//! Rust and hosted by Node shops and the browser through WebAssembly.
//!
//! The core (`order`, `api`, `mapping`, `sync`) is pure Rust with no I/O of its own; `wasm` is the only
//! module that knows about JavaScript.

pub mod api;
pub mod mapping;
pub mod order;
pub mod sync;

#[cfg(target_arch = "wasm32")]
pub mod wasm;
