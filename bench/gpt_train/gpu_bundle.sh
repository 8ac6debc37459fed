#!/usr/bin/env bash
# Packs what gpt-train's GPU checks need into one folder that runs on another x86-64 Linux
# machine with an NVIDIA driver and CUDA 13 but without Debian's packages (a lent GPU machine):
# from BUILD/bin the CLI, agent, orrery-rank, worker, step bench and CUDA kernel tests; the
# kinds under BUILD/share/orrery; every shared library they load except glibc's and CUDA's
# (there the machine's own cuBLAS 13 and libcuda are used); Debian's `bible` and its text
# (cuda.test_gpt_train_device_cuda runs /usr/bin/bible). Build BUILD with CUDA and
# -DORRERY_BUILD_BENCH=ON -DORRERY_BUILD_TESTS=ON. How the 2026-11-26 H100 figures were taken
# (bench/gpt_train/README.md).
#   bench/gpt_train/gpu_bundle.sh BUILD OUT
# then on the GPU machine, in a checkout of the same commit, with OUT copied beside it
# (about 160 MB, 40 MB as tar.xz):
#   OUT/run.sh kernels|bench|e2e
# run.sh first deletes from OUT/lib the libraries the machine has itself, so a bundle is for
# one machine.
set -euo pipefail
build=$(cd "$1" && pwd)
out=$2
mkdir -p "$out/bin" "$out/lib" "$out/share" "$out/bible"
bins=(orrery orrery-agent orrery-rank orrery-gpt-train orrery-gpt-step-bench test_gpt_cuda_kernels)
for b in "${bins[@]}"; do cp "$build/bin/$b" "$out/bin/"; done
cp -r "$build/share/orrery" "$out/share/"
# glibc's libraries and the driver's or toolkit's CUDA ones stay the machine's.
for b in "${bins[@]}"; do ldd "$out/bin/$b"; done | awk '$3 ~ /^\// {print $3}' | sort -u |
  grep -v -E '/(libc|libm|libmvec|libdl|libpthread|librt|libresolv)\.so|/libcu(blas|blasLt|da|dart)\.so' |
  while read -r lib; do cp -L "$lib" "$out/lib/"; done
cp /usr/bin/bible /usr/lib/bible.data /usr/lib/bible.data.conc "$out/bible/"
cat > "$out/run.sh" <<'RUN'
#!/usr/bin/env bash
# Runs one of gpt-train's GPU checks from this bundle, in the checkout it is run from.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# A library the machine has is the machine's (newer, built for it); ours only fill the gaps.
# SentencePiece and HDF5 stay ours: their C++ ABI and build options differ between distributions.
for f in "$here"/lib/*; do
  s=$(basename "$f")
  if [[ $s != libsentencepiece* && $s != libhdf5* ]] && ldconfig -p | grep -q "^\s*$s "; then rm -f "$f"; fi
done
cublas=$(find /usr/local /opt -name 'libcublas.so.13' 2>/dev/null | head -1)
[ -n "$cublas" ] || { echo "no libcublas.so.13 on this machine" >&2; exit 1; }
export LD_LIBRARY_PATH=$here/lib:$(dirname "$cublas") ORRERY_BIN_DIR=$here/bin ORRERY_SHARE_DIR=$here/share/orrery
export ORRERY_SOURCE_DIR=$PWD OMPI_MCA_rmaps_base_oversubscribe=1
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
case "${1:-}" in
  kernels) exec "$here/bin/test_gpt_cuda_kernels" ;;
  bench) exec bench/gpt_train/gpu.sh "$here/bin" "${PYTHON:-python3}" ;;
  e2e)
    [ -x /usr/bin/bible ] || { cp "$here/bible/bible" /usr/bin/ && cp "$here"/bible/bible.data* /usr/lib/; }
    cd tests/cuda && exec "${PYTHON:-python3}" -u test_gpt_train_device_cuda.py ;;
  *) echo "usage: $0 kernels|bench|e2e" >&2; exit 2 ;;
esac
RUN
chmod +x "$out/run.sh"
echo "gpu_bundle: $(du -sh "$out" | cut -f1) in $out ($(ls "$out/lib" | wc -l) libraries)"
