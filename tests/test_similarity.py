"""Similarity between submissions (autograder/outputs/similarity.py), through the real command.

One run of `python -m autograder similarity convolution FOLDER -o OUT` on a folder that holds
independently written correct solutions, a planted pair (one of them, renamed and with
independent statements reordered), a planted copy of the answer key, and hostile files; one
run of `grade --similarity` on a small folder.
"""

import csv
import html.parser
import os
import subprocess
import sys
from pathlib import Path

import grading_cases as gc
import nbformat
import pytest

from autograder.outputs.similarity import DEFAULT_THRESHOLD
from autograder.paths import ROOT

DOC = (
    '    """{}\n\n    image: (H, W) array; kernel: (kh, kw) array.\n'
    '    Returns a float array of shape (H - kh + 1, W - kw + 1).\n    """\n'
)
CORR_DOC = DOC.format("Valid 2-D cross-correlation.")
CONV_DOC = DOC.format("Valid 2-D convolution: cross-correlation with the kernel turned by 180 degrees.")

# Correct solutions written independently of each other and of the answer key (each keeps the
# starter's docstring, as students do).
HONEST = {
    "honest_loops": dict(
        corr2d=f"""def corr2d(image, kernel):
{CORR_DOC}    img = np.array(image, dtype=np.float64)
    ker = np.array(kernel, dtype=np.float64)
    rows, cols = img.shape
    kr, kc = ker.shape
    out_rows = rows - kr + 1
    out_cols = cols - kc + 1
    result = np.empty((out_rows, out_cols))
    for r in range(out_rows):
        for c in range(out_cols):
            total = 0.0
            for a in range(kr):
                for b in range(kc):
                    total += img[r + a, c + b] * ker[a, b]
            result[r, c] = total
    return result
""",
        convolve2d=f"""def convolve2d(image, kernel):
{CONV_DOC}    flipped = np.flipud(np.fliplr(np.array(kernel, dtype=np.float64)))
    return corr2d(image, flipped)
""",
    ),
    "honest_vectorised": dict(
        corr2d=gc.CORR2D_VECTORISED,
        convolve2d="def convolve2d(image, kernel):\n    return corr2d(image, np.flip(np.asarray(kernel)))\n",
    ),
    "honest_shifts": dict(
        corr2d="""def corr2d(image, kernel):
    image = np.asarray(image, dtype=float)
    kernel = np.asarray(kernel, dtype=float)
    oh = image.shape[0] - kernel.shape[0] + 1
    ow = image.shape[1] - kernel.shape[1] + 1
    out = np.zeros((oh, ow))
    for m in range(kernel.shape[0]):
        for n in range(kernel.shape[1]):
            out += kernel[m, n] * image[m:m + oh, n:n + ow]
    return out
""",
        convolve2d="""def convolve2d(image, kernel):
    rotated = np.rot90(np.asarray(kernel, dtype=float), 2)
    return corr2d(image, rotated)
""",
    ),
    "honest_comprehension": dict(
        corr2d="""def corr2d(image, kernel):
    X = np.array(image, float)
    K = np.array(kernel, float)
    h = len(X) - len(K) + 1
    w = len(X[0]) - len(K[0]) + 1
    rows = [[float((X[r:r + len(K), c:c + len(K[0])] * K).sum()) for c in range(w)] for r in range(h)]
    return np.array(rows).reshape(h, w)
""",
        convolve2d="""def convolve2d(image, kernel):
    k = np.asarray(kernel, dtype=float)
    return corr2d(image, k[::-1][:, ::-1])
""",
    ),
}

# honest_loops with every variable renamed and independent statements swapped.
PLANTED = dict(
    corr2d=f"""def corr2d(image, kernel):
{CORR_DOC}    k = np.array(kernel, dtype=np.float64)
    kh, kw = k.shape
    x = np.array(image, dtype=np.float64)
    h, w = x.shape
    ow = w - kw + 1
    oh = h - kh + 1
    y = np.empty((oh, ow))
    for i in range(oh):
        for j in range(ow):
            acc = 0.0
            for m in range(kh):
                for n in range(kw):
                    acc += x[i + m, j + n] * k[m, n]
            y[i, j] = acc
    return y
""",
    convolve2d=f"""def convolve2d(image, kernel):
{CONV_DOC}    kf = np.flipud(np.fliplr(np.array(kernel, dtype=np.float64)))
    return corr2d(image, kf)
""",
)


def key_copy():
    """The master's solution, markers dropped and lightly renamed."""
    out = {}
    for name, source in gc.answers().items():
        source = source.replace("    # BEGIN SOLUTION\n", "").replace("    # END SOLUTION\n", "")
        for old, new in (("Y", "out"), ("X", "img"), ("K", "w"), ("kh", "a"), ("kw", "b")):
            source = source.replace(old, new)
        out[name] = source.replace("np.asarray(kernel)[", "np.asarray(kernel, dtype=float)[")
    return out


def escaping_case():
    """A copy of honest_shifts (so that the page shows its code) with a cell that holds a <script>
    and a lone surrogate (which JSON allows)."""
    nb = gc.filled(**HONEST["honest_shifts"])
    text = nbformat.writes(gc.with_cell(nb, 'note = "</pre><script>alert(1)</script>LONE"\n'))
    return text.replace("LONE", "\\ud800")  # a JSON escape: the string holds U+D800 alone


def hostile_files(folder):
    """{file name: what its 'not compared' line must say}."""
    folder = Path(folder)
    (folder / "invalid_json.ipynb").write_bytes(b'{"cells": [{"cell_type": "code", "source": "def corr2d(')
    (folder / "deeply_nested.ipynb").write_bytes(b'{"cells": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    big = gc.filled()
    big.cells[-1].outputs = [nbformat.v4.new_output("stream", name="stdout", text="x" * (50 * 2**20))]
    nbformat.write(big, folder / "fifty_megabytes.ipynb")
    os.mkfifo(folder / "fifo.ipynb")
    (folder / "linked.ipynb").symlink_to(ROOT / "solutions" / "convolution.ipynb")
    (folder / "latin1.ipynb").write_bytes('{"cells": [], "x": "é"}'.encode("latin-1"))
    long = gc.filled(corr2d="def corr2d(image, kernel):\n" + "    x = 1\n" * 20_000)
    nbformat.write(long, folder / "too_much_code.ipynb")
    return {
        "invalid_json": "invalid JSON",
        "deeply_nested": "nested too deeply",
        "fifty_megabytes": "larger than",
        "fifo": "not a regular file",
        "linked": "symbolic link",
        "latin1": "not UTF-8",
        "too_much_code": "characters of code",
    }


def similarity(folder, out, *extra):
    return subprocess.run(
        [sys.executable, "-m", "autograder", "similarity", "convolution", str(folder), "-o", str(out), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def rows_of(out):
    with open(Path(out) / "similarity.csv", newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("similarity")
    folder, out = root / "submissions", root / "out"
    folder.mkdir()
    for name, sources in HONEST.items():
        nbformat.write(gc.filled(**sources), folder / f"{name}.ipynb")
    nbformat.write(gc.filled(**PLANTED), folder / "planted_copy.ipynb")
    nbformat.write(gc.filled(**key_copy()), folder / "key_copy.ipynb")
    (folder / "<b>escaped.ipynb").write_text(escaping_case(), encoding="utf-8")
    hostile = hostile_files(folder)
    proc = similarity(folder, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return {
        "proc": proc,
        "rows": rows_of(out),
        "csv": (out / "similarity.csv").read_text(encoding="utf-8"),
        "html": (out / "similarity.html").read_text(encoding="utf-8"),
        "hostile": hostile,
        "folder": folder,
        "out": root / "again",
    }


def flagged(rows, kind):
    return {frozenset((r["a"], r["b"])): r for r in rows if r["kind"] == kind}


def test_planted_pair_is_flagged(report):
    pairs = flagged(report["rows"], "pair")
    row = pairs.get(frozenset(("honest_loops", "planted_copy")))
    assert row is not None, report["csv"]
    assert max(float(row["similarity_a_b"]), float(row["similarity_b_a"])) >= DEFAULT_THRESHOLD
    assert int(row["tokens_overlapping"]) > 100


def test_answer_key_copy_is_flagged_first(report):
    keys = [r for r in report["rows"] if r["kind"] == "answer key"]
    assert [r["a"] for r in keys] == ["key_copy"], report["csv"]
    assert keys[0]["b"] == "solutions/convolution.ipynb"
    assert report["rows"][0]["kind"] == "answer key"  # listed before the pairs
    page = report["html"]
    assert page.index("Copies of an answer key") < page.index("Pairs at or above")
    assert page.index("key_copy") < page.index("Pairs at or above")


def test_independent_solutions_are_not_flagged(report):
    honest = set(HONEST)
    for r in report["rows"]:
        if r["kind"] == "pair":
            assert not {r["a"], r["b"]} <= honest, r
        assert not (r["kind"] == "answer key" and r["a"] in honest), r
    # key_copy is a renamed answer key: it must not look like an honest solution either
    assert all(frozenset(("key_copy", h)) not in flagged(report["rows"], "pair") for h in honest)


def test_hostile_files_are_reported_and_the_others_compared(report):
    err = report["proc"].stderr
    for name, reason in report["hostile"].items():
        line = next((x for x in err.splitlines() if x.startswith(f"{name}: not compared: ")), None)
        assert line is not None and reason in line, (name, err)
        assert f"{name}: not compared: " in report["html"]
    assert "7 submissions compared" in report["html"]  # 4 honest, 2 planted, the escaping case
    assert not any(r["a"] in report["hostile"] or r["b"] in report["hostile"] for r in report["rows"])


class _Tags(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attrs = [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += [(tag, k, v) for k, v in attrs]


def test_page_is_offline_and_escapes_student_text(report):
    page = report["html"]
    parser = _Tags()
    parser.feed(page)
    assert set(parser.tags) <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "h3", "h4", "p"} | {
        "table",
        "tr",
        "th",
        "td",
        "a",
        "div",
        "pre",
        "mark",
        "ul",
        "li",
    }, set(parser.tags)
    for tag, name, value in parser.attrs:
        assert name in ("lang", "charset", "class", "id", "href"), (tag, name, value)
        assert name != "href" or value.startswith("#"), value
    assert "url(" not in page and "@import" not in page
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;\ufffd" in page
    assert "&lt;b&gt;escaped" in page


def test_same_folder_same_files(report):
    again = similarity(report["folder"], report["out"], "-q")
    assert again.returncode == 0 and again.stderr == "", again.stderr
    assert (report["out"] / "similarity.csv").read_text(encoding="utf-8") == report["csv"]
    assert (report["out"] / "similarity.html").read_text(encoding="utf-8") == report["html"]


@pytest.mark.slow  # grades a class
def test_grade_with_similarity(tmp_path):
    folder, out = tmp_path / "submissions", tmp_path / "out"
    folder.mkdir()
    nbformat.write(gc.filled(**HONEST["honest_loops"]), folder / "a.ipynb")
    nbformat.write(gc.filled(**PLANTED), folder / "b.ipynb")
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "grade", "convolution", str(folder), "-o", str(out), "-j", "2"]
        + ["--similarity"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr
    assert (out / "grades.csv").exists()
    assert [(r["a"], r["b"], r["kind"]) for r in rows_of(out)] == [("a", "b", "pair")]
    assert "1 pairs at or above" in proc.stderr


def test_a_rerun_with_nothing_changed_is_read_from_the_cache(report, tmp_path, capsys):
    """A rerun into the same folder compares nothing again (similarity-cache.json, keyed by the
    content of every file compared) and leaves the same files; a changed threshold or a changed
    submission is compared again."""
    out = report["folder"].parent / "out"
    rerun = similarity(report["folder"], out)
    assert rerun.returncode == 0, rerun.stderr
    assert "(unchanged: from similarity-cache.json)" in rerun.stderr, rerun.stderr
    assert (out / "similarity.csv").read_text(encoding="utf-8") == report["csv"]
    assert (out / "similarity.html").read_text(encoding="utf-8") == report["html"]

    (out / "similarity.html").unlink()  # a page removed since is written again, from the cache
    rerun = similarity(report["folder"], out)
    assert "(unchanged: from similarity-cache.json)" in rerun.stderr, rerun.stderr
    assert (out / "similarity.html").read_text(encoding="utf-8") == report["html"]

    lower = similarity(report["folder"], out, "--threshold", "0.3")
    assert lower.returncode == 0 and "unchanged" not in lower.stderr, lower.stderr
    assert len(rows_of(out)) > len(report["rows"])

    # the same in this process (write_report, as the command calls it), on a folder that changes
    from autograder.outputs.similarity import write_report

    folder, out = tmp_path / "class", tmp_path / "out"
    folder.mkdir()
    for name in ("honest_loops", "honest_vectorised"):
        nbformat.write(gc.filled(**HONEST[name]), folder / f"{name}.ipynb")
    write_report("convolution", folder, out)
    assert "unchanged" not in capsys.readouterr().err
    assert not [r for r in rows_of(out) if r["a"] == "honest_vectorised"]
    nbformat.write(gc.filled(**key_copy()), folder / "honest_vectorised.ipynb")  # one file's bytes changed
    rows, _ = write_report("convolution", folder, out)
    assert "unchanged" not in capsys.readouterr().err
    again, _ = write_report("convolution", folder, out)
    assert "(unchanged: from similarity-cache.json)" in capsys.readouterr().err
    assert [r["kind"] for r in rows_of(out) if r["a"] == "honest_vectorised"][:1] == ["answer key"], rows_of(out)
    assert [{k: v for k, v in r.items() if k not in ("sa", "sb")} for r in again] == [
        {k: v for k, v in r.items() if k not in ("sa", "sb")} for r in rows
    ]
    assert all((a["sa"] == b["sa"]).all() and (a["sb"] == b["sb"]).all() for a, b in zip(rows, again))
