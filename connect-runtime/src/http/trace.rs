//! [`B3`]: the trace ids Forge sends with an invocation (`x-b3-traceid`, `x-b3-spanid`), kept
//! only when they are what B3 says they are (16 or 32 lower-case hex digits for the trace, 16
//! for the span), so that nothing else from the request reaches a log line or a header.

use std::fmt;

/// A B3 trace id and span id.
#[derive(Clone, PartialEq, Eq)]
pub struct B3 {
    trace_id: String,
    span_id: String,
}

fn hex(text: &str, lengths: &[usize]) -> bool {
    lengths.contains(&text.len())
        && text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl B3 {
    /// The ids of `trace` and `span`, when both are well-formed.
    pub fn parse(trace: Option<&str>, span: Option<&str>) -> Option<Self> {
        let (trace, span) = (trace?.trim(), span?.trim());
        (hex(trace, &[16, 32]) && hex(span, &[16])).then(|| Self {
            trace_id: trace.to_owned(),
            span_id: span.to_owned(),
        })
    }

    /// `x-b3-traceid`.
    pub fn trace_id(&self) -> &str {
        &self.trace_id
    }

    /// `x-b3-spanid`.
    pub fn span_id(&self) -> &str {
        &self.span_id
    }
}

impl fmt::Debug for B3 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.trace_id, self.span_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_hex_ids_of_b3_lengths_are_kept() {
        let trace = "463ac35c9f6413ad48485a3953bb6124";
        let span = "a2fb4a1d1a96d312";
        assert!(B3::parse(Some(trace), Some(span)).is_some());
        assert!(B3::parse(Some(&trace[..16]), Some(span)).is_some());
        for (t, s) in [
            (Some("463AC35C9F6413AD"), Some(span)),
            (Some("x63ac35c9f6413ad"), Some(span)),
            (
                Some("463ac35c9f6413ad\n"),
                Some("a2fb4a1d1a96d312\u{1b}[2J"),
            ),
            (Some(trace), None),
            (None, Some(span)),
        ] {
            assert!(B3::parse(t, s).is_none(), "{t:?} {s:?}");
        }
    }
}
