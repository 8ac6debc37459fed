"""gpt-serve end to end, interactive prompts during the workload: `orrery prompt RUN TEXT`
sent while rank 0 serves its share of the workload joins rank 0's running continuous batch
(a request of the workload's engine, id < 0) and is answered before the workload ends; the
greedy answer is the one the same prompt gets after the workload (rank 0's own batch-1
engine, prompt_wait_s). The workload's requests are neither disturbed nor counted: their
output digests equal those of a run without prompts, and the per-request metrics and the
summary count the workload's requests alone. Disaggregated: rank 0 (a prefill rank) decodes
a prompt itself, the same answer."""
import time

import h5py

from e2e_support import Project, main
from gpt_serve_support import WORKLOAD, final, per_request, start_serve, train_checkpoint
from gpt_train_support import finish

TEXT = "In the beginning God created"
# Long enough that a prompt sent at the first metrics lands in the middle of it.
LIVE = dict(WORKLOAD, duration_s=3.0, answer_tokens=10)


def first_metrics(prj, run):
    """Waits for the ranks' first metrics (the workload has started); returns the time seen."""
    prj.wait_for(run, lambda r: r["status"] == "running" and r.get("last_metrics"), 60, "the ranks' first metrics")
    return time.time()


def prompt(prj, run):
    t0 = time.time()
    cli = prj.cli("prompt", run, TEXT, "--timeout", "30")
    assert cli.returncode == 0, (cli.returncode, cli.stdout, cli.stderr)
    print(f"{run}: orrery prompt answered in {time.time() - t0:.2f} s")
    return cli.stdout.strip()


def read_run(prj, run, ranks=2):
    """Prompt answers in order of prompt.done: [(id, answer, done time)]; the end of rank 0's
    last prefill or decode step of its workload engine (its own after-workload engine logs
    no spans); the time of the workload's last finished request (its e2e_s point, on
    whichever rank finished it)."""
    with h5py.File(prj.run_dir(run) / "run.h5", "r") as f:
        events = f["events"][:]
        spans = f["spans/rank-0"][:]
        last_finish = max(float(f[k][:]["time"].max()) for k in (f"metrics/rank-{r}/e2e_s" for r in range(ranks)) if k in f)
    steps = [float(sp["end"]) for sp in spans if sp["name"].decode() in ("prefill", "decode")]
    rank0_workload_end = max(steps)
    pieces = {}
    answers = []
    for e in events:
        kind, text = e["kind"].decode(), e["text"].decode()
        if kind == "prompt.token":
            pid, piece = text.split(":", 1)
            pieces[pid] = pieces.get(pid, "") + piece
        elif kind == "prompt.done":
            answers.append((text, pieces.get(text, ""), float(e["time"])))
    return answers, rank0_workload_end, last_finish


def check_workload(prj, run, quiet_digests):
    """The workload's requests alone in the per-request series and the summary; their tokens
    those of the run without prompts."""
    digests = per_request(prj, run, "output_digest")
    assert digests == quiet_digests, "a prompt changed the workload's outputs"
    assert sorted(per_request(prj, run, "ttft_s")) == sorted(quiet_digests)  # no prompt among them (ids < 0)
    assert final(prj, run, "requests") == len(quiet_digests)
    print(f"{run}: workload TTFT p50 {final(prj, run, 'ttft_p50_s') * 1e3:.1f} ms, TPOT p50 "
          f"{final(prj, run, 'tpot_p50_s') * 1e3:.2f} ms")


def test():
    prj = Project("gptpromptlive")
    ckpt, corpus = train_checkpoint(prj)
    common = dict(LIVE, checkpoint=ckpt, corpus=corpus)

    quiet = start_serve(prj, "quiet", common)
    finish(prj, quiet)
    quiet_digests = per_request(prj, quiet, "output_digest")
    assert len(quiet_digests) >= 6, quiet_digests
    print(f"{quiet}: workload TTFT p50 {final(prj, quiet, 'ttft_p50_s') * 1e3:.1f} ms, TPOT p50 "
          f"{final(prj, quiet, 'tpot_p50_s') * 1e3:.2f} ms")

    # Colocated: one prompt during the workload, one after it (prompt_wait_s).
    live = start_serve(prj, "live", dict(common, prompt_wait_s=6))
    started = first_metrics(prj, live)
    during = prompt(prj, live)
    time.sleep(max(0.0, started + LIVE["duration_s"] + 1.5 - time.time()))  # past the workload's last arrival and drain
    after = prompt(prj, live)
    finish(prj, live)
    answers, rank0_end, last_finish = read_run(prj, live)
    assert len(answers) == 2, answers
    (_, in_batch, done_during), (_, alone, done_after) = answers
    print(f"colocated: prompt answered {rank0_end - done_during:.2f} s before rank 0's last workload step; "
          f"the one after the workload {done_after - last_finish:.2f} s after its last request; answer {in_batch!r}")
    assert done_during < rank0_end <= last_finish < done_after, (done_during, rank0_end, last_finish, done_after)
    assert in_batch.strip() and in_batch == alone, (in_batch, alone)
    assert during == in_batch.strip() and after == alone.strip(), (during, after)
    check_workload(prj, live, quiet_digests)

    # Disaggregated: rank 0 prefills the workload and decodes the prompt itself.
    disagg = start_serve(prj, "disagg", dict(common, placement="disaggregated", prefill_ranks=1))
    first_metrics(prj, disagg)
    assert prompt(prj, disagg) == in_batch.strip()
    finish(prj, disagg)
    answers, rank0_end, _ = read_run(prj, disagg)
    print(f"disaggregated: prompt answered {rank0_end - answers[0][2]:.2f} s before rank 0's last prefill")
    assert len(answers) == 1 and answers[0][1] == in_batch and answers[0][2] < rank0_end, (answers, rank0_end)
    check_workload(prj, disagg, quiet_digests)


if __name__ == "__main__":
    main(test)
