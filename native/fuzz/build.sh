#!/usr/bin/env bash
# Builds the libFuzzer target for the frame parser with ASan and UBSan.
#   native/fuzz/build.sh                                    -> native/fuzz/parse_fuzz (or $FUZZ_OUT)
#   native/fuzz/parse_fuzz -max_total_time=60 native/fuzz/corpus   (new inputs go into the corpus dir;
#   use a scratch copy, e.g. native/fuzz/corpus-out/, to keep the committed seeds small)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
core="$here/../engine/core"
out="${FUZZ_OUT:-$here/parse_fuzz}"
# The sanitizer and libFuzzer runtimes are a separate Debian package from clang itself.
rt="$("${CXX:-clang++}" -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null || true)"
if [ "$(uname -m)" = x86_64 ] && [ ! -f "$rt" ]; then
  echo "build.sh: clang's libFuzzer/ASan runtimes are missing (libclang_rt.fuzzer-x86_64.a); apt-get install libclang-rt-dev" >&2
  exit 1
fi
"${CXX:-clang++}" -std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=fuzzer,address,undefined \
  -fno-sanitize-recover=undefined -I"$core" "$here/parse_fuzz.cc" "$core/parse.cc" -o "$out"
echo "built $out"
