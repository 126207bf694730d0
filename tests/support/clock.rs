//! `ManualClock`: a settable clock whose `sleep` records the wait and moves time on, at once.

use chrono::{DateTime, Duration, Utc};
use shoppingfeed_orders::sync::Clock;
use std::cell::{Cell, RefCell};
use std::rc::Rc;

/// A shared handle: the engine, the fake API and the store all read the same time.
#[derive(Clone)]
pub struct ManualClock(Rc<Inner>);

struct Inner {
    now: Cell<DateTime<Utc>>,
    sleeps: RefCell<Vec<u64>>,
}

impl ManualClock {
    /// A clock standing at `start`.
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Rc::new(Inner { now: Cell::new(start), sleeps: RefCell::new(Vec::new()) }))
    }

    /// Moves time on without recording a sleep.
    pub fn advance(&self, by: Duration) {
        self.0.now.set(self.0.now.get() + by);
    }

    /// Every `sleep` asked so far, in ms, in order.
    pub fn sleeps(&self) -> Vec<u64> {
        self.0.sleeps.borrow().clone()
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        self.0.now.get()
    }

    async fn sleep(&self, ms: u64) {
        self.0.sleeps.borrow_mut().push(ms);
        self.advance(Duration::milliseconds(i64::try_from(ms).unwrap_or(i64::MAX)));
    }
}
