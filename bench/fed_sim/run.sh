#!/usr/bin/env bash
# Simulated client-rounds per second of orrery-fed-sim (FedAvg, every client in every round)
# for 1,000 and 10,000 clients on 1 and 2 MPI ranks. The worker runs under mpirun without an
# agent (its telemetry calls are no-ops), and its last line gives the rounds' wall time,
# measured from the first round to the last (start-up and data loading excluded).
#
#   bench/fed_sim/run.sh [BUILD_DIR] [REPEATS]      default build, 3 repeats; MODEL=mlp for the MLP,
#                                                  TREE=true for hierarchical aggregation (aggregation_tree)
set -euo pipefail
BUILD="${1:-build}"
REPEATS="${2:-3}"
MODEL="${MODEL:-logreg}"
TREE="${TREE:-false}"
WORKER="$BUILD/bin/orrery-fed-sim"
[ -x "$WORKER" ] || { echo "no $WORKER (ninja -C $BUILD orrery-fed-sim)" >&2; exit 2; }
export OMPI_MCA_rmaps_base_oversubscribe=1
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi

echo "# orrery-fed-sim, dataset digits_shifted (12,942 training samples), model $MODEL, FedAvg, all clients every round, aggregation_tree=$TREE"
echo "# $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%H:%M) UTC"
printf "%8s %6s %7s %s\n" clients ranks rounds "client-rounds/s (each repeat)"
for clients in 1000 10000; do
  rounds=$(( clients == 1000 ? 20 : 5 ))
  for ranks in 1 2; do
    rates=()
    for _ in $(seq "$REPEATS"); do
      line=$(mpirun -n "$ranks" "$WORKER" --dataset=digits_shifted --clients="$clients" --rounds="$rounds" \
               --model="$MODEL" --aggregation_tree="$TREE" --eval_every="$rounds" 2>/dev/null | grep "client-rounds/s")
      rates+=("$(sed -E 's/.*\(([0-9.]+) client-rounds\/s\).*/\1/' <<<"$line")")
    done
    printf "%8d %6d %7d %s\n" "$clients" "$ranks" "$rounds" "${rates[*]}"
  done
done
