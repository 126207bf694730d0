//! Lenient (de)serializers for the shapes real Shoppingfeed payloads take: dates with or without an
//! offset, `""` for "no date", numbers sent as strings, `null`/`{}`/`[]` for an empty map.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serializer};
use std::collections::BTreeMap;
use std::fmt;

/// A point in time as Shoppingfeed sends it (offset kept).
pub type Timestamp = DateTime<FixedOffset>;

/// Parses every date form seen in real payloads; `None` for anything else (MySQL's zero date included).
/// A naive value (no offset) is UTC: Amazon's zone-less ship-by date `"2024-08-29 21:59:59"` (PrestaShop
/// fixture, order created `2024-08-26T14:19:19+02:00`) is 23:59:59 in Paris, the end of the marketplace
/// day, and the Magento 2 module reads `latestShipDate` in UTC too (`Order/Importer.php`). The evidence
/// is in the test `zone_less_ship_by_dates_are_utc`.
pub fn parse_timestamp(raw: &str) -> Option<Timestamp> {
    let s = raw.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t);
    }
    for fmt in ["%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%d %H:%M:%S%z", "%Y-%m-%dT%H:%M:%S%.f%z"] {
        if let Ok(t) = DateTime::parse_from_str(s, fmt) {
            return Some(t);
        }
    }
    for fmt in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(t) = NaiveDateTime::parse_from_str(s, fmt) {
            return Some(t.and_utc().fixed_offset());
        }
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d").ok().and_then(|d| d.and_hms_opt(0, 0, 0)).map(|t| t.and_utc().fixed_offset())
}

/// Formats a timestamp the way the API and PHP's `c` format do: `2024-08-26T14:55:04+02:00`.
pub fn format_timestamp(t: &Timestamp) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// Formats a UTC instant as the API expects it.
pub fn format_utc(t: &DateTime<Utc>) -> String {
    format_timestamp(&t.fixed_offset())
}

/// `Option<Timestamp>` from a string, `""` or `null`. No shop decision rests on the dates read this way
/// (`createdAt`, `updatedAt`, `errors[].occurredAt`…): an unreadable value (the API example's `"string"`,
/// MySQL's `0000-00-00 00:00:00`, a number) is dropped, never a reason to refuse a paid order. The one
/// date that matters, `latestShipDate`, is read the same way and its unreadable text kept aside by
/// `parse_order` (see `Order::latest_ship_date_unreadable`).
pub mod opt_timestamp {
    use super::*;

    /// Deserializes a lenient optional timestamp.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Timestamp>, D::Error> {
        super::checked(d, |raw| Ok(raw.as_str().and_then(parse_timestamp)))
    }

    /// Serializes as an ISO 8601 string with offset, or `null`.
    pub fn serialize<S: Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
        match t {
            Some(t) => s.serialize_str(&format_timestamp(t)),
            None => s.serialize_none(),
        }
    }
}

/// A date value that means "no date" rather than a date that cannot be read: `null`, blanks and the
/// MySQL zero date (`0000-00-00`, `0000-00-00 00:00:00`) that PHP back ends write for an unset column.
pub fn is_no_date(raw: &serde_json::Value) -> bool {
    match raw {
        serde_json::Value::Null => true,
        serde_json::Value::String(s) => {
            let t = s.trim();
            t.is_empty() || t.starts_with("0000-00-00")
        }
        _ => false,
    }
}

/// Reads any JSON value and hands it to a check, inside the deserializer's own call: an error raised
/// there carries the position just past the value, which names its field (see `order::path`).
struct Checked<F>(F);

impl<'de, T, F: FnOnce(serde_json::Value) -> Result<T, String>> Visitor<'de> for Checked<F> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
        (self.0)(serde_json::Value::Bool(v)).map_err(E::custom)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
        (self.0)(serde_json::Value::from(v)).map_err(E::custom)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
        (self.0)(serde_json::Value::from(v)).map_err(E::custom)
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
        (self.0)(serde_json::Value::from(v)).map_err(E::custom)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        (self.0)(serde_json::Value::String(v.to_string())).map_err(E::custom)
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
        (self.0)(serde_json::Value::String(v)).map_err(E::custom)
    }
    fn visit_unit<E: de::Error>(self) -> Result<T, E> {
        (self.0)(serde_json::Value::Null).map_err(E::custom)
    }
    fn visit_none<E: de::Error>(self) -> Result<T, E> {
        (self.0)(serde_json::Value::Null).map_err(E::custom)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
        let v = serde_json::Value::deserialize(de::value::SeqAccessDeserializer::new(seq))?;
        (self.0)(v).map_err(de::Error::custom)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let v = serde_json::Value::deserialize(de::value::MapAccessDeserializer::new(map))?;
        (self.0)(v).map_err(de::Error::custom)
    }
}

/// Any value (null included) through `check`.
fn checked<'de, D: Deserializer<'de>, T>(d: D, check: impl FnOnce(serde_json::Value) -> Result<T, String>) -> Result<T, D::Error> {
    d.deserialize_option(Checked(check))
}

/// Shortens untrusted text quoted in an error message.
pub(crate) fn clip(s: &str) -> String {
    const MAX: usize = 80;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let mut out: String = s.chars().take(MAX).collect();
        out.push('…');
        out
    }
}

struct NumberVisitor;

impl<'de> Visitor<'de> for NumberVisitor {
    type Value = Option<f64>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number, a numeric string or null")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v as f64))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        let t = v.trim();
        if t.is_empty() {
            return Ok(None);
        }
        // Some channels send decimal commas ("12,50").
        t.replace(',', ".")
            .parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .map(Some)
            .ok_or_else(|| E::custom(format!("expected a number, found `{}`", clip(v))))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(NumberVisitor)
    }
}

/// An amount that may be a number, a numeric string, `""` or `null` (→ `None`).
pub mod opt_number {
    use super::*;
    /// Deserializes a lenient optional number.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        d.deserialize_option(NumberVisitor)
    }
}

/// An amount no shop decision rests on (commissions, tax and eco-tax as sent): unreadable → `None`.
pub mod loose_number {
    use super::*;
    /// Deserializes an optional number, `None` for anything that is not one.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
        super::checked(d, |v| {
            Ok(match v {
                serde_json::Value::Number(n) => n.as_f64(),
                serde_json::Value::String(s) => s.trim().replace(',', ".").parse::<f64>().ok().filter(|n| n.is_finite()),
                _ => None,
            })
        })
    }
    /// The same, absent or unreadable → 0.
    pub mod or_zero {
        /// Deserializes a loose number, 0 when unreadable.
        pub fn deserialize<'de, D: super::Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
            Ok(super::deserialize(d)?.unwrap_or(0.0))
        }
    }
}

/// An amount where a missing value means 0.
pub mod number {
    use super::*;
    /// Deserializes a lenient number, absent → 0.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(d.deserialize_option(NumberVisitor)?.unwrap_or(0.0))
    }
}

/// A count (quantity) sent as an integer, an integral float or a numeric string.
pub mod count {
    use super::*;
    /// Deserializes a lenient non-negative integer.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u32, D::Error> {
        d.deserialize_option(Count)
    }

    /// The number rules of [`NumberVisitor`], then whole and non-negative, checked inside the
    /// deserializer's call so that the error names the field.
    struct Count;

    fn whole<E: de::Error>(n: Option<f64>) -> Result<u32, E> {
        let n = n.unwrap_or(0.0);
        if n < 0.0 || n.fract() != 0.0 || n > u32::MAX as f64 {
            return Err(E::custom(format!("expected a whole non-negative quantity, found `{n}`")));
        }
        Ok(n as u32)
    }

    impl<'de> Visitor<'de> for Count {
        type Value = u32;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            NumberVisitor.expecting(f)
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<u32, E> {
            whole(NumberVisitor.visit_f64(v)?)
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<u32, E> {
            whole(NumberVisitor.visit_i64(v)?)
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<u32, E> {
            whole(NumberVisitor.visit_u64(v)?)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<u32, E> {
            whole(NumberVisitor.visit_str(v)?)
        }
        fn visit_unit<E: de::Error>(self) -> Result<u32, E> {
            Ok(0)
        }
        fn visit_none<E: de::Error>(self) -> Result<u32, E> {
            Ok(0)
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
            d.deserialize_any(Count)
        }
    }
}

/// An identifier sent as a number or a numeric string.
pub mod id {
    use super::*;
    /// Deserializes a required id.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
        super::checked(d, |v| opt::of_value(v)?.ok_or_else(|| "expected an id, found null".to_string()))
    }
    /// An id nothing depends on (`storeId`, `items[].id`, tag ids): an unreadable one is dropped.
    pub mod loose {
        use super::*;
        /// Deserializes an optional id, `None` for anything that is not one.
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
            super::super::checked(d, |v| Ok(super::opt::of_value(v).ok().flatten()))
        }
    }
    /// Optional ids.
    pub mod opt {
        use super::*;
        /// Deserializes an optional id (`null`, `""` → None).
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
            super::super::checked(d, of_value)
        }

        pub(super) fn of_value(v: serde_json::Value) -> Result<Option<u64>, String> {
            match v {
                serde_json::Value::Null => Ok(None),
                serde_json::Value::Number(n) => n.as_u64().map(Some).ok_or_else(|| format!("expected a positive whole id, found `{n}`")),
                serde_json::Value::String(s) if s.trim().is_empty() => Ok(None),
                serde_json::Value::String(s) => {
                    s.trim().parse::<u64>().map(Some).map_err(|_| format!("expected a numeric id, found `{}`", clip(&s)))
                }
                other => Err(format!("expected an id, found `{}`", clip(&other.to_string()))),
            }
        }
    }
}

/// A boolean sent as `true`/`false`, `1`/`0`, `"1"`/`"0"`, `"true"`/`"false"`, `""` or `null`.
pub mod flag {
    use super::*;
    /// Deserializes a lenient boolean (absent → false).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
        super::checked(d, |v| {
            Ok(match v {
                serde_json::Value::Null => false,
                serde_json::Value::Bool(b) => b,
                serde_json::Value::Number(n) => n.as_f64().is_some_and(|x| x != 0.0),
                serde_json::Value::String(s) => {
                    let t = s.trim().to_ascii_lowercase();
                    matches!(t.as_str(), "true" | "yes" | "y") || t.parse::<f64>().is_ok_and(|x| x != 0.0)
                }
                other => return Err(format!("expected a boolean, found `{}`", clip(&other.to_string()))),
            })
        })
    }
}

/// A string that may be `null` or a number (→ its text).
pub mod text {
    use super::*;
    /// Text nothing depends on (names, labels, unknown enum values): kept when it is text, a number
    /// or a boolean, dropped (→ "") when it is an object or a list.
    pub mod loose {
        use super::*;
        /// Deserializes loose text (absent, null or not text → "").
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
            Ok(opt::deserialize(d)?.unwrap_or_default())
        }
        /// Optional loose text (null or not text → None).
        pub mod opt {
            use super::*;
            /// Deserializes optional loose text.
            pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
                super::super::super::checked(d, |v| Ok(super::super::of_value(v).ok().flatten()))
            }
        }
    }

    fn of_value(v: serde_json::Value) -> Result<Option<String>, String> {
        match v {
            serde_json::Value::Null => Ok(None),
            serde_json::Value::String(s) => Ok(Some(s)),
            serde_json::Value::Number(n) => Ok(Some(n.to_string())),
            serde_json::Value::Bool(b) => Ok(Some(b.to_string())),
            other => Err(format!("expected text, found `{}`", clip(&other.to_string()))),
        }
    }

    /// Deserializes a lenient string (absent/null → "").
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
        Ok(opt::deserialize(d)?.unwrap_or_default())
    }
    /// Optional text.
    pub mod opt {
        use super::*;
        /// Deserializes an optional lenient string (null → None, numbers → their text).
        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
            super::super::checked(d, super::of_value)
        }
    }
}

/// A JSON object that may arrive as `null`, `{}` or — from PHP serializers — `[]`.
pub mod map {
    use super::*;
    /// Deserializes a lenient object map (null/[] → empty).
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Map<String, serde_json::Value>, D::Error> {
        super::checked(d, |v| match v {
            serde_json::Value::Null => Ok(Default::default()),
            serde_json::Value::Object(m) => Ok(m),
            serde_json::Value::Array(a) if a.is_empty() => Ok(Default::default()),
            other => Err(format!("expected an object, found `{}`", clip(&other.to_string()))),
        })
    }
}

/// A string → string map (aliases) that may be `null`, `{}` or `[]`; non-string values keep their text.
pub mod string_map {
    use super::*;
    /// Deserializes a lenient string map.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
        let m = super::map::deserialize(d)?;
        Ok(m.into_iter()
            .filter_map(|(k, v)| match v {
                serde_json::Value::String(s) => Some((k, s)),
                serde_json::Value::Null => None,
                other => Some((k, other.to_string())),
            })
            .collect())
    }
}

/// A list that may be `null` (→ empty).
pub mod list {
    use super::*;
    /// A list nothing depends on (`errors`, tags): not a list → empty, an entry that cannot be read is
    /// dropped, the others kept.
    pub mod loose {
        use super::*;
        /// Deserializes a loose list.
        pub fn deserialize<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
            // Entries are read again from their text: the same parser as the order itself, so the Wasm
            // carries no second copy of each entry type's deserializer.
            let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
            Ok(match serde_json::from_str::<Vec<Box<serde_json::value::RawValue>>>(raw.get()) {
                Ok(entries) => entries.iter().filter_map(|x| serde_json::from_str(x.get()).ok()).collect(),
                Err(_) => Vec::new(),
            })
        }
    }
    /// Deserializes a lenient list.
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
        Ok(Option::<Vec<T>>::deserialize(d)?.unwrap_or_default())
    }
}

/// A JSON object that nothing the shop needs depends on (`additionalFields`, links): anything but an
/// object → empty.
pub mod loose_map {
    use super::*;
    /// Deserializes a loose object map.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<serde_json::Map<String, serde_json::Value>, D::Error> {
        Ok(match serde_json::Value::deserialize(d)? {
            serde_json::Value::Object(m) => m,
            _ => Default::default(),
        })
    }
}

/// An object nothing the shop needs depends on (`billingAddress`, `_links`, `shipment.returnInfo`):
/// one that cannot be read is its default.
pub mod loose_object {
    use super::*;
    /// Deserializes a loose nested object.
    pub fn deserialize<'de, D: Deserializer<'de>, T: serde::de::DeserializeOwned + Default>(d: D) -> Result<T, D::Error> {
        // Read again from its text, as `list::loose` does.
        let raw = Box::<serde_json::value::RawValue>::deserialize(d)?;
        Ok(serde_json::from_str::<Option<T>>(raw.get()).ok().flatten().unwrap_or_default())
    }
}

/// An object that may be `null` (→ its default). Deserialized in place so a bad nested field keeps its
/// full path (`payment.totalAmount`) in the error.
pub mod object {
    use super::*;
    /// Deserializes a lenient nested object.
    pub fn deserialize<'de, D: Deserializer<'de>, T: Deserialize<'de> + Default>(d: D) -> Result<T, D::Error> {
        Ok(Option::<T>::deserialize(d)?.unwrap_or_default())
    }
}
