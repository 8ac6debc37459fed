#!/usr/bin/env bash
# Log-template parser throughput on 1,000,000 generated lines: in process (masking alone,
# and the whole parse), then `orrery logs templates` end to end on the same lines written
# to a file (reading, UTF-8 check, parse, CSV out), per-line CSV and --summary.
# Builds nothing: runs the binaries of the build folder given.
#
#   bench/log_templates/run.sh BUILD_DIR [LINES] [REPEATS]
set -euo pipefail
build_dir=${1:?usage: bench/log_templates/run.sh BUILD_DIR [LINES] [REPEATS]}
lines=${2:-1000000}
repeats=${3:-5}
for exe in bench_log_templates orrery; do
  if [[ ! -x $build_dir/bin/$exe ]]; then
    echo "no $build_dir/bin/$exe: build it first (ninja -C $build_dir bench_log_templates orrery)" >&2
    exit 1
  fi
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
"$build_dir/bin/bench_log_templates" --lines "$lines" --repeat "$repeats" --write "$tmp/lines.log"

# The CLI, end to end: wall time of the whole process, best of the repeats.
for mode in "" "--summary"; do
  best=""
  for ((r = 0; r < repeats; r++)); do
    start=$(date +%s.%N)
    "$build_dir/bin/orrery" logs templates "$tmp/lines.log" $mode > "$tmp/out.csv"
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc -l)
    if [[ -z $best ]] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  rows=$(($(wc -l < "$tmp/out.csv") - 1))
  printf 'orrery logs templates %-10s best %6.3f s  %10.0f lines/s  (%d CSV rows)\n' "${mode:-(per line)}" "$best" \
    "$(echo "$lines / $best" | bc -l)" "$rows"
done
