#!/usr/bin/env bash
# gpt-train ZeRO-1 against replicated optimizer state on 2 ranks x 1 thread (figures in
# bench/gpt_train/README.md): mean step time, AdamW state a rank (the worker's start-up
# line) and checkpoint save time (replicated: rank 0 writes all; zero_stage=1: rank 0 the
# head, then every rank its moment slice at once through parallel HDF5), for the "small" preset (12.3 M parameters,
# vocab 4096) at context 64, 4 sequences a step.
# Then GPT-2's 12 layers x 12 heads x 768 channels with vocab 4096, context 64 (88.25 M
# parameters, a 1.06 GB checkpoint), one step and its save on 2 ranks, zero_stage 0 and 1:
# the save time and the largest rank's peak resident memory (GNU time's maximum RSS of
# mpirun's children).
# Usage: bench/gpt_train/zero.sh [BUILD_DIR] (default build); STEPS=n (default 6; the first
# step of each run is not timed).
source "$(dirname "$0")/bench_env.sh"
steps=${STEPS:-6}
model=(--preset=small --context=64 --batch_size=4 --val_interval=100000 --sample_tokens=0 --threads=1
       --cache_dir="$cache" --steps="$steps" --lr=1e-4 --bucket_mb=4)
for stage in 0 1; do
  echo "== 2 ranks x 1 thread, zero_stage=$stage"
  mpirun -np 2 "$build/bin/orrery-gpt-train" "${model[@]}" --zero_stage=$stage --checkpoint_dir="$work/z$stage" |
    grep -E "parameters|summary|checkpoint" | sed -e 's/^orrery-gpt-train: //'
done
echo "== the two final checkpoints' moments (h5py)"
/usr/bin/python3 - "$work/z0/step-$(printf %07d "$steps").h5" "$work/z1/step-$(printf %07d "$steps").h5" <<'PY'
import sys
import h5py
import numpy as np
with h5py.File(sys.argv[1], "r") as a, h5py.File(sys.argv[2], "r") as b:
    worst = max(float(np.max(np.abs(a[g][n][()] - b[g][n][()]))) for g in ("params", "adam_m", "adam_v") for n in a[g])
    print(f"largest difference replicated vs sharded over params and moments: {worst:.3g}")
PY

big=(--preset=gpt2 --vocab=4096 --context=64 --batch_size=2 --val_interval=100000 --sample_tokens=0 --threads=1
     --cache_dir="$cache" --steps=1)
for stage in 0 1; do
  echo "== 88.25 M parameters, 2 ranks, one step and its save, zero_stage=$stage"
  /usr/bin/time -f "largest rank: %M KB maximum resident" mpirun -np 2 "$build/bin/orrery-gpt-train" "${big[@]}" \
    --zero_stage=$stage --checkpoint_dir="$work/big$stage" 2>&1 |
    grep -E "AdamW state|checkpoint|maximum resident" | sed -e 's/^orrery-gpt-train: //' -e 's/^.*; AdamW state/AdamW state/'
  rm -rf "$work/big$stage"
done
