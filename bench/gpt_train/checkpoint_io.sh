#!/usr/bin/env bash
# gpt-train checkpoint I/O against the disk and against PyTorch, GPT-2 layers/heads/channels
# (12/12/768) with vocab 4096 and context 64 (88.25 M parameters; params + AdamW m + v =
# 1.06 GB of float32) so the tokenizer comes from the KJV cache in seconds:
#   1. worker save (rank 0 writes, fsyncs, renames; the "checkpoint ... (s)" line);
#   2. dd of the same byte count with conv=fsync to the same folder;
#   3. torch.save of three tensors of that size + fsync, torch.load;
#   4. worker resume: whole process time (start-up + load), an upper bound on the load.
# Usage: bench/gpt_train/checkpoint_io.sh [BUILD_DIR] (default build); DIR=folder on the disk to test.
source "$(dirname "$0")/bench_env.sh"
args=(--preset=gpt2 --vocab=4096 --context=64 --batch_size=1 --val_interval=100000 --sample_tokens=0
      --cache_dir="$cache" --threads=2)
echo "== worker save"
"$build/bin/orrery-gpt-train" "${args[@]}" --steps=1 --checkpoint_dir="$work/a" | grep -E "parameters|checkpoint"
ckpt="$work/a/step-0000001.h5"
bytes=$(stat -c %s "$ckpt")
echo "checkpoint $bytes bytes"
echo "== dd, same size, conv=fsync"
dd if=/dev/zero of="$work/dd.bin" bs=1M count=$((bytes / 1048576)) conv=fsync 2>&1 | tail -1
rm -f "$work/dd.bin"
echo "== torch.save / torch.load, same tensors"
/usr/bin/python3 - "$work/t.pt" <<'PY'
import os, sys, time
import torch
n = 88250880
tensors = {g: torch.randn(n) for g in ("params", "adam_m", "adam_v")}
t0 = time.time()
with open(sys.argv[1], "wb") as f:
    torch.save(tensors, f)
    f.flush()
    os.fsync(f.fileno())
t1 = time.time()
size = os.path.getsize(sys.argv[1])
print(f"torch.save + fsync: {size / 1e6:.0f} MB in {t1 - t0:.2f} s = {size / 1e6 / (t1 - t0):.0f} MB/s")
t0 = time.time()
torch.load(sys.argv[1])
t1 = time.time()
print(f"torch.load (page cache warm): {size / 1e6 / (t1 - t0):.0f} MB/s")
PY
echo "== worker resume (start-up + load, no step)"
start=$(date +%s.%N)
"$build/bin/orrery-gpt-train" "${args[@]}" --steps=1 --checkpoint_dir="$work/b" --resume="$ckpt" >/dev/null
end=$(date +%s.%N)
awk -v s="$start" -v e="$end" -v b="$bytes" 'BEGIN { printf "resume process %.2f s: load >= %.0f MB/s\n", e - s, b / 1e6 / (e - s) }'
