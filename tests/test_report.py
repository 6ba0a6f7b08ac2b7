"""The class report (autograder/outputs/report.py) of a generated class of 40, graded by the real
command: report.html names every classic mistake planted in the class, with its count and
students, and mistakes.csv gives the same as rows; the page opens offline in Chromium with no
console error, its plots are images with alt text; a rerun that changes nothing leaves it as it
was. The similarity page is opened in the same browser."""

import csv
import html.parser
import subprocess
import sys
from collections import defaultdict

import grading_cases as gc
import nbformat
import pytest
from conftest import run_grade
from test_browser import CHROMIUM_ARGS, chromium_executable

from autograder.paths import ROOT

pytestmark = pytest.mark.slow  # batch grading and a browser: not in `make test-fast`

LIMITS = ["--timeout", "4", "--cell-timeout", "10", "--memory", "1024", "-j", "2"]


def grade(folder, out, *extra):
    return run_grade(folder, out, *LIMITS, *extra)


class Tables(html.parser.HTMLParser):
    """Every <table> of a page as {caption: [[cell text, ...], ...]}, and every <img>'s attributes."""

    def __init__(self):
        super().__init__()
        self.tables, self.images, self.tags = {}, [], set()
        self._caption = self._row = self._cell = None

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag == "caption":
            self._caption = ""
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag == "caption":
            self.tables[self._caption] = []
            self._current, self._caption = self._caption, None
        elif tag in ("td", "th") and self._row is not None:
            self._row.append(self._cell.strip())
            self._cell = None
        elif tag == "tr" and self._row is not None:
            self.tables[self._current].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._caption is not None:
            self._caption += data
        elif self._cell is not None:
            self._cell += data


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    planted = gc.planted_class(40)
    gc.write(root / "class", {f"{name}.ipynb": (nb, None) for name, (nb, _) in planted.items()})
    proc = grade(root / "class", root / "out")
    page = (root / "out" / "report.html").read_text(encoding="utf-8")
    parsed = Tables()
    parsed.feed(page)
    with open(root / "out" / "mistakes.csv", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    return {"root": root, "proc": proc, "planted": planted, "page": page, "parsed": parsed, "rows": rows}


def test_every_planted_mistake_is_named_with_its_count_and_students(graded):
    planted = {name: m for name, (_, m) in graded["planted"].items() if m}
    assert len(set(planted.values())) >= 5, "the class should plant several different mistakes"
    found = defaultdict(set)
    for row in graded["rows"]:
        found[row["mistake"]].add(row["submission"])
    for name, mistake_id in planted.items():
        assert name in found[mistake_id], f"mistakes.csv does not give {name} the mistake {mistake_id}"
    correct = {name for name in graded["planted"] if name.endswith("-correct")}
    assert not correct & {row["submission"] for row in graded["rows"]}, "a correct submission has a mistake"
    table = {row[0]: row for row in graded["parsed"].tables["Classic mistakes found"][1:]}
    for mistake_id in set(planted.values()):
        assert mistake_id in table, f"the report does not list {mistake_id}"
        _, description, question, count, who = table[mistake_id]
        assert int(count) == len(found[mistake_id]), (mistake_id, count, found[mistake_id])
        assert {name.removesuffix(" *") for name in who.split(", ")} == found[mistake_id]
        assert description and question in ("q1", "q2", "q1, q2")


def test_a_mistake_that_may_come_from_an_earlier_question_is_marked(graded):
    """A corr2d that flips the kernel makes the answer key's convolve2d (which calls it) look
    unflipped: under q2 that student is marked as having failed q1 first."""
    flipped_q1 = [name for name, (_, m) in graded["planted"].items() if m == "flipped-kernel"]
    assert flipped_q1, "the class should plant a flipped corr2d"
    table = {row[0]: row for row in graded["parsed"].tables["Classic mistakes found"][1:]}
    who = table["convolve-not-flipped"][4].split(", ")
    for name in flipped_q1:
        assert f"{name} *" in who, who
    planted_q2 = [name for name, (_, m) in graded["planted"].items() if m == "convolve-not-flipped"]
    assert planted_q2 and all(name in who for name in planted_q2), (planted_q2, who)
    assert "seen only in a question after one this submission also failed" in graded["page"]


def test_the_page_shows_scores_tests_statuses_and_seconds(graded):
    tables = graded["parsed"].tables
    per_question = {row[0]: row for row in tables["Scores per question"][1:]}
    assert set(per_question) == {"q1", "q2"}
    tests = tables["Pass rate per test"][1:]
    assert any(kind == "hidden" for _, _, kind, _ in tests) and any(kind == "public" for _, _, kind, _ in tests)
    assert all(passed.endswith(" of 40") for *_, passed in tests)
    by_status = {row[0]: row for row in tables["Submissions by status"][1:]}
    with open(graded["root"] / "out" / "grades.csv", newline="", encoding="utf-8") as f:
        in_error = {r["submission"] for r in csv.DictReader(f) if r["status"].startswith("error in cell")}
    assert len(in_error) == 5, "the class has 5 notebooks with a syntax error"
    assert set(by_status["error in a cell"][2].split(", ")) == in_error, by_status
    assert by_status["ok"][1] == "35"
    slowest = tables["The slowest submissions"][1:]
    assert len(slowest) == 5 and all(float(seconds) > 0 for _, seconds in slowest)


def test_the_page_is_self_contained(graded):
    parsed, page = graded["parsed"], graded["page"]
    assert len(parsed.images) >= 5
    for img in parsed.images:
        assert img["src"].startswith("data:image/png;base64,"), img["src"][:60]
        assert len(img.get("alt", "").split()) >= 8, f"an image without alt text in words: {img.get('alt')!r}"
    assert not {"script", "link", "iframe"} & parsed.tags
    assert "http://" not in page and "https://" not in page


def test_a_rerun_leaves_report_and_mistakes_as_they_were(graded):
    out = graded["root"] / "out"
    before = {name: (out / name).read_bytes() for name in ["report.html", "mistakes.csv", "grades.csv"]}
    stamp = (out / "report.html").stat().st_mtime_ns
    proc = grade(graded["root"] / "class", out)
    assert "40 unchanged, from the cache" in proc.stderr
    assert {name: (out / name).read_bytes() for name in before} == before
    assert (out / "report.html").stat().st_mtime_ns == stamp, "the unchanged page was drawn again"


@pytest.fixture(scope="module")
def chromium():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def open_offline(chromium, path):
    """Open a local page with every request but the page itself (and data: URLs) refused; returns
    (page, [console errors, page errors and refused requests])."""
    errors = []
    context = chromium.new_context()
    url = path.as_uri()

    def route(r):
        if r.request.url == url or r.request.url.startswith("data:"):
            r.continue_()
        else:
            errors.append(f"request refused: {r.request.url}")
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"uncaught: {e}"))
    page.goto(url, wait_until="load")
    return page, errors


def test_report_renders_offline_in_a_browser(graded, chromium):
    page, errors = open_offline(chromium, graded["root"] / "out" / "report.html")
    images = page.evaluate(
        "() => [...document.images].map(i => ({w: i.naturalWidth, alt: i.alt, complete: i.complete}))"
    )
    assert errors == []
    assert len(images) >= 5 and all(i["complete"] and i["w"] > 100 and i["alt"] for i in images), images
    assert "flipped-kernel" in page.inner_text("body")


def test_similarity_page_renders_offline_in_a_browser(chromium, tmp_path):
    folder = tmp_path / "pair"
    folder.mkdir()
    from test_similarity import HONEST, PLANTED

    nbformat.write(gc.filled(**HONEST["honest_loops"]), folder / "a.ipynb")
    nbformat.write(gc.filled(**PLANTED), folder / "b.ipynb")
    proc = subprocess.run(
        [sys.executable, "-m", "autograder", "similarity", "convolution", str(folder), "-o", str(tmp_path / "out")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    page, errors = open_offline(chromium, tmp_path / "out" / "similarity.html")
    assert errors == []
    assert "Pairs at or above" in page.inner_text("body")
    # the side-by-side view: both submissions' code, the matching parts marked
    assert page.locator("pre").count() >= 2 and page.locator("pre mark").count() >= 1
