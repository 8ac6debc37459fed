#!/bin/sh
# Append throughput into run.h5: RunH5Writer (C++) against h5py with the same layout.
#
#   bench/h5_append/run.sh [BUILD_DIR] [-- extra options for both, e.g. --points 40000000]
#
# BUILD_DIR defaults to $ORRERY_BUILD_DIR, then <repo>/build; it must hold
# bin/bench_h5_append (cmake --build BUILD_DIR --target bench_h5_append).
# Takes well under a minute with the defaults (20M points, 128 series, batches of 256).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
build=${ORRERY_BUILD_DIR:-$repo/build}
if [ $# -gt 0 ] && [ "$1" != "--" ]; then build=$1; shift; fi
[ "${1:-}" = "--" ] && shift
bin=$build/bin/bench_h5_append
if [ ! -x "$bin" ]; then
  echo "no $bin: build it with: cmake --build $build --target bench_h5_append" >&2
  exit 1
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/orrery-h5-bench-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

ours=$("$bin" --out "$tmp/orrery.h5" "$@")
echo "$ours"
theirs=$(/usr/bin/python3 "$here/bench_h5py_append.py" --out "$tmp/h5py.h5" "$@")
echo "$theirs"
rate() { echo "$1" | sed -n 's/.*points_per_s=\([0-9]*\).*/\1/p'; }
a=$(rate "$ours")
b=$(rate "$theirs")
awk -v a="$a" -v b="$b" 'BEGIN { printf "orrery %.2f M points/s, h5py %.2f M points/s, ratio %.2fx\n", a / 1e6, b / 1e6, a / b }'
