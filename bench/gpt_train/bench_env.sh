# shellcheck shell=bash
# Sourced by the bench/gpt_train scripts: sets here (this folder), build (the script's first
# argument, default the source tree's build/), work (a scratch folder under ${DIR:-/tmp},
# removed on exit), cache (the KJV tokenizer and token files, kept across runs in
# ${GPT_BENCH_CACHE:-/tmp/orrery-bench-gpt-cache}) and Open MPI's settings for several ranks
# on few cores, as root.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build=${1:-$here/../../build}
work=$(mktemp -d "${DIR:-/tmp}/orrery-bench-gpt-XXXXXX")
trap 'rm -rf "$work"' EXIT
cache=${GPT_BENCH_CACHE:-/tmp/orrery-bench-gpt-cache}
export OMPI_MCA_rmaps_base_oversubscribe=1
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
