"""Invalid specs are refused before anything starts: every error at once with its JSON path,
exit code 2, no run folder; names can't escape the project."""

from e2e_support import Project, main


def test():
    prj = Project("spec")
    bad = prj.spec("bad", {"kind": "allreduce-bench", "name": "../../etc", "ranks": 0, "colour": "red",
                           "params": {"iterations": "many", "max_bytes": 1 << 40, "nope": 1}})
    for cmd in (("validate", bad), ("run", bad)):
        p = prj.cli(*cmd)
        assert p.returncode == 2, (p.returncode, p.stdout, p.stderr)
        for path in ("$.name", "$.ranks", "$.colour", "$.params.iterations", "$.params.max_bytes", "$.params.nope"):
            assert path in p.stderr, (path, p.stderr)
    assert not any((prj.root / "runs").iterdir()), "a run folder was created for an invalid spec"

    p = prj.cli("run", prj.spec("unknown", {"kind": "no-such-kind"}))
    assert p.returncode == 2 and "$.kind" in p.stderr, p.stderr
    (prj.root / "broken.json").write_text('{"kind": "command",\n  "params": {')
    p = prj.cli("validate", prj.root / "broken.json")
    assert p.returncode == 2 and "line" in p.stderr, p.stderr

    for query in ("../..", "/etc", "..", "x/../../y"):
        p = prj.cli("show", query)
        assert p.returncode != 0 and "Traceback" not in p.stderr, p.stderr
    p = prj.cli("--help", check=0)
    for sub in ("run", "ls", "show", "attach", "cancel", "export"):
        assert sub in p.stdout
        h = prj.cli(sub, "--help", check=0)
        assert "Usage" in h.stdout or "usage" in h.stdout.lower(), h.stdout


if __name__ == "__main__":
    main(test)
