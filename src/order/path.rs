//! Names the field a typed parse failed on (`items[0].quantity`) from where serde_json stopped.
//!
//! Orders are parsed straight from their text into the typed model; a path-tracking deserializer would
//! double the parsing code in the Wasm module for the rare order that fails. Instead, serde_json's
//! error position is mapped back to the keys and indexes that lead to it, with a scan of the text up to
//! that point (the text is valid JSON: syntax errors are told apart before this runs).

use std::borrow::Cow;

enum Frame<'a> {
    Object { key: Option<Cow<'a, str>>, expect_key: bool },
    Array { index: usize },
}

/// Byte offset of serde_json's 1-based line and column in `text`.
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 { 0 } else { text.match_indices('\n').nth(line - 2).map_or(text.len(), |(i, _)| i + 1) };
    (line_start + column).min(text.len())
}

/// Index just past the string starting with the quote at `start`.
fn string_end(b: &[u8], start: usize) -> usize {
    let mut i = start + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return i + 1,
            _ => i += 1,
        }
    }
    b.len()
}

/// A key as written; escapes are decoded (rare in keys, so only then allocating).
fn key_text(raw: &str) -> Cow<'_, str> {
    if !raw.contains('\\') {
        return Cow::Borrowed(raw);
    }
    serde_json::from_str::<String>(&format!("\"{raw}\"")).map_or(Cow::Borrowed(raw), Cow::Owned)
}

/// The path of the value being read when a typed parse of `text` stopped at (`line`, `column`):
/// `items[0].quantity`, or `.` for the top level. serde_json reports the position just past what it
/// consumed: past a bad value (its key is the path), or past the `}` of an object missing a field
/// (the object is the path).
pub(crate) fn path_at(text: &str, line: usize, column: usize) -> String {
    let b = text.as_bytes();
    let end = offset_of(text, line, column);
    let mut stack: Vec<Frame<'_>> = Vec::new();
    let mut i = 0;
    while i < end {
        match b[i] {
            b'{' => stack.push(Frame::Object { key: None, expect_key: true }),
            b'[' => stack.push(Frame::Array { index: 0 }),
            b'}' | b']' => {
                stack.pop();
            }
            b',' => match stack.last_mut() {
                Some(Frame::Object { key, expect_key }) => {
                    *key = None;
                    *expect_key = true;
                }
                Some(Frame::Array { index }) => *index += 1,
                None => {}
            },
            b':' => {
                if let Some(Frame::Object { expect_key, .. }) = stack.last_mut() {
                    *expect_key = false;
                }
            }
            b'"' => {
                let close = string_end(b, i);
                if let Some(Frame::Object { key, expect_key: true }) = stack.last_mut() {
                    *key = Some(key_text(&text[i + 1..close.saturating_sub(1).max(i + 1)]));
                }
                i = close;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    let mut path = String::new();
    for frame in &stack {
        match frame {
            Frame::Object { key: Some(k), .. } => {
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
            }
            // An object whose member is not reached yet: the path ends at the object.
            Frame::Object { key: None, .. } => break,
            Frame::Array { index } => {
                path.push('[');
                path.push_str(&index.to_string());
                path.push(']');
            }
        }
    }
    if path.is_empty() { ".".to_string() } else { path }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::path_at;

    #[test]
    fn paths_at_positions() {
        let t = r#"{"id": 1, "items": [{"q": 1}, {"q": "two"}], "payment": {"total": "x"}}"#;
        let after = |needle: &str| t.find(needle).unwrap() + needle.len();
        // Past a bad value: its key. Past the closing brace of an object: that object.
        assert_eq!(path_at(t, 1, after(r#""two""#)), "items[1].q");
        assert_eq!(path_at(t, 1, after(r#""two"}"#)), "items[1]");
        assert_eq!(path_at(t, 1, after(r#""x""#)), "payment.total");
        assert_eq!(path_at(t, 1, after(r#""id": 1"#)), "id");
        assert_eq!(path_at(t, 1, t.len()), ".");
        // Before an object or array value: the key it belongs to.
        assert_eq!(path_at(t, 1, t.find(r#"{"total""#).unwrap()), "payment");
        let lines = "{\n  \"a\": {\n    \"b\": \"bad\"\n  }\n}";
        assert_eq!(path_at(lines, 3, "    \"b\": \"bad\"".len()), "a.b");
        assert_eq!(path_at(r#"{"we\"ird": 1}"#, 1, 13), "we\"ird");
    }
}
