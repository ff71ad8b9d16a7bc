#!/usr/bin/env bash
# tests/fuzz/run.sh TARGET SECONDS   runs one fuzz target for SECONDS (default 30)
# tests/fuzz/run.sh all SECONDS      runs every built target for SECONDS each, then says which failed
# Starts from a copy of the committed inputs (corpus/TARGET and regressions/TARGET), so a run never changes
# them; what the run learns stays in $LGSP_FUZZ_BUILD_DIR/fuzz-runs/TARGET/corpus. Exits non-zero when the
# target crashes, leaks, times out or runs out of memory, printing the path of the input that did it.
# Build the programs first: tests/fuzz/build.sh. Environment:
#   LGSP_FUZZ_BUILD_DIR  the clang tree (default build/fuzz)
#   LGSP_FUZZ_MAX_LEN    largest input the fuzzer makes (default: twice the largest seed, at least 4096)
#   LGSP_FUZZ_TIMEOUT    seconds one input may take before it counts as a hang (default 10)
#   LGSP_FUZZ_ARGS       more libFuzzer flags, e.g. "-jobs=2 -workers=2"
#   LGSP_FUZZ_PARALLEL   targets run at once by `all` (default 2: one per core here)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
build_dir=${LGSP_FUZZ_BUILD_DIR:-$root/build/fuzz}
target=${1:?usage: tests/fuzz/run.sh TARGET|all SECONDS}
seconds=${2:-30}

if [ "$target" = all ]; then
  # Two targets at a time by default (LGSP_FUZZ_PARALLEL): each fuzzer is one process on one core, so a 2-core
  # machine runs the whole set in half the time. Each target's output goes to its own log, printed when it ends.
  parallel=${LGSP_FUZZ_PARALLEL:-2}
  logs=$(mktemp -d)
  names=()
  for program in "$build_dir"/tests/fuzz/fuzz_*; do
    [ -x "$program" ] || continue
    name=$(basename "$program")
    names+=("${name#fuzz_}")
  done
  running=0
  for name in "${names[@]}"; do
    # `|| status=$?`: under `set -e` a bare failing command would end the subshell before it wrote the status
    # and printed the log, hiding exactly the log of the target that failed.
    ( status=0; "$here/run.sh" "$name" "$seconds" >"$logs/$name.log" 2>&1 || status=$?
      echo "$status" >"$logs/$name.status"; cat "$logs/$name.log" ) &
    running=$((running + 1))
    if [ "$running" -ge "$parallel" ]; then
      wait -n || true
      running=$((running - 1))
    fi
  done
  wait || true
  failed=()
  for name in "${names[@]}"; do
    [ "$(cat "$logs/$name.status" 2>/dev/null || echo 1)" = 0 ] || failed+=("$name")
  done
  rm -rf "$logs"
  if [ ${#failed[@]} -ne 0 ]; then
    echo "fuzz: FAILED: ${failed[*]}" >&2
    exit 1
  fi
  echo "fuzz: every target (${#names[@]}) ran ${seconds}s without a finding"
  exit 0
fi

program="$build_dir/tests/fuzz/fuzz_$target"
if [ ! -x "$program" ]; then
  echo "run.sh: $program is not built (tests/fuzz/build.sh)" >&2
  exit 2
fi
if [ ! -d "$here/corpus/$target" ]; then
  echo "run.sh: no seed corpus tests/fuzz/corpus/$target" >&2
  exit 2
fi

work="$build_dir/fuzz-runs/$target"
rm -rf "$work"
mkdir -p "$work/corpus" "$work/artifacts"
cp "$here/corpus/$target"/* "$work/corpus/"
if [ -d "$here/regressions/$target" ] && [ -n "$(ls -A "$here/regressions/$target")" ]; then
  cp "$here/regressions/$target"/* "$work/corpus/"
fi

largest=$(find "$work/corpus" -type f -printf '%s\n' | sort -n | tail -1)
max_len=${LGSP_FUZZ_MAX_LEN:-$((2 * ${largest:-0}))}
[ "$max_len" -lt 4096 ] && max_len=4096

echo "fuzz: $target for ${seconds}s (max_len $max_len) in $work"
status=0
# shellcheck disable=SC2086
"$program" -max_total_time="$seconds" -max_len="$max_len" -timeout="${LGSP_FUZZ_TIMEOUT:-10}" \
  -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$work/artifacts/" ${LGSP_FUZZ_ARGS:-} \
  "$work/corpus" >"$work/log" 2>&1 || status=$?
tail -n 15 "$work/log"
if [ "$status" -ne 0 ] || [ -n "$(ls -A "$work/artifacts")" ]; then
  echo "fuzz: $target FAILED (exit $status); full log: $work/log" >&2
  for input in "$work/artifacts"/*; do
    [ -e "$input" ] && echo "fuzz: crash input: $input (commit it to tests/fuzz/regressions/$target/)" >&2
  done
  exit 1
fi
