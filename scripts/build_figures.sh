#!/usr/bin/env bash
# Build-time figures for im-api, measured in one run (compare the ratios: the
# machines are shared and noisy). Uses its own target directory so your build
# cache is untouched, and restores the spec file it edits.
# Usage: scripts/build_figures.sh
set -euo pipefail
cd "$(dirname "$0")/.."
T=${FIGURES_TARGET:-/tmp/im-figures-target}
export CARGO_TARGET_DIR="$T"
SPEC=specs/group_message.toml
cp "$SPEC" "$T.spec.bak" 2>/dev/null || { mkdir -p "$(dirname "$T")"; cp "$SPEC" "$T.spec.bak"; }
trap 'cp "$T.spec.bak" "$SPEC"' EXIT
now() { date +%s.%N; }
secs() { local s; s=$(now); "$@" >/dev/null 2>&1; awk -v a="$s" -v b="$(now)" 'BEGIN { printf "%.2f", b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }

rm -rf "$T"
cold=$(secs cargo build -p im-api)
cargo clean -p im-api -p im-macros -p im-codegen >/dev/null 2>&1
ours=$(secs cargo build -p im-api)
touch im-api/src/lib.rs
touch_lib=$(secs cargo build -p im-api)
# A real spec change: one more optional request field.
sed -i 's|  { wire = "TopicId", type = "string", doc = "Community topic. Source: SDKs." },|&\n  { wire = "FigureField", type = "string", doc = "Added by scripts/build_figures.sh." },|' "$SPEC"
edit_spec=$(secs cargo build -p im-api)
cp "$T.spec.bak" "$SPEC"
restore=$(secs cargo build -p im-api)
cargo check -p im-api >/dev/null 2>&1
touch im-api/src/lib.rs
check=$(secs cargo check -p im-api)

# The same for a crate that only sends messages: two API families.
SUBSET="rustls,c2c-message,group-message"
sub() { cargo build -p im-api --no-default-features --features "$SUBSET"; }
rm -rf "$T"
cold_sub=$(secs sub)
cargo clean -p im-api -p im-macros -p im-codegen >/dev/null 2>&1
ours_sub=$(secs sub)
sed -i 's|  { wire = "TopicId", type = "string", doc = "Community topic. Source: SDKs." },|&\n  { wire = "FigureField", type = "string", doc = "Added by scripts/build_figures.sh." },|' "$SPEC"
edit_sub=$(secs sub)
cp "$T.spec.bak" "$SPEC"

echo "im-api build times (dev profile, one run on this machine):"
echo "  cold, with all dependencies:            ${cold} s"
echo "  im-codegen + im-macros + im-api only:   ${ours} s   ($(ratio "$ours" "$cold") of cold)"
echo "  incremental, touch im-api/src/lib.rs:   ${touch_lib} s   ($(ratio "$touch_lib" "$cold") of cold)"
echo "  incremental, add a field to a spec:     ${edit_spec} s   ($(ratio "$edit_spec" "$cold") of cold)"
echo "  incremental, revert that spec edit:     ${restore} s"
echo "  cargo check, touch im-api/src/lib.rs:   ${check} s"
echo "only the families c2c-message and group-message (features $SUBSET, no default):"
echo "  cold, with all dependencies:            ${cold_sub} s   ($(ratio "$cold_sub" "$cold") of all families)"
echo "  im-codegen + im-macros + im-api only:   ${ours_sub} s   ($(ratio "$ours_sub" "$ours") of all families)"
echo "  incremental, add a field to a spec:     ${edit_sub} s   ($(ratio "$edit_sub" "$edit_spec") of all families)"
cargo run -q -p im-codegen --example expand_time -- specs 30
