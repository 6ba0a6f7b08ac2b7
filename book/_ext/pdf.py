"""The whole book as one PDF, printed by Debian's Chromium from the book's own HTML.

    python book/_ext/pdf.py [--build _build]        # what `make pdf` runs, after `make book`

Input: the book's sources, built once more with Sphinx's `singlehtml` builder (every chapter
on one page, in the table of contents' order; notebooks are not re-executed: their outputs
come from the execution cache that `make book` filled) into <build>/singlehtml/. That page is
served on 127.0.0.1 and opened in headless Chromium ($CHROMIUM or /usr/bin/chromium, driven
by Playwright, as in the browser tests), which waits for MathJax to typeset every formula and
for every image to load, then prints it (Chromium's print to PDF, A4).
Output: <build>/html/cnn-course.pdf; its page count and size are printed. Only then does the
front page link to it: the link is written into the built front page's empty
<p id="cnn-course-pdf"> (book/intro.md), so that a book built without its PDF links to none.

Nothing leaves the machine: a request to anywhere but the local server fails the build.
"""

import argparse
import functools
import http.server
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(Path(__file__).resolve().parent))
PDF_NAME = "cnn-course.pdf"
SINGLE_PAGE = "book/intro.html"  # the root document, which the singlehtml builder fills with the whole book
FRONT_PAGE = "book/intro.html"  # in the html build: the page whose <p id="cnn-course-pdf"> gets the link
PDF_SLOT = '<p id="cnn-course-pdf"></p>'
PDF_LINK = (
    '<p id="cnn-course-pdf">The whole book is also one PDF, to print or to read offline: '
    f'<a href="../{PDF_NAME}">{PDF_NAME}</a> (every chapter with its figures; the widgets appear at '
    "their first setting).</p>"
)


def link_pdf(html_root):
    """Write the PDF's link into the built front page; False where the page has no slot for it."""
    front = Path(html_root) / FRONT_PAGE
    text = front.read_text(encoding="utf-8")
    if PDF_LINK in text:
        return True
    if PDF_SLOT not in text:
        return False
    front.write_text(text.replace(PDF_SLOT, PDF_LINK), encoding="utf-8")
    return True
PRINTED_PAGE = "whole-book.html"  # a copy of it at the top of the site, where its relative links work
TIMEOUT_MS = 120_000

# Printed pages: no header bar, sidebars or buttons; code and outputs wrap; figures stay whole.
PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm; }
.bd-header, .bd-sidebar-primary, .bd-sidebar-secondary, .header-article, .prev-next-area,
.bd-footer, .bd-footer-article, .bd-footer-content, footer, .headerbtn, .header-article-items,
.copybtn, .toggle-button, .skip-link, .theme-switch-button, #pst-back-to-top { display: none !important; }
.bd-main .bd-content .bd-article-container { max-width: 100% !important; }
pre, .cell_output pre { white-space: pre-wrap !important; word-break: break-word; }
details.hide > summary { display: none !important; }   /* folded code: its toggle means nothing on paper */
img, figure, .cell_output { break-inside: avoid; max-width: 100% !important; }
h1, h2, h3 { break-after: avoid; }
section > h1 { break-before: page; }
"""

WAIT = """async () => {
  const t0 = Date.now();
  while (!(window.MathJax && MathJax.startup && MathJax.startup.promise) && Date.now() - t0 < 30000)
    await new Promise(r => setTimeout(r, 100));
  if (window.MathJax && MathJax.startup) await MathJax.startup.promise;
  await Promise.all([...document.images].map(i => i.complete ? null : new Promise(r => { i.onload = i.onerror = r; })));
  const maths = [...document.querySelectorAll('span.math, div.math')];
  return {math: maths.length, typeset: maths.filter(m => m.querySelector('mjx-container')).length,
          images: document.images.length,
          broken: [...document.images].filter(i => !i.naturalWidth).map(i => i.src.slice(0, 80))};
}"""


def chromium():
    for candidate in [os.environ.get("CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]:
        if candidate and Path(candidate).exists():
            return candidate
    sys.exit("make pdf needs Chromium: run `make browser` (Debian's chromium), or set CHROMIUM")


def build_singlehtml(build):
    """The book on one page: <build>/singlehtml/book/intro.html. Jupyter Book's own build, with the
    singlehtml builder and a doctree folder of its own (a shared one would make the next html
    build re-read every page); the notebooks' outputs come from <build>/.jupyter_cache."""
    from build import skip_slow_imports  # book/_ext/build.py

    skip_slow_imports()
    from jupyter_book.sphinx import build_sphinx

    out = build / "singlehtml"
    result = build_sphinx(
        ROOT,
        out,
        noconfig=True,
        path_config=str(ROOT / "_config.yml"),
        confoverrides={"external_toc_path": (ROOT / "_toc.yml").as_posix(), "latex_individualpages": False},
        doctreedir=build / ".doctrees-singlehtml",
        builder="singlehtml",
        warningiserror=True,
        keep_going=True,
        quiet=True,
    )
    if result != 0 or not (out / SINGLE_PAGE).exists():
        sys.exit(f"the single-page build failed ({result!r}): see the warnings above")
    # Sphinx writes the page's links as if it lay at the top of the site (_images/..., _static/...),
    # where a root document in a folder (book/intro) does not: print a copy that lies there.
    shutil.copy2(out / SINGLE_PAGE, out / PRINTED_PAGE)
    return out


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def print_pdf(site, out):
    """Serve `site`, open the whole book's page in headless Chromium, print it to `out`.
    Returns what the page held: {math, typeset, images, broken}."""
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{httpd.server_port}/"
    offsite = []
    try:
        with sync_playwright() as p:
            args = ["--no-sandbox", "--disable-gpu"]
            browser = p.chromium.launch(executable_path=chromium(), headless=True, args=args)
            page = browser.new_page()
            page.route(
                "**/*",
                lambda r: (
                    r.continue_()
                    if r.request.url.startswith((base, "data:"))
                    else (offsite.append(r.request.url), r.abort())
                ),
            )
            page.goto(base + PRINTED_PAGE, wait_until="load", timeout=TIMEOUT_MS)
            page.add_style_tag(content=PRINT_CSS)
            info = page.evaluate(WAIT)
            page.emulate_media(media="print")
            page.pdf(path=str(out), format="A4", print_background=True, prefer_css_page_size=True)
            browser.close()
    finally:
        httpd.shutdown()
        httpd.server_close()
    if offsite:
        sys.exit(f"the book's page asked for files off the site: {sorted(set(offsite))[:5]}")
    return info


def page_count(pdf):
    """Pages of a PDF (pdfinfo, from poppler-utils, when it is there; else None)."""
    if not shutil.which("pdfinfo"):
        return None
    out = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).stdout
    return next((int(line.split()[1]) for line in out.splitlines() if line.startswith("Pages:")), None)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=str(ROOT / "_build"), help="the book's build folder (default _build)")
    args = ap.parse_args(argv)
    build = Path(args.build).resolve()
    if not (build / "html" / "index.html").exists():
        sys.exit(f"{build}/html holds no book: build it first (make book)")
    site = build_singlehtml(build)
    out = build / "html" / PDF_NAME
    info = print_pdf(site, out)
    if info["typeset"] != info["math"] or info["broken"]:
        out.unlink(missing_ok=True)
        sys.exit(f"not printed: {info['math'] - info['typeset']} formulas untypeset, images broken: {info['broken']}")
    if not link_pdf(build / "html"):
        sys.exit(f"{build / 'html' / FRONT_PAGE} has no {PDF_SLOT} for the PDF's link")
    pages = page_count(out)
    print(
        f"{out}: {pages if pages is not None else '?'} pages, {out.stat().st_size / 1e6:.1f} MB "
        f"({info['math']} formulas typeset, {info['images']} images)"
    )


if __name__ == "__main__":
    main()
