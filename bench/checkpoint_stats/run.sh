#!/bin/sh
# Statistics of a GPT-2 124M-shaped checkpoint (float32, 500 MB) through core/h5inspect:
# time and peak memory, then the diff of two such files; numpy's whole-tensor statistics
# of the same file for comparison (time and peak memory).
#
#   bench/checkpoint_stats/run.sh [BUILD_DIR]
#
# BUILD_DIR defaults to $ORRERY_BUILD_DIR, then <repo>/build; it must hold
# bin/bench_checkpoint_stats (cmake --build BUILD_DIR --target bench_checkpoint_stats).
# Needs about 1 GB in $TMPDIR. The first read of each file comes from the page cache
# (it was just written): the figures are for a warm cache unless you drop it in between.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${ORRERY_BUILD_DIR:-$repo/build}
[ $# -gt 0 ] && build=$1
bin=$build/bin/bench_checkpoint_stats
if [ ! -x "$bin" ]; then
  echo "no $bin: build it with: cmake --build $build --target bench_checkpoint_stats" >&2
  exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/orrery-ckpt-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

/usr/bin/python3 "$here/make_gpt2_checkpoint.py" "$tmp/a.h5" --seed 1
/usr/bin/python3 "$here/make_gpt2_checkpoint.py" "$tmp/b.h5" --seed 2 >/dev/null
ls -l "$tmp/a.h5"
for i in 1 2 3; do "$bin" "$tmp/a.h5"; done
"$bin" "$tmp/a.h5" --diff "$tmp/b.h5"
/usr/bin/python3 "$here/numpy_stats.py" "$tmp/a.h5"
