//! The ship guard (issue 11): every shipment is checked before it leaves, since a status change
//! can be made only once. Tracking numbers by carrier, tracking URLs a buyer can open, carrier
//! names that mean something, the channel's own rules, and orders whose lines carry no item id.
//! Real tracking numbers come from the official modules' fixtures.
#![allow(clippy::unwrap_used)]

mod common;
#[allow(dead_code, unused_imports)]
mod support;

use common::{fixture, fixtures_dir};
use futures::executor::block_on;
use serde_json::Value;
use shoppingfeed_orders::order::shipment::{OrderedLine, ValidShipment, ordered_lines, validate};
use shoppingfeed_orders::order::{ShipLine, ShipRequest, ShipmentError, parse_order};
use std::collections::BTreeMap;
use support::{World, set_channel};

fn req(carrier: &str, tracking: &str, url: Option<&str>) -> ShipRequest {
    ShipRequest {
        carrier: carrier.into(),
        tracking_number: tracking.into(),
        tracking_url: url.map(str::to_string),
        ..ShipRequest::default()
    }
}

/// One line of two, with an id: enough for a whole-order shipment.
fn lines() -> Vec<OrderedLine> {
    vec![OrderedLine { id: Some(1), quantity: 2 }]
}

/// Validates `r` for an order of `lines()` on `channel`.
fn check(r: &ShipRequest, channel: &str) -> Result<ValidShipment, ShipmentError> {
    validate(r, &lines(), &BTreeMap::new(), channel)
}

/// The error code of shipping `tracking` with `carrier` (no channel rule), or "ok".
fn number_code(carrier: &str, tracking: &str) -> String {
    match check(&req(carrier, tracking, None), "") {
        Ok(_) => "ok".into(),
        Err(e) => e.code().into(),
    }
}

// ---------------------------------------------------------------------------------------------
// 1. Tracking numbers
// ---------------------------------------------------------------------------------------------

#[test]
fn generic_rules_refuse_what_no_carrier_issues() {
    // Seen on main: `123` reached Amazon; `AB`, `tracking` and a URL passed.
    for (carrier, tracking, code) in [
        ("Colissimo", "123", "TrackingNumberTooShort"),
        ("Transports Martin", "123", "TrackingNumberTooShort"),
        ("Transports Martin", "A1B2", "TrackingNumberTooShort"),
        ("Transports Martin", "AB", "TrackingNumberPlaceholder"),
        ("Transports Martin", "tracking", "TrackingNumberPlaceholder"),
        ("UPS", "Expédié", "TrackingNumberPlaceholder"),
        ("Colissimo", "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901", "TrackingNumberIsUrl"),
        ("Transports Martin", "www.transports-martin.fr/suivi/123456", "TrackingNumberIsUrl"),
        ("UPS", "1Z 999 AA1 01 2345 6784", "TrackingNumberSpaces"),
        ("Transports Martin", "CB 1234 5678 FR", "TrackingNumberSpaces"),
    ] {
        assert_eq!(number_code(carrier, tracking), code, "{carrier} / {tracking:?}");
    }
    let err = check(&req("Colissimo", "123", None), "Amazon").unwrap_err();
    assert_eq!(err.field(), "trackingNumber");
    assert_eq!(err.to_string(), "tracking number `123` is too short: carriers issue at least 6 characters");
    let err = check(&req("UPS", "1Z 999 AA1", None), "").unwrap_err();
    assert!(err.to_string().contains("`1Z 999 AA1` contains spaces"), "{err}");
    let err = check(&req("DPD", "https://trace.dpd.fr/trace/123456789", None), "").unwrap_err();
    assert!(err.to_string().contains("is a URL") && err.to_string().contains("trackingUrl"), "{err}");
}

#[test]
fn a_number_that_cannot_be_the_carriers_is_refused_naming_the_shape() {
    let err = check(&req("UPS Standard", "123456789012", None), "").unwrap_err();
    assert_eq!(err.code(), "TrackingNumberFormat");
    assert_eq!(err.field(), "trackingNumber");
    assert_eq!(
        err.to_string(),
        "tracking number `123456789012` does not fit carrier `UPS Standard`: a UPS tracking number is 1Z followed by 16 letters or digits"
    );
    for (carrier, wrong, shape) in [
        ("Colissimo", "1Z999AA10123456784", "13 characters"),
        ("Chronopost", "123456789012", "XY123456789FR"),
        ("DHL Express", "1Z999AA10123456784", "10-digit"),
        ("DHL", "ABCDEFGH12", "10 to 39 digits"),
        ("FedEx", "1234567890", "12, 15, 20 or 22 digits"),
        ("GLS", "1234567", "11 or 12 digits"),
        ("DPD", "1Z999AA10123456784", "14 for a parcel number"),
        ("Mondial Relay", "123456789", "8 or 12 digits"),
        ("PostNL", "1234567890", "3S"),
        ("bpost", "ABCDEFG12", "24 digits"),
        ("Royal Mail", "123456789", "AB123456789GB"),
        ("Correos", "12345678", "PQ4F6P0703673180108010B"),
        ("Poste Italiane", "12345678", "12 or 13 letters and digits"),
        ("Hermes", "123456789", "14 digits"),
        ("Evri", "123456789", "16 letters and digits"),
        ("Amazon Logistics", "123456789012", "TBA followed by 12 digits"),
        ("Relais Colis", "1234567", "10 to 20"),
    ] {
        let err = check(&req(carrier, wrong, None), "").unwrap_err();
        assert_eq!(err.code(), "TrackingNumberFormat", "{carrier} / {wrong}: {err}");
        assert!(err.to_string().contains(shape), "{carrier}: {err}");
    }
}

#[test]
fn published_shapes_of_every_carrier_are_accepted() {
    for (carrier, good) in [
        ("Colissimo", "6A12345678901"),
        ("Colissimo", "8R00000000001"),
        ("Colissimo", "8D00432154798"),
        ("Colissimo", "CB123456789FR"),
        ("La Poste", "1K12345678901"),
        ("Chronopost", "XY123456789FR"),
        ("DHL Express", "1234567890"),
        ("DHL Express", "JD014600006281234567"),
        ("DHL", "123456789012"),
        ("DHL", "00340434161234567890"),
        ("DHL", "JJD000390007581234567"),
        ("DHL", "1234567890"),
        ("DHL Paket", "RR123456789DE"),
        ("UPS", "1Z999AA10123456784"),
        ("ups", "1z999aa10123456784"),
        ("FedEx", "123456789012"),
        ("FedEx", "123456789012345"),
        ("FedEx Ground", "96121234567890123456"),
        ("FedEx", "1234567890123456789012"),
        ("GLS", "12345678901"),
        ("GLS", "123456789012"),
        ("GLS", "ZK4X8J2A"),
        ("DPD", "01234567890123"),
        ("DPD Predict", "01234567890123A"),
        ("DPD", "250012345678"),
        ("Mondial Relay", "12345678"),
        ("Mondial Relay", "123456789012"),
        ("Relais Colis", "4C1234567890"),
        ("PostNL", "3SABCD1234567"),
        ("PostNL", "RR123456789NL"),
        ("bpost", "323299901059912345678901"),
        ("bpost", "CD123456789BE"),
        ("Royal Mail", "AB123456789GB"),
        ("Parcelforce", "EA1234567"),
        ("Correos", "PQ4F6P0703673180108010B"),
        ("Correos", "RR123456789ES"),
        ("Poste Italiane", "123456789012"),
        ("Poste Italiane", "RR123456789IT"),
        ("Poste Italiane", "1UW1B5A96912"),
        ("UPS", "T1234567890"),
        ("FedEx", "DT123456789012"),
        ("Hermes", "12345678901234"),
        ("Evri", "T00AA12345678901"),
        ("Amazon Logistics", "TBA123456789012"),
        ("AMZL", "TBC123456789012"),
        // Several parcels, one number each, as shop plugins join them.
        ("DPD", "01234567890123,01234567890124"),
    ] {
        assert_eq!(number_code(carrier, good), "ok", "{carrier} / {good}");
    }
}

#[test]
fn carriers_are_recognised_leniently_and_unknown_ones_get_the_generic_rules_only() {
    // The merchant types the carrier: case, accents, service suffixes.
    for name in ["Colissimo", "colissimo expert", "COLISSIMO", "Colissimo Relais", "La Poste", "La Poste – Colissimo", "So Colissimo"] {
        assert_eq!(number_code(name, "1Z999AA10123456784"), "TrackingNumberFormat", "{name}");
        assert_eq!(number_code(name, "6A12345678901"), "ok", "{name}");
    }
    for name in ["UPS", "UPS Standard", "ups express saver", "UPS Access Point™"] {
        assert_eq!(number_code(name, "6A12345678901"), "TrackingNumberFormat", "{name}");
        assert_eq!(number_code(name, "1Z999AA10123456784"), "ok", "{name}");
    }
    for name in ["Chronopost", "Chronopost Relais", "Chrono Relais", "chronopost 13h"] {
        assert_eq!(number_code(name, "1234567890"), "TrackingNumberFormat", "{name}");
    }
    // DHL Express is DHL Express, not DHL Paket: a 12-digit Paket number cannot be an Express waybill.
    assert_eq!(number_code("DHL Express", "123456789012"), "TrackingNumberFormat");
    assert_eq!(number_code("DHL", "123456789012"), "ok");
    assert_eq!(number_code("Mondial Rélay", "12345678"), "ok");
    assert_eq!(number_code("Mondial Rélay", "123456"), "TrackingNumberFormat");
    // Unknown carriers, marketplace service codes and names of two carriers: generic rules only.
    for name in ["Transports Martin", "Std FR Dom_1", "FR_ColiposteColissimoRecommended", "GLS Mondial Relay (FR)", "Colis Privé"] {
        assert_eq!(number_code(name, "AB12CD"), "ok", "{name}");
        assert_eq!(number_code(name, "AB1"), "TrackingNumberTooShort", "{name}");
    }
}

/// Every shipment with a tracking number in the official modules' test data.
fn fixture_shipments() -> Vec<(String, String, String, String, Option<String>)> {
    let mut found = Vec::new();
    let mut paths: Vec<_> = std::fs::read_dir(fixtures_dir().join("external")).unwrap().map(|e| e.unwrap().path()).collect();
    paths.extend(std::fs::read_dir(fixtures_dir()).unwrap().map(|e| e.unwrap().path()));
    paths.sort();
    for path in paths.into_iter().filter(|p| p.extension().is_some_and(|e| e == "json")) {
        let Ok(v) = serde_json::from_str::<Value>(&std::fs::read_to_string(&path).unwrap()) else {
            continue; // the WooCommerce template is not JSON before substitution
        };
        let name = path.file_name().unwrap().to_string_lossy().to_string();
        let s = &v["shipment"];
        let number = s["trackingNumber"].as_str().unwrap_or("").to_string();
        if number.is_empty() {
            continue;
        }
        let channel = v["_embedded"]["channel"]["name"].as_str().unwrap_or("").to_string();
        let link = s["trackingLink"].as_str().filter(|l| !l.is_empty()).map(str::to_string);
        found.push((name, channel, s["carrier"].as_str().unwrap_or("").to_string(), number, link));
    }
    found
}

#[test]
fn real_tracking_numbers_of_the_fixtures_all_pass() {
    let found = fixture_shipments();
    // 6H12434811732 (Colissimo Relais), 03384911 (Mondial Relay), 123456789 (DPD) in both copies
    // of order-with-discount.
    assert_eq!(found.len(), 4, "{found:?}");
    for (name, channel, carrier, number, link) in found {
        let got = validate(&req(&carrier, &number, link.as_deref()), &[], &BTreeMap::new(), &channel);
        let ok = got.unwrap_or_else(|e| panic!("{name}: {carrier} {number} on {channel}: {e}"));
        assert_eq!(ok.tracking_number, number, "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Tracking URLs a buyer can open
// ---------------------------------------------------------------------------------------------

fn url_error(url: &str) -> String {
    match check(&req("DPD", "01234567890123", Some(url)), "") {
        Ok(_) => "ok".into(),
        Err(ShipmentError::TrackingUrlInvalid { reason, .. }) => reason.into(),
        Err(e) => panic!("{url}: {e}"),
    }
}

#[test]
fn tracking_urls_to_local_or_private_hosts_are_refused() {
    for url in [
        "http://127.0.0.1/t",
        "http://127.1.2.3:8080/t",
        "http://localhost/track",
        "http://LOCALHOST:3000/t",
        "http://localhost./t",
        "http://tracking.localhost/t",
        "http://printer.local/t",
        "http://10.0.0.8/t",
        "http://172.16.0.1/t",
        "http://172.31.255.255/t",
        "https://192.168.1.10/t",
        "http://169.254.169.254/latest/meta-data/",
        "http://0.0.0.0/t",
        "http://0/t",
        "http://[::1]/t",
        "http://[::]/t",
        "http://[fc00::1]/t",
        "http://[fd12:3456::1]/t",
        "http://[fe80::1]/t",
        "http://[::ffff:127.0.0.1]/t",
        "http://[::ffff:10.1.2.3]/t",
        // Other spellings of 127.0.0.1 that browsers accept.
        "http://2130706433/",
        "http://0x7f.1/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://017700000001/",
        "http://0xA9.0xFE.0xA9.0xFE/",
        "http://100.64.0.1/t",
        "http://224.0.0.1/t",
        "http://255.255.255.255/t",
    ] {
        assert!(url_error(url).contains("loopback, private, link-local or unspecified"), "{url}: {}", url_error(url));
    }
    assert!(url_error("http://intranet/track").contains("without a domain"));
    assert_eq!(url_error("http://256.1.1.1/t"), "has an invalid host");
    assert_eq!(url_error("http://1.2.3.4.5/t"), "has an invalid host");
    let err = check(&req("DPD", "01234567890123", Some("http://169.254.169.254/latest")), "").unwrap_err();
    assert_eq!(err.code(), "TrackingUrlInvalid");
    assert_eq!(err.field(), "trackingUrl");
    assert!(err.to_string().contains("`http://169.254.169.254/latest`"), "{err}");
}

#[test]
fn tracking_urls_with_placeholders_invisible_characters_or_credentials_are_refused() {
    let placeholder = "contains an unreplaced template placeholder";
    for url in [
        "https://www.laposte.fr/outils/suivre-vos-envois?code={number}",
        "https://www.laposte.fr/outils/suivre-vos-envois?code={tracking}",
        "https://trace.dpd.fr/trace/{{tracking_number}}",
        "https://www.laposte.fr/outils/suivre-vos-envois?code=@",
        "https://www.colissimo.fr/suivi/@/detail",
        "https://track.example.com/t?n=%s",
        "https://track.example.com/t?n=%1$s&l=fr",
        "https://track.example.com/t/[tracking]",
        "https://track.example.com/t?code=[number]&lang=fr",
        "https://{carrier}.example.com/t",
    ] {
        assert_eq!(url_error(url), placeholder, "{url}");
    }
    for url in [
        "https://track.example.com/t?n=\u{202E}1234",
        "https://track.exa\u{200B}mple.com/t",
        "https://\u{2066}track.example.com/t",
        "https://track.example.com/\u{FEFF}",
    ] {
        assert_eq!(url_error(url), "contains invisible or bidirectional-override characters", "{url:?}");
    }
    assert_eq!(url_error("https://track.example.com/\u{1b}[31m"), "contains spaces or control characters");
    assert_eq!(url_error("https://user:pw@track.example.com/t"), "must not carry credentials");
    assert_eq!(url_error("https://track.example.com\\@evil.example/t"), "contains characters a URL cannot hold (\\ < > \" `)");
    assert_eq!(url_error("ftp://track.example.com/t"), "must be an absolute http:// or https:// URL");
}

#[test]
fn real_tracking_urls_pass() {
    for url in [
        "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901",
        "https://trace.dpd.fr/trace/123456789",
        "https://www.ups.com/track?tracknum=1Z999AA10123456784&loc=fr_FR",
        "https://www.dhl.com/fr-fr/home/tracking/tracking-parcel.html?submit=1&tracking-id=00340434161234567890",
        "https://www.mondialrelay.fr/suivi-de-colis/?codeMarque=XX&nexp=03384911",
        "https://medium.com/@carrier/track",
        "https://suivi.example.com/track.php?code[0]=6A12345678901",
        "https://track.example.com/t?n=6A12345678901%20",
        "http://8.8.8.8/t",
        "https://[2606:4700::1111]/t",
        "https://172.32.0.1/t",
    ] {
        assert_eq!(url_error(url), "ok", "{url}");
    }
}

// ---------------------------------------------------------------------------------------------
// 3. Carrier names
// ---------------------------------------------------------------------------------------------

#[test]
fn carrier_names_are_cleaned_of_invisible_characters_before_the_emptiness_check() {
    for invisible in ["\u{200B}", "\u{FEFF}", " \u{200D}\u{2060} ", "\u{202E}", "\u{2066}\u{2069}", "\u{200E}\u{200F}"] {
        let err = check(&req(invisible, "01234567890123", None), "").unwrap_err();
        assert_eq!(err.code(), "CarrierMissing", "{invisible:?}");
    }
    let ok = check(&req("\u{FEFF}DPD\u{200B} ", "\u{200B}01234567890123", None), "").unwrap();
    assert_eq!(ok.carrier, "DPD", "the sent carrier is the cleaned one");
    assert_eq!(ok.tracking_number, "01234567890123", "so is the number");
    let ok = check(&req("Colis\u{00AD}simo\u{202C}", "6A12345678901", None), "").unwrap();
    assert_eq!(ok.carrier, "Colissimo");
}

#[test]
fn markup_like_carrier_names_are_refused() {
    for name in [
        "<b>UPS</b>",
        "<script>alert(1)</script>",
        "javascript:alert(1)",
        "JavaScript :void(0)",
        "&lt;b&gt;DPD",
        "DPD&#x3C;",
        "{{carrier}}",
        "data:text/html,x",
        "UPS<img src=x>",
    ] {
        let err = check(&req(name, "01234567890123", None), "").unwrap_err();
        assert_eq!(err.code(), "CarrierMarkup", "{name}");
        assert_eq!(err.field(), "carrier");
        assert!(err.to_string().contains("not a carrier name"), "{err}");
    }
    // Separators and comparisons are not markup.
    for name in ["Transports Martin & Fils", "Colissimo > Point relais", "Colissimo < 2 kg"] {
        assert!(check(&req(name, "6A12345678901", None), "").is_ok(), "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// 4. Channel rules
// ---------------------------------------------------------------------------------------------

#[test]
fn channels_that_require_a_tracking_url_refuse_a_shipment_without_one() {
    for channel in ["CDiscount", "Monechelle", "ManoMano", "leroymerlin"] {
        let err = check(&req("Colissimo", "6A12345678901", None), channel).unwrap_err();
        assert_eq!(err.code(), "TrackingUrlRequired", "{channel}");
        assert_eq!(err.field(), "trackingUrl");
        assert_eq!(err.to_string(), format!("{channel} requires a tracking URL with each shipment: give trackingUrl"));
        let blank = check(&req("Colissimo", "6A12345678901", Some("  ")), channel).unwrap_err();
        assert_eq!(blank.code(), "TrackingUrlRequired", "a blank URL is no URL");
        let url = "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901";
        assert_eq!(check(&req("Colissimo", "6A12345678901", Some(url)), channel).unwrap().tracking_url, url);
    }
    for channel in ["Amazon", "Zalando", "Bol", "SomeNewMarketplace", ""] {
        assert!(check(&req("Colissimo", "6A12345678901", None), channel).is_ok(), "{channel}");
    }
}

#[test]
fn partial_shipment_refusal_names_the_channel() {
    let two = vec![OrderedLine { id: Some(1), quantity: 1 }, OrderedLine { id: Some(2), quantity: 1 }];
    let url = Some("https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901");
    let mut r = req("Colissimo", "6A12345678901", url);
    r.items = vec![ShipLine { id: 1, quantity: 1 }];
    let err = validate(&r, &two, &BTreeMap::new(), "CDiscount").unwrap_err();
    assert_eq!(err.code(), "PartialShipUnsupported");
    assert_eq!(err.to_string(), "CDiscount accepts only whole-order shipments");
    assert!(validate(&r, &two, &BTreeMap::new(), "Monechelle").is_ok());
}

/// The CDiscount shipment without URL used to be recorded and sent, then failed at the marketplace.
#[test]
fn the_engine_refuses_a_cdiscount_shipment_without_url_before_anything_is_recorded_or_sent() {
    let world = World::new();
    let id = support::FIRST_ID;
    let mut order = world.order(id);
    set_channel(&mut order, 111, "CDiscount");
    world.api.add_order(order);
    let engine = world.engine();
    block_on(engine.run_cycle()).unwrap();

    let err = block_on(engine.ship(id, &req("Colissimo", "6A12345678901", None))).unwrap_err();
    assert_eq!(err.code(), "TrackingUrlRequired");
    assert!(err.to_string().contains("CDiscount") && err.to_string().contains("tracking URL"), "{err}");
    assert!(world.store.all_operations().is_empty(), "nothing recorded");
    assert_eq!(world.api.count("POST", &["/order/ship"]), 0, "nothing sent");

    let url = "https://www.laposte.fr/outils/suivre-vos-envois?code=6A12345678901";
    block_on(engine.ship(id, &req("Colissimo", "6A12345678901", Some(url)))).unwrap();
    assert_eq!(world.api.count("POST", &["/order/ship"]), 1);
}

// ---------------------------------------------------------------------------------------------
// 5. Items without ids
// ---------------------------------------------------------------------------------------------

#[test]
fn an_order_without_item_ids_ships_whole_but_not_in_part() {
    // ManoMano accepts partial shipments: what stops this one is the missing ids, not the channel.
    let order = parse_order(&fixture("external/prestashop_order-manomano.json")).unwrap();
    assert!(order.items.iter().all(|i| i.id.is_none()), "the official fixtures carry no items[].id");
    let channel = "Monechelle";
    let lines = ordered_lines(&order);
    let url = Some("https://trace.dpd.fr/trace/01234567890123");

    let whole = validate(&req("DPD", "01234567890123", url), &lines, &BTreeMap::new(), channel).unwrap();
    assert!(whole.items.is_empty() && whole.complete, "the whole order ships");

    let mut part = req("DPD", "01234567890123", url);
    part.items = vec![ShipLine { id: 1, quantity: 1 }];
    let err = validate(&part, &lines, &BTreeMap::new(), channel).unwrap_err();
    assert_eq!(err.code(), "ItemIdsMissing");
    assert_eq!(err.field(), "items");
    assert_eq!(err.to_string(), "this order's lines carry no Shoppingfeed item id: only the whole order can be shipped");
}
