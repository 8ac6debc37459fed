#!/usr/bin/env bash
# Cold start of the workbench on a project of 100 finished runs: median of 10.
# usage: bench/startup/run.sh BUILD_DIR [RUNS]
set -euo pipefail
BUILD="${1:?usage: run.sh BUILD_DIR [RUNS]}"
RUNS="${2:-100}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
"$BUILD/bin/bench_startup_project" "$WORK/project" "$RUNS"
export QT_QPA_PLATFORM=offscreen XDG_CONFIG_HOME="$WORK/config"
"$BUILD/bin/bench_startup" "$WORK/project" "$RUNS" >/dev/null   # warm the page cache once, like a second launch
for i in $(seq 10); do "$BUILD/bin/bench_startup" "$WORK/project" "$RUNS"; done | /usr/bin/python3 -c '
import statistics, sys
paint, listed = [], []
for line in sys.stdin:
    f = line.split()
    paint.append(float(f[1])); listed.append(float(f[3]))
print(f"first paint: median {statistics.median(paint):.0f} ms (min {min(paint):.0f}, max {max(paint):.0f})")
print(f"all runs listed: median {statistics.median(listed):.0f} ms (min {min(listed):.0f}, max {max(listed):.0f})")
'
