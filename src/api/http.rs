//! Plain HTTP request/response values exchanged with the host's transport.

use std::fmt;

/// A request the engine wants sent.
#[derive(Clone, PartialEq)]
pub struct HttpRequest {
    /// `GET`, `POST`, …
    pub method: &'static str,
    /// Absolute URL.
    pub url: String,
    /// Header name/value pairs (includes the bearer token: never print them).
    pub headers: Vec<(String, String)>,
    /// Body bytes (JSON text, or multipart for document upload).
    pub body: Option<Vec<u8>>,
}

// Written by hand so that no `{:?}` anywhere can print the token.
impl fmt::Debug for HttpRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let headers: Vec<(&str, &str)> = self
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), if k.eq_ignore_ascii_case("authorization") { "[redacted]" } else { v.as_str() }))
            .collect();
        f.debug_struct("HttpRequest")
            .field("method", &self.method)
            .field("url", &self.url)
            .field("headers", &headers)
            .field("body_len", &self.body.as_ref().map(Vec::len))
            .finish()
    }
}

/// What came back.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct HttpResponse {
    /// Status code.
    pub status: u16,
    /// Header name/value pairs (names compared case-insensitively).
    pub headers: Vec<(String, String)>,
    /// Body text.
    pub body: String,
}

impl HttpResponse {
    /// A header value, looked up case-insensitively.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }
}
