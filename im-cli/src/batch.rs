//! `im batch-send`: one message to every account in a file, through the
//! fan-out helper (at most 500 per request, within the rate limit).

use std::path::Path;

use im_api::api::batchsendmsg;
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
    let client = match g.client() {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    let mut template = batchsendmsg::Request::new(Vec::<String>::new(), body);
    if let Some(f) = from {
        template = template.from_account(f);
    }
    let bar = ProgressBar::new(accounts.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} accounts, {msg} [{elapsed_precise}]")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = bar.clone();
    let report = client
        .fan_out(template, accounts)
        .on_progress(move |p| {
            progress.set_position(p.items_done as u64);
            progress.set_message(format!(
                "{}/{} requests, {} failed",
                p.requests_done, p.requests_total, p.failed
            ));
        })
        .send()
        .await;
    bar.finish_and_clear();
    let report = match report {
        Ok(r) => r,
        Err(e) => return invalid(e),
    };
    println!(
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
    println!("failed {}:", report.failed.len());
    for f in &report.failed {
        let code = f.code.map_or_else(|| "-".to_owned(), |c| c.to_string());
        println!("  {}\t{}\t{}", f.item, code, f.reason);
    }
    Exit::ServerFailure
}
