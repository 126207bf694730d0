//! Tracking-URL templates: one syntax for every entry point (the dashboard's carrier list, `ship
//! --carrier` on the command line, the Vendure and Medusa plugins' `trackingUrlTemplates`), so a
//! template that works in one works in all.
//!
//! `{trackingNumber}` is replaced by the tracking number and `{carrier}` by the carrier name, both
//! URL-encoded; a template without `{trackingNumber}` gets the number appended
//! (`https://jouw.postnl.nl/track-and-trace/`). `{number}` (the dashboard's `--carrier NAME=URL` and
//! `carriers` option, 0.1) and `{trackingCode}` (the Vendure plugin, after Vendure's field name) are
//! deprecated spellings of `{trackingNumber}`, still read so that configured templates keep working.

use super::lenient::clip;
use super::shipment::check_tracking_url;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use thiserror::Error;

/// The tracking number's placeholder.
pub const TRACKING_NUMBER: &str = "{trackingNumber}";
/// The carrier name's placeholder.
pub const CARRIER: &str = "{carrier}";
/// Deprecated spellings of [`TRACKING_NUMBER`].
pub const DEPRECATED_TRACKING_NUMBER: [&str; 2] = ["{number}", "{trackingCode}"];
/// The template key that applies to a carrier with no template of its own.
pub const ANY_CARRIER: &str = "*";

/// What JavaScript's `encodeURIComponent` leaves as is: a number put into a path segment or a query
/// value cannot break out of it.
const COMPONENT: &AsciiSet =
    &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'!').remove(b'~').remove(b'*').remove(b'\'').remove(b'(').remove(b')');

/// A template that cannot give a tracking URL.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// A `{…}` the fill does not know (a typo would reach the buyer as is).
    #[error(
        "tracking URL template `{template}`: unknown placeholder `{placeholder}` (use {{trackingNumber}}, and {{carrier}} for the carrier name)"
    )]
    UnknownPlaceholder {
        /// The template (clipped).
        template: String,
        /// The placeholder.
        placeholder: String,
    },
    /// Filled in, it is not a URL a buyer can open.
    #[error("tracking URL template `{template}`: {reason}")]
    NotAUrl {
        /// The template (clipped).
        template: String,
        /// Why, as the ship guard says it.
        reason: String,
    },
}

impl TemplateError {
    /// Stable discriminant for JS.
    pub fn code(&self) -> &'static str {
        match self {
            TemplateError::UnknownPlaceholder { .. } => "TemplatePlaceholderUnknown",
            TemplateError::NotAUrl { .. } => "TemplateInvalid",
        }
    }
}

fn encode(value: &str) -> String {
    utf8_percent_encode(value.trim(), COMPONENT).to_string()
}

/// The tracking URL `template` gives for `tracking_number` shipped with `carrier`.
pub fn fill(template: &str, tracking_number: &str, carrier: &str) -> String {
    let template = template.trim();
    let number = encode(tracking_number);
    let named = std::iter::once(TRACKING_NUMBER).chain(DEPRECATED_TRACKING_NUMBER).any(|p| template.contains(p));
    // Encoded values hold no braces, so nothing put in can be taken for a placeholder afterwards.
    let mut url = template.replace(CARRIER, &encode(carrier));
    for p in std::iter::once(TRACKING_NUMBER).chain(DEPRECATED_TRACKING_NUMBER) {
        url = url.replace(p, &number);
    }
    if !named {
        url.push_str(&number);
    }
    url
}

/// Checks `template` when it is configured, not when the first parcel leaves: only known
/// placeholders, and an absolute http(s) URL a buyer can open once filled in.
pub fn check(template: &str) -> Result<(), TemplateError> {
    let sample = fill(template, "6A12345678901", "Carrier");
    if let Some(start) = sample.find('{') {
        let placeholder: String = sample[start..].chars().take_while(|c| *c != '}').chain(std::iter::once('}')).collect();
        return Err(TemplateError::UnknownPlaceholder { template: clip(template.trim()), placeholder: clip(&placeholder) });
    }
    check_tracking_url(&sample).map_err(|e| TemplateError::NotAUrl { template: clip(template.trim()), reason: e.to_string() })
}

/// The template configured for `carrier` among `templates` (name, template): the same name whatever
/// its (ASCII) case and surrounding spaces, else the `*` entry; None when neither is there.
pub fn template_for<'a>(templates: impl IntoIterator<Item = (&'a str, &'a str)>, carrier: &str) -> Option<&'a str> {
    let wanted = carrier.trim();
    if wanted.is_empty() {
        return None;
    }
    let mut any = None;
    for (name, template) in templates {
        let name = name.trim();
        // ASCII folding: carrier names are Latin, and Unicode case tables would weigh on the Wasm module.
        if name.eq_ignore_ascii_case(wanted) {
            return Some(template);
        }
        if name == ANY_CARRIER {
            any = Some(template);
        }
    }
    any
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const COLISSIMO: &str = "https://www.laposte.fr/outils/suivre-vos-envois?code={trackingNumber}";

    #[test]
    fn the_number_goes_where_the_placeholder_is_url_encoded() {
        assert_eq!(fill(COLISSIMO, "6A12345678901", "Colissimo"), "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901");
        assert_eq!(
            fill("https://t.example/{trackingNumber}?n={trackingNumber}", " JD 0146&x=1 ", "DHL"),
            "https://t.example/JD%200146%26x%3D1?n=JD%200146%26x%3D1"
        );
        assert_eq!(
            fill("https://track.aftership.com/{carrier}/{trackingNumber}", "1Z999AA10123456784", "Mondial Relay"),
            "https://track.aftership.com/Mondial%20Relay/1Z999AA10123456784"
        );
    }

    #[test]
    fn a_number_or_carrier_holding_a_placeholder_is_not_expanded_again() {
        assert_eq!(
            fill("https://t.example/{carrier}/{trackingNumber}", "{carrier}", "{trackingNumber}"),
            "https://t.example/%7BtrackingNumber%7D/%7Bcarrier%7D"
        );
    }

    #[test]
    fn without_a_placeholder_the_number_is_appended() {
        assert_eq!(
            fill("https://jouw.postnl.nl/track-and-trace/", "3SABCD0000001", "PostNL"),
            "https://jouw.postnl.nl/track-and-trace/3SABCD0000001"
        );
    }

    #[test]
    fn the_deprecated_spellings_still_fill_in() {
        // Dashboard templates written for 0.1 (`--carrier NAME=URL`) and Vendure's `{trackingCode}`.
        assert_eq!(fill("https://trace.dpd.fr/fr/trace/{number}", "250012345678", "DPD"), "https://trace.dpd.fr/fr/trace/250012345678");
        assert_eq!(
            fill("https://gls-group.com/FR/fr/suivi-colis?match={trackingCode}", "250012345678", "GLS"),
            "https://gls-group.com/FR/fr/suivi-colis?match=250012345678"
        );
    }

    #[test]
    fn a_template_is_checked_when_configured() {
        assert_eq!(check(COLISSIMO), Ok(()));
        assert_eq!(check("https://jouw.postnl.nl/track-and-trace/"), Ok(()));
        let typo = check("https://www.ups.com/track?tracknum={trackingnumber}").unwrap_err();
        assert_eq!(typo.code(), "TemplatePlaceholderUnknown");
        assert!(typo.to_string().contains("`{trackingnumber}`"), "{typo}");
        assert_eq!(check("javascript:alert('{trackingNumber}')").unwrap_err().code(), "TemplateInvalid");
        assert_eq!(check("www.dhl.com/track?id={trackingNumber}").unwrap_err().code(), "TemplateInvalid");
    }

    #[test]
    fn the_carrier_s_own_template_first_then_the_catch_all() {
        let templates = [("Colissimo", COLISSIMO), ("*", "https://track.aftership.com/{carrier}/{trackingNumber}")];
        assert_eq!(template_for(templates, " colissimo "), Some(COLISSIMO));
        assert_eq!(template_for(templates, "GLS"), Some("https://track.aftership.com/{carrier}/{trackingNumber}"));
        assert_eq!(template_for([("Colissimo", COLISSIMO)], "GLS"), None);
        assert_eq!(template_for(templates, "  "), None);
    }
}
