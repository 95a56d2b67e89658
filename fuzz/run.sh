#!/usr/bin/env bash
# Fuzzes one target with libFuzzer on the stable toolchain (what `cargo fuzz run` does, without
# a sanitizer, which would need nightly):
#
#   fuzz/run.sh qsh|token|install_payload [SECONDS]      # default 600
#
# Findings (crashing inputs) land in fuzz/artifacts/TARGET/, the corpus in fuzz/corpus/TARGET/.
set -euo pipefail
cd "$(dirname "$0")"
target=${1:?usage: fuzz/run.sh qsh|token|install_payload [SECONDS]}
seconds=${2:-600}
export RUSTFLAGS="-Cpasses=sancov-module -Cllvm-args=-sanitizer-coverage-level=4 \
-Cllvm-args=-sanitizer-coverage-inline-8bit-counters -Cllvm-args=-sanitizer-coverage-pc-table \
-Cllvm-args=-sanitizer-coverage-trace-compares -Cdebug-assertions -Coverflow-checks --cfg fuzzing"
# An explicit --target keeps the instrumentation off build scripts and proc macros.
host=$(rustc -vV | sed -n 's/^host: //p')
cargo build --release --target "$host" --bin "$target"
mkdir -p "corpus/$target" "artifacts/$target"
exec "target/$host/release/$target" -max_total_time="$seconds" -print_final_stats=1 \
  -artifact_prefix="artifacts/$target/" "corpus/$target"
