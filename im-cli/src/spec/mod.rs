//! `im spec`: work on the spec itself. Export it as OpenAPI 3.1, compare an
//! OpenAPI document with it (and write what it lacks), diff two versions of
//! it, and lint it with the validation the build runs.
//!
//! Exit codes: 0 clean; 1 problems, differences or breaking changes found;
//! 2 invalid input (unreadable files, a spec that does not load).

mod diff;
mod export;
mod import;
mod lint;
mod openapi;
mod tree;
mod write;

use std::path::{Path, PathBuf};

use clap::Subcommand;
use im_codegen::{Source, Spec};

use crate::{invalid, Exit};

/// Exit 1: problems, differences or breaking changes were found.
const FOUND: Exit = Exit::ServerFailure;

#[derive(Debug, Subcommand)]
pub enum SpecCommand {
    /// Write the spec as an OpenAPI 3.1 document (JSON; YAML when FILE ends in .yaml or .yml)
    Export {
        /// Where to write it (default: stdout)
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Spec directory [env: IM_SPEC_DIR] [default: specs]
        #[arg(long, value_name = "DIR")]
        spec: Option<PathBuf>,
    },
    /// Compare an OpenAPI 3.0/3.1 document (YAML or JSON) with the spec, per endpoint; exit 1 on differences
    Import {
        /// The OpenAPI document
        file: PathBuf,
        /// Write entries for what the spec lacks into a new file of the spec directory
        #[arg(long)]
        write: bool,
        /// Compare types, limits and enum values exactly (the default for documents written by `im spec export`)
        #[arg(long)]
        exact: bool,
        /// Spec directory [env: IM_SPEC_DIR] [default: specs]
        #[arg(long, value_name = "DIR")]
        spec: Option<PathBuf>,
    },
    /// The API change from OLD to NEW (spec directories or git revisions) as Markdown; exit 1 when breaking
    Diff {
        /// The old spec: a directory, or a git revision (its `specs/` files)
        old: String,
        /// The new spec: a directory, or a git revision
        new: String,
        /// The spec directory inside the repository, for git revisions [default: specs]
        #[arg(long, value_name = "DIR")]
        spec: Option<PathBuf>,
    },
    /// Check the spec files as the build does; every problem with file:line:col; exit 1 with problems
    Lint {
        /// Spec directory or file [env: IM_SPEC_DIR] [default: specs]
        dir: Option<PathBuf>,
        /// An extension crate's spec: resolve types and error codes against im-api's
        #[arg(long)]
        ext: bool,
    },
}

pub fn run(cmd: SpecCommand) -> Exit {
    match cmd {
        SpecCommand::Export { out, spec } => export_to(&spec_dir(spec), out.as_deref()),
        SpecCommand::Import {
            file,
            write,
            exact,
            spec,
        } => import::run(&file, &spec_dir(spec), write, exact),
        SpecCommand::Diff { old, new, spec } => {
            let dir = spec.unwrap_or_else(|| PathBuf::from("specs"));
            diff::run(&old, &new, &dir)
        }
        SpecCommand::Lint { dir, ext } => lint::run(&spec_dir(dir), ext),
    }
}

/// The spec directory: as given, else `IM_SPEC_DIR`, else `specs`.
fn spec_dir(given: Option<PathBuf>) -> PathBuf {
    given
        .or_else(|| {
            std::env::var_os("IM_SPEC_DIR")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
        })
        .unwrap_or_else(|| PathBuf::from("specs"))
}

/// The `.toml` files of a directory, sorted by name (or the one file), as
/// the build reads them; each named by its path.
pub fn read_sources(path: &Path) -> Result<Vec<Source>, String> {
    let mut files = Vec::new();
    if path.is_dir() {
        let entries = std::fs::read_dir(path)
            .map_err(|e| format!("cannot read spec directory {}: {e}", path.display()))?;
        for entry in entries {
            let p = entry
                .map_err(|e| format!("cannot read spec directory {}: {e}", path.display()))?
                .path();
            if p.extension().is_some_and(|x| x == "toml") {
                files.push(p);
            }
        }
        files.sort();
        if files.is_empty() {
            return Err(format!("no .toml spec files in {}", path.display()));
        }
    } else if path.is_file() {
        files.push(path.to_path_buf());
    } else {
        return Err(format!("spec path {} does not exist", path.display()));
    }
    files
        .iter()
        .map(|p| {
            let text = std::fs::read_to_string(p)
                .map_err(|e| format!("cannot read {}: {e}", p.display()))?;
            Ok(Source {
                name: p.display().to_string(),
                text,
            })
        })
        .collect()
}

/// Load and check `sources` as the build does.
pub fn load(sources: &[Source], what: &str) -> Result<Spec, String> {
    im_codegen::load(sources, &[]).map_err(|d| {
        format!(
            "the spec in {what} does not check out ({} problem(s); run `im spec lint`):\n{d}",
            d.len()
        )
    })
}

/// Read and load the spec directory `dir`.
pub fn load_dir(dir: &Path) -> Result<Spec, String> {
    let sources = read_sources(dir)?;
    load(&sources, &dir.display().to_string())
}

fn export_to(dir: &Path, out: Option<&Path>) -> Exit {
    let spec = match load_dir(dir) {
        Ok(s) => s,
        Err(e) => return invalid(e),
    };
    let doc = export::document(&spec);
    let yaml = out.is_some_and(|p| p.extension().is_some_and(|x| x == "yaml" || x == "yml"));
    let text = if yaml {
        match serde_yaml_ng::to_string(&doc) {
            Ok(t) => t,
            Err(e) => return invalid(format!("cannot write YAML: {e}")),
        }
    } else {
        match serde_json::to_string_pretty(&doc) {
            Ok(t) => t + "\n",
            Err(e) => return invalid(format!("cannot write JSON: {e}")),
        }
    };
    match out {
        Some(path) => match std::fs::write(path, text) {
            Ok(()) => {
                errln!(
                    "wrote {}: {} endpoints, {} callbacks, {} types",
                    path.display(),
                    spec.endpoints.len(),
                    spec.callbacks.len(),
                    spec.types.len()
                );
                Exit::Ok
            }
            Err(e) => invalid(format!("cannot write {}: {e}", path.display())),
        },
        None => {
            outln!("{}", text.trim_end());
            Exit::Ok
        }
    }
}
