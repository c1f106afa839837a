#!/usr/bin/env bash
# Builds the libFuzzer target for the frame parser with ASan and UBSan.
#   native/fuzz/build.sh                                    -> native/fuzz/parse_fuzz (or $FUZZ_OUT)
#   native/fuzz/parse_fuzz -max_total_time=60 native/fuzz/corpus   (new inputs go into the corpus dir;
#   use a scratch copy, e.g. native/fuzz/corpus-out/, to keep the committed seeds small)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
core="$here/../engine/core"
out="${FUZZ_OUT:-$here/parse_fuzz}"
"${CXX:-clang++}" -std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -I"$core" "$here/parse_fuzz.cc" "$core/parse.cc" -o "$out"
echo "built $out"
