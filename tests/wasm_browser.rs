//! The same suite in headless Chromium (the dashboard's runtime); the sandbox answers with CORS.
#![cfg(target_arch = "wasm32")]

wasm_bindgen_test::wasm_bindgen_test_configure!(run_in_browser);

mod wasm_shared;
