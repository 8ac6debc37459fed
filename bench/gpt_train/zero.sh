#!/usr/bin/env bash
# gpt-train ZeRO-1 against replicated optimizer state on 2 ranks x 1 thread (figures in
# bench/gpt_train/README.md): mean step time, AdamW state a rank (the worker's start-up
# line) and checkpoint save time (replicated: rank 0 writes all; zero_stage=1: rank 0 the
# head, then each rank its moment slice in turn), for the "small" preset (12.3 M parameters,
# vocab 4096) at context 64, 4 sequences a step.
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
