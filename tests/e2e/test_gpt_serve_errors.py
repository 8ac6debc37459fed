"""gpt-serve end to end, bad inputs: a spec without a checkpoint is refused before anything
starts (exit 2, the parameter's JSON path); what only the worker can judge fails the run
with exit 2 and a reason naming it: rate <= 0, an SLO <= 0, a checkpoint of another model
shape or not there (a relative path resolved in the project), more prefill ranks than the ranks allow, requests past the model's
context, a bad trace line."""
from e2e_support import Project, main
from gpt_serve_support import WORKLOAD, start_serve, train_checkpoint


def test():
    prj = Project("gptservebad")
    spec = prj.spec("nockpt", {"kind": "gpt-serve", "params": {"rate": 1}})
    p = prj.cli("run", spec)
    assert p.returncode == 2 and "checkpoint" in p.stderr, (p.returncode, p.stdout, p.stderr)

    ckpt, corpus = train_checkpoint(prj, steps=2)
    trace = prj.root / "trace.jsonl"
    trace.write_text('{"arrival_s": 0, "prompt_tokens": 4, "output_tokens": 3}\n{"arrival_s": 0.1, "prompt_tokens": "4"}\n')
    base = dict(WORKLOAD, checkpoint=ckpt, corpus=corpus)
    cases = [
        ({"rate": 0}, "--rate: must be greater than 0 requests/s"),
        ({"rate": -3}, "--rate: must be greater than 0 requests/s"),
        ({"slo_ttft_ms": 0}, "--slo_ttft_ms: must be greater than 0"),
        ({"slo_tpot_ms": -5}, "--slo_tpot_ms: must be greater than 0"),
        ({"layers": 4}, f"checkpoint {ckpt} has layers 2, the spec asks for 4"),
        ({"checkpoint": str(prj.root / "step-0000009.h5")}, f"checkpoint {prj.root / 'step-0000009.h5'} not found"),
        # A relative path names a file of the project, wherever the worker runs.
        ({"checkpoint": "runs/none/step-0000001.h5"}, f"checkpoint {prj.root / 'runs/none/step-0000001.h5'} not found"),
        ({"placement": "disaggregated", "prefill_ranks": 2},
         "--prefill_ranks 2: more prefill ranks than the 2 ranks allow (disaggregated serving needs at least one decode rank)"),
        ({"output_min": 30, "output_max": 30}, "new tokens pass the model's context of 32"),
        ({"trace": str(trace)}, f"trace {trace} line 2: 'prompt_tokens' missing or not a number"),
    ]
    # A failing run takes seconds here (mpirun's teardown): the cases run side by side.
    started = [(start_serve(prj, f"bad-{i}", dict(base, **params)), message) for i, (params, message) in enumerate(cases)]
    prj.expect_worker_refusals(started)


if __name__ == "__main__":
    main(test)
