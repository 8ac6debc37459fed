"""gpt-train end to end, the device and precision parameters through the real CLI, agent and
worker. device=auto trains and says once in the run log which kernels and why ("GPU 0: ...:
CUDA kernels", "no CUDA device: CPU kernels (...)" or "built without CUDA: CPU kernels"), keeps
that line as a `device` event and logs `gpu_device` (the device index, -1 on the CPU) on every
rank. Where no GPU can be used (CI, the build machine) device=cuda and precision=bf16 fail at
start with exit 2 and a reason; precision=bf16 with device=cpu is refused by the worker's
option check; an unknown device word is refused by the launch form's validation before
anything starts. (The GPU runs themselves are tests/cuda/test_gpt_train_device_cuda.py.)"""
import re

import h5py

from e2e_support import Project, main
from gpt_train_support import TINY, finish, series, start, write_corpus

KERNEL_LINE = re.compile(r"^orrery-gpt-train: (GPU \d+: .+: CUDA kernels .*|no CUDA device: CPU kernels \(.+\)|"
                         r"built without CUDA: CPU kernels)$", re.M)


def test():
    prj = Project("gptdev")
    spec = prj.spec("gpu-word", {"kind": "gpt-train", "params": dict(TINY, device="gpu")})
    p = prj.cli("run", spec)
    assert p.returncode == 2 and "$.params.device" in p.stderr, (p.returncode, p.stdout, p.stderr)

    corpus = write_corpus(prj.root)
    auto = start(prj, "auto", dict(TINY, corpus=corpus, steps=2, val_interval=2), 2)
    finish(prj, auto)
    logs = prj.logs(auto)
    lines = KERNEL_LINE.findall(logs)
    assert len(lines) == 1, (lines, logs)  # said once, by rank 0, though two ranks run
    kernels = lines[0]
    print("device=auto:", kernels)
    on_gpu = kernels.startswith("GPU ")
    for rank in (0, 1):
        gpu = series(prj, auto, "gpu_device", rank)
        assert list(gpu) == [0] and (gpu[0] >= 0) == on_gpu, (rank, gpu, kernels)
    with h5py.File(prj.run_dir(auto) / "run.h5", "r") as f:
        events = [e["text"].decode() for e in f["events"][:] if e["kind"].decode() == "device"]
    assert events == [kernels], events
    assert len(series(prj, auto, "train_loss")) == 2

    cases = [({"device": "cpu", "precision": "bf16"},
              "--precision: bf16 runs only on the CUDA kernels (device=cuda or auto with a GPU); device=cpu is fp32")]
    if not on_gpu:
        built_without = kernels.startswith("built without CUDA")
        cases += [
            ({"device": "cuda"}, "device=cuda: this build has no CUDA kernels" if built_without
             else "device=cuda: no usable CUDA device ("),
            ({"precision": "bf16"}, "precision=bf16 runs only on the CUDA kernels, and " +
             ("this build has none" if built_without else "there is no usable CUDA device (")),
        ]
    started = [(start(prj, f"bad-{i}", dict(TINY, corpus=corpus, steps=2, **params), 1), message)
               for i, (params, message) in enumerate(cases)]
    prj.expect_worker_refusals(started)


if __name__ == "__main__":
    main(test)
