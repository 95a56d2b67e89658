//! When to retry a rate-limited request, and how long to wait.
//!
//! The product answers 429 (sometimes 503) when one of its rate limits is hit, with
//! `Retry-After` (seconds or an HTTP date) and `X-RateLimit-Reset` (an ISO timestamp) when it
//! knows better than a guess. Retrying earlier fails again, so a hint always wins; without one
//! the schedule is exponential (backon's) with full jitter, so that many instances hitting one
//! limit spread out rather than retrying in lockstep.

use crate::config::RetryPolicy;
use backon::{BackoffBuilder, ExponentialBuilder};
use rand::Rng;
use std::time::{Duration, SystemTime};
use warp::http::{HeaderMap, Method, StatusCode};

/// A rate-limited answer: what the product said about retrying.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RateLimited {
    /// When to retry, from `Retry-After` or `X-RateLimit-Reset`.
    pub(crate) retry_after: Option<Duration>,
    /// `RateLimit-Reason`, e.g. `jira-burst-based`.
    pub(crate) reason: Option<String>,
}

impl RateLimited {
    /// The rate limit of an answer: any 429, and a 503 that says when to retry.
    pub(crate) fn of(status: StatusCode, headers: &HeaderMap, now: SystemTime) -> Option<Self> {
        let retry_after = retry_after(headers, now);
        let limited = status == StatusCode::TOO_MANY_REQUESTS
            || (status == StatusCode::SERVICE_UNAVAILABLE && retry_after.is_some());
        limited.then(|| RateLimited {
            retry_after,
            reason: header(headers, "ratelimit-reason").map(|reason| {
                // A header value is the product's, but keep it printable and short for logs.
                reason
                    .chars()
                    .filter(|c| c.is_ascii_graphic())
                    .take(64)
                    .collect()
            }),
        })
    }
}

/// Whether a request may be sent twice: GET, HEAD, PUT, DELETE, OPTIONS, or any request the
/// caller marked idempotent.
pub(crate) fn safe_to_repeat(method: &Method, marked_idempotent: bool) -> bool {
    marked_idempotent
        || matches!(
            *method,
            Method::GET | Method::HEAD | Method::PUT | Method::DELETE | Method::OPTIONS
        )
}

/// The waits between attempts of one request.
pub(crate) struct Schedule {
    backoff: backon::ExponentialBackoff,
    max_total_wait: Duration,
    waited: Duration,
    attempts: u32,
}

impl Schedule {
    pub(crate) fn new(policy: &RetryPolicy) -> Self {
        let backoff = ExponentialBuilder::new()
            .with_min_delay(policy.base_delay)
            .with_max_delay(policy.max_delay)
            .with_factor(2.0)
            .with_max_times(policy.max_attempts.saturating_sub(1) as usize)
            .build();
        Self {
            backoff,
            max_total_wait: policy.max_total_wait,
            waited: Duration::ZERO,
            attempts: 1,
        }
    }

    /// Attempts made so far.
    pub(crate) fn attempts(&self) -> u32 {
        self.attempts
    }

    /// How long to wait before the next attempt, or `None` when the attempts or the total wait
    /// are used up. The product's hint wins over the backoff step.
    pub(crate) fn next_wait(&mut self, hint: Option<Duration>) -> Option<Duration> {
        let step = self.backoff.next()?;
        let wait = hint.unwrap_or_else(|| full_jitter(step));
        let waited = self.waited.checked_add(wait)?;
        if waited > self.max_total_wait {
            return None;
        }
        self.waited = waited;
        self.attempts += 1;
        Some(wait)
    }
}

/// A uniformly random wait in `[0, step]` ("full jitter").
fn full_jitter(step: Duration) -> Duration {
    let millis = u64::try_from(step.as_millis()).unwrap_or(u64::MAX);
    Duration::from_millis(rand::thread_rng().gen_range(0..=millis))
}

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name)?.to_str().ok().map(str::trim)
}

/// `Retry-After` (delta seconds or HTTP date), else `X-RateLimit-Reset` (RFC 3339), as a wait
/// from `now`. A time in the past means "now".
fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    if let Some(value) = header(headers, "retry-after") {
        if let Ok(seconds) = value.parse::<u64>() {
            return Some(Duration::from_secs(seconds));
        }
        if let Ok(at) = httpdate::parse_http_date(value) {
            return Some(at.duration_since(now).unwrap_or_default());
        }
    }
    let reset = header(headers, "x-ratelimit-reset")?;
    let at =
        time::OffsetDateTime::parse(reset, &time::format_description::well_known::Rfc3339).ok()?;
    let at = SystemTime::from(at);
    Some(at.duration_since(now).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use warp::http::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    #[test]
    fn hints_are_read_from_retry_after_or_the_reset_time() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_700_000_000);
        let limited = RateLimited::of(
            StatusCode::TOO_MANY_REQUESTS,
            &headers(&[
                ("retry-after", "3"),
                ("ratelimit-reason", "jira-burst-based"),
            ]),
            now,
        )
        .unwrap();
        assert_eq!(limited.retry_after, Some(Duration::from_secs(3)));
        assert_eq!(limited.reason.as_deref(), Some("jira-burst-based"));

        let date = httpdate::fmt_http_date(now + Duration::from_secs(5));
        let limited = RateLimited::of(
            StatusCode::TOO_MANY_REQUESTS,
            &headers(&[("retry-after", &date)]),
            now,
        )
        .unwrap();
        assert_eq!(limited.retry_after, Some(Duration::from_secs(5)));

        // 2023-11-14T22:13:20Z is `now`; the reset is 7 s later.
        let limited = RateLimited::of(
            StatusCode::TOO_MANY_REQUESTS,
            &headers(&[("x-ratelimit-reset", "2023-11-14T22:13:27Z")]),
            now,
        )
        .unwrap();
        assert_eq!(limited.retry_after, Some(Duration::from_secs(7)));

        let limited = RateLimited::of(StatusCode::TOO_MANY_REQUESTS, &headers(&[]), now).unwrap();
        assert_eq!(limited.retry_after, None);
    }

    #[test]
    fn a_503_is_a_rate_limit_only_with_a_hint() {
        let now = SystemTime::now();
        assert!(RateLimited::of(StatusCode::SERVICE_UNAVAILABLE, &headers(&[]), now).is_none());
        assert!(
            RateLimited::of(
                StatusCode::SERVICE_UNAVAILABLE,
                &headers(&[("retry-after", "1")]),
                now
            )
            .is_some()
        );
        assert!(RateLimited::of(StatusCode::OK, &headers(&[("retry-after", "1")]), now).is_none());
    }

    #[test]
    fn backoff_is_bounded_in_attempts_and_total_wait() {
        let policy = RetryPolicy {
            max_attempts: 4,
            max_total_wait: Duration::from_secs(60),
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(250),
        };
        let mut schedule = Schedule::new(&policy);
        let waits: Vec<Duration> = std::iter::from_fn(|| schedule.next_wait(None)).collect();
        assert_eq!(waits.len(), 3, "4 attempts = 3 waits");
        assert!(
            waits.iter().all(|w| *w <= Duration::from_millis(250)),
            "{waits:?}"
        );
        assert_eq!(schedule.attempts(), 4);

        let mut schedule = Schedule::new(&RetryPolicy {
            max_total_wait: Duration::from_secs(2),
            ..policy
        });
        assert_eq!(
            schedule.next_wait(Some(Duration::from_secs(1))),
            Some(Duration::from_secs(1))
        );
        assert_eq!(
            schedule.next_wait(Some(Duration::from_secs(2))),
            None,
            "over the budget"
        );
    }

    #[test]
    fn only_requests_safe_to_repeat_are_retried() {
        assert!(safe_to_repeat(&Method::GET, false));
        assert!(safe_to_repeat(&Method::PUT, false));
        assert!(safe_to_repeat(&Method::DELETE, false));
        assert!(!safe_to_repeat(&Method::POST, false));
        assert!(!safe_to_repeat(&Method::PATCH, false));
        assert!(safe_to_repeat(&Method::POST, true));
    }
}
