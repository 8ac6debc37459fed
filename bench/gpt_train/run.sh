#!/usr/bin/env bash
# gpt-train benchmarks (figures in bench/gpt_train/README.md):
#   1. tokens/s and MFU of the ~12M-parameter "small" preset (6 layers, 6 heads, 384 channels,
#      vocab 4096, context 256), batch 4, 1 rank x 2 threads, against the same model in PyTorch
#      with 2 threads in the same run;
#   2. 2 ranks x 1 thread: step time and hidden all-reduce fraction with and without overlap.
# Usage: bench/gpt_train/run.sh [BUILD_DIR] (default build); STEPS=n (default 10).
source "$(dirname "$0")/bench_env.sh"
steps=${STEPS:-10}
model=(--preset=small --context=256 --batch_size=4 --val_interval=100000 --sample_tokens=0
       --cache_dir="$cache" --checkpoint_dir="$work/ckpt" --steps="$steps" --lr=1e-4)

echo "== 1 rank x 2 threads, small preset (C++ worker, then PyTorch)"
"$build/bin/orrery-gpt-train" "${model[@]}" --threads=2 | grep -E "parameters|summary"
/usr/bin/python3 "$here/torch_tokens_per_s.py" --threads=2 --steps="$steps"

for overlap in true false; do
  echo "== 2 ranks x 1 thread, overlap=$overlap"
  mpirun -np 2 "$build/bin/orrery-gpt-train" "${model[@]}" --threads=1 --overlap=$overlap --bucket_mb=4 | grep summary
done
