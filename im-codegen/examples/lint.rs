//! Check spec files without compiling anything: every problem with `file:line:col`.
//!
//! cargo run -p im-codegen --example lint -- specs

fn main() {
    let dirs: Vec<String> = std::env::args().skip(1).collect();
    if dirs.is_empty() {
        eprintln!("usage: lint SPEC_DIR_OR_FILE...");
        std::process::exit(2);
    }
    let mut sources = Vec::new();
    for d in &dirs {
        let p = std::path::Path::new(d);
        let mut files: Vec<_> = if p.is_dir() {
            std::fs::read_dir(p)
                .expect("readable directory")
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|x| x == "toml"))
                .collect()
        } else {
            vec![p.to_path_buf()]
        };
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f).expect("readable file");
            sources.push(im_codegen::Source {
                name: f.display().to_string(),
                text,
            });
        }
    }
    match im_codegen::load(&sources, &[]) {
        Ok(spec) => println!(
            "{} file(s): {} endpoints, {} callbacks, {} types, no problems",
            sources.len(),
            spec.endpoints.len(),
            spec.callbacks.len(),
            spec.types.len()
        ),
        Err(d) => {
            println!("{d}");
            println!("{} problem(s)", d.len());
            std::process::exit(1);
        }
    }
}
