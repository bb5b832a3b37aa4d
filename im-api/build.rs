// Rebuild im-api when a spec file is added to or removed from `specs/`:
// the macro tracks the files it read with include_bytes!, which cannot see
// files that did not exist yet. Cargo scans a watched directory for changes.
fn main() {
    println!("cargo:rerun-if-changed=../specs");
    println!("cargo:rerun-if-changed=build.rs");
}
