"""orrery logs templates on the rank logs of real runs: mpi-pi-py, allreduce-bench (2 and 3
ranks) and the command kind running a Python worker, through the real agent and mpirun.
Every line the jobs print is labelled with its true template (the print statements in
plugins/mpi-pi-py/mpi_pi.py, plugins/allreduce-bench/allreduce_bench.cpp and
tests/e2e/workers/slow_worker.py); the CLI's grouping must score >= 0.9 on the grouping
accuracy of the Drain/Loghub papers, and its CSV must have the documented shape. Also:
standard input, --summary, bytes that are not UTF-8, and a missing file."""
import csv
import io
import re
from collections import Counter, defaultdict

from e2e_support import Project, main, PYTHON, WORKERS

# (name, regular expression a whole line matches) for every line the jobs print.
TRUE_TEMPLATES = [
    ("mpi_pi header", r"mpi_pi: \d+ ranks, \d+ rounds of \d+ samples per rank, seed \d+"),
    ("mpi_pi round", r"round \d+/\d+: pi ~ \d+\.\d+  error \S+  \(\d+ samples\)"),
    ("allreduce title", r"# orrery-allreduce-bench: MPI_Allreduce, float sum, \d+ ranks \(.*\)"),
    ("allreduce sizes", r"# sizes \d+ \S+ \.\. \d+ \S+; \d+ timed calls per size \(\d+ above 1 MiB\); \d+ warm-up calls"),
    ("allreduce columns", r"#\s+bytes\s+calls\s+latency_us\s+algbw_GBps\s+busbw_GBps\s+median_us\s+busbw_median"),
    ("allreduce row", r"\s+\d+\s+\d+(\s+\d+\.\d+){5}"),
    ("worker start", r"rank \d+: starting \d+ steps"),
    ("worker done", r"rank \d+: done"),
]


def label(line):
    for name, pattern in TRUE_TEMPLATES:
        if re.fullmatch(pattern, line):
            return name
    return None


def grouping_accuracy(truth, parsed):
    """Share of lines whose parsed group holds exactly the lines of their true group."""
    true_groups, parsed_groups = defaultdict(set), defaultdict(set)
    for i, (t, p) in enumerate(zip(truth, parsed)):
        true_groups[t].add(i)
        parsed_groups[p].add(i)
    return sum(1 for t, p in zip(truth, parsed) if true_groups[t] == parsed_groups[p]) / len(truth)


def run_and_collect(prj, name, spec):
    p = prj.cli("run", prj.spec(name, spec), "--quiet", check=0)
    run_id = [l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l][0]
    assert prj.record(run_id)["status"] == "succeeded", prj.record(run_id)
    lines = []
    for log in sorted((prj.run_dir(run_id) / "logs").glob("rank-*.log")):
        lines += log.read_text().splitlines()
    return lines


def parse_csv(text, header):
    rows = list(csv.reader(io.StringIO(text)))
    assert rows and rows[0] == header, rows[:2]
    return rows[1:]


def test():
    prj = Project("logtemplates")
    lines = []
    lines += run_and_collect(prj, "pi", {"kind": "mpi-pi-py", "name": "pi", "ranks": 2,
                                         "params": {"rounds": 30, "samples_per_round": 20000, "seed": 5}})
    lines += run_and_collect(prj, "ar2", {"kind": "allreduce-bench", "name": "ar2", "ranks": 2,
                                          "params": {"min_bytes": 8, "max_bytes": 262144, "iterations": 5, "warmup": 1}})
    lines += run_and_collect(prj, "ar3", {"kind": "allreduce-bench", "name": "ar3", "ranks": 3,
                                          "params": {"min_bytes": 64, "max_bytes": 65536, "iterations": 5, "warmup": 1}})
    lines += run_and_collect(prj, "workers", {"kind": "command", "name": "workers", "ranks": 3,
                                              "params": {"argv": [PYTHON, "-u", str(WORKERS / "slow_worker.py"),
                                                                  "--steps", "3", "--sleep", "0.01"]}})
    labels = [label(l) for l in lines]
    unknown = [l for l, t in zip(lines, labels) if t is None]
    assert len(unknown) <= 0.05 * len(lines), f"{len(unknown)} of {len(lines)} lines match no known template:\n" + \
        "\n".join(unknown[:20])
    assert len(set(labels) - {None}) == len(TRUE_TEMPLATES), Counter(labels)   # every template occurs
    log = prj.root / "ranks.log"
    log.write_text("\n".join(lines) + "\n")

    # Per line: line,template_id,template; line numbers 1..N in order, ids from 1 in order of first appearance.
    out = prj.cli("logs", "templates", log, check=0).stdout
    rows = parse_csv(out, ["line", "template_id", "template"])
    assert len(rows) == len(lines), (len(rows), len(lines))
    assert [int(r[0]) for r in rows] == list(range(1, len(lines) + 1))
    ids = [int(r[1]) for r in rows]
    seen = 0
    for i in ids:
        assert 1 <= i <= seen + 1, f"template id {i} after ids up to {seen}"
        seen = max(seen, i)
    text_of = {}
    for r in rows:
        assert text_of.setdefault(r[1], r[2]) == r[2], f"template {r[1]} printed as {text_of[r[1]]!r} and {r[2]!r}"
    known = [(t, p) for t, p in zip(labels, ids) if t is not None]
    accuracy = grouping_accuracy([t for t, _ in known], [p for _, p in known])
    print(f"{len(lines)} lines from 4 real runs, {len(TRUE_TEMPLATES)} true templates, {seen} parsed; "
          f"grouping accuracy {accuracy:.4f}")
    for tid, text in sorted(text_of.items(), key=lambda kv: int(kv[0])):
        print(f"  {tid:>3} {text}")
    assert accuracy >= 0.9, accuracy

    # Standard input gives the same rows.
    assert prj.cli("logs", "templates", "-", check=0, input=log.read_text()).stdout == out

    # --summary: template_id,count,template, most lines first, counts adding up to the lines.
    summary = parse_csv(prj.cli("logs", "templates", log, "--summary", check=0).stdout,
                        ["template_id", "count", "template"])
    counts = [int(r[1]) for r in summary]
    assert counts == sorted(counts, reverse=True) and sum(counts) == len(lines), counts
    assert {r[0]: r[2] for r in summary} == text_of
    assert {r[0]: int(r[1]) for r in summary} == {k: v for k, v in Counter(r[1] for r in rows).items()}

    # Bytes that are not UTF-8, a comma and quotes in a line: parsed, and the output is valid UTF-8 CSV.
    odd = prj.root / "odd.log"
    odd.write_bytes(b"caf\xe9 opened 12 files\ncaf\xe9 opened 7 files\nsaid \"hi, there\" to 3 users\n\xff\xfe end\n")
    p = prj.cli("logs", "templates", odd, check=0)
    rows = parse_csv(p.stdout, ["line", "template_id", "template"])
    assert len(rows) == 4 and rows[0][1] == rows[1][1] and rows[0][2] == "caf\ufffd opened <*> files", rows
    assert rows[2][2] == 'said "hi, there" to <*> users', rows

    # A missing file: non-zero exit, a message that names it, nothing on stdout.
    missing = prj.root / "no-such.log"
    p = prj.cli("logs", "templates", missing)
    assert p.returncode != 0, p
    assert str(missing) in p.stderr and "cannot open" in p.stderr and not p.stdout, (p.stdout, p.stderr)
    p = prj.cli("logs", "templates", prj.root)   # a directory
    assert p.returncode != 0 and "directory" in p.stderr, (p.returncode, p.stderr)
    p = prj.cli("logs", "templates", log, "--similarity", "2")   # out of range
    assert p.returncode == 2, (p.returncode, p.stderr)


if __name__ == "__main__":
    main(test)
