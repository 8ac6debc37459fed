#!/usr/bin/env bash
# Chart frame time and memory: 10 runs x 1,000,000 points in one chart, offscreen.
# Builds nothing: runs bench_chart_frame from the build folder given.
#
#   bench/chart/run.sh BUILD_DIR [RUNS] [POINTS] [BASELINE_FRAMES]
#
# Prints, per view step kind (zoom, pan), the median / p95 / max time per frame of
# Orrery's chart (reduction job off the UI thread + replace + paint into a QImage)
# and of the baseline (plain QLineSeries with every point, same steps, same paint),
# and the RSS taken by the points loaded.
set -euo pipefail
build_dir=${1:?usage: bench/chart/run.sh BUILD_DIR [RUNS] [POINTS] [BASELINE_FRAMES]}
shift
exe=$build_dir/bin/bench_chart_frame
if [[ ! -x $exe ]]; then
  echo "no $exe: build it first (ninja -C $build_dir bench_chart_frame)" >&2
  exit 1
fi
if [[ -z ${DISPLAY:-} && -z ${WAYLAND_DISPLAY:-} ]]; then export QT_QPA_PLATFORM=${QT_QPA_PLATFORM:-offscreen}; fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
exec "$exe" "$@"
