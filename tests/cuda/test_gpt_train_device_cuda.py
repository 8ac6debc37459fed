"""gpt-train on the GPU end to end (CTest cuda.test_gpt_train_device_cuda, registered only
when the build has CUDA): the real CLI, agent and worker with device=cuda against device=cpu
on the same data and seed.

- fp32: the per-step training losses and the validation losses agree with the CPU's within
  1e-3 relative (the kernels' sums run in other orders, and dwte's atomic adds in any order);
- bf16 (matrix products with bf16 operands, fp32 accumulation and master weights): within
  3e-2 relative, and not equal to the fp32 GPU run's (the switch reaches cuBLAS);
- 2 ranks sharing the GPU with ZeRO-1 (gradients to the host, reduce-scattered in buckets,
  the sliced AdamW, the all-gathered parameters back to the device): within 1e-3 of the CPU;
- a checkpoint saved by the GPU run at step 3 resumes with device=cpu, and steps 4..6 agree
  with the uninterrupted GPU run within 1e-3;
- the run log names the GPU once, gpu_device is 0, MFU is against the measured cuBLAS peak.

Where no CUDA device can be used the first GPU run is refused at start, and the test prints
"no CUDA device: <the worker's reason>", which CTest reports as skipped."""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from e2e_support import Project, main  # noqa: E402
from gpt_train_support import TINY, finish, series, start, write_corpus  # noqa: E402

STEPS = 6


def relative_difference(a: dict, b: dict):
    assert sorted(a) == sorted(b), (sorted(a), sorted(b))
    return max(abs(a[s] - b[s]) / abs(b[s]) for s in a)


def test():
    prj = Project("gptcuda")
    params = dict(TINY, corpus=write_corpus(prj.root), steps=STEPS, val_interval=3)
    gpu = start(prj, "gpu", dict(params, device="cuda"), 1)
    rec = prj.wait_final(gpu, 120)
    if rec["status"] == "failed":
        tail = "\n".join(rec["failure"]["log_tail"])
        for reason in ("device=cuda: no usable CUDA device", "device=cuda: this build has no CUDA kernels"):
            if reason in tail:
                line = next(x for x in tail.splitlines() if reason in x)
                print(f"no CUDA device: {line.strip()}")
                return
    finish(prj, gpu)  # the status must be succeeded now: fails with the log otherwise

    runs = {
        "cpu": start(prj, "cpu", dict(params, device="cpu"), 1),
        "bf16": start(prj, "bf16", dict(params, device="cuda", precision="bf16"), 1),
        "gpu2": start(prj, "gpu2", dict(params, device="cuda", zero_stage=1), 2),
        "stop": start(prj, "stop", dict(params, device="cuda", stop_at_step=3), 1),
    }
    for run_id in runs.values():
        finish(prj, run_id)
    ckpt = prj.run_dir(runs["stop"]) / "checkpoints" / "step-0000003.h5"
    assert ckpt.is_file(), list((prj.run_dir(runs["stop"]) / "checkpoints").iterdir())
    resumed = start(prj, "resumed", dict(params, device="cpu", resume=str(ckpt)), 1)
    finish(prj, resumed)

    logs = prj.logs(gpu)
    named = [x for x in logs.splitlines() if x.startswith("orrery-gpt-train: GPU 0: ") and "CUDA kernels" in x]
    assert len(named) == 1, logs
    assert "cuBLAS sgemm peak" in logs, logs
    assert "cuBLAS bf16 gemm peak" in prj.logs(runs["bf16"])
    print(named[0])
    for run_id, ranks in ((gpu, 1), (runs["bf16"], 1), (runs["gpu2"], 2), (runs["stop"], 1)):
        for rank in range(ranks):
            assert series(prj, run_id, "gpu_device", rank) == {0: 0.0}, (run_id, rank)
            mfu = series(prj, run_id, "mfu", rank)
            assert all(0 < v < 1 for v in mfu.values()), (run_id, mfu)
    assert series(prj, runs["cpu"], "gpu_device") == {0: -1.0}

    cpu_loss, gpu_loss = series(prj, runs["cpu"], "train_loss"), series(prj, gpu, "train_loss")
    assert len(cpu_loss) == STEPS
    fp32 = relative_difference(gpu_loss, cpu_loss)
    fp32_val = relative_difference(series(prj, gpu, "val_loss"), series(prj, runs["cpu"], "val_loss"))
    bf16_loss = series(prj, runs["bf16"], "train_loss")
    bf16 = relative_difference(bf16_loss, cpu_loss)
    zero2 = relative_difference(series(prj, runs["gpu2"], "train_loss"), cpu_loss)
    tail = series(prj, resumed, "train_loss")
    resume = relative_difference(tail, {s: gpu_loss[s] for s in tail})
    print(f"relative loss differences against the CPU: fp32 {fp32:.2e} (val {fp32_val:.2e}), bf16 {bf16:.2e}, "
          f"2 ranks ZeRO-1 {zero2:.2e}; GPU checkpoint resumed on the CPU against the GPU run {resume:.2e}")
    assert sorted(tail) == [3, 4, 5], sorted(tail)
    assert fp32 <= 1e-3 and fp32_val <= 1e-3, (gpu_loss, cpu_loss)
    assert bf16 <= 3e-2, (bf16_loss, cpu_loss)
    assert bf16_loss != gpu_loss, "bf16 gave exactly the fp32 losses: the precision did not reach cuBLAS"
    assert zero2 <= 1e-3
    assert resume <= 1e-3, (tail, gpu_loss)


if __name__ == "__main__":
    main(test)
