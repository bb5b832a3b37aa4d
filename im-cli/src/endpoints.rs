//! `im endpoints`: every endpoint of the spec, whether the emulator emulates
//! it, and its documented rates.

use std::collections::HashSet;

use crate::Exit;

pub fn run() -> Exit {
    let emulated: HashSet<&str> = im_api::emulator::emulated_endpoints().into_iter().collect();
    outln!(
        "{:<55} {:<8} {:>6}  {}",
        "ENDPOINT",
        "EMULATED",
        "RATE",
        "SUMMARY"
    );
    for e in im_api::ENDPOINTS {
        // Stop once a closed stdout took no more.
        if !crate::out::stdout_open() {
            break;
        }
        let name = e.service_command();
        let emulates = if emulated.contains(name.as_str()) {
            "yes"
        } else {
            "no"
        };
        let rate = e
            .per_second
            .map_or_else(|| "-".to_owned(), |r| format!("{r}/s"));
        let group = e
            .per_group_per_second
            .map(|r| format!(", {r}/s per group"))
            .unwrap_or_default();
        let aliases = if e.aliases.is_empty() {
            String::new()
        } else {
            format!(" (also {})", e.aliases.join(", "))
        };
        outln!(
            "{name:<55} {emulates:<8} {rate:>6}{group}  {}{aliases}",
            e.summary
        );
    }
    Exit::Ok
}
