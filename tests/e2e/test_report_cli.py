"""`orrery report` on two real allreduce-bench runs that differ in one parameter: the HTML
parses, names every run, has one inline <svg> per shared metric, lists the differing
parameter and escapes untrusted notes and tags; the PDF renders with pdftoppm to a first
page that is not blank; an unknown run and an unwritable output fail with clear messages."""
import html.parser
import json
import subprocess
import tempfile
from pathlib import Path

from e2e_support import ORRERY, Project, env, main

HOSTILE = '<script>alert("x")</script> & 100%1 notes'


class Collector(html.parser.HTMLParser):
    """Counts start tags and gathers the text (entities decoded) and the raw start tags."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags = {}
        self.text = []

    def handle_starttag(self, tag, attrs):
        self.tags[tag] = self.tags.get(tag, 0) + 1

    def handle_data(self, data):
        self.text.append(data)


def run_bench(prj, name, max_bytes):
    spec = prj.spec(name, {"kind": "allreduce-bench", "name": name, "ranks": 2,
                           "params": {"min_bytes": 8, "max_bytes": max_bytes, "iterations": 5, "warmup": 1}})
    p = prj.cli("run", spec, check=0)
    return [l.split()[1] for l in p.stdout.splitlines() if l.startswith("run ") and "started" in l][0]


def report(*args, project=None):
    """orrery report, drawing offscreen whatever display the test runs under."""
    e = env()
    e["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run([ORRERY, "report", *map(str, args)] + (["--project", str(project)] if project else []),
                          capture_output=True, text=True, timeout=180, env=e)


def html_text(path):
    parser = Collector()
    parser.feed(Path(path).read_text(encoding="utf-8"))
    parser.close()
    return parser, "".join(parser.text)


def metric_names(run_dir):
    """The metrics a run recorded, as h5py reads run.h5 (any rank)."""
    import h5py
    with h5py.File(run_dir / "run.h5", "r") as f:
        return {name for rank in f["metrics"] for name in f["metrics"][rank]}


def read_pgm(path):
    """(width, height, pixels) of a binary PGM (P5, 8-bit) as pdftoppm -gray writes it."""
    data = Path(path).read_bytes()
    fields, pos = [], 0
    while len(fields) < 4:
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5", fields
    w, h, maxval = int(fields[1]), int(fields[2]), int(fields[3])
    assert maxval < 256, maxval
    pixels = data[pos + 1:pos + 1 + w * h]
    assert len(pixels) == w * h, (len(pixels), w, h)
    return w, h, pixels


def test():
    prj = Project("report")
    a = run_bench(prj, "ar-small", 4096)
    b = run_bench(prj, "ar-large", 65536)
    # Untrusted text in the annotations the workbench writes.
    (prj.run_dir(a) / "annotations.json").write_text(json.dumps({"tags": ["<b>tag</b>"], "notes": HOSTILE}))

    shared = metric_names(prj.run_dir(a)) & metric_names(prj.run_dir(b))
    assert {"algbw_GBps", "busbw_GBps", "latency_us"} <= shared, shared

    out = prj.root / "out"
    out.mkdir()
    html_file, pdf_file = out / "report.html", out / "report.pdf"
    p = report(a, "ar-large", "--html", html_file, "--pdf", pdf_file, project=prj.root)   # by id and by name
    assert p.returncode == 0 and "wrote" in p.stdout, (p.returncode, p.stdout, p.stderr)

    text = html_file.read_text(encoding="utf-8")
    parser, plain = html_text(html_file)
    for run_id in (a, b):
        assert run_id in plain, f"{run_id} missing from the report"
    assert parser.tags.get("svg", 0) == len(shared), parser.tags
    assert text.count("<svg") == len(shared), text.count("<svg")
    for metric in shared:
        assert metric in plain, metric
    # The parameter that differs is listed with both values; those that do not are left out.
    assert "max_bytes" in plain and "4096" in plain and "65536" in plain, plain[:2000]
    assert "min_bytes" not in plain and "iterations" not in plain, plain[:2000]
    # Untrusted text: escaped in the markup, intact as text, never a tag.
    assert "<script>" not in text and "&lt;script&gt;" in text, text[:3000]
    assert HOSTILE in plain and "<b>tag</b>" in plain
    assert "script" not in parser.tags and "b" not in parser.tags, parser.tags
    assert "succeeded" in plain and "allreduce-bench" in plain

    # The PDF opens, and its first page is not a blank sheet.
    assert pdf_file.read_bytes().startswith(b"%PDF"), pdf_file.read_bytes()[:20]
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(["pdftoppm", "-gray", "-r", "50", "-f", "1", "-l", "1", "-singlefile", str(pdf_file),
                            str(Path(tmp) / "page")], capture_output=True, text=True, timeout=60)
        assert r.returncode == 0, r.stderr
        w, h, pixels = read_pgm(Path(tmp) / "page.pgm")
    mean = sum(pixels) / len(pixels)
    variance = sum((v - mean) ** 2 for v in pixels) / len(pixels)
    dark = sum(1 for v in pixels if v < 128) / len(pixels)
    print(f"first page {w}x{h}: mean {mean:.1f}, variance {variance:.1f}, dark fraction {dark:.4f}")
    assert w > 300 and h > 300, (w, h)
    assert variance > 50 and dark > 0.005, (variance, dark)
    pages = subprocess.run(["pdfinfo", str(pdf_file)], capture_output=True, text=True, timeout=60).stdout
    n_pages = int([l.split()[-1] for l in pages.splitlines() if l.startswith("Pages:")][0])
    assert n_pages >= 1 + (len(shared) + 1) // 2, pages   # text, then two charts a page

    # One run: every parameter is listed.
    single = out / "single.html"
    p = report(b, "--html", single, project=prj.root)
    assert p.returncode == 0, p.stderr
    parser, plain = html_text(single)
    assert parser.tags.get("svg", 0) == len(shared), parser.tags
    assert b in plain and a not in plain and "min_bytes" in plain and "iterations" in plain, plain[:2000]

    # --all-params: the parameters both runs share are listed too.
    every = out / "every.html"
    p = report(a, b, "--html", every, "--all-params", project=prj.root)
    assert p.returncode == 0, p.stderr
    plain = html_text(every)[1]
    assert "max_bytes" in plain and "min_bytes" in plain and "iterations" in plain, plain[:2000]

    # An unknown run: non-zero, named; nothing written.
    missing = out / "missing.html"
    p = report(a, "no-such-run", "--html", missing, project=prj.root)
    assert p.returncode != 0 and "no-such-run" in p.stderr, (p.returncode, p.stderr)
    assert not missing.exists()

    # An output that cannot be written: non-zero, the path and the reason named.
    bad = prj.root / "no-such-folder" / "r.pdf"
    p = report(a, "--pdf", bad, project=prj.root)
    assert p.returncode != 0 and str(bad) in p.stderr and "cannot write" in p.stderr, (p.returncode, p.stderr)

    # No output asked for: a usage error.
    p = report(a, project=prj.root)
    assert p.returncode == 2, (p.returncode, p.stderr)


if __name__ == "__main__":
    main(test)
