//! Helpers shared by the native codec tests: fixture loading and timestamp checks.
#![allow(dead_code)]

use shoppingfeed_orders::order::lenient::Timestamp;
use std::path::PathBuf;

/// The shared fixture directory (`../shared/fixtures` next to the crate).
pub fn fixtures_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("shared").join("fixtures")
}

/// Reads a fixture file as text.
pub fn fixture(name: &str) -> String {
    let path = fixtures_dir().join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read fixture {}: {e}", path.display()))
}

/// The WooCommerce fixture is a template: `%%order_id%%`, `%order_id%` (an integer) and
/// `%order_reference%` (inside quotes already) must be substituted before parsing.
pub fn woo_fixture(order_id: u64, reference: &str) -> String {
    fixture("woocommerce_simple-order-sku-reference-alias.json")
        .replace("%%order_id%%", &order_id.to_string())
        .replace("%order_id%", &order_id.to_string())
        .replace("%order_reference%", reference)
}

/// Asserts a timestamp is exactly `expected` (RFC 3339), offset included: `DateTime<FixedOffset>`'s
/// `==` compares instants only, so the string form is compared as well.
pub fn assert_ts(actual: Option<&Timestamp>, expected: &str) {
    let actual = actual.unwrap_or_else(|| panic!("expected timestamp {expected}, got None"));
    let want = chrono::DateTime::parse_from_rfc3339(expected).unwrap_or_else(|e| panic!("bad expectation {expected}: {e}"));
    assert_eq!(*actual, want, "instant of {actual}");
    assert_eq!(actual.offset(), want.offset(), "offset of {actual}");
    assert_eq!(actual.to_rfc3339(), expected);
}
