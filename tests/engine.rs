//! The sync engine against a stateful fake of the Shoppingfeed API (API reference §2, §4, §5) and an
//! in-memory store: the rules of design.md "Rules that make it correct", with exact figures.
#![allow(clippy::unwrap_used)]

mod support;

use futures::executor::block_on;
use futures::future::join;
use serde_json::{Value, json};
use shoppingfeed_orders::order::{DeadlineState, OrderStatus, ShipLine, ShipRequest};
use shoppingfeed_orders::sync::{CycleFailure, CycleReport, ImportState, LogRecord, OperationState, Store, order_view};
use std::cell::RefCell;
use std::rc::Rc;
use support::{FIRST_ID, Fault, JS_MAX_ID, Outcome, TOKEN, TestEngine, World, item_ids, order_json, set_channel};

fn run(engine: &TestEngine) -> CycleReport {
    block_on(engine.run_cycle()).unwrap_or_else(|f| panic!("cycle failed: {} / {:?}", f.error, f.report))
}

fn run_err(engine: &TestEngine) -> CycleFailure {
    match block_on(engine.run_cycle()) {
        Ok(r) => panic!("cycle should have failed: {r:?}"),
        Err(f) => f,
    }
}

/// Import-list GETs (the inbound-status scan asks for `acknowledgment=acknowledged`).
const IMPORT_LIST: &[&str] = &["/order?", "acknowledgment=unacknowledged"];
const ACK: &[&str] = &["/order/acknowledge"];
const SHIP: &[&str] = &["/order/ship"];

/// Sizes of the `order` arrays of every acknowledge call the fake received.
fn ack_call_sizes(world: &World) -> Vec<usize> {
    world
        .api
        .log()
        .iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/order/acknowledge"))
        .map(|r| r.body.as_ref().and_then(|b| b["order"].as_array().map(Vec::len)).unwrap_or(0))
        .collect()
}

fn ack_entries_for(world: &World, id: u64) -> Vec<Value> {
    world.api.entries("acknowledge").into_iter().filter(|e| e["id"] == json!(id)).collect()
}

fn ship_request(tracking: &str, items: Vec<ShipLine>) -> ShipRequest {
    ShipRequest {
        carrier: "DPD".into(),
        tracking_number: tracking.into(),
        tracking_url: Some(format!("https://trace.dpd.fr/trace/{tracking}")),
        items,
        ..ShipRequest::default()
    }
}

/// One imported order and its engine.
fn imported_order() -> (World, TestEngine, u64) {
    let world = World::new();
    let id = world.add_orders(1)[0];
    let engine = world.engine();
    assert_eq!(run(&engine).imported, 1);
    (world, engine, id)
}

// ---------------------------------------------------------------------------------------------
// Import, paging, acknowledgement batching
// ---------------------------------------------------------------------------------------------

#[test]
fn three_pages_are_imported_and_each_order_acknowledged_once_with_the_shop_id() {
    let world = World::new();
    let ids = world.add_orders(450);
    let engine = world.engine();

    let report = run(&engine);
    assert_eq!(report.imported, 450);
    assert_eq!(report.acknowledged, 450);
    assert_eq!((report.reacknowledged, report.failed, report.skipped, report.error_acknowledged), (0, 0, 0, 0));
    // 3 import pages (200 + 200 + 50); the inbound-status scan is not counted as import pages.
    assert_eq!(report.pages, 3);
    let pages: Vec<String> = world
        .api
        .log()
        .into_iter()
        .filter(|r| r.method == "GET" && r.path.contains("acknowledgment=unacknowledged"))
        .map(|r| r.path)
        .collect();
    assert_eq!(pages.len(), 3);
    for (n, p) in pages.iter().enumerate() {
        assert!(p.contains(&format!("page={}", n + 1)) && p.contains("limit=200") && p.contains("status=waiting_shipment"), "{p}");
    }
    assert_eq!(world.api.count("GET", &["/order?", "status=cancelled"]), 1);

    assert_eq!(world.store.creations(), 450);
    assert_eq!(ack_call_sizes(&world), vec![100, 100, 100, 100, 50]);
    assert_eq!(world.api.entries("acknowledge").len(), 450);
    for id in &ids {
        let shop_id = world.store.shop_order(*id).unwrap().shop_order_id;
        let acks = ack_entries_for(&world, *id);
        assert_eq!(acks.len(), 1, "order {id}");
        assert_eq!(acks[0]["status"], "success");
        assert_eq!(acks[0]["storeReference"], json!(shop_id));
        let order = world.api.order(*id);
        assert_eq!(order["storeReference"], json!(shop_id));
        assert!(order["acknowledgedAt"].as_str().is_some_and(|s| !s.is_empty()));
        let rec = world.store.import(*id).unwrap();
        assert_eq!(rec.state, ImportState::Acknowledged);
        assert_eq!(rec.shop_order_id.as_deref(), Some(shop_id.as_str()));
    }
    assert_eq!(world.api.unacknowledged(), 0);

    // Nothing left: the next cycle reads one empty page and sends nothing.
    let again = run(&engine);
    assert_eq!((again.imported, again.acknowledged), (0, 0));
    assert_eq!(world.store.creations(), 450);
    assert_eq!(ack_call_sizes(&world).len(), 5);
}

#[test]
fn acknowledgements_go_out_at_most_100_orders_per_call() {
    let world = World::new();
    world.add_orders(250);
    let report = run(&world.engine());
    assert_eq!((report.imported, report.acknowledged), (250, 250));
    assert_eq!(world.api.applied("acknowledge"), 3);
    assert_eq!(ack_call_sizes(&world), vec![100, 100, 50]);
}

#[test]
fn every_page_is_listed_before_the_first_acknowledge_so_no_order_is_skipped() {
    let world = World::new();
    world.add_orders(650);
    let report = run(&world.engine());
    assert_eq!((report.imported, report.acknowledged), (650, 650));
    assert_eq!(world.store.creations(), 650);
    assert_eq!(world.api.unacknowledged(), 0);
    let log = world.api.log();
    let lists: Vec<usize> =
        (0..log.len()).filter(|i| log[*i].method == "GET" && log[*i].path.contains("acknowledgment=unacknowledged")).collect();
    let first_ack = log.iter().position(|r| r.method == "POST" && r.path.ends_with("/order/acknowledge")).unwrap();
    assert_eq!(lists.len(), 4);
    assert!(lists.iter().all(|i| *i < first_ack), "a page was read after acknowledging began");
    assert_eq!(ack_call_sizes(&world), vec![100; 6].into_iter().chain([50]).collect::<Vec<_>>());
}

#[test]
fn the_fake_pages_on_current_state_so_acknowledging_while_paging_skips_orders() {
    use shoppingfeed_orders::api::HttpRequest;
    use shoppingfeed_orders::sync::Http;
    let world = World::new();
    world.add_orders(650);
    let get = |path: &str| {
        let request = HttpRequest {
            method: "GET",
            url: format!("{}{path}", support::API_URL),
            headers: vec![("Authorization".into(), format!("Bearer {TOKEN}"))],
            body: None,
        };
        serde_json::from_str::<Value>(&block_on(world.api.send(request)).unwrap().body).unwrap()
    };
    let first = get("/v1/store/26317/order?acknowledgment=unacknowledged&page=1&limit=500");
    assert_eq!(
        (first["total"].as_u64(), first["limit"].as_u64(), first["pages"].as_u64(), first["count"].as_u64()),
        (Some(650), Some(200), Some(4), Some(200))
    );
    assert!(first["_links"].get("prev").is_none());
    let next = first["_links"]["next"]["href"].as_str().unwrap().to_string();
    assert_eq!(next, "/v1/store/26317/order?acknowledgment=unacknowledged&limit=500&page=2");
    // Acknowledge page 1 the naive way, then follow `next`: orders 201..400 are never seen.
    let ack: Vec<Value> =
        first["_embedded"]["order"].as_array().unwrap().iter().map(|o| json!({"id": o["id"], "storeReference": "X"})).collect();
    let request = HttpRequest {
        method: "POST",
        url: format!("{}/v1/store/26317/order/acknowledge", support::API_URL),
        headers: vec![("Authorization".into(), format!("Bearer {TOKEN}"))],
        body: Some(json!({"order": ack}).to_string().into_bytes()),
    };
    assert_eq!(block_on(world.api.send(request)).unwrap().status, 202);
    let second = get(&next);
    assert_eq!((second["total"].as_u64(), second["page"].as_u64()), (Some(450), Some(2)));
    assert_eq!(second["_embedded"]["order"][0]["id"], json!(FIRST_ID + 400));
    let last = get("/v1/store/26317/order?acknowledgment=unacknowledged&page=3&limit=200");
    assert!(last["_links"].get("next").is_none());
    assert_eq!(get("/v1/store/1/order?page=1")["status"], 403);
}

// ---------------------------------------------------------------------------------------------
// Rate limits, server errors, cut answers
// ---------------------------------------------------------------------------------------------

#[test]
fn a_429_waits_what_x_ratelimit_wait_asks() {
    let world = World::new();
    world.add_orders(3);
    world.api.inject("GET", IMPORT_LIST, Fault::RateLimited("1.5"), 1);
    let report = run(&world.engine());
    assert_eq!((report.imported, report.acknowledged), (3, 3));
    assert_eq!(world.clock.sleeps(), vec![1500]);
    assert_eq!(world.api.count("GET", IMPORT_LIST), 2);
}

#[test]
fn two_503_are_retried_with_exponential_backoff() {
    let world = World::new();
    world.add_orders(3);
    world.api.inject("GET", IMPORT_LIST, Fault::Status(503), 2);
    let report = run(&world.engine());
    assert_eq!((report.imported, report.acknowledged), (3, 3));
    assert_eq!(world.clock.sleeps(), vec![500, 1000]);
    assert_eq!(world.api.count("GET", IMPORT_LIST), 3);
}

#[test]
fn a_persistently_truncated_page_stops_the_cycle_without_losing_or_duplicating_orders() {
    let world = World::new();
    world.add_orders(450);
    let engine = world.engine();
    world.api.inject("GET", &["acknowledgment=unacknowledged", "page=2"], Fault::Truncated, u32::MAX);

    let failure = run_err(&engine);
    assert_eq!(failure.error.code(), "Decode");
    // Page 1 was imported and acknowledged before the cycle gave up on page 2 (5 attempts).
    assert_eq!((failure.report.imported, failure.report.acknowledged, failure.report.pages), (200, 200, 1));
    assert_eq!(world.api.count("GET", &["acknowledgment=unacknowledged", "page=2"]), 5);
    assert_eq!(world.clock.sleeps(), vec![500, 1000, 2000, 4000]);
    assert_eq!(world.store.creations(), 200);
    assert_eq!(world.api.unacknowledged(), 250);
    assert!(world.store.imports().iter().all(|r| r.state == ImportState::Acknowledged));

    world.api.clear_faults();
    let report = run(&engine);
    assert_eq!((report.imported, report.acknowledged, report.reacknowledged), (250, 250, 0));
    assert_eq!(world.store.creations(), 450);
    assert_eq!(world.store.create_calls(), 450);
    assert_eq!(world.api.unacknowledged(), 0);
    assert_eq!(world.api.entries("acknowledge").len(), 450);
}

#[test]
fn a_single_truncated_page_is_read_again() {
    let world = World::new();
    world.add_orders(450);
    world.api.inject("GET", &["acknowledgment=unacknowledged", "page=2"], Fault::Truncated, 1);
    let report = run(&world.engine());
    assert_eq!((report.imported, report.acknowledged), (450, 450));
    assert_eq!(world.clock.sleeps(), vec![500]);
    assert_eq!(world.api.count("GET", IMPORT_LIST), 4);
    assert_eq!(world.store.creations(), 450);
}

// ---------------------------------------------------------------------------------------------
// Crashes and duplicates
// ---------------------------------------------------------------------------------------------

#[test]
fn orders_created_but_not_acknowledged_are_acknowledged_again_never_created_again() {
    let world = World::new();
    let ids = world.add_orders(3);
    let engine = world.engine();
    world.api.inject("POST", ACK, Fault::Transport, 5);

    let failure = run_err(&engine);
    assert_eq!(failure.error.code(), "Transport");
    assert_eq!((failure.report.imported, failure.report.acknowledged), (3, 0));
    assert_eq!(world.api.count("POST", ACK), 5);
    assert_eq!(world.api.applied("acknowledge"), 0);
    assert_eq!(world.clock.sleeps(), vec![500, 1000, 2000, 4000]);
    assert_eq!(world.api.unacknowledged(), 3);
    for id in &ids {
        let rec = world.store.import(*id).unwrap();
        assert_eq!(rec.state, ImportState::Created);
        assert!(rec.shop_order_id.is_some());
    }

    let report = run(&engine);
    assert_eq!((report.imported, report.reacknowledged, report.acknowledged), (0, 3, 3));
    assert_eq!((world.store.creations(), world.store.create_calls()), (3, 3));
    assert_eq!(world.api.unacknowledged(), 0);
    for id in &ids {
        let shop_id = world.store.shop_order(*id).unwrap().shop_order_id;
        assert_eq!(world.api.order(*id)["storeReference"], json!(shop_id));
        assert_eq!(world.store.import(*id).unwrap().state, ImportState::Acknowledged);
    }
}

const ACK_TICKETS: &[&str] = &["/ticket?", "batchId="];

#[test]
fn a_batch_accepted_before_a_failing_one_is_still_recorded() {
    let world = World::new();
    let ids = world.add_orders(250);
    let engine = world.engine();
    // Batches go out while the previous answer is written down: the second call fails for good.
    world.api.inject_after(1, "POST", ACK, Fault::Transport, 5);
    let failure = run_err(&engine);
    assert_eq!(failure.error.code(), "Transport");
    assert_eq!((failure.report.imported, failure.report.acknowledged), (250, 100));
    let acked: Vec<u64> = world.api.entries("acknowledge").iter().filter_map(|e| e["id"].as_u64()).collect();
    assert_eq!(acked.len(), 100);
    for id in &ids {
        let want = if acked.contains(id) { ImportState::Acknowledged } else { ImportState::Created };
        assert_eq!(world.store.import(*id).unwrap().state, want, "order {id}");
    }
    // The next cycle acknowledges the other 150, and only them.
    world.api.clear_faults();
    let r = run(&engine);
    assert_eq!((r.imported, r.acknowledged, r.reacknowledged), (0, 150, 150));
    assert_eq!(world.api.unacknowledged(), 0);
    assert_eq!(world.store.creations(), 250);
}

#[test]
fn an_acknowledge_waiting_for_its_ticket_is_not_sent_again_by_the_next_cycle() {
    let world = World::new();
    world.api.defer_acks();
    world.add_orders(150);
    let engine = world.engine();
    let first = run(&engine);
    assert_eq!((first.imported, first.acknowledged), (150, 150));
    assert_eq!(ack_call_sizes(&world), vec![100, 50]);
    assert_eq!(world.api.unacknowledged(), 150, "Shoppingfeed has not run the tickets yet");

    // A cycle a few seconds later lists them all again: one ticket read per batch, nothing re-sent.
    world.clock.advance(chrono::Duration::seconds(5));
    let second = run(&engine);
    assert_eq!((second.imported, second.acknowledged, second.reacknowledged, second.ack_in_flight), (0, 0, 0, 150));
    assert_eq!(ack_call_sizes(&world), vec![100, 50]);
    assert_eq!(world.api.count("GET", ACK_TICKETS), 2);
    assert_eq!(world.store.creations(), 150);

    // Once Shoppingfeed runs them the orders leave the list and no ticket is read any more.
    assert_eq!(world.api.settle("acknowledge", None, &Outcome::Succeed), 150);
    assert_eq!(world.api.unacknowledged(), 0);
    let third = run(&engine);
    assert_eq!((third.imported, third.acknowledged, third.reacknowledged, third.ack_in_flight), (0, 0, 0, 0));
    assert_eq!(world.api.count("GET", ACK_TICKETS), 2);
    assert_eq!(world.api.entries("acknowledge").len(), 150);
}

#[test]
fn an_acknowledge_whose_ticket_failed_or_never_ran_is_sent_again() {
    let world = World::new();
    world.api.defer_acks();
    let ids = world.add_orders(2);
    let engine = world.engine();
    assert_eq!(run(&engine).acknowledged, 2);

    // The first order's ticket fails at Shoppingfeed: sent again at once. The second stays queued.
    assert_eq!(world.api.settle("acknowledge", Some(ids[0]), &Outcome::Failed("internal error".into())), 1);
    let r = run(&engine);
    assert_eq!((r.reacknowledged, r.acknowledged, r.ack_in_flight, r.imported), (1, 1, 1, 0));
    assert_eq!((ack_entries_for(&world, ids[0]).len(), ack_entries_for(&world, ids[1]).len()), (2, 1));

    // A ticket left unrun for over an hour is not waited for any longer.
    world.clock.advance(chrono::Duration::minutes(61));
    let r = run(&engine);
    assert_eq!((r.reacknowledged, r.ack_in_flight), (2, 0));
    assert_eq!((ack_entries_for(&world, ids[0]).len(), ack_entries_for(&world, ids[1]).len()), (3, 2));
    assert_eq!(world.store.creations(), 2, "acknowledged again, never created again");
}

/// Asserts `id` was acknowledged `times` times, always with the shop's order id.
fn assert_acked_with_shop_id(world: &World, id: u64, times: usize) {
    let shop_id = world.store.shop_order(id).unwrap().shop_order_id;
    let entries = ack_entries_for(world, id);
    assert_eq!(entries.len(), times, "acknowledgements of {id}: {entries:?}");
    assert!(entries.iter().all(|e| e["storeReference"] == json!(shop_id) && e["status"] == json!("success")), "{entries:?}");
    assert_eq!(world.api.order(id)["storeReference"], json!(shop_id));
}

#[test]
fn an_order_the_merchant_unacknowledged_is_acknowledged_again_in_the_cycle_that_sees_it() {
    let (world, engine, id) = imported_order();
    assert_eq!(world.api.unacknowledged(), 0);
    // Ten minutes later the merchant asks for the order again in the back office. Our ticket finished
    // before this list was read, so the listing is not stale: acknowledged again at once.
    world.clock.advance(chrono::Duration::minutes(10));
    world.api.unacknowledge(id);
    let r = run(&engine);
    assert_eq!((r.imported, r.reacknowledged, r.acknowledged, r.ack_in_flight), (0, 1, 1, 0));
    assert_eq!(world.api.unacknowledged(), 0);
    assert_acked_with_shop_id(&world, id, 2);
    assert_eq!(world.store.import(id).unwrap().state, ImportState::Acknowledged);
    assert_eq!(world.store.creations(), 1);
    // Nothing left over for the cycle after.
    let r = run(&engine);
    assert_eq!((r.imported, r.reacknowledged, r.acknowledged, r.ack_in_flight), (0, 0, 0, 0));
}

#[test]
fn an_acknowledgement_lost_on_shoppingfeeds_side_is_sent_again_in_the_cycle_that_sees_it() {
    let (world, engine, id) = imported_order();
    // Offered again with nothing else changed (not even `updatedAt`): the ticket's `finishedAt`,
    // before the list was read, is what says the listing is current.
    world.clock.advance(chrono::Duration::minutes(3));
    world.api.lose_acknowledgement(id);
    let r = run(&engine);
    assert_eq!((r.imported, r.reacknowledged, r.acknowledged, r.ack_in_flight), (0, 1, 1, 0));
    assert_eq!(world.api.unacknowledged(), 0);
    assert_acked_with_shop_id(&world, id, 2);
}

#[test]
fn with_shoppingfeeds_clock_ahead_an_order_updated_after_our_ticket_finished_is_acknowledged_again() {
    let world = World::new();
    // Shoppingfeed's clock runs two minutes ahead: its `finishedAt` looks later than our list read,
    // but the order's own `updatedAt` (same clock as the ticket) is later still.
    world.api.clock_ahead(chrono::Duration::minutes(2));
    let id = world.add_orders(1)[0];
    let engine = world.engine();
    assert_eq!(run(&engine).acknowledged, 1);
    world.clock.advance(chrono::Duration::minutes(1));
    world.api.unacknowledge(id);
    let r = run(&engine);
    assert_eq!((r.imported, r.reacknowledged, r.acknowledged, r.ack_in_flight), (0, 1, 1, 0));
    assert_acked_with_shop_id(&world, id, 2);
}

/// Three orders acknowledged; the next cycle reads the list while the tickets are still queued, and they
/// run before it reads them: the listing was stale, nothing is sent again. `behind`: how far
/// Shoppingfeed's clock runs behind ours.
fn a_stale_listing_is_not_acknowledged_again(behind: chrono::Duration) {
    let world = World::new();
    world.api.clock_ahead(-behind);
    world.api.defer_acks();
    let ids = world.add_orders(3);
    let engine = world.engine();
    assert_eq!(run(&engine).acknowledged, 3);
    world.clock.advance(chrono::Duration::minutes(5));
    world.api.run_acks_on_ticket_read();
    let r = run(&engine);
    assert_eq!((r.imported, r.reacknowledged, r.acknowledged, r.ack_in_flight), (0, 0, 0, 3));
    assert_eq!(world.api.unacknowledged(), 0);
    for id in &ids {
        assert_acked_with_shop_id(&world, *id, 1);
    }
    let r = run(&engine);
    assert_eq!((r.reacknowledged, r.acknowledged, r.ack_in_flight), (0, 0, 0));
}

#[test]
fn an_order_listed_before_its_acknowledge_ticket_ran_is_not_acknowledged_again() {
    a_stale_listing_is_not_acknowledged_again(chrono::Duration::zero());
}

#[test]
fn with_shoppingfeeds_clock_behind_an_acknowledgement_applied_after_the_list_read_is_not_sent_again() {
    // Its `finishedAt` of a ticket that ran just after our list read then looks earlier than the read.
    a_stale_listing_is_not_acknowledged_again(chrono::Duration::seconds(5));
}

#[test]
fn an_acknowledgement_whose_answer_was_lost_is_confirmed_by_reading_the_order_back() {
    let world = World::new();
    let ids = world.add_orders(3);
    let engine = world.engine();
    // Shoppingfeed applies the acknowledgement, but every answer is lost (the engine gives up).
    world.api.inject("POST", ACK, Fault::ProcessThenDrop, 5);
    let failure = run_err(&engine);
    assert_eq!(failure.error.code(), "Transport");
    assert_eq!(world.api.unacknowledged(), 0, "Shoppingfeed has them acknowledged");
    assert!(ids.iter().all(|id| world.store.import(*id).unwrap().state == ImportState::Created));

    // They are no longer listed as unacknowledged: the next cycle reads them back instead of
    // leaving the journal wrong forever, and sends nothing again.
    let acks_before = world.api.count("POST", ACK);
    let report = run(&engine);
    assert_eq!((report.imported, report.acknowledged, report.reacknowledged), (0, 0, 0));
    assert_eq!(world.api.count("POST", ACK), acks_before);
    assert_eq!(world.api.count("GET", READ_BACK), 1, "one page of acknowledged orders");
    for id in &ids {
        assert_eq!(world.api.count("GET", &[&format!("/order/{id}")]), 0, "not one GET per order");
        assert_eq!(world.store.import(*id).unwrap().state, ImportState::Acknowledged);
    }
    assert_eq!(world.store.creations(), 3);
}

/// Read-back list GETs: acknowledged orders in a creation window.
const READ_BACK: &[&str] = &["/order?", "acknowledgment=acknowledged", "since=", "until="];

/// GETs of single orders (`/order/{id}`, no query).
fn single_order_gets(world: &World) -> usize {
    world
        .api
        .log()
        .iter()
        .filter(|r| r.method == "GET" && r.path.rsplit_once("/order/").is_some_and(|(_, id)| id.bytes().all(|b| b.is_ascii_digit())))
        .count()
}

#[test]
fn after_a_crash_500_acknowledgements_whose_answers_were_lost_are_confirmed_in_one_cycle_a_page_at_a_time() {
    let world = World::new();
    let ids = world.add_orders(500);
    let engine = world.engine();
    assert_eq!(run(&engine).acknowledged, 500);
    // The process died after Shoppingfeed applied every acknowledgement, before the journal wrote
    // the answers down: the journal says `created` for all 500.
    let mut records = world.store.imports();
    for r in &mut records {
        r.state = ImportState::Created;
        r.ack_batch_id = None;
    }
    block_on(world.store.save_imports(&records)).unwrap();
    // Two of them did not get their acknowledgement after all, and were cancelled since: the
    // import list does not show them either.
    for id in &ids[..2] {
        world.api.lose_acknowledgement(*id);
        world.api.set_status(*id, "cancelled");
    }
    let acks_before = world.api.entries("acknowledge").len();
    let gets_before = single_order_gets(&world);

    let r = run(&engine);
    assert_eq!((r.imported, r.acknowledged, r.reacknowledged), (0, 2, 2));
    let unconfirmed: Vec<u64> =
        ids.iter().copied().filter(|id| world.store.import(*id).unwrap().state != ImportState::Acknowledged).collect();
    assert!(unconfirmed.is_empty(), "{} of 500 still `created`, first: {:?}", unconfirmed.len(), unconfirmed.first());
    // 498 found in three pages of 200; only the two the list cannot show are read one by one.
    assert_eq!(world.api.count("GET", READ_BACK), 3);
    assert_eq!(single_order_gets(&world) - gets_before, 2);
    let resent: Vec<u64> = world.api.entries("acknowledge")[acks_before..].iter().filter_map(|e| e["id"].as_u64()).collect();
    assert_eq!(resent, ids[..2].to_vec());
    assert_eq!(world.api.unacknowledged(), 0);
    // Import list, read-back, inbound scan, the one acknowledge call and the two single reads.
    assert_eq!(r.requests, 8, "HTTP calls");
    assert_eq!(world.store.creations(), 500);
    // Nothing is left for the next cycle to read back.
    let r = run(&engine);
    assert_eq!((r.acknowledged, r.reacknowledged), (0, 0));
    assert_eq!(world.api.count("GET", READ_BACK), 3);
}

#[test]
fn lost_acknowledgements_of_orders_created_days_apart_are_read_back_one_window_each() {
    let world = World::new();
    let now = shoppingfeed_orders::sync::Clock::now(&world.clock);
    let recent = [FIRST_ID, FIRST_ID + 1];
    let older = [FIRST_ID + 2, FIRST_ID + 3];
    for id in recent {
        world.api.add_order(order_json(id, now - chrono::Duration::hours(20)));
    }
    for id in older {
        world.api.add_order(order_json(id, now - chrono::Duration::days(5)));
    }
    // Many acknowledged orders created in between, which neither window needs to page through.
    for id in FIRST_ID + 100..FIRST_ID + 500 {
        let mut o = order_json(id, now - chrono::Duration::days(3));
        o["acknowledgedAt"] = o["createdAt"].clone();
        o["storeReference"] = json!("OTHER-SYSTEM");
        world.api.add_order(o);
    }
    let engine = world.engine();
    world.api.inject("POST", ACK, Fault::ProcessThenDrop, 5);
    run_err(&engine);
    assert_eq!(world.api.unacknowledged(), 0);

    let r = run(&engine);
    assert_eq!((r.acknowledged, r.reacknowledged), (0, 0));
    assert!(recent.iter().chain(&older).all(|id| world.store.import(*id).unwrap().state == ImportState::Acknowledged));
    assert_eq!(world.api.count("GET", READ_BACK), 2, "one page per window, the 400 orders between left out");
    assert_eq!(single_order_gets(&world), 0);
}

#[test]
fn a_crash_between_create_order_and_the_journal_write_creates_nothing_twice() {
    let world = World::new();
    let ids = world.add_orders(3);
    let engine = world.engine();
    world.store.fail_save_imports(1);

    let failure = run_err(&engine);
    assert_eq!(failure.error.code(), "StoreFailed");
    assert_eq!(world.store.creations(), 3);
    assert!(world.store.imports().is_empty());
    assert_eq!(world.api.count("POST", ACK), 0);
    let shop_ids: Vec<String> = ids.iter().map(|id| world.store.shop_order(*id).unwrap().shop_order_id).collect();

    let report = run(&engine);
    // The store answered "already there" (idempotent on the Shoppingfeed id): acknowledged, not imported.
    assert_eq!((report.imported, report.reacknowledged, report.acknowledged), (0, 3, 3));
    assert_eq!((world.store.creations(), world.store.create_calls()), (3, 6));
    for (id, shop_id) in ids.iter().zip(&shop_ids) {
        assert_eq!(world.api.order(*id)["storeReference"], json!(shop_id));
        assert_eq!(ack_entries_for(&world, *id).len(), 1);
    }
}

#[test]
fn a_store_failure_is_retried_next_cycle_without_an_error_acknowledge() {
    let world = World::new();
    let ids = world.add_orders(2);
    world.store.fail_create(ids[1]);
    let engine = world.engine();
    for _ in 0..2 {
        let report = run(&engine);
        assert_eq!(report.failed, 1);
        assert_eq!(report.error_acknowledged, 0);
        assert!(report.issues.iter().any(|i| i.order_id == Some(ids[1]) && i.code == "StoreFailed"));
    }
    assert!(world.store.import(ids[1]).is_none());
    assert!(world.api.entries("acknowledge").iter().all(|e| e["status"] == "success" && e["id"] == json!(ids[0])));
    assert_eq!(world.api.order(ids[1])["errors"], json!([]));
}

// ---------------------------------------------------------------------------------------------
// Error acknowledgements and malformed orders
// ---------------------------------------------------------------------------------------------

#[test]
fn an_unknown_sku_gets_one_error_acknowledge_per_distinct_message() {
    let world = World::new();
    let good = world.add_orders(1)[0];
    let bad = FIRST_ID + 1;
    let mut order = world.order(bad);
    order["items"][0]["reference"] = json!("SKU-GONE");
    world.api.add_order(order);
    world.store.reject_sku("SKU-GONE", None);
    let engine = world.engine();
    let first_message = "Product reference `SKU-GONE` does not match a product in the shop";

    let r1 = run(&engine);
    assert_eq!((r1.imported, r1.acknowledged, r1.failed, r1.error_acknowledged), (1, 1, 1, 1));
    let errors: Vec<Value> = world.api.entries("acknowledge").into_iter().filter(|e| e["status"] == "error").collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["id"], json!(bad));
    assert_eq!(errors[0]["message"], first_message);
    assert_eq!(errors[0]["storeReference"], "");
    let at_sf = world.api.order(bad);
    assert_eq!(at_sf["errors"].as_array().unwrap().len(), 1);
    assert_eq!(at_sf["errors"][0]["message"], first_message);
    assert!(at_sf["acknowledgedAt"].is_null(), "an error ack leaves the order unacknowledged");
    assert_eq!(world.api.order(good)["storeReference"], json!(world.store.shop_order(good).unwrap().shop_order_id));

    for cycle in 2..=3 {
        let r = run(&engine);
        assert_eq!((r.failed, r.error_acknowledged), (1, 0), "cycle {cycle}");
        assert_eq!(world.api.count("POST", ACK), 1, "cycle {cycle}");
        let rec = world.store.import(bad).unwrap();
        assert_eq!(rec.tries, cycle);
        assert_eq!(rec.state, ImportState::Failed);
        assert_eq!(rec.error_acked.as_deref(), Some(first_message));
    }

    world.store.reject_sku("SKU-GONE", Some("Not enough stock for product SKU-GONE"));
    let r4 = run(&engine);
    assert_eq!((r4.failed, r4.error_acknowledged), (1, 1));
    let errors: Vec<Value> = world.api.entries("acknowledge").into_iter().filter(|e| e["status"] == "error").collect();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[1]["message"], "Not enough stock for product SKU-GONE");
    assert_eq!(world.api.order(bad)["errors"].as_array().unwrap().len(), 2);
    assert_eq!(world.store.creations(), 1);
}

#[test]
fn malformed_orders_are_error_acknowledged_with_the_field_path_and_good_ones_imported() {
    let world = World::new();
    let good = world.add_orders(2);
    let (bad_qty, bad_total) = (FIRST_ID + 2, FIRST_ID + 3);
    let mut o = world.order(bad_qty);
    o["items"][0]["quantity"] = json!("abc");
    world.api.add_order(o);
    // An amount is what the shop needs (an odd createdAt no longer refuses an order: issue 11).
    let mut o = world.order(bad_total);
    o["payment"]["totalAmount"] = json!("n/a");
    world.api.add_order(o);
    let mut o = world.order(FIRST_ID + 4);
    o.as_object_mut().unwrap().remove("id");
    world.api.add_order(o);
    let engine = world.engine();

    let r = run(&engine);
    assert_eq!((r.imported, r.acknowledged, r.failed, r.error_acknowledged), (2, 2, 3, 2));
    for id in &good {
        assert!(world.store.shop_order(*id).is_some());
    }
    let errors: Vec<Value> = world.api.entries("acknowledge").into_iter().filter(|e| e["status"] == "error").collect();
    assert_eq!(errors.len(), 2);
    let message = |id: u64| errors.iter().find(|e| e["id"] == json!(id)).unwrap()["message"].as_str().unwrap().to_string();
    assert!(message(bad_qty).contains("items[0].quantity"), "{}", message(bad_qty));
    assert!(message(bad_qty).contains("abc"), "{}", message(bad_qty));
    assert!(message(bad_total).contains("payment.totalAmount"), "{}", message(bad_total));
    assert!(r.issues.iter().any(|i| i.order_id.is_none() && i.message.contains("without an id")), "{:?}", r.issues);
    assert_eq!(world.store.creations(), 2);

    let r2 = run(&engine);
    assert_eq!((r2.imported, r2.failed, r2.error_acknowledged), (0, 3, 0));
    assert_eq!(world.api.count("POST", ACK), 1);
}

/// An imported order whose shipment waits to be sent (the API was down when it was recorded), and
/// 2^53 + 1, the id about to be listed: as a JS number it would read 2^53, another order's id.
fn a_pending_shipment_and_an_id_above_2_pow_53() -> (World, TestEngine, u64) {
    let (world, engine, shipped) = imported_order();
    world.api.inject("*", &[""], Fault::Transport, u32::MAX);
    block_on(engine.ship(shipped, &ship_request("250012345678", vec![]))).unwrap();
    world.api.clear_faults();
    (world, engine, JS_MAX_ID + 2)
}

/// No id the JS side cannot hold crosses in the report or the log.
fn assert_ids_fit_js(report: &CycleReport, logs: &[LogRecord]) {
    assert!(report.issues.iter().all(|i| i.order_id.is_none_or(|id| id <= JS_MAX_ID)), "{:?}", report.issues);
    assert!(logs.iter().all(|l| l.order_id.is_none_or(|id| id <= JS_MAX_ID)), "{logs:?}");
}

#[test]
fn an_order_id_above_2_pow_53_fails_that_entry_alone_and_the_rest_of_the_page_goes_through() {
    let (world, _, huge) = a_pending_shipment_and_an_id_above_2_pow_53();
    let good = [FIRST_ID + 10, FIRST_ID + 11, FIRST_ID + 12];
    world.api.add_order(world.order(good[0]));
    world.api.add_order(world.order(huge));
    world.api.add_order(world.order(good[1]));
    world.api.add_order(world.order(good[2]));
    let logs: Rc<RefCell<Vec<LogRecord>>> = Rc::default();
    let sink = logs.clone();
    let engine = world.engine_with(|c| c.log_level = "debug".into()).with_log(move |r: &LogRecord| sink.borrow_mut().push(r.clone()));

    let r = run(&engine);
    assert_eq!((r.imported, r.acknowledged, r.failed, r.error_acknowledged), (3, 3, 1, 1));
    for id in good {
        assert_eq!(world.store.import(id).unwrap().state, ImportState::Acknowledged);
    }
    assert_eq!(world.api.applied("ship"), 1, "the pending shipment went out");
    let errors: Vec<Value> = world.api.entries("acknowledge").into_iter().filter(|e| e["status"] == "error").collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["id"].as_u64(), Some(huge), "the exact id is sent back");
    let message = errors[0]["message"].as_str().unwrap();
    assert!(message.contains("`id`") && message.contains(&huge.to_string()), "{message}");
    let issue = r.issues.iter().find(|i| i.message.contains(&huge.to_string())).unwrap_or_else(|| panic!("{:?}", r.issues));
    assert_eq!((issue.order_id, issue.reference.as_deref(), issue.code.as_str()), (None, Some(format!("M{huge}").as_str()), "Malformed"));
    assert_ids_fit_js(&r, &logs.borrow());
    assert!(world.store.import(huge).is_none());

    // Still offered (an error acknowledgement does not acknowledge): reported again, not acknowledged again.
    let r = run(&engine);
    assert_eq!((r.imported, r.failed, r.error_acknowledged), (0, 1, 0));
    assert_eq!(world.api.entries("acknowledge").iter().filter(|e| e["status"] == "error").count(), 1);
    assert_ids_fit_js(&r, &logs.borrow());
}

#[test]
fn a_server_refusing_the_huge_id_takes_neither_the_good_acknowledgements_nor_the_shipments_down() {
    let (world, engine, huge) = a_pending_shipment_and_an_id_above_2_pow_53();
    world.api.add_order(world.order(huge));
    world.api.add_order(world.order(FIRST_ID + 10));
    // A server that cannot read the id refuses the call carrying it (the sandbox, JS numbers, does).
    world.api.inject_after(1, "POST", ACK, Fault::Status(400), 1);
    let r = run(&engine);
    assert_eq!((r.imported, r.acknowledged, r.error_acknowledged), (1, 1, 0));
    assert_eq!(ack_call_sizes(&world), vec![1, 1, 1], "the huge id's error acknowledgement goes alone, last");
    assert_eq!(world.store.import(FIRST_ID + 10).unwrap().state, ImportState::Acknowledged);
    assert_eq!(world.api.applied("ship"), 1);
    assert!(r.issues.iter().any(|i| i.order_id.is_none() && i.message.contains(&format!("order(s) {huge} not sent"))), "{:?}", r.issues);
    assert_ids_fit_js(&r, &[]);
}

#[test]
fn an_unreadable_entry_with_an_id_above_2_pow_53_is_error_acknowledged_once_and_the_others_imported() {
    let world = World::new();
    let good = world.add_orders(2);
    let huge = 90_000_000_000_000_001;
    let mut o = world.order(huge);
    o["items"][0]["quantity"] = json!("two");
    world.api.add_order(o);
    // An id beyond any integer type: only a report line is possible.
    let mut o = world.order(FIRST_ID + 5);
    o["id"] = json!(1.0e20);
    world.api.add_order(o);
    let engine = world.engine();
    let r = run(&engine);
    assert_eq!((r.imported, r.acknowledged, r.failed, r.error_acknowledged), (2, 2, 2, 1));
    assert!(good.iter().all(|id| world.store.shop_order(*id).is_some()));
    let errors: Vec<Value> = world.api.entries("acknowledge").into_iter().filter(|e| e["status"] == "error").collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0]["id"].as_u64(), Some(huge));
    assert!(errors[0]["message"].as_str().unwrap().contains("items[0].quantity"), "{}", errors[0]);
    assert_ids_fit_js(&r, &[]);
    let r = run(&engine);
    assert_eq!((r.failed, r.error_acknowledged), (2, 0));
}

// ---------------------------------------------------------------------------------------------
// What is imported
// ---------------------------------------------------------------------------------------------

#[test]
fn an_order_listed_with_a_status_we_did_not_ask_for_is_reported_not_created_nor_acknowledged() {
    let world = World::new();
    world.api.ignore_status_filter();
    let good = world.add_orders(2);
    let odd = [
        (FIRST_ID + 10, "accepted"),
        (FIRST_ID + 11, "cancelled"),
        (FIRST_ID + 12, "waiting_store_acceptance"),
        (FIRST_ID + 13, "shipped"),
    ];
    for (id, status) in odd {
        let mut o = world.order(id);
        o["status"] = json!(status);
        world.api.add_order(o);
    }
    // Already in the shop, then listed again unacknowledged as `cancelled`: not acknowledged again either.
    let known = FIRST_ID + 14;
    world.api.add_order(world.order(known));
    let logs: Rc<RefCell<Vec<LogRecord>>> = Rc::default();
    let sink = logs.clone();
    let engine = world.engine().with_log(move |r: &LogRecord| sink.borrow_mut().push(r.clone()));
    assert_eq!(run(&engine).imported, 3);
    world.api.set_status(known, "cancelled");
    world.api.unacknowledge(known);
    world.clock.advance(chrono::Duration::minutes(10));
    let acks_before = world.api.entries("acknowledge").len();

    let r = run(&engine);
    assert_eq!((r.imported, r.acknowledged, r.reacknowledged, r.error_acknowledged), (0, 0, 0, 0));
    assert_eq!(world.api.entries("acknowledge").len(), acks_before, "nothing acknowledged, success or error");
    for (id, status) in odd.iter().copied().chain([(known, "cancelled")]) {
        let issue = r.issues.iter().find(|i| i.order_id == Some(id)).unwrap_or_else(|| panic!("{id}: {:?}", r.issues));
        assert_eq!(issue.code, "UnexpectedStatus");
        assert!(issue.message.contains(&format!("`{status}`")) && issue.message.contains("waiting_shipment"), "{}", issue.message);
        assert!(logs.borrow().iter().any(|l| l.order_id == Some(id) && l.level == "warn"), "{id}");
    }
    for (id, _) in odd {
        assert!(world.store.shop_order(id).is_none() && world.store.import(id).is_none(), "{id}");
    }
    assert!(good.iter().all(|id| world.store.import(*id).unwrap().state == ImportState::Acknowledged));
    assert_eq!(world.store.creations(), 3);
    assert_eq!(world.store.all_operations().len(), 0, "no acceptance recorded without auto_accept");
}

#[test]
fn the_statuses_asked_for_follow_the_configuration() {
    let world = World::new();
    world.api.ignore_status_filter();
    let waiting = FIRST_ID + 1;
    let mut o = world.order(waiting);
    o["status"] = json!("waiting_store_acceptance");
    world.api.add_order(o);
    let fulfilled = FIRST_ID + 2;
    let mut o = world.order(fulfilled);
    o["status"] = json!("shipped");
    o["fulfilledBy"] = json!("channel");
    world.api.add_order(o);
    let engine = world.engine_with(|c| {
        c.auto_accept = true;
        c.import_fulfilled = true;
    });
    let r = run(&engine);
    assert!(r.issues.iter().all(|i| i.code != "UnexpectedStatus"), "{:?}", r.issues);
    assert_eq!((r.accepted, r.imported), (1, 1));
    assert!(world.store.shop_order(fulfilled).is_some());
}

/// Normal order + six that are skipped by default + two already shipped ones.
fn skip_world() -> (World, Vec<u64>) {
    let world = World::new();
    let ids: Vec<u64> = (FIRST_ID..FIRST_ID + 9).collect();
    let mut orders: Vec<Value> = ids.iter().map(|id| world.order(*id)).collect();
    orders[1]["fulfilledBy"] = json!("channel");
    set_channel(&mut orders[2], 66, "Amazon");
    orders[2]["payment"]["method"] = json!("AFN");
    set_channel(&mut orders[3], 111, "CDiscount");
    orders[3]["payment"]["method"] = json!("clogistique");
    orders[4]["additionalFields"]["env"] = json!("epmm");
    orders[5]["isTest"] = json!(true);
    orders[6]["anonymized"] = json!(true);
    set_channel(&mut orders[7], 66, "Amazon");
    orders[7]["payment"]["method"] = json!("AFN");
    orders[7]["status"] = json!("shipped");
    orders[8]["status"] = json!("shipped");
    for o in orders {
        world.api.add_order(o);
    }
    (world, ids)
}

#[test]
fn marketplace_fulfilled_test_and_anonymized_orders_are_skipped_by_default() {
    let (world, ids) = skip_world();
    let engine = world.engine();
    let r = run(&engine);
    // Orders 7 and 8 are `shipped`: the default query does not even list them.
    assert_eq!((r.imported, r.skipped, r.acknowledged, r.failed), (1, 6, 1, 0));
    assert_eq!(world.store.creations(), 1);
    assert!(world.store.shop_order(ids[0]).is_some());
    assert!(
        world
            .api
            .log()
            .iter()
            .filter(|r| r.path.contains("acknowledgment=unacknowledged"))
            .all(|r| r.path.contains("status=waiting_shipment&"))
    );
    // Skipped orders are not acknowledged: they come back (and are skipped again) next cycle.
    assert_eq!(world.api.unacknowledged(), 8);
    let r2 = run(&engine);
    assert_eq!((r2.imported, r2.skipped), (0, 6));
}

#[test]
fn options_import_fulfilled_and_test_orders() {
    let (world, ids) = skip_world();
    let r = run(&world.engine_with(|c| {
        c.import_fulfilled = true;
        c.include_test = true;
    }));
    // Imported: normal, 4 fulfilled in waiting_shipment, test, Amazon AFN shipped; skipped: anonymized,
    // store-fulfilled already shipped.
    assert_eq!((r.imported, r.skipped, r.acknowledged), (7, 2, 7));
    for i in [1, 2, 3, 4, 7] {
        assert!(world.store.shop_order(ids[i]).unwrap().draft.fulfilled_by_channel, "order #{i}");
    }
    assert!(world.store.shop_order(ids[5]).unwrap().draft.is_test);
    assert!(!world.store.shop_order(ids[0]).unwrap().draft.fulfilled_by_channel);
    assert!(world.store.shop_order(ids[6]).is_none());
    assert!(world.store.shop_order(ids[8]).is_none());
}

#[test]
fn an_order_waiting_for_acceptance_is_accepted_once_and_imported_only_after() {
    let world = World::new();
    world.add_orders(1);
    let waiting = FIRST_ID + 1;
    let mut o = world.order(waiting);
    o["status"] = json!("waiting_store_acceptance");
    world.api.add_order(o);
    let engine = world.engine_with(|c| c.auto_accept = true);

    let r1 = run(&engine);
    assert_eq!((r1.imported, r1.accepted, r1.sent, r1.pending), (1, 1, 1, 1));
    assert!(world.api.log().iter().any(|r| { r.path.contains("status=waiting_shipment%2Cwaiting_store_acceptance") }));
    assert_eq!(world.api.applied("accept"), 1);
    assert_eq!(world.api.entries("accept"), vec![json!({"id": waiting, "reason": ""})]);
    assert!(world.store.shop_order(waiting).is_none());

    // The ticket is still running: no second accept, still not imported.
    assert_eq!(world.api.settle("accept", Some(waiting), &Outcome::Running), 1);
    let r2 = run(&engine);
    assert_eq!((r2.imported, r2.accepted, r2.sent, r2.pending), (0, 0, 0, 1));
    assert_eq!(world.api.applied("accept"), 1);
    assert!(world.store.shop_order(waiting).is_none());

    assert_eq!(world.api.settle("accept", Some(waiting), &Outcome::Succeed), 1);
    let r3 = run(&engine);
    assert_eq!((r3.imported, r3.accepted, r3.succeeded, r3.pending), (1, 0, 1, 0));
    assert_eq!(world.api.applied("accept"), 1);
    assert!(world.store.shop_order(waiting).is_some());
    let ops = world.store.all_operations();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].state, OperationState::Succeeded);
}

#[test]
fn an_unreadable_ship_by_date_is_kept_in_the_journal_and_shown_at_risk() {
    let world = World::new();
    let [odd, none] = [FIRST_ID, FIRST_ID + 1];
    let mut o = world.order(odd);
    o["latestShipDate"] = json!("next tuesday");
    world.api.add_order(o);
    let mut o = world.order(none);
    o["latestShipDate"] = Value::Null;
    world.api.add_order(o);
    let engine = world.engine();
    assert_eq!(run(&engine).imported, 2);

    let rec = world.store.import(odd).unwrap();
    assert_eq!(rec.order.latest_ship_date, None);
    assert_eq!(rec.order.latest_ship_date_unreadable.as_deref(), Some("next tuesday"));
    let now = shoppingfeed_orders::sync::Clock::now(&world.clock);
    let v = order_view(&rec, &[], now);
    assert_eq!(v.latest_ship_date_unreadable.as_deref(), Some("next tuesday"));
    assert_eq!(v.deadline.state, DeadlineState::AtRisk);

    // No date sent is no deadline, not an unreadable one.
    let rec = world.store.import(none).unwrap();
    assert_eq!(rec.order.latest_ship_date_unreadable, None);
    assert_eq!(order_view(&rec, &[], now).deadline.state, DeadlineState::None);
}

// ---------------------------------------------------------------------------------------------
// Ship
// ---------------------------------------------------------------------------------------------

#[test]
fn ship_is_validated_recorded_sent_once_and_followed_to_shipped() {
    let (world, engine, id) = imported_order();
    let [a, b] = item_ids(id);

    let mut bad_url = ship_request("250012345678", vec![]);
    bad_url.tracking_url = Some("javascript:alert(document.cookie)".into());
    assert_eq!(block_on(engine.ship(id, &bad_url)).unwrap_err().code(), "TrackingUrlInvalid");
    let placeholder = ship_request("N/A", vec![]);
    assert_eq!(block_on(engine.ship(id, &placeholder)).unwrap_err().code(), "TrackingNumberPlaceholder");
    assert!(world.store.all_operations().is_empty());
    assert_eq!(world.api.count("POST", SHIP), 0);

    let request = ship_request("250012345678", vec![ShipLine { id: a, quantity: 1 }, ShipLine { id: b, quantity: 2 }]);
    let rec = block_on(engine.ship(id, &request)).unwrap();
    assert_eq!(rec.state, OperationState::Sent);
    assert_eq!(rec.attempts, 1);
    let ticket = world.api.tickets().into_iter().find(|t| t["type"] == "order.notify.shipment").unwrap();
    assert_eq!(rec.batch_id.as_deref(), ticket["batchId"].as_str());
    assert_eq!(world.api.count("POST", SHIP), 1);
    assert_eq!(
        world.api.entries("ship"),
        vec![json!({
            "id": id, "carrier": "DPD", "trackingNumber": "250012345678",
            "trackingLink": "https://trace.dpd.fr/trace/250012345678",
            "items": [{"id": a, "quantity": 1}, {"id": b, "quantity": 2}], "warehouseId": null
        })]
    );

    // In flight: a second ship is refused locally.
    assert_eq!(block_on(engine.ship(id, &request)).unwrap_err().code(), "AlreadyShipped");
    assert_eq!(world.api.count("POST", SHIP), 1);

    assert_eq!(world.api.settle("ship", Some(id), &Outcome::Succeed), 1);
    let r = run(&engine);
    assert_eq!((r.succeeded, r.operations_failed, r.pending, r.sent), (1, 0, 0, 0));
    let ops = world.store.all_operations();
    assert_eq!(ops.len(), 1);
    assert_eq!(ops[0].state, OperationState::Succeeded);
    assert_eq!(world.store.import(id).unwrap().order.status, OrderStatus::Shipped);
    assert_eq!(world.api.order(id)["status"], "shipped");

    let again = block_on(engine.ship(id, &ship_request("250099999999", vec![]))).unwrap_err();
    assert_eq!(again.code(), "AlreadyShipped");
    assert_eq!(world.api.count("POST", SHIP), 1);
    assert_eq!(world.store.all_operations().len(), 1);
    assert_eq!(world.api.shipments(id).len(), 1);
}

#[test]
fn two_parcels_leave_the_order_shipped_whichever_ticket_the_marketplace_runs_first() {
    let (world, engine, id) = imported_order();
    let [a, b] = item_ids(id);
    let first = block_on(engine.ship(id, &ship_request("250000000001", vec![ShipLine { id: b, quantity: 2 }]))).unwrap();
    let last = block_on(engine.ship(id, &ship_request("250000000002", vec![ShipLine { id: a, quantity: 1 }]))).unwrap();
    assert_eq!((first.state, last.state), (OperationState::Sent, OperationState::Sent));
    assert_eq!(world.api.entries("ship").len(), 2);

    // The last parcel's ticket runs first; the first parcel's, a cycle later.
    assert_eq!(world.api.settle_batch(last.batch_id.as_deref().unwrap(), &Outcome::Succeed), 1);
    assert_eq!(run(&engine).succeeded, 1);
    assert_eq!(world.store.import(id).unwrap().order.status, OrderStatus::PartiallyShipped, "a parcel is still on its way");
    assert_eq!(world.api.settle_batch(first.batch_id.as_deref().unwrap(), &Outcome::Succeed), 1);
    assert_eq!(run(&engine).succeeded, 1);
    assert_eq!(world.api.order(id)["status"], "shipped");
    assert_eq!(world.store.import(id).unwrap().order.status, OrderStatus::Shipped, "the journal follows: every parcel went");
}

#[test]
fn a_ship_recorded_while_the_api_is_down_is_sent_by_the_next_cycle() {
    let (world, engine, id) = imported_order();
    world.api.inject("*", &[""], Fault::Transport, u32::MAX);

    let rec = block_on(engine.ship(id, &ship_request("250012345678", vec![]))).unwrap();
    // Not confirmed: left `sending`, so the next run reads tickets back before sending again.
    assert_eq!(rec.state, OperationState::Sending);
    assert_eq!(world.api.applied("ship"), 0);
    assert_eq!(world.api.count("POST", SHIP), 1);
    // One backoff between flush rounds, then the ticket read-back gives up after 5 attempts.
    assert_eq!(world.clock.sleeps(), vec![500, 500, 1000, 2000, 4000]);

    world.api.clear_faults();
    let r = run(&engine);
    assert_eq!((r.sent, r.pending), (1, 1));
    assert_eq!(world.api.applied("ship"), 1);
    assert_eq!(world.api.shipments(id).len(), 1);
    let op = &world.store.all_operations()[0];
    assert_eq!((op.state, op.attempts), (OperationState::Sent, 2));

    let r2 = run(&engine);
    assert_eq!(r2.sent, 0);
    assert_eq!(world.api.applied("ship"), 1);
}

#[test]
fn a_second_ship_while_the_first_is_not_sent_yet_is_refused_naming_the_first_tracking_number() {
    let (world, engine, id) = imported_order();
    let [_, b] = item_ids(id);
    world.api.inject("*", &[""], Fault::Transport, u32::MAX);
    let first = block_on(engine.ship(id, &ship_request("250012345678", vec![]))).unwrap();
    assert_eq!(first.state, OperationState::Sending);

    // Another caller (the dashboard, a second terminal) ships the same order with its own number.
    let second = block_on(engine.ship(id, &ship_request("250087654321", vec![]))).unwrap_err();
    assert_eq!(second.code(), "ShipmentPending");
    let message = second.to_string();
    assert!(message.contains("250012345678") && message.contains("being sent"), "{message}");
    assert!(!message.contains("250087654321"), "{message}");
    // The same for another parcel of this partial-ship channel (ManoMano) while the first is unsent.
    let parcel = block_on(engine.ship(id, &ship_request("250087654322", vec![ShipLine { id: b, quantity: 2 }]))).unwrap_err();
    assert_eq!(parcel.code(), "ShipmentPending");
    assert_eq!(world.store.all_operations().len(), 1, "nothing new recorded");

    world.api.clear_faults();
    run(&engine);
    let sent: Vec<Value> = world.api.entries("ship").into_iter().map(|e| e["trackingNumber"].clone()).collect();
    assert_eq!(sent, vec![json!("250012345678")], "only the recorded shipment left, once");
}

#[test]
fn two_callers_recording_a_ship_in_the_same_instant_keep_the_first_and_refuse_the_second() {
    let (world, engine, id) = imported_order();
    // Another process records its shipment between this call's read of the journal and its write.
    let theirs: shoppingfeed_orders::sync::OperationRecord = serde_json::from_value(json!({
        "id": format!("{id}:ship:1"), "shoppingfeedId": id, "reference": format!("M{id}"), "state": "pending", "batchId": null,
        "message": null, "attempts": 0, "recordedAt": "2026-05-04T10:00:00+00:00", "updatedAt": "2026-05-04T10:00:00+00:00",
        "payload": {"operation": "ship", "shipment": {"carrier": "DPD", "trackingNumber": "250011111111",
            "trackingUrl": "https://trace.dpd.fr/trace/250011111111", "items": [], "warehouseId": null, "returnInfo": null, "complete": true}}
    }))
    .unwrap();
    world.store.write_after_next_read(theirs.clone());

    let mine = block_on(engine.ship(id, &ship_request("250022222222", vec![]))).unwrap_err();
    assert_eq!(mine.code(), "ShipmentPending");
    assert!(mine.to_string().contains("250011111111"), "{mine}");
    assert_eq!(world.store.all_operations(), vec![theirs], "the first record is kept as it was written");
    assert_eq!(world.api.count("POST", SHIP), 0);

    run(&engine);
    let sent: Vec<Value> = world.api.entries("ship").into_iter().map(|e| e["trackingNumber"].clone()).collect();
    assert_eq!(sent, vec![json!("250011111111")]);
}

#[test]
fn a_ship_processed_but_answered_with_an_error_is_read_back_not_sent_twice() {
    for fault in [Fault::ProcessThenStatus(500), Fault::ProcessThenDrop] {
        let (world, engine, id) = imported_order();
        world.api.inject("POST", SHIP, fault.clone(), 1);

        let rec = block_on(engine.ship(id, &ship_request("250012345678", vec![]))).unwrap();
        assert_eq!(rec.state, OperationState::Sent, "{fault:?}");
        let ticket = world.api.tickets().into_iter().find(|t| t["type"] == "order.notify.shipment").unwrap();
        assert_eq!(rec.batch_id.as_deref(), ticket["batchId"].as_str(), "{fault:?}");
        assert_eq!(world.api.count("POST", SHIP), 1, "{fault:?}");
        assert_eq!(world.api.shipments(id).len(), 1, "{fault:?}");
        assert_eq!(world.api.count("GET", &["type=order.notify.shipment", &format!("payloadId={id}")]), 1);

        world.api.settle("ship", Some(id), &Outcome::Succeed);
        let r = run(&engine);
        assert_eq!(r.succeeded, 1, "{fault:?}");
        assert_eq!(world.api.count("POST", SHIP), 1, "{fault:?}");
        assert_eq!(world.api.shipments(id).len(), 1, "{fault:?}");
    }
}

#[test]
fn a_failed_ticket_fails_the_operation_with_the_marketplace_message() {
    let (world, engine, id) = imported_order();
    let message = "Carrier DPX is not accepted by ManoMano";
    block_on(engine.ship(id, &ship_request("250012345678", vec![]))).unwrap();
    assert_eq!(world.api.settle("ship", Some(id), &Outcome::Failed(message.into())), 1);

    let r = run(&engine);
    assert_eq!((r.succeeded, r.operations_failed, r.pending), (0, 1, 0));
    let issue = r.issues.iter().find(|i| i.code == "OperationFailed").unwrap();
    assert_eq!(issue.order_id, Some(id));
    assert!(issue.message.contains(message), "{}", issue.message);
    let op = &world.store.all_operations()[0];
    assert_eq!(op.state, OperationState::Failed);
    assert_eq!(op.message.as_deref(), Some(message));
    assert_eq!(world.store.import(id).unwrap().order.status, OrderStatus::WaitingShipment);

    // A failed ship does not block a corrected one.
    let rec = block_on(engine.ship(id, &ship_request("250012345679", vec![]))).unwrap();
    assert_eq!(rec.state, OperationState::Sent);
    assert_eq!(world.api.count("POST", SHIP), 2);
}

// ---------------------------------------------------------------------------------------------
// Inbound status changes
// ---------------------------------------------------------------------------------------------

#[test]
fn an_order_cancelled_on_the_marketplace_after_import_is_reported_once() {
    let world = World::new();
    let ids = world.add_orders(2);
    let engine = world.engine();
    run(&engine);
    world.api.set_status(ids[0], "cancelled");

    let r = run(&engine);
    assert_eq!(r.status_changes, 1);
    let changes = world.store.status_changes();
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].id, &changes[0].status, &changes[0].previous), (ids[0], &OrderStatus::Cancelled, &OrderStatus::WaitingShipment));
    assert_eq!(world.store.import(ids[0]).unwrap().order.status, OrderStatus::Cancelled);

    let r2 = run(&engine);
    assert_eq!(r2.status_changes, 0);
    assert_eq!(world.store.status_changes().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Concurrency, auth, secrets
// ---------------------------------------------------------------------------------------------

#[test]
fn two_cycles_of_one_engine_do_not_overlap() {
    let world = World::new();
    world.add_orders(5);
    let engine = world.engine();
    let (a, b) = block_on(join(engine.run_cycle(), engine.run_cycle()));
    assert_eq!(a.unwrap().imported, 5);
    assert_eq!(b.unwrap_err().error.code(), "CycleInProgress");
    assert_eq!(world.store.creations(), 5);
    // The flag is released: the next cycle runs.
    assert_eq!(run(&engine).imported, 0);
}

#[test]
fn two_engines_on_one_store_contend_for_its_lock() {
    let world = World::new();
    world.add_orders(5);
    let first = world.engine();
    let second = world.engine_with(|c| c.owner = "shop-b".into());
    let (a, b) = block_on(join(first.run_cycle(), second.run_cycle()));
    assert_eq!(a.unwrap().imported, 5);
    assert_eq!(b.unwrap_err().error.code(), "Locked");
    assert_eq!(world.store.lock_holder(), None);
    assert_eq!(run(&second).imported, 0);
    assert_eq!((world.store.creations(), world.store.create_calls()), (5, 5));
}

#[test]
fn a_wrong_token_stops_the_cycle_as_unauthorized_and_creates_nothing() {
    let world = World::new();
    world.add_orders(3);
    let engine = world.engine_with(|c| c.token = "0123456789abcdef0123456789abcdef".into());
    let failure = run_err(&engine);
    assert_eq!(failure.error.code(), "Unauthorized");
    assert_eq!(failure.report.imported, 0);
    assert_eq!((world.store.creations(), world.store.create_calls()), (0, 0));
    // 403 is final: one request, no retry, no sleep.
    assert_eq!(world.api.log().len(), 1);
    assert!(world.clock.sleeps().is_empty());
    assert_eq!(world.api.unacknowledged(), 3);
}

#[test]
fn the_token_never_appears_in_logs_or_debug_output() {
    let world = World::new();
    let ids = world.add_orders(3);
    let mut o = world.order(FIRST_ID + 3);
    o["items"][0]["reference"] = json!("SKU-GONE");
    world.api.add_order(o);
    world.store.reject_sku("SKU-GONE", None);
    world.api.inject("GET", IMPORT_LIST, Fault::RateLimited("0.2"), 1);
    world.api.inject("POST", SHIP, Fault::ProcessThenStatus(502), 1);
    let lines: Rc<RefCell<Vec<String>>> = Rc::default();
    let sink = lines.clone();
    // Every line, per-order debug lines included.
    let engine = world
        .engine_with(|c| c.log_level = "debug".into())
        .with_log(move |r: &LogRecord| sink.borrow_mut().push(format!("{} {} {:?}", r.level, r.message, r)));

    run(&engine);
    block_on(engine.ship(ids[0], &ship_request("250012345678", vec![]))).unwrap();
    world.api.inject("*", &[""], Fault::Status(403), 1);
    let failure = run_err(&engine);
    assert_eq!(failure.error.code(), "Unauthorized");

    let lines = lines.borrow();
    assert!(lines.len() >= 8, "{lines:#?}");
    assert!(lines.iter().any(|l| l.starts_with("debug ")), "{lines:#?}");
    assert!(lines.iter().all(|l| !l.contains(TOKEN)), "{lines:#?}");
    let debug = format!("{:?}", engine.config());
    assert!(!debug.contains(TOKEN) && debug.contains("[redacted]"), "{debug}");
    assert!(!format!("{failure:?}").contains(TOKEN));
    assert!(!format!("{}", failure.error).contains(TOKEN));
}

// ---------------------------------------------------------------------------------------------
// Regressions: engine bugs these tests found (fixed)
// ---------------------------------------------------------------------------------------------

#[test]
fn a_second_partial_ship_that_failed_unprocessed_is_sent_not_mistaken_for_the_first() {
    let (world, engine, id) = imported_order();
    let [a, b] = item_ids(id);
    let first = block_on(engine.ship(id, &ship_request("250000000001", vec![ShipLine { id: a, quantity: 1 }]))).unwrap();
    world.api.settle("ship", Some(id), &Outcome::Succeed);
    run(&engine);
    assert_eq!(world.api.order(id)["status"], "partially_shipped");

    world.clock.advance(chrono::Duration::minutes(3));
    // Refused before processing (a 503 from the gateway): nothing reached Shoppingfeed.
    world.api.inject("POST", SHIP, Fault::Status(503), 1);
    let second = block_on(engine.ship(id, &ship_request("250000000002", vec![ShipLine { id: b, quantity: 2 }]))).unwrap();
    assert_ne!(second.batch_id, first.batch_id, "the second parcel was given the first parcel's batch");
    assert_eq!(world.api.applied("ship"), 2);
    assert_eq!(world.api.shipments(id).len(), 2);
}

#[test]
fn an_order_cancelled_before_its_acknowledge_landed_is_reported() {
    let world = World::new();
    let id = world.add_orders(1)[0];
    let engine = world.engine();
    world.api.inject("POST", ACK, Fault::Transport, 5);
    run_err(&engine);
    assert_eq!(world.store.import(id).unwrap().state, ImportState::Created);

    world.api.set_status(id, "cancelled");
    let r = run(&engine);
    assert_eq!(r.status_changes, 1);
    assert_eq!(world.store.status_changes().len(), 1);
}

#[test]
fn a_pending_ship_is_sent_even_when_the_order_list_fails() {
    let (world, engine, id) = imported_order();
    world.api.inject("*", &[""], Fault::Transport, u32::MAX);
    block_on(engine.ship(id, &ship_request("250012345678", vec![]))).unwrap();
    world.api.clear_faults();
    world.api.inject("GET", IMPORT_LIST, Fault::Status(500), u32::MAX);

    let failure = run_err(&engine);
    assert_eq!(failure.error.code(), "ServerError");
    assert_eq!(world.api.applied("ship"), 1);
}

#[test]
fn log_lines_below_the_level_do_not_reach_the_host() {
    let world = World::new();
    world.add_orders(3);
    let lines: Rc<RefCell<Vec<String>>> = Rc::default();
    let sink = lines.clone();
    let engine = world.engine().with_log(move |r: &LogRecord| sink.borrow_mut().push(r.level.to_string()));
    run(&engine);
    let lines = lines.borrow();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| l != "debug"), "{lines:?}");
}
