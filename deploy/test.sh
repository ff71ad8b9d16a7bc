#!/usr/bin/env bash
# Install dependencies, lint the OpenAPI documents, build, and run the whole test suite (unit + integration + e2e).
# Exits non-zero on any failure. `.ci/run` runs exactly this.
#   LGSP_SANITIZE=ON   build with AddressSanitizer + UndefinedBehaviorSanitizer (separate build dir)
#   LGSP_FUZZ_SECONDS  then run each libFuzzer target (tests/fuzz) this long (default 20; 0: no fuzzing)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sanitize=${LGSP_SANITIZE:-OFF}
build_dir="$root/build/test"
[ "$sanitize" = "ON" ] && build_dir="$root/build/test-sanitize"

"$root/deploy/install-deps.sh"
# The OpenAPI documents (docs/openapi*.json) against Redocly's recommended rules, before the long build.
"$root/deploy/lint-openapi.sh"
# Build time (docs/development.md, "Build time"): -g1 instead of -g keeps line tables and function names
# (backtraces, sanitizer reports, gdb's `bt`) but no variables or types: ~30 % less compile CPU and 3-4x smaller
# objects to link. Ninja for a new build folder (an existing one keeps its generator): it starts compiling a
# target's sources while the libraries it links are still building, where make leaves a core idle.
generator=()
if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
cmake -S "$root" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLGSP_SANITIZE="$sanitize" \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O2 -g1 -DNDEBUG"
cmake --build "$build_dir" -j2
# Benchmarks are built above but not run here: they print figures, they do not pass or fail.
ctest --test-dir "$build_dir" -j2 --label-exclude bench --output-on-failure --timeout 900

# Fuzzing: every target briefly, from its committed corpus and regression inputs, in its own clang tree
# (build/fuzz). A crash fails the run and prints the input that caused it (docs/development.md, "Fuzzing").
fuzz_seconds=${LGSP_FUZZ_SECONDS:-20}
if [ "$fuzz_seconds" != 0 ]; then
  "$root/tests/fuzz/build.sh"
  "$root/tests/fuzz/run.sh" all "$fuzz_seconds"
fi
