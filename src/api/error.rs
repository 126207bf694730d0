//! problem+json errors and what each HTTP answer means to the engine (API reference §1.5, §1.6).

use super::http::HttpResponse;
use crate::order::lenient::clip;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// An RFC 7807 problem document.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Problem {
    /// Problem type URI.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Short title.
    pub title: Option<String>,
    /// Human detail.
    pub detail: Option<String>,
    /// HTTP status.
    pub status: Option<u16>,
}

impl Problem {
    /// Parses a problem body; anything else yields `None`.
    pub fn parse(body: &str) -> Option<Problem> {
        let p: Problem = serde_json::from_str(body).ok()?;
        (p.detail.is_some() || p.title.is_some()).then_some(p)
    }

    /// The most useful line of the problem (clipped: it is remote text).
    pub fn summary(&self) -> String {
        let text = match (&self.title, &self.detail) {
            (Some(t), Some(d)) if !d.is_empty() && t != d => format!("{t}: {d}"),
            (_, Some(d)) if !d.is_empty() => d.clone(),
            (Some(t), _) => t.clone(),
            _ => String::new(),
        };
        clip(&text)
    }
}

/// Why an API call did not give the engine what it needed.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum ApiError {
    /// 403: missing, wrong or revoked token (the API does not use 401 for this).
    #[error("not authorized by Shoppingfeed (403): {detail}; check the API token and the store id")]
    Unauthorized {
        /// Problem detail.
        detail: String,
    },
    /// 401 on `/v1/auth`.
    #[error("Shoppingfeed rejected the credentials (401): {detail}")]
    BadCredentials {
        /// Problem detail.
        detail: String,
    },
    /// 404: not in this store (or unknown ticket).
    #[error("not found (404): {what}")]
    NotFound {
        /// What was asked.
        what: String,
    },
    /// 400: the API refused the body.
    #[error("request refused by Shoppingfeed (400): {detail}")]
    BadRequest {
        /// Problem detail (names the field).
        detail: String,
    },
    /// 409 on PATCH.
    #[error("conflict (409): {detail}")]
    Conflict {
        /// Problem detail.
        detail: String,
    },
    /// 413 on upload-documents.
    #[error("document too large for Shoppingfeed (413, 2 MB a file at most)")]
    PayloadTooLarge,
    /// 429.
    #[error("rate limited by Shoppingfeed (429){}", wait_ms.map(|w| format!(", asked to wait {w} ms")).unwrap_or_default())]
    RateLimited {
        /// What `X-RateLimit-Wait` asked, in ms (None when absent).
        wait_ms: Option<u64>,
    },
    /// 5xx.
    #[error("Shoppingfeed server error ({status}): {detail}")]
    Server {
        /// Status code.
        status: u16,
        /// Problem detail or empty.
        detail: String,
    },
    /// Any other status.
    #[error("unexpected HTTP status {status} from Shoppingfeed: {detail}")]
    UnexpectedStatus {
        /// Status code.
        status: u16,
        /// Problem detail or empty.
        detail: String,
    },
    /// A 2xx whose body cannot be read (truncated, not JSON, wrong shape).
    #[error("cannot read the {what} answer: {message}")]
    Decode {
        /// Which answer.
        what: &'static str,
        /// Parser message.
        message: String,
    },
    /// The request did not complete (DNS, refused, reset, timeout).
    #[error("network error talking to Shoppingfeed: {message}")]
    Transport {
        /// Transport message.
        message: String,
    },
}

impl ApiError {
    /// Stable discriminant for JS.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthorized { .. } => "Unauthorized",
            ApiError::BadCredentials { .. } => "BadCredentials",
            ApiError::NotFound { .. } => "NotFound",
            ApiError::BadRequest { .. } => "BadRequest",
            ApiError::Conflict { .. } => "Conflict",
            ApiError::PayloadTooLarge => "PayloadTooLarge",
            ApiError::RateLimited { .. } => "RateLimited",
            ApiError::Server { .. } => "ServerError",
            ApiError::UnexpectedStatus { .. } => "UnexpectedStatus",
            ApiError::Decode { .. } => "Decode",
            ApiError::Transport { .. } => "Transport",
        }
    }

    /// Whether the failure may pass by itself (worth retrying).
    pub fn is_transient(&self) -> bool {
        matches!(self, ApiError::RateLimited { .. } | ApiError::Server { .. } | ApiError::Decode { .. } | ApiError::Transport { .. })
    }

    /// Whether the server surely did not act on the request, so a non-idempotent call can be repeated
    /// as it is. A 5xx, a reset or a cut answer may come after the work was done.
    pub fn surely_not_processed(&self) -> bool {
        matches!(self, ApiError::RateLimited { .. })
    }
}

/// Turns a non-2xx answer into its meaning; `what` names the resource for 404s.
pub fn classify(resp: &HttpResponse, what: &str) -> Result<(), ApiError> {
    if (200..300).contains(&resp.status) {
        return Ok(());
    }
    let detail = Problem::parse(&resp.body).map(|p| p.summary()).unwrap_or_default();
    Err(match resp.status {
        400 => ApiError::BadRequest { detail },
        401 => ApiError::BadCredentials { detail },
        403 => ApiError::Unauthorized { detail: if detail.is_empty() { "Service not authorized".into() } else { detail } },
        404 => ApiError::NotFound { what: what.to_string() },
        409 => ApiError::Conflict { detail },
        413 => ApiError::PayloadTooLarge,
        429 => ApiError::RateLimited { wait_ms: rate_limit_wait_ms(resp) },
        s @ 500..=599 => ApiError::Server { status: s, detail },
        s => ApiError::UnexpectedStatus { status: s, detail },
    })
}

/// `X-RateLimit-Wait` (float seconds) in whole milliseconds, rounded up as the PHP SDK does.
pub fn rate_limit_wait_ms(resp: &HttpResponse) -> Option<u64> {
    let secs: f64 = resp.header("x-ratelimit-wait")?.trim().parse().ok()?;
    (secs.is_finite() && secs >= 0.0).then(|| (secs * 1000.0).ceil() as u64)
}
