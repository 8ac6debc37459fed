#!/usr/bin/env bash
# Rank timeline frame time: RANKS x SPANS spans, zoom and pan, rendered by Mesa llvmpipe
# under Xvfb (xcb platform). Builds nothing: runs bench_timeline_frame from BUILD_DIR.
#
#   bench/timeline/run.sh BUILD_DIR [RANKS] [SPANS] [WIDTH] [HEIGHT]      (defaults 64 100000 1600 900)
set -euo pipefail
build_dir=${1:?usage: bench/timeline/run.sh BUILD_DIR [RANKS] [SPANS] [WIDTH] [HEIGHT]}
shift
exe=$build_dir/bin/bench_timeline_frame
if [[ ! -x $exe ]]; then
  echo "no $exe: build it first (ninja -C $build_dir bench_timeline_frame)" >&2
  exit 1
fi
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n ${DISPLAY:-} ]]; then
  exec env QT_QPA_PLATFORM=xcb "$exe" "$@"
fi
exec xvfb-run -a -s "-screen 0 1920x1080x24" env QT_QPA_PLATFORM=xcb "$exe" "$@"
