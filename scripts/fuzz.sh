#!/usr/bin/env bash
# Runs each libFuzzer target of a CORRIDOR_FUZZ build for a bounded time (docs/fuzzing.md).
#   scripts/fuzz.sh BUILD_DIR SECONDS TARGET...
# Seeds: fuzz/corpus/<target>/ and fuzz/regressions/<target>/, read only. New inputs go to a scratch
# corpus, BUILD_DIR/fuzz-work/<target>/corpus/, kept between runs; this run's findings to
# BUILD_DIR/fuzz-work/<target>/artifacts/. libFuzzer runs in fork mode and keeps going after a crash,
# a timeout or running out of memory, so one shallow bug does not hide the others.
# Prints, per target, the inputs run, the CPU seconds used and the findings; exits 1 when there are any.
set -uo pipefail

if [ $# -lt 3 ]; then
  echo "usage: $0 BUILD_DIR SECONDS TARGET..." >&2
  exit 2
fi
build=$1 seconds=$2
shift 2
root=$(cd "$(dirname "$0")/.." && pwd)

# Longest input tried: a command, a webhook or a config fits in 4 KiB; a raw request needs room past
# the server's 8 KiB header limit and the 1 KiB body limit the target sets.
max_len() {
  case "$1" in
    http_request) echo 16384 ;;
    *) echo 4096 ;;
  esac
}

TIMEFORMAT='%3U %3S'
total_cpu=0 total_runs=0 found=()
printf '%-18s %12s %8s %s\n' target runs cpu_s findings
for target in "$@"; do
  bin=$build/fuzz/fuzz_$target
  work=$build/fuzz-work/$target
  rm -rf "$work/artifacts"
  mkdir -p "$work/corpus" "$work/artifacts"
  seeds=("$root/fuzz/corpus/$target")
  [ -d "$root/fuzz/regressions/$target" ] && seeds+=("$root/fuzz/regressions/$target")
  status=0
  # nice: the machine is shared. 10 s for one input turns a hang into a finding.
  { time nice -n 10 "$bin" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$(max_len "$target")" \
      -artifact_prefix="$work/artifacts/" "$work/corpus" "${seeds[@]}" >"$work/log" 2>&1; } 2>"$work/cpu" || status=$?
  read -r user sys <"$work/cpu"
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
  # The fork-mode parent's progress lines: "#<inputs run>: cov: ...".
  runs=$(sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$work/log" | tail -1)
  findings=$(find "$work/artifacts" -type f | wc -l)
  if [ -z "$runs" ]; then
    printf '%-18s %12s %8s %s\n' "$target" - "$cpu" "did not run (exit $status): $work/log"
    found+=("$target")
    continue
  fi
  printf '%-18s %12s %8s %s\n' "$target" "$runs" "$cpu" "$findings"
  total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN { printf "%.1f", a + b }')
  total_runs=$((total_runs + runs))
  if [ "$findings" -gt 0 ]; then
    found+=("$target")
    # What the findings were, each kind once with its count: each is run again alone for its verdict
    # (the exception, the sanitizer's report, the timeout).
    for artifact in $(find "$work/artifacts" -type f | head -50); do
      verdict=$("$bin" -timeout=10 -rss_limit_mb=2048 "$artifact" 2>&1 |
        grep -a -m1 -o -E "what\(\): .{0,90}|runtime error: .{0,90}|SUMMARY: [A-Za-z]+Sanitizer: [a-z-]+|ERROR: libFuzzer: [a-z -]+")
      echo "${verdict:-(does not reproduce alone)}"
    done | sort | uniq -c | sort -rn | sed 's/^/    /'
  fi
done
printf '%-18s %12s %8s\n' total "$total_runs" "$total_cpu"

if [ ${#found[@]} -gt 0 ]; then
  echo "findings in: ${found[*]} (in $build/fuzz-work/<target>/artifacts/; reproduce: $build/fuzz/fuzz_<target> <file>)" >&2
  exit 1
fi
