#!/usr/bin/env bash
# UI-thread responsiveness while 16 ranks stream 1,000 points/s each into a RunDataService.
#
#   bench/live/run.sh [SECONDS]      (default 20)
#
# Builds (if needed) in $BUILD (default <repo>/build-bench, configured with
# ORRERY_BUILD_BENCH=ON) and runs bench_live, which launches a real 16-rank `command`
# run of bench_flood_worker through orrery-agent and mpirun (oversubscribed on this
# machine), and prints the event-loop latency (10 ms timer lateness) p50/p99/max idle
# and while streaming, and the store-vs-run.h5 check. Exit status 0 = p99 <= 50 ms and
# the store equals run.h5.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=${BUILD:-$ROOT/build-bench}
SECONDS_LIVE=${1:-20}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
export QT_QPA_PLATFORM=offscreen
ninja -C "$BUILD" bench_live bench_flood_worker orrery-agent orrery-rank >/dev/null
"$BUILD/bin/bench_live" --ranks "${RANKS:-16}" --rate "${RATE:-1000}" --seconds "$SECONDS_LIVE" --metrics 4
