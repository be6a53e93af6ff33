//! When to try a provider call again, and how long to wait first.
//!
//! Only retryable errors (rate limited, timeout, server, unavailable) are retried, at most
//! [`RetryPolicy::max_retries`] times, with exponential backoff; a `Retry-After` from the provider replaces the
//! backoff, and one longer than [`RetryPolicy::max_retry_after`] fails the call at once (waiting minutes inside
//! a run helps nobody). A call that already streamed text is never retried, so no text is shown twice.

use std::future::Future;
use std::time::{Duration, SystemTime};

use tokio_util::sync::CancellationToken;

use super::cancel::cancellable_sleep;
use super::error::ProviderError;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    pub max_retries: u32,
    /// The first backoff; each retry doubles it.
    pub base: Duration,
    /// The longest backoff.
    pub cap: Duration,
    /// The longest `Retry-After` worth waiting for.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_retries: 3,
            base: Duration::from_millis(500),
            cap: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The default policy with a different first backoff (the cap scales with it), for tests and operators.
    pub fn with_base(base: Duration) -> Self {
        let default = Self::default();
        Self {
            base,
            cap: base.saturating_mul(16),
            ..default
        }
    }

    /// The backoff before retry number `retry` (1-based), without a Retry-After.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// How long to wait before retry number `retry` after `error`, or `None` when the call must fail now.
    pub fn delay(&self, retry: u32, error: &ProviderError) -> Option<Duration> {
        if !error.retryable() || retry > self.max_retries {
            return None;
        }
        match error {
            ProviderError::RateLimited {
                retry_after: Some(after),
                ..
            } => (*after <= self.max_retry_after).then_some(*after),
            _ => Some(self.backoff(retry)),
        }
    }
}

/// Why one attempt failed, and whether it already streamed text (then it must not be retried).
#[derive(Debug)]
pub struct AttemptError {
    pub error: ProviderError,
    pub streamed: bool,
}

/// The end of a retried call: its result and how many retries were made (also when it failed).
#[derive(Debug)]
pub struct Retried<T> {
    pub result: Result<T, ProviderError>,
    pub retries: u32,
}

/// Runs `attempt` until it succeeds, fails for good, or `cancel` fires (also during a backoff).
/// A final error says in its message how many retries it took.
pub async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    cancel: &CancellationToken,
    mut attempt: F,
) -> Retried<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, AttemptError>>,
{
    let mut retries = 0u32;
    let end = |result, retries| Retried { result, retries };
    loop {
        if cancel.is_cancelled() {
            return end(Err(ProviderError::Cancelled), retries);
        }
        let failure = match attempt().await {
            Ok(value) => return end(Ok(value), retries),
            Err(failure) => failure,
        };
        let delay = if failure.streamed {
            None
        } else {
            policy.delay(retries + 1, &failure.error)
        };
        let Some(delay) = delay else {
            return end(Err(gave_up(failure.error, retries, policy)), retries);
        };
        tracing::info!(
            code = failure.error.code(),
            retry = retries + 1,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            "provider call failed; retrying"
        );
        if let Err(e) = cancellable_sleep(delay, cancel).await {
            return end(Err(e), retries);
        }
        retries += 1;
    }
}

/// Says in the message how many retries were made, or why none was.
fn gave_up(error: ProviderError, retries: u32, policy: &RetryPolicy) -> ProviderError {
    let note = match &error {
        ProviderError::RateLimited {
            retry_after: Some(after),
            ..
        } if *after > policy.max_retry_after => Some(format!(
            "the provider asked to wait {} s, longer than the {} s limit",
            after.as_secs(),
            policy.max_retry_after.as_secs()
        )),
        _ if retries > 0 => Some(format!(
            "gave up after {retries} retr{}",
            if retries == 1 { "y" } else { "ies" }
        )),
        _ => None,
    };
    let Some(note) = note else { return error };
    let extend = |m: String| format!("{m} ({note})");
    match error {
        ProviderError::RateLimited {
            message,
            retry_after,
        } => ProviderError::RateLimited {
            message: extend(message),
            retry_after,
        },
        ProviderError::Timeout { message } => ProviderError::Timeout {
            message: extend(message),
        },
        ProviderError::Server { message } => ProviderError::Server {
            message: extend(message),
        },
        ProviderError::Unavailable { message } => ProviderError::Unavailable {
            message: extend(message),
        },
        other @ (ProviderError::Auth { .. }
        | ProviderError::InvalidRequest { .. }
        | ProviderError::Protocol { .. }
        | ProviderError::NotConfigured { .. }
        | ProviderError::Cancelled) => other,
    }
}

/// Parses a `Retry-After` header: delay seconds or an HTTP date (a date in the past means now).
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let value = value.trim();
    if let Ok(secs) = value.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    if let Ok(secs) = value.parse::<f64>()
        && secs.is_finite()
        && secs >= 0.0
    {
        return Some(Duration::from_secs_f64(secs.min(86_400.0)));
    }
    let at = httpdate::parse_http_date(value).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn server() -> ProviderError {
        ProviderError::Server {
            message: "HTTP 500".into(),
        }
    }

    #[test]
    fn backoff_doubles_and_caps() {
        let p = RetryPolicy::default();
        let got: Vec<u64> = (1..=6).map(|r| p.backoff(r).as_millis() as u64).collect();
        assert_eq!(got, vec![500, 1000, 2000, 4000, 8000, 8000]);
        assert_eq!(p.backoff(200), Duration::from_secs(8));
    }

    #[test]
    fn only_retryable_errors_within_the_budget() {
        let p = RetryPolicy::default();
        assert_eq!(p.delay(1, &server()), Some(Duration::from_millis(500)));
        assert_eq!(p.delay(3, &server()), Some(Duration::from_secs(2)));
        assert_eq!(p.delay(4, &server()), None);
        for e in [
            ProviderError::Auth {
                message: String::new(),
            },
            ProviderError::InvalidRequest {
                message: String::new(),
            },
            ProviderError::Protocol {
                message: String::new(),
            },
            ProviderError::Cancelled,
        ] {
            assert_eq!(p.delay(1, &e), None, "{e:?}");
        }
    }

    #[test]
    fn retry_after_replaces_backoff_and_long_ones_fail_now() {
        let p = RetryPolicy::default();
        let limited = |s| ProviderError::RateLimited {
            message: String::new(),
            retry_after: Some(Duration::from_secs(s)),
        };
        assert_eq!(p.delay(1, &limited(7)), Some(Duration::from_secs(7)));
        assert_eq!(p.delay(1, &limited(60)), Some(Duration::from_secs(60)));
        assert_eq!(p.delay(1, &limited(61)), None);
        let no_header = ProviderError::RateLimited {
            message: String::new(),
            retry_after: None,
        };
        assert_eq!(p.delay(2, &no_header), Some(Duration::from_secs(1)));
    }

    #[test]
    fn retry_after_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777); // Sun, 06 Nov 1994 08:49:37 GMT
        assert_eq!(parse_retry_after("3", now), Some(Duration::from_secs(3)));
        assert_eq!(parse_retry_after(" 0 ", now), Some(Duration::ZERO));
        assert_eq!(
            parse_retry_after("1.5", now),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:47 GMT", now),
            Some(Duration::from_secs(10))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 1994 08:49:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(parse_retry_after("-4", now), None);
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn retries_until_the_budget_is_spent() {
        let policy = RetryPolicy::with_base(Duration::from_millis(1));
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let result: Retried<()> = runtime().block_on(with_retries(
            &policy,
            &CancellationToken::new(),
            move || {
                c.fetch_add(1, Ordering::SeqCst);
                async {
                    Err(AttemptError {
                        error: server(),
                        streamed: false,
                    })
                }
            },
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert_eq!(result.retries, 3);
        let err = result.result.unwrap_err();
        assert_eq!(err.code(), "server");
        assert_eq!(err.to_string(), "HTTP 500 (gave up after 3 retries)");
    }

    #[test]
    fn success_after_retries_counts_them() {
        let policy = RetryPolicy::with_base(Duration::from_millis(1));
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let result = runtime().block_on(with_retries(
            &policy,
            &CancellationToken::new(),
            move || {
                let n = c.fetch_add(1, Ordering::SeqCst);
                async move {
                    if n < 2 {
                        Err(AttemptError {
                            error: ProviderError::Timeout {
                                message: "slow".into(),
                            },
                            streamed: false,
                        })
                    } else {
                        Ok("answer")
                    }
                }
            },
        ));
        assert_eq!((result.result.unwrap(), result.retries), ("answer", 2));
    }

    #[test]
    fn streamed_text_is_never_retried() {
        let policy = RetryPolicy::with_base(Duration::from_millis(1));
        let calls = Arc::new(AtomicU32::new(0));
        let c = calls.clone();
        let result: Retried<()> = runtime().block_on(with_retries(
            &policy,
            &CancellationToken::new(),
            move || {
                c.fetch_add(1, Ordering::SeqCst);
                async {
                    Err(AttemptError {
                        error: server(),
                        streamed: true,
                    })
                }
            },
        ));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        assert_eq!(result.result.unwrap_err(), server());
    }

    #[test]
    fn cancel_stops_a_backoff_promptly() {
        let policy = RetryPolicy::with_base(Duration::from_secs(30));
        let cancel = CancellationToken::new();
        let started = std::time::Instant::now();
        let result: Retried<()> = runtime().block_on(async {
            let c = cancel.clone();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(20)).await;
                c.cancel();
            });
            with_retries(&policy, &cancel, || async {
                Err(AttemptError {
                    error: server(),
                    streamed: false,
                })
            })
            .await
        });
        assert_eq!(result.result.unwrap_err(), ProviderError::Cancelled);
        assert!(started.elapsed() < Duration::from_secs(10));
    }
}
