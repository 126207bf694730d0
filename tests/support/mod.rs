//! Test host for the sync engine: a fake Shoppingfeed API, an in-memory store, a manual clock, and a
//! realistic order template (shape of `shared/fixtures/prestashop_order-with-discount.json`, with item ids).

pub mod clock;
pub mod fake_api;
pub mod store;

pub use clock::ManualClock;
pub use fake_api::{FakeShoppingfeed, Fault, Outcome};
pub use store::{JS_MAX_ID, MemoryStore};

use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use shoppingfeed_orders::sync::{Engine, EngineConfig};

/// A token shaped like the back-office ones (opaque hex).
pub const TOKEN: &str = "9c1e5b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e";
/// The Shoppingfeed store.
pub const STORE_ID: u64 = 26317;
/// Where the fake answers.
pub const API_URL: &str = "https://api.shopping-feed.test";
/// First order id (11 digits, like real ones).
pub const FIRST_ID: u64 = 19_503_675_600;

/// The engine over the test host.
pub type TestEngine = Engine<FakeShoppingfeed, MemoryStore, ManualClock>;

/// API, store and clock sharing one time.
pub struct World {
    /// The fake API.
    pub api: FakeShoppingfeed,
    /// The shop's store.
    pub store: MemoryStore,
    /// The clock.
    pub clock: ManualClock,
}

impl World {
    /// An empty world at 2026-05-04T10:00:00Z.
    pub fn new() -> World {
        let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 5, 4, 10, 0, 0).unwrap());
        World { api: FakeShoppingfeed::new(STORE_ID, TOKEN, clock.clone()), store: MemoryStore::new(clock.clone()), clock }
    }

    /// The configuration the tests start from.
    pub fn config(&self) -> EngineConfig {
        EngineConfig { api_url: API_URL.into(), token: TOKEN.into(), store_id: STORE_ID, owner: "shop-a".into(), ..EngineConfig::default() }
    }

    /// An engine with the default test configuration.
    pub fn engine(&self) -> TestEngine {
        self.engine_with(|_| {})
    }

    /// An engine with a tweaked configuration.
    pub fn engine_with(&self, tweak: impl FnOnce(&mut EngineConfig)) -> TestEngine {
        let mut config = self.config();
        tweak(&mut config);
        Engine::new(config, self.api.clone(), self.store.clone(), self.clock.clone()).unwrap_or_else(|e| panic!("engine: {e}"))
    }

    /// An ordinary order created 20 hours ago.
    pub fn order(&self, id: u64) -> Value {
        order_json(id, shoppingfeed_orders::sync::Clock::now(&self.clock) - Duration::hours(20))
    }

    /// Adds `n` ordinary unacknowledged orders; returns their ids.
    pub fn add_orders(&self, n: u64) -> Vec<u64> {
        let ids: Vec<u64> = (FIRST_ID..FIRST_ID + n).collect();
        for id in &ids {
            self.api.add_order(self.order(*id));
        }
        ids
    }
}

/// The item ids of an order built by [`order_json`].
pub fn item_ids(id: u64) -> [u64; 2] {
    [id * 100 + 1, id * 100 + 2]
}

/// A `waiting_shipment`, unacknowledged ManoMano (`Monechelle`) order with two lines (`SKU-MUG` ×1,
/// `SKU-CUP` ×2), shaped like the PrestaShop fixture.
pub fn order_json(id: u64, created: DateTime<Utc>) -> Value {
    // Paris time, as in the fixtures.
    let paris = chrono::FixedOffset::east_opt(2 * 3600).unwrap();
    let ts = |t: DateTime<Utc>| t.with_timezone(&paris).to_rfc3339_opts(chrono::SecondsFormat::Secs, false);
    let [a, b] = item_ids(id);
    let address = json!({
        "firstName": "John", "lastName": "Dow", "company": "202 ecommerce", "street": "10 rue Vivienne", "street2": "",
        "other": "", "postalCode": "75001", "city": "Paris", "country": "FR", "phone": "0123456789", "mobilePhone": "",
        "province": "", "email": format!("buyer-{id}@marketplace.example")
    });
    json!({
        "id": id,
        "storeId": STORE_ID,
        "channelId": 259,
        "reference": format!("M{id}"),
        "storeReference": "",
        "isTest": false,
        "acknowledgedAt": null,
        "createdAt": ts(created),
        "updatedAt": ts(created + Duration::minutes(5)),
        "status": "waiting_shipment",
        "anonymized": false,
        "payment": {"shippingAmount": 4.9, "productAmount": 31.5, "totalAmount": 36.4, "currency": "EUR", "method": "", "taxMode": "undefined"},
        "shipment": {"type": null, "carrier": "DPD", "trackingNumber": "", "trackingLink": "", "returnInfo": {"carrier": null, "trackingNumber": null}},
        "additionalFields": {"seller_voucher": "0", "channel_voucher": "0", "intraco_vat_number": "", "billing_fiscal_number": ""},
        "latestShipDate": ts(created + Duration::days(3)),
        "errors": [],
        "itemsReferencesAliases": null,
        "fulfilledBy": "store",
        "items": [
            {"id": a, "reference": "SKU-MUG", "status": "", "quantity": 1, "price": 12.5, "commission": null, "taxAmount": 2.08,
             "ecotaxAmount": 0, "channelReference": "MM-1", "additionalFields": {"taxRate": 20}, "name": "Mug Today is a good day", "image": null},
            {"id": b, "reference": "SKU-CUP", "status": "", "quantity": 2, "price": 9.5, "commission": null, "taxAmount": 3.17,
             "ecotaxAmount": 0, "channelReference": "MM-2", "additionalFields": {"taxRate": 20}, "name": "Cup", "image": null}
        ],
        "commission": null,
        "shippingAddress": address,
        "billingAddress": address,
        "_links": {"self": {"href": format!("/v1/store/{STORE_ID}/order/{id}")}, "store": {"href": format!("/v1/store/{STORE_ID}")}},
        "_embedded": {
            "channel": {"id": 259, "name": "Monechelle", "_links": {"self": {"href": "/v1/channel/259"},
                "image": {"href": "https://assets.shopping-feed.com/channel/logo/Monechelle.png"}}},
            "tag": []
        }
    })
}

/// Moves an order to another channel (`channelId` and `_embedded.channel`).
pub fn set_channel(order: &mut Value, id: u64, name: &str) {
    order["channelId"] = json!(id);
    order["_embedded"]["channel"]["id"] = json!(id);
    order["_embedded"]["channel"]["name"] = json!(name);
}
