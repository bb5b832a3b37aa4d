//! `im batch-send`: one message to every account in a file, through the
//! fan-out helper: at most 500 accounts per request, within every rate and
//! quota of batchsendmsg (calls per second, recipients per minute), with an
//! honest estimate of the time it takes. `--redis URL` (or `IM_REDIS_URL`)
//! shares the app's limits with every other run using the same Redis.

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use im_api::fanout::{FailureKind, Progress};
use im_api::limiter::{LimiterError, OnUnreachable, RedisLimiter};
use im_api::types::MsgElement;
use indicatif::{ProgressBar, ProgressStyle};

use crate::call::read_body;
use crate::config::Globals;
use crate::{invalid, Exit};

pub async fn run(
    g: &Globals,
    to_file: &Path,
    from: Option<String>,
    text: Option<String>,
    msg_body: Option<String>,
) -> Exit {
    let list = match std::fs::read_to_string(to_file) {
        Ok(s) => s,
        Err(e) => return invalid(format!("cannot read {}: {e}", to_file.display())),
    };
    let accounts: Vec<String> = list
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(str::to_owned)
        .collect();
    if accounts.is_empty() {
        return invalid(format!("{} lists no account", to_file.display()));
    }
    let body: Vec<MsgElement> = match (text, msg_body) {
        (Some(t), _) => vec![MsgElement::text(t)],
        (None, Some(m)) => {
            let raw = match read_body(Some(&m)) {
                Ok(b) => b,
                Err(e) => return invalid(e),
            };
            match serde_json::from_slice(&raw) {
                Ok(b) => b,
                Err(e) => return invalid(format!("--msg-body is not a MsgBody array: {e}")),
            }
        }
        (None, None) => return invalid("give --text or --msg-body"),
    };
    let mut builder = match g.builder() {
        Ok(b) => b,
        Err(e) => return invalid(e),
    };
    let fallback = match g.redis_fallback() {
        Ok(f) => f,
        Err(e) => return invalid(e),
    };
    let redis = match g.redis_url() {
        None => None,
        Some(url) => match shared_limiter(g, &url, fallback).await {
            Ok(l) => {
                builder = builder.rate_limiter(l.clone());
                Some(l)
            }
            Err(exit) => return exit,
        },
    };
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    let send = client.fan_out(accounts, body).with(|m| match from {
        Some(f) => m.from_account(f),
        None => m,
    });
    let plan = send.plan();
    if let Some(eta) = plan.eta.filter(|e| *e >= Duration::from_secs(5)) {
        errln!(
            "im: {} accounts in {} requests: about {} within batchsendmsg's rate and quotas",
            plan.items,
            plan.requests,
            human(eta)
        );
    }
    let shown = Arc::new(Mutex::new(Shown {
        requests_done: 0,
        requests_total: plan.requests,
        failed: 0,
        until: plan.eta.map(|e| Instant::now() + e),
    }));
    let bar = ProgressBar::new(plan.items as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} accounts, {msg} [{elapsed_precise}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message(lock(&shown).message());
    // The estimate counts down between completions (a call every few
    // seconds under the recipient quota).
    let ticker = {
        let (bar, shown) = (bar.clone(), shown.clone());
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(Duration::from_millis(500)).await;
                bar.set_message(lock(&shown).message());
            }
        })
    };
    let (progress, seen) = (bar.clone(), shown.clone());
    let report = send
        .on_progress(move |p: &Progress| {
            let message = {
                let mut s = lock(&seen);
                s.requests_done = p.requests_done;
                s.failed = p.failed;
                s.until = p.eta.map(|e| Instant::now() + e);
                s.message()
            };
            progress.set_position(p.items_done as u64);
            progress.set_message(message);
        })
        .send()
        .await;
    ticker.abort();
    bar.finish_and_clear();
    let report = match report {
        Ok(r) => r,
        Err(e) => return invalid(e),
    };
    if let Some(l) = &redis {
        if l.outages() > 0 {
            errln!(
                "im: Redis ({}) stopped answering during the run; {}",
                l.target(),
                match fallback {
                    Some(n) => format!("this run went on alone at 1/{n} of every limit meanwhile"),
                    None =>
                        "calls made meanwhile were not sent and are listed as failed".to_owned(),
                }
            );
        }
    }
    outln!(
        "delivered {} of {} accounts in {} requests{}",
        report.delivered,
        report.items,
        report.requests,
        if report.duplicates_skipped > 0 {
            format!(" ({} repeated lines skipped)", report.duplicates_skipped)
        } else {
            String::new()
        }
    );
    if report.is_complete() {
        return Exit::Ok;
    }
    outln!("failed {}:", report.failed.len());
    for f in &report.failed {
        if !crate::out::stdout_open() {
            break;
        }
        let code = f.code.map_or_else(|| "-".to_owned(), |c| c.to_string());
        outln!("  {}\t{}\t{}", f.item, code, f.reason);
    }
    // Accounts that got no answer at all (the server or the shared limiter
    // was unreachable) make it a transport failure: try them again later.
    match report
        .failed
        .iter()
        .find(|f| f.kind == FailureKind::Transport)
    {
        Some(f) => {
            errln!("im: {}", f.reason);
            Exit::Transport
        }
        None => Exit::ServerFailure,
    }
}

/// The Redis limiter for `--redis URL`, connected: fail closed (exit 3,
/// nothing sent) when Redis does not answer, unless `--redis-fallback N`.
async fn shared_limiter(
    g: &Globals,
    url: &str,
    fallback: Option<u32>,
) -> Result<Arc<RedisLimiter>, Exit> {
    let sdkappid = g.sdkappid().map_err(invalid)?;
    let mut limiter =
        RedisLimiter::new(url, sdkappid).map_err(|e| invalid(format!("--redis: {e}")))?;
    if let Some(processes) = fallback {
        limiter = limiter.on_unreachable(OnUnreachable::Local { processes });
    }
    if let Err(e) = limiter.connect().await {
        let reason = match e {
            LimiterError::Unavailable { reason, .. } => reason,
            other => other.to_string(),
        };
        match fallback {
            None => {
                errln!(
                    "im: Redis ({}) does not answer: {reason}; nothing was sent (give --redis-fallback N to go on alone at 1/N of every limit)",
                    limiter.target()
                );
                return Err(Exit::Transport);
            }
            Some(n) => errln!(
                "im: Redis ({}) does not answer: {reason}; going on alone at 1/{n} of every limit, after waiting out one window of each (up to a minute)",
                limiter.target()
            ),
        }
    }
    Ok(Arc::new(limiter))
}

/// What the progress bar says besides the counts.
struct Shown {
    requests_done: usize,
    requests_total: usize,
    failed: usize,
    /// When the last call should complete.
    until: Option<Instant>,
}

impl Shown {
    fn message(&self) -> String {
        let mut m = format!(
            "{}/{} requests, {} failed",
            self.requests_done, self.requests_total, self.failed
        );
        if let Some(until) = self.until {
            m.push_str(&format!(
                ", about {} left",
                human(until.saturating_duration_since(Instant::now()))
            ));
        }
        m
    }
}

fn lock(shown: &Mutex<Shown>) -> std::sync::MutexGuard<'_, Shown> {
    shown.lock().unwrap_or_else(|p| p.into_inner())
}

/// `5m 10s`, `42s`, `1h 2m`.
fn human(d: Duration) -> String {
    let s = d.as_secs() + u64::from(d.subsec_millis() >= 500);
    match s {
        0..=59 => format!("{s}s"),
        60..=3599 => format!("{}m {}s", s / 60, s % 60),
        _ => format!("{}h {}m", s / 3600, s % 3600 / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::human;
    use std::time::Duration;

    #[test]
    fn durations_read_like_a_person_would_say_them() {
        assert_eq!(human(Duration::from_millis(310_500)), "5m 11s");
        assert_eq!(human(Duration::from_secs(42)), "42s");
        assert_eq!(human(Duration::from_secs(3720)), "1h 2m");
    }
}
