#!/usr/bin/env bash
# gpt-train checkpoint I/O at GPT-2 124M's shape (12 layers, 12 heads, 768 channels, context
# 1024, vocab 50257: 124.44 M parameters; params + AdamW m + v = 1.49 GB of float32) against
# the disk and against PyTorch, all in the same folder:
#   1. orrery-gpt-checkpoint-bench (the worker's save and load code, no tokenizer needed):
#      replicated on 1 rank (rank 0 writes, fsyncs, renames), then ZeRO-1 on 2 ranks (every
#      rank writes its moment slices at once through parallel HDF5); each load after the
#      file's pages were dropped from the page cache, checked bit for bit;
#   2. dd of the same byte count with conv=fsync, and reading it back after dropping it;
#   3. torch.save of three tensors of that size + fsync, torch.load.
# Usage: bench/gpt_train/checkpoint_io.sh [BUILD_DIR] (default build, configured with
# -DORRERY_BUILD_BENCH=ON); DIR=folder on the disk to test; REPEAT=n (default 3).
source "$(dirname "$0")/bench_env.sh"
repeat=${REPEAT:-3}
tool="$build/bin/orrery-gpt-checkpoint-bench"
echo "== worker code, replicated, 1 rank"
mpirun -np 1 "$tool" --dir="$work/a" --repeat="$repeat"
echo "== worker code, zero_stage=1, 2 ranks (parallel HDF5)"
mpirun -np 2 "$tool" --dir="$work/b" --repeat="$repeat" --zero_stage=1
n=124439808
bytes=$((3 * 4 * n))
echo "== dd, same size ($bytes bytes of tensors), conv=fsync"
dd if=/dev/zero of="$work/dd.bin" bs=1M count=$((bytes / 1048576)) conv=fsync 2>&1 | tail -1
/usr/bin/python3 -c 'import os, sys; fd = os.open(sys.argv[1], os.O_RDONLY); os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)' "$work/dd.bin"
echo "== dd read back, dropped from the page cache"
dd if="$work/dd.bin" of=/dev/null bs=1M 2>&1 | tail -1
rm -f "$work/dd.bin"
echo "== torch.save / torch.load, same tensors"
/usr/bin/python3 - "$work/t.pt" "$n" <<'PY'
import os, sys, time
import torch
n = int(sys.argv[2])
tensors = {g: torch.randn(n) for g in ("params", "adam_m", "adam_v")}
t0 = time.time()
with open(sys.argv[1], "wb") as f:
    torch.save(tensors, f)
    f.flush()
    os.fsync(f.fileno())
t1 = time.time()
size = os.path.getsize(sys.argv[1])
print(f"torch.save + fsync: {size / 1e6:.0f} MB in {t1 - t0:.2f} s = {size / 1e6 / (t1 - t0):.0f} MB/s")
fd = os.open(sys.argv[1], os.O_RDONLY)
os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
os.close(fd)
t0 = time.time()
torch.load(sys.argv[1])
t1 = time.time()
print(f"torch.load (dropped from the page cache): {size / 1e6:.0f} MB in {t1 - t0:.2f} s = {size / 1e6 / (t1 - t0):.0f} MB/s")
PY
