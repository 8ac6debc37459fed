#!/usr/bin/env bash
# Virtual seconds to finish N FedAvg rounds with stragglers (the crash model's down clients,
# bursts of crash_rounds rounds): sequential gradient coding (sgc_delay T, groups of s + 1)
# against the exact per-round schemes on the same population and the same straggler draws -
# uncoded FedAvg that waits for its stragglers, and per-round gradient coding with s = 1 -
# which the worker plans alongside (lib/fed/sequential_coding.hpp) and prints at the end.
# Every scheme computes FedAvg's exact sum each round, so they differ in virtual time only.
#
#   bench/fed_sim/sequential_coding.sh [BUILD_DIR]     (ninja -C BUILD orrery-fed-sim)
set -euo pipefail
BUILD="${1:-build}"
WORKER="$BUILD/bin/orrery-fed-sim"
[ -x "$WORKER" ] || { echo "no $WORKER (ninja -C $BUILD orrery-fed-sim)" >&2; exit 2; }
export OMPI_MCA_rmaps_base_oversubscribe=1
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

CLIENTS=100 ROUNDS=30
echo "# digits, $CLIENTS clients (IID, logreg, uniform speeds 100 samples/s +-50 %), $ROUNDS rounds, 2 ranks"
printf "%6s %7s %3s %3s | %9s %9s %9s | %6s %6s %5s %5s\n" p burst s T sgc_s uncoded_s gc1_s load delay stall late
for prob in 0.05 0.1 0.2; do
  for burst in 1 2; do
    for code in "0 1" "0 2" "0 3" "1 1"; do
      read -r s t <<<"$code"
      line=$(mpirun -n 2 "$WORKER" --clients="$CLIENTS" --rounds="$ROUNDS" --eval_every="$ROUNDS" \
               --crash_prob="$prob" --crash_rounds="$burst" --gradient_coding="$s" --sgc_delay="$t" 2>/dev/null |
             grep "^sequential coding")
      # sequential coding (s=S, T=T): N rounds in X virtual s, max decoding delay D, K stalled slots,
      # L late rounds, load W ...; same stragglers: uncoded waiting U s, per-round coding s=1 G s
      sed -E "s/.* in ([0-9.]+) virtual s, max decoding delay ([0-9]+), ([0-9]+) stalled slots, ([0-9]+) late rounds, load ([0-9.]+) .*uncoded waiting ([0-9.]+) s, per-round coding s=1 ([0-9.-]+) s/\1 \2 \3 \4 \5 \6 \7/" \
        <<<"$line" | {
        read -r sgc delay stall late load uncoded gc1
        printf "%6s %7s %3s %3s | %9s %9s %9s | %6s %6s %5s %5s\n" "$prob" "$burst" "$s" "$t" "$sgc" "$uncoded" "$gc1" \
          "$load" "$delay" "$stall" "$late"
      }
    done
  done
done
