#!/usr/bin/env bash
# Installs every Debian 12 package that Orrery's build, tests and demo need.
# Idempotent and fast when everything is present (one dpkg query, no apt run).
set -euo pipefail

PACKAGES=(
  # toolchain
  build-essential cmake ninja-build pkg-config git
  # MPI and HDF5 (serial for the agent and readers, OpenMPI flavour for parallel checkpoints)
  openmpi-bin libopenmpi-dev libhdf5-dev libhdf5-openmpi-dev hdf5-tools
  # transport, serialization, JSON, CLI parsing
  libzmq3-dev cppzmq-dev libmsgpack-cxx-dev nlohmann-json3-dev libcli11-dev
  # the workbench: Qt 6 (Widgets, Charts, Svg, OpenGL widgets, Concurrent, Test), Dear ImGui, fonts for offscreen rendering
  qt6-base-dev qt6-base-dev-tools qt6-charts-dev qt6-svg-dev libqt6opengl6-dev qt6-qpa-plugins
  libimgui-dev libgl-dev fonts-dejavu-core
  # packaging: cpack's Debian generator (dpkg-shlibdeps)
  dpkg-dev file
  # tests and benchmarks
  libgtest-dev libbenchmark-dev python3 python3-h5py python3-numpy python3-mpi4py python3-zmq python3-msgpack
  procps psmisc tmux xvfb xauth poppler-utils
  # remote targets: the system OpenSSH client; sshd for the SSH test bed (two servers on loopback)
  openssh-client openssh-server
  # Slurm targets: the client commands, and munged, slurmctld and slurmd for the single-node Slurm test bed;
  # slurmdbd and MariaDB for its accounting variant (sacct)
  slurm-wlm slurm-client munge slurmdbd mariadb-server
  # data sets of the fed-sim job kind (sklearn's digits, breast_cancer and wine CSV files)
  python3-sklearn
  # gpt-train: corpus (bible-kjv's `bible` prints bible-kjv-text's compressed text), BPE tokenizer,
  # BLAS and OpenMP for the CPU kernels, PyTorch (CPU) for the golden test and the benchmark
  bible-kjv bible-kjv-text libsentencepiece-dev libopenblas-dev libgomp1 python3-torch
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi

echo "install-deps: installing ${#missing[@]} missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
echo "install-deps: done"
