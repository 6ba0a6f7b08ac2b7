"""The book as `make book` builds it: every page there, executed, with Colab links, without answers.

This reads the book as `make book` builds it into _build/html (conftest.built_book: built once
per session, and only when a file it is built from changed; the execution cache makes a rebuild
fast).
"""

import html
import re
from pathlib import Path

import pytest
import yaml

from autograder import master
from autograder.authoring.repository import repository
from autograder.paths import ROOT, assignment_ids, master_path

pytestmark = pytest.mark.slow  # a browser, a book build or batch grading: not in `make test-fast`

HTML = ROOT / "_build" / "html"


def toc_files():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries):
        for e in entries:
            if "file" in e:
                files.append(e["file"])
            walk(e.get("sections", []))
            walk(e.get("chapters", []))

    walk(toc.get("parts", []))
    walk(toc.get("chapters", []))
    return files


def page_text(path):
    """The text a reader sees (tags removed, entities decoded)."""
    raw = Path(path).read_text(encoding="utf-8")
    raw = re.sub(r"<script.*?</script>", " ", raw, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", "", raw))


@pytest.fixture(scope="module")
def book(built_book):
    assert built_book == HTML
    return HTML


def test_every_toc_entry_is_a_page(book):
    for f in toc_files():
        assert (book / f"{f}.html").exists(), f"{f} has no page"


def test_lectures_are_executed_with_figures(book):
    for f in toc_files():
        if f.startswith("lectures/"):
            raw = (book / f"{f}.html").read_text()
            assert raw.count('class="cell_output') >= 5, f"{f}: too few executed outputs"
            assert "<img" in raw, f"{f}: no figure"
            assert "Traceback" not in page_text(book / f"{f}.html"), f"{f}: a cell raised"


def test_exercises_are_shown_as_students_get_them(book):
    """Exercise pages are not executed: no check results, just the cells to fill in."""
    pages = [f for f in toc_files() if f.startswith("exercises/")]
    assert pages, "no exercise pages in the table of contents"
    for f in pages:
        raw = (book / f"{f}.html").read_text()
        assert 'class="cell_output' not in raw, f"{f}: the exercise was executed at build time"
        assert "grader.check(" in page_text(book / f"{f}.html"), f"{f}: no checks to run"


def test_notebook_pages_link_to_colab_on_the_configured_repository(book):
    url, branch = repository()
    repo = url.removeprefix("https://github.com/")
    for f in toc_files():
        source = ROOT / f"{f}.ipynb"
        if not source.exists():
            continue
        raw = (book / f"{f}.html").read_text()
        want = f"https://colab.research.google.com/github/{repo}/blob/{branch}/{f}.ipynb"
        assert want in raw, f"{f}: no Colab link {want}"


def test_no_page_contains_solution_code_or_hidden_tests(book):
    pages = list(book.rglob("*.html")) + list((book / "_sources").rglob("*.ipynb"))
    assert len(pages) >= len(toc_files())
    for page in pages:
        text = page_text(page) if page.suffix == ".html" else page.read_text()
        for aid in assignment_ids():
            assert master.leaks(text, master_path(aid)) == [], f"{page} shows answers of {aid}"
        assert "BEGIN SOLUTION" not in text and "# HIDDEN" not in text, page
