//! Time the generator on a spec directory, in the same profile the proc
//! macro runs in (dev, im-codegen at opt-level 1): parse + validate + codegen,
//! which is all the macro does besides reading the files.
//!
//!     cargo run -p im-codegen --example expand_time -- specs [RUNS]

use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let dir = args.next().unwrap_or_else(|| "specs".into());
    let runs: usize = args.next().and_then(|r| r.parse().ok()).unwrap_or(30);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("spec dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let sources: Vec<im_codegen::Source> = files
        .iter()
        .map(|f| im_codegen::Source {
            name: f.display().to_string(),
            text: std::fs::read_to_string(f).expect("read"),
        })
        .collect();
    let opts = im_codegen::Options {
        mode: im_codegen::Mode::Internal,
    };
    let mut times = Vec::new();
    let mut tokens = 0;
    for _ in 0..runs {
        let t = Instant::now();
        let (ts, diags) = im_codegen::expand(&sources, &opts);
        assert!(diags.is_empty(), "{diags}");
        tokens = ts.to_string().len();
        times.push(t.elapsed());
    }
    times.sort();
    let median = times[times.len() / 2];
    let spec = im_codegen::load(&sources, &[]).expect("spec");
    println!(
        "expand {} ({} files, {} endpoints, {} shared types): median {:.2} ms over {runs} runs (min {:.2} ms), {} KB of tokens",
        dir,
        sources.len(),
        spec.endpoints.len(),
        spec.types.len(),
        ms(median),
        ms(times[0]),
        tokens / 1024
    );
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}
