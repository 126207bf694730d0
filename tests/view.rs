//! The order view the CLI and the dashboard show: deadline, shipment, what needs attention.
#![allow(clippy::unwrap_used)]

use chrono::{TimeZone, Utc};
use shoppingfeed_orders::order::DeadlineState;
use shoppingfeed_orders::sync::{ImportRecord, OperationRecord, OperationState, order_view};

fn record() -> ImportRecord {
    serde_json::from_value(serde_json::json!({
        "shoppingfeedId": 42, "reference": "R-42", "channel": {"id": 66, "name": "Amazon"}, "state": "acknowledged",
        "shopOrderId": "SO-1", "order": {"status": "waiting_shipment", "lines": [{"id": 7, "quantity": 2}],
        "latestShipDate": "2026-01-10T00:00:00+00:00", "createdAt": "2026-01-01T00:00:00+00:00"},
        "tries": 0, "lastError": null, "errorAcked": null, "ackBatchId": "b1", "updatedAt": "2026-01-01T00:00:00+00:00"
    }))
    .unwrap()
}

fn ship(n: u32, state: &str, at: &str) -> OperationRecord {
    serde_json::from_value(serde_json::json!({
        "id": format!("42:ship:{n}"), "shoppingfeedId": 42, "reference": "R-42", "state": state, "batchId": format!("b{n}"),
        "message": if state == "failed" { Some("tracking URL required") } else { None }, "attempts": 1,
        "recordedAt": at, "updatedAt": at,
        "payload": {"operation": "ship", "shipment": {"carrier": "UPS", "trackingNumber": "1Z999AA10123456784",
            "trackingUrl": "", "items": [], "warehouseId": null, "returnInfo": null, "complete": true}}
    }))
    .unwrap()
}

#[test]
fn unshipped_order_near_its_deadline_needs_attention() {
    let early = order_view(&record(), &[], Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap());
    assert!(!early.needs_attention);
    assert_eq!(early.deadline.state, shoppingfeed_orders::order::DeadlineState::OnTime);
    let late = order_view(&record(), &[], Utc.with_ymd_and_hms(2026, 1, 9, 12, 0, 0).unwrap());
    assert!(late.needs_attention);
    assert!(late.allowed.iter().any(|o| o.as_str() == "ship"));
}

#[test]
fn a_failed_shipment_needs_attention_until_a_retry_goes_out() {
    let now = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
    let failed = [ship(1, "failed", "2026-01-01T10:00:00+00:00")];
    let v = order_view(&record(), &failed, now);
    assert!(v.needs_attention);
    assert_eq!(v.shipment.as_ref().unwrap().state, OperationState::Failed);
    assert!(v.allowed.iter().any(|o| o.as_str() == "ship"), "a failed shipment can be sent again");

    let retried = [ship(1, "failed", "2026-01-01T10:00:00+00:00"), ship(2, "succeeded", "2026-01-01T11:00:00+00:00")];
    let v = order_view(&record(), &retried, now);
    assert!(!v.needs_attention);
    assert_eq!(v.shipment.as_ref().unwrap().state, OperationState::Succeeded);
    assert!(!v.allowed.iter().any(|o| o.as_str() == "ship"), "shipped in full: no second ship");
    assert_eq!(v.deadline.state, shoppingfeed_orders::order::DeadlineState::None, "no countdown once shipped");
    assert_eq!(v.operations.len(), 2);
}

fn parcel(n: u32, state: &str, at: &str, tracking: &str, item: u64, complete: bool) -> OperationRecord {
    let mut op = ship(n, state, at);
    op.payload = serde_json::from_value(serde_json::json!({"operation": "ship", "shipment": {"carrier": "DPD",
        "trackingNumber": tracking, "trackingUrl": format!("https://trace.dpd.fr/fr/trace/{tracking}"),
        "items": [{"id": item, "quantity": 1}], "warehouseId": null, "returnInfo": null, "complete": complete}}))
    .unwrap();
    op
}

#[test]
fn every_parcel_of_a_partial_shipment_is_listed_not_only_the_last() {
    let mut rec = record();
    rec.channel.name = "Monechelle".into();
    rec.order.lines = serde_json::from_value(serde_json::json!([{"id": 7, "quantity": 1}, {"id": 8, "quantity": 1}])).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
    let ops = [
        parcel(1, "succeeded", "2026-01-01T10:00:00+00:00", "250000000001", 7, false),
        parcel(2, "failed", "2026-01-01T11:00:00+00:00", "250000000002", 8, true),
        parcel(3, "sent", "2026-01-01T12:00:00+00:00", "250000000003", 8, true),
    ];
    let v = order_view(&rec, &ops, now);
    let tracking: Vec<&str> = v.parcels.iter().map(|p| p.tracking_number.as_str()).collect();
    assert_eq!(tracking, ["250000000001", "250000000003"], "both parcels that went, oldest first; not the failed try");
    assert_eq!(v.parcels[0].items[0].id, 7);
    assert_eq!(v.parcels[0].state, OperationState::Succeeded);
    assert_eq!(v.shipment.as_ref().unwrap().tracking_number, "250000000003");
    assert!(!v.allowed.iter().any(|o| o.as_str() == "ship"), "the last parcel completes the order");
    assert!(order_view(&record(), &[], now).parcels.is_empty());
}

#[test]
fn no_ship_is_offered_while_a_parcel_waits_to_be_sent() {
    let mut rec = record();
    rec.channel.name = "Monechelle".into();
    rec.order.lines = serde_json::from_value(serde_json::json!([{"id": 7, "quantity": 1}, {"id": 8, "quantity": 1}])).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
    let can_ship = |state: &str| {
        let ops = [parcel(1, state, "2026-01-01T10:00:00+00:00", "250000000001", 7, false)];
        order_view(&rec, &ops, now).allowed.iter().any(|o| o.as_str() == "ship")
    };
    assert!(!can_ship("pending"), "the engine would refuse it: ShipmentPending");
    assert!(!can_ship("sending"));
    assert!(can_ship("sent"), "accepted by Shoppingfeed: the next parcel can go");
    assert!(can_ship("failed"));
}

#[test]
fn an_unreadable_ship_by_date_stays_visible_as_at_risk_until_shipped() {
    // What the journal holds for an order whose marketplace wrote `latestShipDate: "next tuesday"`.
    let mut value = serde_json::to_value(record()).unwrap();
    value["order"]["latestShipDate"] = serde_json::Value::Null;
    value["order"]["latestShipDateUnreadable"] = serde_json::json!("next tuesday");
    let rec: ImportRecord = serde_json::from_value(value).unwrap();
    let now = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
    let v = order_view(&rec, &[], now);
    assert_eq!(v.latest_ship_date, None);
    assert_eq!(v.latest_ship_date_unreadable.as_deref(), Some("next tuesday"), "the text as sent, for the merchant to read");
    assert_eq!(v.deadline.state, DeadlineState::AtRisk, "a deadline nobody can read is not no deadline");
    assert_eq!(v.deadline.seconds_left, None);
    assert!(v.needs_attention);
    let json = serde_json::to_value(&v).unwrap();
    assert_eq!(json["latestShipDateUnreadable"], "next tuesday");

    let shipped = order_view(&rec, &[ship(1, "succeeded", "2026-01-01T11:00:00+00:00")], now);
    assert_eq!(shipped.deadline.state, DeadlineState::None, "no deadline once shipped");
    assert!(!shipped.needs_attention);
}

#[test]
fn journal_records_written_before_the_unreadable_date_was_kept_still_read() {
    // `record()` is such a record: no `latestShipDateUnreadable` key.
    let rec = record();
    assert_eq!(rec.order.latest_ship_date_unreadable, None);
    let now = Utc.with_ymd_and_hms(2026, 1, 2, 0, 0, 0).unwrap();
    let v = order_view(&rec, &[], now);
    assert_eq!(v.deadline.state, DeadlineState::OnTime);
    assert_eq!(v.latest_ship_date_unreadable, None);
    // And records without one are written as before.
    assert!(serde_json::to_value(&rec).unwrap()["order"].get("latestShipDateUnreadable").is_none());
}
