//! The API client: builds requests, applies the retry policy, counts calls. The token lives here
//! and only goes into the Authorization header.

use super::host::{Clock, Http};
use crate::api::{ApiError, Decision, HttpRequest, HttpResponse, RetryPolicy, classify, resolve_link};
use std::cell::Cell;
use std::fmt;

/// Idempotent calls are retried on any transient failure; the others only when the API surely did
/// not act (429), the caller reading tickets back for the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Retry {
    /// GETs and acknowledgements.
    Idempotent,
    /// Status changes sent to the marketplace.
    OnlyIfNotProcessed,
}

/// Talks to one Shoppingfeed API base URL with one token.
pub struct Client<H, C> {
    http: H,
    clock: C,
    base_url: String,
    token: String,
    user_agent: String,
    policy: RetryPolicy,
    requests: Cell<u64>,
}

// By hand, so the token cannot end up in a log line.
impl<H, C> fmt::Debug for Client<H, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client").field("base_url", &self.base_url).field("token", &"[redacted]").finish()
    }
}

impl<H: Http, C: Clock> Client<H, C> {
    /// A client for `base_url` (no trailing slash needed).
    pub fn new(http: H, clock: C, base_url: &str, token: &str, user_agent: &str, policy: RetryPolicy) -> Self {
        Client {
            http,
            clock,
            base_url: base_url.trim_end_matches('/').to_string(),
            token: token.to_string(),
            user_agent: user_agent.to_string(),
            policy,
            requests: Cell::new(0),
        }
    }

    /// The clock the client waits with.
    pub fn clock(&self) -> &C {
        &self.clock
    }

    /// HTTP calls made so far (retries included).
    pub fn requests(&self) -> u64 {
        self.requests.get()
    }

    /// Absolute URL of an API path or of a link the API gave.
    pub fn url(&self, path_or_href: &str) -> Result<String, ApiError> {
        resolve_link(&self.base_url, path_or_href)
    }

    fn request(&self, method: &'static str, url: String, body: Option<(Vec<u8>, String)>) -> HttpRequest {
        let mut headers = vec![
            ("Authorization".to_string(), format!("Bearer {}", self.token)),
            ("Accept".to_string(), "application/json, application/hal+json, application/problem+json".to_string()),
            ("User-Agent".to_string(), self.user_agent.clone()),
        ];
        let body = body.map(|(bytes, content_type)| {
            headers.push(("Content-Type".to_string(), content_type));
            bytes
        });
        HttpRequest { method, url, headers, body }
    }

    /// GET a path or link and decode its 2xx body; a body that does not decode (cut short) is retried
    /// like any transient failure.
    pub async fn get<T>(&self, path_or_href: &str, what: &str, decode: impl Fn(&str) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let url = self.url(path_or_href)?;
        let mut out = None;
        self.send(self.request("GET", url, None), what, Retry::Idempotent, |resp| {
            out = Some(decode(&resp.body)?);
            Ok(())
        })
        .await?;
        out.ok_or_else(|| ApiError::Decode { what: "answer", message: "no answer".into() })
    }

    /// POST a body to a path; `check` decodes the 2xx body so a cut answer counts as a failure.
    pub async fn post<T>(
        &self,
        path: &str,
        body: Vec<u8>,
        content_type: &str,
        what: &str,
        retry: Retry,
        check: impl Fn(&str) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let url = self.url(path)?;
        let req = self.request("POST", url, Some((body, content_type.to_string())));
        let mut out = None;
        self.send(req, what, retry, |resp| {
            out = Some(check(&resp.body)?);
            Ok(())
        })
        .await?;
        out.ok_or_else(|| ApiError::Decode { what: "operation", message: "no answer".into() })
    }

    async fn send(
        &self,
        req: HttpRequest,
        what: &str,
        retry: Retry,
        mut check: impl FnMut(&HttpResponse) -> Result<(), ApiError>,
    ) -> Result<(), ApiError> {
        let mut attempt = 0u32;
        let mut rate_limited = 0u32;
        loop {
            self.requests.set(self.requests.get() + 1);
            let outcome = match self.http.send(req.clone()).await {
                Err(e) => Err(ApiError::Transport { message: e.0 }),
                Ok(resp) => classify(&resp, what).and_then(|()| check(&resp)),
            };
            let failure = match outcome {
                Ok(()) => return Ok(()),
                Err(f) => f,
            };
            if matches!(failure, ApiError::RateLimited { .. }) {
                rate_limited += 1;
            } else {
                rate_limited = 0;
                attempt += 1;
            }
            if retry == Retry::OnlyIfNotProcessed && !failure.surely_not_processed() {
                return Err(failure);
            }
            match self.policy.decide(&failure, attempt, rate_limited) {
                Decision::RetryAfter(ms) => self.clock.sleep(ms).await,
                Decision::GiveUp => return Err(failure),
            }
        }
    }
}
