//! Ship validation: a status change can be made only once, so a shipment must be complete and
//! plausible before anything is recorded or sent.

use super::carrier;
use super::error::ShipmentError;
use super::lenient::clip;
use super::lifecycle::ChannelSupport;
use super::model::Order;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};

/// The longest tracking URL accepted (what browsers and most marketplaces keep).
pub const MAX_TRACKING_URL: usize = 2048;
/// The longest tracking number accepted.
pub const MAX_TRACKING_NUMBER: usize = 100;

/// What the merchant asks to ship.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ShipRequest {
    /// Carrier name as the marketplace should show it.
    pub carrier: String,
    /// Tracking number.
    pub tracking_number: String,
    /// Tracking URL (absolute http(s)).
    pub tracking_url: Option<String>,
    /// Items shipped; empty means the whole order.
    pub items: Vec<ShipLine>,
    /// Warehouse id (null: Shoppingfeed's default).
    pub warehouse_id: Option<String>,
    /// Return label.
    pub return_info: Option<ReturnLabel>,
}

/// One shipped line: Shoppingfeed item id and quantity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShipLine {
    /// Shoppingfeed order-item id.
    pub id: u64,
    /// Quantity shipped.
    pub quantity: u32,
}

/// Return label data sent with a shipment.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct ReturnLabel {
    /// Return carrier.
    pub carrier: String,
    /// Return tracking number.
    pub tracking_number: String,
}

/// A shipment that passed validation, trimmed; the only thing the engine will send.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ValidShipment {
    /// Carrier.
    pub carrier: String,
    /// Tracking number.
    pub tracking_number: String,
    /// Tracking URL, or empty.
    pub tracking_url: String,
    /// Lines; empty = whole order.
    pub items: Vec<ShipLine>,
    /// Warehouse id.
    pub warehouse_id: Option<String>,
    /// Return label.
    pub return_info: Option<ReturnLabel>,
    /// Whether this ships everything still to ship.
    pub complete: bool,
}

/// An ordered line as the validator needs it (from the order or from the journal's snapshot).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderedLine {
    /// Item id, when Shoppingfeed sent one.
    pub id: Option<u64>,
    /// Ordered quantity.
    pub quantity: u32,
}

/// Values that carriers never issue but that back-offices fill in to get past a required field.
const PLACEHOLDERS: &[&str] = &[
    "0",
    "-",
    "--",
    "n/a",
    "na",
    "n.a.",
    "none",
    "null",
    "nil",
    "undefined",
    "tbd",
    "tba",
    "todo",
    "concept",
    "draft",
    "test",
    "unknown",
    "?",
    "...",
    "xxx",
    "pending",
    "later",
    "notracking",
    "no tracking",
    "sans suivi",
    "aucun",
    "nc",
    "n.c.",
    "nd",
    "n/d",
];

/// The shortest tracking number accepted: no carrier we know issues fewer characters (Mondial Relay
/// and GLS track ids have 8, Parcelforce 9); 6 leaves room for small local carriers.
pub const MIN_TRACKING_NUMBER: usize = 6;

/// Whether a tracking number is a placeholder rather than something a carrier issued.
pub fn is_placeholder_tracking(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    if v.is_empty() || PLACEHOLDERS.contains(&v.as_str()) {
        return true;
    }
    // Every carrier's number carries digits: a word alone ("tracking", "envoyé") was typed to get
    // past a required field.
    if !v.chars().any(|c| c.is_ascii_digit()) {
        return true;
    }
    // "0000000", "xxxxx", "11111": one repeated character.
    let mut chars = v.chars().filter(|c| !c.is_whitespace());
    let first = chars.next();
    first.is_some_and(|f| chars.all(|c| c == f))
}

/// Characters that show nothing but change what is shown or compared: zero-width spaces and
/// joiners (U+200B..U+200D), the word joiner and invisible operators (U+2060..U+2064), the
/// byte-order mark, the soft hyphen, and the bidirectional marks, embeddings, overrides and
/// isolates (U+200E/F, U+202A..U+202E, U+2066..U+2069, U+061C).
pub fn is_invisible(c: char) -> bool {
    matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}' | '\u{061C}' | '\u{00AD}')
}

/// `value` without invisible characters, trimmed: what a copy from a web page or a spreadsheet
/// leaves around a carrier name or a number.
fn clean(value: &str) -> String {
    value.chars().filter(|&c| !is_invisible(c)).collect::<String>().trim().to_string()
}

/// Whether a carrier name is markup or a script rather than a name: a marketplace shows it to the
/// buyer, sometimes as HTML.
fn looks_like_markup(carrier: &str) -> bool {
    let compact: String = carrier.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
    // A tag opens with `<` then a letter, `/`, `!` or `?`; a lone `>` ("Colissimo > relais") is a
    // separator some merchants type.
    let b = carrier.as_bytes();
    let tag = b
        .iter()
        .enumerate()
        .any(|(i, &c)| c == b'<' && b.get(i + 1).is_some_and(|n| n.is_ascii_alphabetic() || matches!(n, b'/' | b'!' | b'?')));
    tag || compact.contains("&lt;")
        || compact.contains("&gt;")
        || compact.contains("&#")
        || compact.contains("{{")
        || compact.contains("${")
        || ["javascript:", "vbscript:", "data:"].iter().any(|s| compact.starts_with(s))
}

/// Checks a tracking number: the generic rules (not a URL, no spaces, not a placeholder, not too
/// long or short), then the carrier's shape when the carrier is one we recognise.
pub fn check_tracking_number(carrier: &str, tracking: &str) -> Result<(), ShipmentError> {
    if tracking.is_empty() {
        return Err(ShipmentError::TrackingNumberMissing);
    }
    let lower = tracking.to_ascii_lowercase();
    if lower.contains("://") || lower.starts_with("www.") {
        return Err(ShipmentError::TrackingNumberIsUrl { value: clip(tracking) });
    }
    if is_placeholder_tracking(tracking) {
        return Err(ShipmentError::TrackingNumberPlaceholder { value: clip(tracking) });
    }
    if tracking.chars().count() > MAX_TRACKING_NUMBER || tracking.chars().any(char::is_control) {
        return Err(ShipmentError::TrackingNumberInvalid { value: clip(tracking) });
    }
    if tracking.chars().any(char::is_whitespace) {
        return Err(ShipmentError::TrackingNumberSpaces { value: clip(tracking) });
    }
    if tracking.chars().count() < MIN_TRACKING_NUMBER {
        return Err(ShipmentError::TrackingNumberTooShort { value: clip(tracking), min: MIN_TRACKING_NUMBER });
    }
    if let Some(known) = carrier::recognise(carrier) {
        if !carrier::fits(known, tracking) {
            return Err(ShipmentError::TrackingNumberFormat { value: clip(tracking), carrier: clip(carrier), expected: known.expected });
        }
    }
    Ok(())
}

/// Checks a tracking URL a buyer will open: absolute http(s), a public host (no loopback, private,
/// link-local or unspecified address, in any spelling browsers accept), no credentials, no spaces,
/// control or invisible characters, no template placeholder left unreplaced, at most
/// [`MAX_TRACKING_URL`] characters. Hand-written rather than a URL crate: the IDNA tables such a
/// crate carries would double the size of the Wasm module for a check this narrow.
pub fn check_tracking_url(raw: &str) -> Result<(), ShipmentError> {
    let bad = |reason: &'static str| ShipmentError::TrackingUrlInvalid { value: clip(raw), reason };
    if raw.chars().count() > MAX_TRACKING_URL {
        return Err(bad("longer than 2048 characters"));
    }
    if raw.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("contains spaces or control characters"));
    }
    if raw.chars().any(is_invisible) {
        return Err(bad("contains invisible or bidirectional-override characters"));
    }
    let lower = raw.to_ascii_lowercase();
    let rest = if let Some(r) = lower.strip_prefix("https://") {
        r
    } else if let Some(r) = lower.strip_prefix("http://") {
        r
    } else {
        return Err(bad("must be an absolute http:// or https:// URL"));
    };
    // Browsers read a backslash as a slash: `https://evil\@good/` would not go where it reads.
    if rest.contains(['\\', '<', '>', '"', '`']) {
        return Err(bad("contains characters a URL cannot hold (\\ < > \" `)"));
    }
    let authority_len = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_len);
    if has_placeholder(authority, tail) {
        return Err(bad("contains an unreplaced template placeholder"));
    }
    if authority.contains('@') {
        return Err(bad("must not carry credentials"));
    }
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, after)) => (h, after.strip_prefix(':')),
            None => return Err(bad("has an invalid host")),
        },
        None => match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        },
    };
    let v6 = authority.starts_with('[');
    // One trailing dot is the same host (`localhost.`).
    let host = if v6 { host } else { host.strip_suffix('.').unwrap_or(host) };
    if host.is_empty() || host.starts_with('.') || host.contains("..") {
        return Err(bad("has no host"));
    }
    if !host.chars().all(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '_') || (v6 && c == ':')) {
        return Err(bad("has an invalid host"));
    }
    if port.is_some_and(|p| !p.is_empty() && p.parse::<u16>().is_err()) {
        return Err(bad("has an invalid port"));
    }
    let not_public = "points to a loopback, private, link-local or unspecified address, which a buyer cannot open";
    if v6 {
        let Ok(ip) = host.parse::<Ipv6Addr>() else { return Err(bad("has an invalid host")) };
        if !public_v6(ip) {
            return Err(bad(not_public));
        }
        return Ok(());
    }
    match ipv4_host(host) {
        Some(Ok(ip)) if !public_v4(ip) => return Err(bad(not_public)),
        Some(Ok(_)) => return Ok(()),
        Some(Err(())) => return Err(bad("has an invalid host")),
        None => {}
    }
    let labels: Vec<&str> = host.split('.').collect();
    let tld = labels.last().copied().unwrap_or("");
    if host == "localhost" || matches!(tld, "localhost" | "local" | "internal" | "localdomain" | "lan" | "home") {
        return Err(bad(not_public));
    }
    if labels.len() < 2 {
        return Err(bad("has a host without a domain (a machine name on a local network), which a buyer cannot open"));
    }
    Ok(())
}

/// A template placeholder left in: `{number}`, `{{tracking}}`, `%s`, `[tracking]` or the `@` of
/// the PrestaShop carrier URL template (`…?code=@`).
fn has_placeholder(authority: &str, tail: &str) -> bool {
    if authority.contains(['{', '}']) || tail.contains(['{', '}']) {
        return true;
    }
    // `[tracking]`, but not a PHP-style array parameter (`?code[0]=…`), which some sites use.
    let mut from = 0;
    while let Some(open) = tail[from..].find('[').map(|i| i + from) {
        match tail[open..].find(']').map(|i| i + open) {
            Some(close) if tail[close + 1..].starts_with('=') => from = close + 1,
            _ => return true,
        }
    }
    // A `%` not followed by two hex digits is no percent-encoding: `%s`, `%d`, `%1$s`.
    let b = tail.as_bytes();
    if b.iter()
        .enumerate()
        .any(|(i, &c)| c == b'%' && !(b.get(i + 1).is_some_and(u8::is_ascii_hexdigit) && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit)))
    {
        return true;
    }
    // `@` standing for a whole path segment or query value; `/@user` profile paths stay valid.
    b.iter().enumerate().any(|(i, &c)| {
        c == b'@'
            && i > 0
            && matches!(b[i - 1], b'=' | b'/' | b':')
            && b.get(i + 1).is_none_or(|n| matches!(n, b'&' | b'#' | b'/' | b'?' | b';'))
    })
}

/// The IPv4 address a host spells, as browsers read it (WHATWG URL): a host whose last label is a
/// number is an address, each of one to four parts decimal, `0x` hex or `0` octal, the last part
/// filling the remaining bytes (`2130706433`, `0x7f.1`, `0177.0.0.1` are all 127.0.0.1).
/// `None` when the host is a name, `Some(Err)` when it is a number no address fits.
fn ipv4_host(host: &str) -> Option<Result<Ipv4Addr, ()>> {
    let parts: Vec<&str> = host.split('.').collect();
    let last = parts.last().copied().unwrap_or("");
    let numeric = |p: &str| {
        !p.is_empty()
            && (p.bytes().all(|c| c.is_ascii_digit()) || p.strip_prefix("0x").is_some_and(|h| h.bytes().all(|c| c.is_ascii_hexdigit())))
    };
    if !numeric(last) {
        return None;
    }
    if parts.len() > 4 {
        return Some(Err(()));
    }
    let mut values = Vec::with_capacity(parts.len());
    for p in &parts {
        let v = if let Some(h) = p.strip_prefix("0x") {
            if h.is_empty() { Some(0) } else { u64::from_str_radix(h, 16).ok() }
        } else if p.len() > 1 && p.starts_with('0') {
            u64::from_str_radix(&p[1..], 8).ok()
        } else {
            p.parse::<u64>().ok()
        };
        match v {
            Some(v) => values.push(v),
            None => return Some(Err(())),
        }
    }
    let (last, head) = values.split_last()?;
    if head.iter().any(|&v| v > 255) || *last >= 1u64 << (8 * (5 - values.len())) {
        return Some(Err(()));
    }
    let mut n: u64 = *last;
    for (i, &v) in head.iter().enumerate() {
        n += v << (8 * (3 - i));
    }
    Some(u32::try_from(n).map(Ipv4Addr::from).map_err(|_| ()))
}

/// Whether a buyer's browser can reach this IPv4 address on the public internet.
fn public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || a == 0
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_broadcast()
        || ip.is_multicast()
        || a >= 240
        // Carrier-grade NAT (100.64.0.0/10): shared, not public.
        || (a == 100 && (64..128).contains(&b)))
}

/// Whether a buyer's browser can reach this IPv6 address on the public internet.
fn public_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return public_v4(v4);
    }
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        // Site-local (fec0::/10), deprecated but still routed inside networks.
        || (first & 0xffc0) == 0xfec0
        // IPv4-compatible (::a.b.c.d), deprecated: judged by the address it carries.
        || (ip.segments()[..6].iter().all(|&s| s == 0) && !public_v4(Ipv4Addr::from(ip.to_bits() as u32))))
}

/// Validates `req` against the ordered lines, what was already shipped (item id → quantity) and
/// the rules of the channel it goes to (its Shoppingfeed name, e.g. `CDiscount`; empty when not
/// known, then no channel rule applies).
pub fn validate(
    req: &ShipRequest,
    ordered: &[OrderedLine],
    already_shipped: &BTreeMap<u64, u32>,
    channel: &str,
) -> Result<ValidShipment, ShipmentError> {
    let support = ChannelSupport::for_channel(channel);
    let channel_name = if channel.trim().is_empty() { "this marketplace".to_string() } else { clip(channel.trim()) };
    let carrier = clean(&req.carrier);
    if carrier.is_empty() {
        return Err(ShipmentError::CarrierMissing);
    }
    if carrier.chars().count() > 100 || carrier.chars().any(char::is_control) {
        return Err(ShipmentError::CarrierInvalid { value: clip(&carrier) });
    }
    if looks_like_markup(&carrier) {
        return Err(ShipmentError::CarrierMarkup { value: clip(&carrier) });
    }
    let tracking = clean(&req.tracking_number);
    check_tracking_number(&carrier, &tracking)?;
    let url = req.tracking_url.as_deref().map(str::trim).unwrap_or("");
    if !url.is_empty() {
        check_tracking_url(url)?;
    } else if support.tracking_url {
        return Err(ShipmentError::TrackingUrlRequired { channel: channel_name });
    }

    // The official modules' orders carry no item ids: a ship request naming items has nothing
    // to match them with, and Shoppingfeed could not tell which lines left.
    if !req.items.is_empty() && !ordered.is_empty() && ordered.iter().all(|o| o.id.is_none()) {
        return Err(ShipmentError::ItemIdsMissing);
    }
    let mut lines: Vec<ShipLine> = Vec::new();
    for line in &req.items {
        if lines.iter().any(|l| l.id == line.id) {
            return Err(ShipmentError::ItemRepeated { id: line.id });
        }
        let Some(o) = ordered.iter().find(|o| o.id == Some(line.id)) else {
            return Err(ShipmentError::ItemUnknown { id: line.id });
        };
        let left = o.quantity.saturating_sub(already_shipped.get(&line.id).copied().unwrap_or(0));
        if line.quantity == 0 || line.quantity > left {
            return Err(ShipmentError::ItemQuantity { id: line.id, quantity: line.quantity, remaining: left });
        }
        lines.push(*line);
    }

    let remaining_total: u64 = ordered
        .iter()
        .map(|o| {
            let shipped = o.id.and_then(|id| already_shipped.get(&id)).copied().unwrap_or(0);
            u64::from(o.quantity.saturating_sub(shipped))
        })
        .sum();
    let shipping_now: u64 = if lines.is_empty() { remaining_total } else { lines.iter().map(|l| u64::from(l.quantity)).sum() };
    // With no ordered lines given (a form checking fields only), there is nothing to compare against.
    if remaining_total == 0 && !ordered.is_empty() {
        return Err(ShipmentError::AlreadyShipped);
    }
    let complete = shipping_now >= remaining_total;
    let partial = !complete || !already_shipped.is_empty();
    if partial && !support.partial_ship {
        return Err(ShipmentError::PartialShipUnsupported { channel: channel_name });
    }
    // Once part of the order has gone out, "whole order" is ambiguous: name the remaining lines.
    if lines.is_empty() && !already_shipped.is_empty() {
        lines = ordered
            .iter()
            .filter_map(|o| {
                let id = o.id?;
                let left = o.quantity.saturating_sub(already_shipped.get(&id).copied().unwrap_or(0));
                (left > 0).then_some(ShipLine { id, quantity: left })
            })
            .collect();
    }
    Ok(ValidShipment {
        carrier,
        tracking_number: tracking,
        tracking_url: url.to_string(),
        items: lines,
        warehouse_id: req.warehouse_id.clone().filter(|w| !w.trim().is_empty()),
        return_info: req.return_info.clone().filter(|r| !r.carrier.trim().is_empty() || !r.tracking_number.trim().is_empty()),
        complete,
    })
}

/// The ordered lines of an order, as the validator takes them.
pub fn ordered_lines(order: &Order) -> Vec<OrderedLine> {
    order.items.iter().map(|i| OrderedLine { id: i.id, quantity: i.quantity }).collect()
}
