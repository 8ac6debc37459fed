#!/usr/bin/env bash
# gpt-train on one GPU at GPT-2 124M's exact shape (12 layers, 12 heads, 768 channels, context
# 1024, vocab 50257): the worker's training step (orrery-gpt-step-bench: its StepKernels and
# replicated update, random token ids, no MPI) in fp32 and bf16, then the same model in
# PyTorch on the same GPU in fp32, bf16 tensor-core products of fp32 tensors (what the
# worker's bf16 does) and autocast bf16. Figures in bench/gpt_train/README.md.
# Usage: bench/gpt_train/gpu.sh BIN_DIR [PYTHON]   env BATCH (default 8), STEPS (default 10)
set -euo pipefail
bin=$1
py=${2:-python3}
batch=${BATCH:-8}
steps=${STEPS:-10}
here=$(cd "$(dirname "$0")" && pwd)
shape=(--vocab=50257 --context=1024 --layers=12 --heads=12 --channels=768)
for precision in fp32 bf16; do
  echo "== orrery-gpt-step-bench, GPT-2 124M, batch $batch, $precision"
  "$bin/orrery-gpt-step-bench" --preset=gpt2 --device=cuda --precision=$precision --batch_size="$batch" \
    --steps="$steps" --threads="$(nproc)"
done
for precision in fp32 bf16 autocast; do
  echo "== PyTorch, same model and batch, $precision"
  "$py" "$here/torch_tokens_per_s.py" --device=cuda --precision=$precision "${shape[@]}" --batch_size="$batch" \
    --steps="$steps" --threads="$(nproc)"
done
