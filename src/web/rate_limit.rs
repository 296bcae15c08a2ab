//! exporter-toolkit's `rate_limit`: one token bucket for the whole server, holding `burst`
//! requests and refilled with one every `interval`; a request finding it empty gets a 429.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::settings::RateLimit;

#[derive(Debug)]
pub struct RateLimiter {
    interval: Duration,
    burst: u32,
    /// Tokens left, and the instant from which the next token is counted.
    state: Mutex<(u32, Instant)>,
}

impl RateLimiter {
    /// A full bucket, as Go's limiter starts.
    pub fn new(limit: RateLimit) -> RateLimiter {
        RateLimiter::starting_at(limit, Instant::now())
    }

    pub fn starting_at(limit: RateLimit, now: Instant) -> RateLimiter {
        RateLimiter {
            interval: limit.interval.max(Duration::from_nanos(1)),
            burst: limit.burst,
            state: Mutex::new((limit.burst, now)),
        }
    }

    /// Takes a token if there is one.
    pub fn allow(&self) -> bool {
        self.allow_at(Instant::now())
    }

    pub fn allow_at(&self, now: Instant) -> bool {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let (tokens, since) = &mut *state;
        let refills = now.saturating_duration_since(*since).as_nanos() / self.interval.as_nanos();
        if refills > 0 {
            let refills = u32::try_from(refills).unwrap_or(u32::MAX);
            *tokens = tokens.saturating_add(refills).min(self.burst);
            *since = match self.interval.checked_mul(refills) {
                Some(d) if *tokens < self.burst => *since + d,
                _ => now,
            };
        }
        if *tokens == 0 {
            return false;
        }
        *tokens -= 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_then_one_request_per_interval() {
        let t0 = Instant::now();
        let limit = RateLimit {
            interval: Duration::from_secs(1),
            burst: 2,
        };
        let r = RateLimiter::starting_at(limit, t0);
        let at = |ms: u64| t0 + Duration::from_millis(ms);
        // (instant in ms, allowed)
        let rows = [
            (0, true),
            (0, true),
            (10, false),
            (999, false),
            (1000, true),
            (1500, false),
            (2000, true),
            (2100, false),
            // a long pause refills to the burst, no more
            (60_000, true),
            (60_000, true),
            (60_000, false),
        ];
        for (ms, want) in rows {
            assert_eq!(r.allow_at(at(ms)), want, "at {ms} ms");
        }
    }
}
