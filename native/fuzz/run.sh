#!/usr/bin/env bash
# Fuzzes the frame parser for a fixed time (CI runs it on every push): builds the libFuzzer target
# with ASan + UBSan (build.sh), then mutates a scratch copy of the committed seed corpus, so new
# inputs never land in the repository. A crash, leak or undefined behaviour exits non-zero and leaves
# the reproducer (crash-*, leak-*) in the scratch directory, whose path is printed.
#   native/fuzz/run.sh            60 s
#   native/fuzz/run.sh 600        ten minutes
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
seconds="${1:-60}"
work="$(mktemp -d "${TMPDIR:-/tmp}/mcr-fuzz-XXXXXX")"
FUZZ_OUT="$work/parse_fuzz" "$here/build.sh"
mkdir "$work/corpus"
cp "$here"/corpus/* "$work/corpus/"
cd "$work"
if "$work/parse_fuzz" -max_total_time="$seconds" -max_len=9100 -print_final_stats=1 "$work/corpus" 2>"$work/fuzz.log"; then
  grep -E '^(Done|stat::number_of_executed_units|stat::new_units_added)' "$work/fuzz.log" || true
  echo "run.sh: no crash in ${seconds} s; corpus grew from $(ls "$here/corpus" | wc -l) to $(ls "$work/corpus" | wc -l) inputs"
  rm -rf "$work"
else
  tail -40 "$work/fuzz.log" >&2
  echo "run.sh: the fuzzer found a problem; reproducer and log in $work" >&2
  exit 1
fi
