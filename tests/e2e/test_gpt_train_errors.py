"""gpt-train end to end, bad inputs: a context of 0 is refused before anything starts (exit
2, the parameter's JSON path); what only the worker can judge (a missing corpus, one that is
not UTF-8, a vocabulary larger than the corpus allows, a batch that does not split over the
ranks, a checkpoint that does not exist) fails the run with a reason naming it."""

from e2e_support import Project, main
from gpt_train_support import TINY, start, write_corpus


def test():
    prj = Project("gptbad")
    spec = prj.spec("ctx0", {"kind": "gpt-train", "params": dict(TINY, context=0)})
    p = prj.cli("run", spec)
    assert p.returncode == 2 and "$.params.context" in p.stderr, (p.returncode, p.stdout, p.stderr)

    corpus = write_corpus(prj.root)
    latin1 = prj.root / "latin1.txt"
    latin1.write_bytes("Genesis: caf\u00e9 au lait\n".encode("utf-8") * 50 + "na\u00efve\n".encode("latin-1"))
    cases = [
        ({"corpus": str(prj.root / "nowhere.txt")}, f"corpus {prj.root / 'nowhere.txt'} not found"),
        ({"corpus": str(latin1)}, "is not UTF-8 text (invalid byte at offset 1152)"),
        ({"corpus": corpus, "vocab": 60000}, "vocab 60000 is too large for this corpus"),
        ({"corpus": corpus, "batch_size": 3, "ranks": 2}, "batch_size 3 is not a multiple of the 2 ranks"),
        ({"corpus": corpus, "resume": str(prj.root / "step-0000001.h5")}, "step-0000001.h5 not found"),
    ]
    # A failing run takes many seconds here (mpirun's teardown), so the cases run side by side.
    started = []
    for i, (params, message) in enumerate(cases):
        ranks = params.pop("ranks", 1)
        started.append((start(prj, f"bad-{i}", dict(TINY, steps=2, **params), ranks), message))
    prj.expect_worker_refusals(started)


if __name__ == "__main__":
    main(test)
