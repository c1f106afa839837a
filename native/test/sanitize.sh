#!/usr/bin/env bash
# Builds the engine's C++ tests (native/test + native/engine/core, the sources of binding.gyp's
# mcr-engine-test) with clang under AddressSanitizer and UndefinedBehaviorSanitizer, in a build
# directory of their own, and runs them. Any ASan report (overflow, use after free, leak) or any
# undefined behaviour ends the run non-zero. Run as root: some cases build network namespaces.
#   native/test/sanitize.sh                  build into build/sanitize/, run every case
#   native/test/sanitize.sh parse            run only the cases whose name contains "parse"
#   SAN_OUT=/tmp/san native/test/sanitize.sh another build directory
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="${SAN_OUT:-$root/build/sanitize}"
cxx="${CXX:-clang++}"
if ! "$cxx" --version >/dev/null 2>&1; then
  echo "sanitize.sh: $cxx not found; apt-get install clang libclang-rt-dev" >&2
  exit 1
fi
asan_rt="$("$cxx" -print-file-name=libclang_rt.asan-x86_64.a 2>/dev/null || true)"
if [ "$(uname -m)" = x86_64 ] && [ ! -f "$asan_rt" ]; then
  echo "sanitize.sh: clang's ASan runtime is missing (libclang_rt.asan-x86_64.a); apt-get install libclang-rt-dev" >&2
  exit 1
fi
flags=(-std=c++20 -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
  -Wall -Wextra -Wno-missing-field-initializers -fexceptions -I"$root/native/engine/core" -I"$root/native/traffic")
mkdir -p "$out/obj"
export cxx out
export flags_str="${flags[*]}"
# One compiler per CPU: the sources are independent.
start=$SECONDS
printf '%s\n' "$root"/native/test/*.cc "$root"/native/engine/core/*.cc "$root"/native/traffic/lib/membership_frame.cc |
  xargs -P "$(nproc)" -I{} sh -c 'src="$1"; obj="$out/obj/$(basename "$(dirname "$src")")-$(basename "$src" .cc).o"; $cxx $flags_str -c "$src" -o "$obj"' _ {}
"$cxx" -fsanitize=address,undefined "$out"/obj/*.o -lpthread -o "$out/mcr-engine-test"
echo "sanitize.sh: built $out/mcr-engine-test in $((SECONDS - start)) s"
# halt_on_error: the first report fails the run; detect_leaks: LeakSanitizer at exit.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
start=$SECONDS
"$out/mcr-engine-test" "$@"
echo "sanitize.sh: engine tests passed under ASan+UBSan in $((SECONDS - start)) s"
