#!/usr/bin/env bash
# Configures and builds the libFuzzer programs (fuzz_<target>) in their own clang tree, build/fuzz by default
# ($LGSP_FUZZ_BUILD_DIR). Only the libraries the targets call are built, at -O1 (the fuzzer wants many runs
# a second more than fast code, and CI wants a short build). Extra arguments go to the cmake configure step,
# e.g. -DCMAKE_CXX_COMPILER_LAUNCHER=ccache.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=${LGSP_FUZZ_BUILD_DIR:-$root/build/fuzz}
# Ninja for a new build folder, as deploy/test.sh does (an existing one keeps its generator).
generator=()
if [ ! -f "$build_dir/CMakeCache.txt" ] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
cmake -S "$root" -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER=clang-16 -DCMAKE_CXX_COMPILER=clang++-16 \
  -DCMAKE_C_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only" \
  -DLGSP_FUZZ=ON -DLGSP_BUILD_TESTS=OFF -DLGSP_TCMALLOC=OFF "$@"
cmake --build "$build_dir" -j"${LGSP_FUZZ_JOBS:-2}" --target fuzz_all
