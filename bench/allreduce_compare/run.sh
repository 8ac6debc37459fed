#!/usr/bin/env bash
# Compares the allreduce-bench worker's measurement with a plain MPI_Allreduce loop:
# bench_allreduce_compare runs both in one mpirun, size by size on the same buffers
# (see compare_allreduce.cpp for why not two programs).
#
# usage: bench/allreduce_compare/run.sh [BUILD_DIR] [-- ARGS for bench_allreduce_compare]
#        (default BUILD_DIR ./build; ARGS e.g. --repeats=15 --max_bytes=4194304 --tolerance=5)
# env:   RANKS=2  NICE=-20 (root only: disturbed less by other work on the machine)
# Exit status: the program's (0 agree within tolerance, 1 different, 2 bad arguments).
set -euo pipefail

build_dir=${1:-build}
shift || true
[[ ${1:-} == "--" ]] && shift
exe="$build_dir/bin/bench_allreduce_compare"
[[ -x $exe ]] || { echo "run.sh: $exe not found; configure with -DORRERY_BUILD_BENCH=ON and build it (ninja -C $build_dir bench_allreduce_compare)" >&2; exit 2; }

cmd=()
if [[ -n ${NICE:-} ]]; then cmd+=(nice -n "$NICE"); fi
cmd+=(mpirun -np "${RANKS:-2}")
if [[ $(id -u) == 0 ]]; then cmd+=(--allow-run-as-root); fi
cmd+=(--oversubscribe)
unset ORRERY_TELEMETRY
echo "# load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
status=0
"${cmd[@]}" "$exe" "$@" || status=$?
echo "# load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
