//! The only module that knows about JavaScript: JS-backed host (HTTP, store, clock), the exported
//! engine class and helpers, and the mapping of every error to a real JS `Error` with `name` and `code`.

mod convert;
mod engine;
mod error;
mod helpers;
mod host;

pub use engine::{SyncEngine, discover};
pub use helpers::*;

use wasm_bindgen::prelude::*;

/// Runs once when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    // With panic = "abort" a panic surfaces as `RuntimeError: unreachable`; the hook at least puts the
    // message on console.error. Treat the instance as dead after one: every expected failure is a
    // typed error instead.
    console_error_panic_hook::set_once();
}
