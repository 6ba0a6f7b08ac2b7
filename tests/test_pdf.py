"""The book as one PDF (`make pdf`: book/_ext/pdf.py), read back with poppler-utils.

The PDF is printed from the book that `make book` builds (_build/html; built here first if
missing) by Debian's Chromium. Its text must hold every chapter with its math typeset (no TeX
source left), its figures must be there as images, and its first pages are turned into PNGs
(_build/screenshots/pdf-page-*.png) to be looked at. The front page links to it.
"""

import re
import shutil
import subprocess
import sys

import nbformat
import pytest

from autograder.paths import ROOT

BUILD = ROOT / "_build"
PDF = BUILD / "html" / "cnn-course.pdf"
SHOTS = BUILD / "screenshots"

pytestmark = pytest.mark.slow  # builds the book and opens a browser: not in `make test-fast`


def _tool(name):
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is missing: run `make pdftools` (Debian's poppler-utils)")
    return path


@pytest.fixture(scope="module")
def pdf(built_book):
    assert built_book == BUILD / "html"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "book" / "_ext" / "pdf.py")], capture_output=True, text=True, cwd=ROOT
    )
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-5000:]
    assert PDF.exists()
    return PDF


def _pages(pdf):
    info = subprocess.run([_tool("pdfinfo"), str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))


def _lecture_titles():
    titles = []
    for path in sorted((ROOT / "lectures").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        first = next(c.source for c in nb.cells if c.cell_type == "markdown" and c.source.lstrip().startswith("# "))
        titles.append(first.lstrip()[2:].splitlines()[0].strip())
    return titles


def test_pdf_holds_every_chapter_with_math_typeset(pdf):
    text = subprocess.run([_tool("pdftotext"), str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = re.sub(r"\s+", " ", text)
    assert _pages(pdf) >= 2 * len(_lecture_titles())
    for title in _lecture_titles():
        assert re.sub(r"\s+", " ", title) in flat, f"chapter {title!r} is not in the PDF"
    for tex in ["\\frac", "\\begin{", "$$", "\\(", "\\mathbf"]:
        assert tex not in text, f"TeX source {tex!r} left untypeset in the PDF"


def test_pdf_has_the_figures(pdf):
    listing = subprocess.run([_tool("pdfimages"), "-list", str(pdf)], capture_output=True, text=True, check=True)
    images = [line for line in listing.stdout.splitlines()[2:] if line.strip()]
    # the lectures' figures (notebook outputs, in _images/; not the states a widget keeps in its script)
    figures = set()
    for p in (ROOT / "lectures").glob("*.ipynb"):
        page = (BUILD / "html" / "lectures" / f"{p.stem}.html").read_text(encoding="utf-8")
        # a figure is a file in _images/, or a PNG written into the page (myst-nb may embed them)
        figures |= set(re.findall(r'<img [^>]*src="(\.\./_images/[^"]+|data:image/png;base64,[^"]{0,200})', page))
    assert figures
    assert len(images) >= len(figures), f"{len(images)} images in the PDF, {len(figures)} figures on the lecture pages"


def test_pdf_pages_render(pdf):
    """A few pages as PNGs, to look at: none is blank."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    pages = _pages(pdf)
    picks = sorted({1, 2, pages // 3, pages // 2, pages})
    for n in picks:
        prefix = SHOTS / f"pdf-page-{n}"
        subprocess.run(
            [_tool("pdftoppm"), "-png", "-r", "60", "-f", str(n), "-l", str(n), "-singlefile", str(pdf), str(prefix)],
            check=True,
        )
        png = prefix.with_suffix(".png")
        assert png.exists() and png.stat().st_size > 5_000, f"page {n} of the PDF renders blank"


def test_front_page_links_to_the_pdf(pdf):
    front = (BUILD / "html" / "book" / "intro.html").read_text(encoding="utf-8")
    assert 'href="../cnn-course.pdf"' in front, "the front page has no link to the PDF"
