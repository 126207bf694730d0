//! How late an order is against the marketplace's ship-by date.

use super::lenient::Timestamp;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Share of the window (order creation → ship-by date) after which an unshipped order is at risk.
pub const AT_RISK_SHARE: f64 = 0.8;

/// Where an order stands against its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadlineState {
    /// The marketplace gave no ship-by date.
    None,
    /// Time left.
    OnTime,
    /// Past 80 % of the window.
    AtRisk,
    /// Past the ship-by date.
    Overdue,
}

/// Deadline status of one order.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Deadline {
    /// The state.
    pub state: DeadlineState,
    /// Seconds until the ship-by date (negative when overdue).
    pub seconds_left: Option<i64>,
    /// Share of the window elapsed (0..), when the creation date is known.
    pub elapsed_share: Option<f64>,
}

/// Deadline status of an order whose ship-by date was sent but could not be read (`unreadable`)
/// when `latest_ship_date` is none: at risk, since the marketplace set a deadline nobody can see,
/// which is not the same as none. Otherwise as [`deadline`].
pub fn deadline_sent(
    latest_ship_date: Option<&Timestamp>,
    unreadable: bool,
    created_at: Option<&Timestamp>,
    now: DateTime<Utc>,
) -> Deadline {
    if latest_ship_date.is_none() && unreadable {
        return Deadline { state: DeadlineState::AtRisk, seconds_left: None, elapsed_share: None };
    }
    deadline(latest_ship_date, created_at, now)
}

/// Deadline status at `now` for an order created at `created_at` with ship-by `latest_ship_date`.
pub fn deadline(latest_ship_date: Option<&Timestamp>, created_at: Option<&Timestamp>, now: DateTime<Utc>) -> Deadline {
    let Some(due) = latest_ship_date else {
        return Deadline { state: DeadlineState::None, seconds_left: None, elapsed_share: None };
    };
    let left = due.signed_duration_since(now).num_seconds();
    let share = created_at.and_then(|c| {
        let window = due.signed_duration_since(*c).num_seconds();
        (window > 0).then(|| now.signed_duration_since(*c).num_seconds() as f64 / window as f64)
    });
    let state = if left < 0 {
        DeadlineState::Overdue
    } else if share.is_some_and(|s| s >= AT_RISK_SHARE) || (share.is_none() && left < 24 * 3600) {
        // Without a creation date the window is unknown: the last day counts as at risk.
        DeadlineState::AtRisk
    } else {
        DeadlineState::OnTime
    };
    Deadline { state, seconds_left: Some(left), elapsed_share: share }
}
