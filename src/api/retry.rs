//! When to try a request again: 429 waits what the API asks, 5xx/network/cut answers back off
//! exponentially, a bounded number of times; anything else is final.

use super::error::ApiError;
use serde::{Deserialize, Serialize};

/// Retry limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct RetryPolicy {
    /// Attempts for one request on 5xx/network/decode failures (first try included).
    pub max_attempts: u32,
    /// First backoff delay.
    pub base_delay_ms: u64,
    /// Backoff ceiling.
    pub max_delay_ms: u64,
    /// 429 answers in a row before giving up (the PHP SDK gives up after 3).
    pub max_rate_limited: u32,
    /// Longest single wait a 429 may ask for before the cycle gives up instead.
    pub max_rate_limit_wait_ms: u64,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { max_attempts: 5, base_delay_ms: 500, max_delay_ms: 30_000, max_rate_limited: 10, max_rate_limit_wait_ms: 300_000 }
    }
}

/// What to do after a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Wait this long, then try again.
    RetryAfter(u64),
    /// Stop; the failure is final for this cycle.
    GiveUp,
}

impl RetryPolicy {
    /// Decides after `failure`, given how many transient failures (`attempt`, 1-based) and how many
    /// 429s in a row (`rate_limited`) this request has had, that one included.
    pub fn decide(&self, failure: &ApiError, attempt: u32, rate_limited: u32) -> Decision {
        match failure {
            ApiError::RateLimited { wait_ms } => {
                if rate_limited > self.max_rate_limited {
                    return Decision::GiveUp;
                }
                match wait_ms {
                    Some(w) if *w > self.max_rate_limit_wait_ms => Decision::GiveUp,
                    // A zero wait still yields a little, so a tight loop cannot hammer the API.
                    Some(w) => Decision::RetryAfter((*w).max(50)),
                    None => Decision::RetryAfter(self.backoff(rate_limited)),
                }
            }
            f if f.is_transient() => {
                if attempt >= self.max_attempts {
                    Decision::GiveUp
                } else {
                    Decision::RetryAfter(self.backoff(attempt))
                }
            }
            _ => Decision::GiveUp,
        }
    }

    /// Exponential delay for the `attempt`-th failure: base, 2×base, 4×base… capped.
    pub fn backoff(&self, attempt: u32) -> u64 {
        let exp = attempt.saturating_sub(1).min(20);
        self.base_delay_ms.saturating_mul(1u64 << exp).min(self.max_delay_ms)
    }
}
