"""The published book as a reader meets it: every page in a real browser, with the network off.

The site is the one `make book` builds (_build/html; built here the same way, which is a quick
no-change rebuild after tests/test_book.py), or an existing build named by $BOOK_HTML. It is
served on 127.0.0.1 and opened in headless Chromium (Debian's: $CHROMIUM or /usr/bin/chromium;
`make browser` installs it), driven by Playwright. Every request that leaves the site is
refused and reported, so a page that still needs a CDN fails here.

Each page (book pages and slide decks) is visited once; the tests below read what the visit
saw. A screenshot of each is saved to _build/screenshots/ (or $SCREENSHOTS_DIR; CI keeps them
as artifacts), with visits.json: what each visit recorded.

Accessibility: axe-core (npm, installed from package-lock.json into node_modules/ like the
site's other JavaScript, but never part of the site) runs on every book page and on one slide
deck. The counts per page are printed with the test output, and the full report is written to
_build/axe/axe-report.json (or $AXE_REPORT_DIR; CI keeps it as an artifact). A serious or
critical violation fails the tests. The front page and one lecture are also opened at a
phone's width (390 px), with a screenshot.
"""

import functools
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

from autograder import master
from autograder.authoring.repository import repository
from autograder.paths import ROOT, assignment_ids, master_path

pytestmark = pytest.mark.slow  # a browser, a book build or batch grading: not in `make test-fast`

SCREENSHOTS = Path(os.environ.get("SCREENSHOTS_DIR", ROOT / "_build" / "screenshots"))
AXE_REPORT = Path(os.environ.get("AXE_REPORT_DIR", ROOT / "_build" / "axe")) / "axe-report.json"
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
AXE_DECK = "slides/convolution.slides.html"  # the one slide deck axe audits
AXE_FAILS = {"serious", "critical"}
PHONE = {"width": 390, "height": 844}
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
TIMEOUT_MS = 30_000


def chromium_executable():
    for candidate in [
        os.environ.get("CHROMIUM"),
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
        shutil.which("chromium"),
        shutil.which("chromium-browser"),
    ]:
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail(
        "no Chromium found: run `make browser` (installs Debian's chromium with apt-get), "
        "or set CHROMIUM to a Chromium or Chrome executable"
    )


# --- the site, served ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def site(built_book):
    return built_book


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def server(site):
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(site)))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/"
    httpd.shutdown()
    httpd.server_close()


def page_paths(site):
    """Every page a reader can reach: the book's pages and the slide decks (not _static/, _sources/)."""
    pages = []
    for path in sorted(site.rglob("*.html")):
        rel = path.relative_to(site).as_posix()
        if rel.split("/")[0] in {"_static", "_sources", "_images"}:
            continue
        pages.append(rel)
    return pages


def toc_notebooks():
    """toc entries whose source is a notebook."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = []

    def walk(entries):
        for e in entries or []:
            if "file" in e and (ROOT / f"{e['file']}.ipynb").exists():
                found.append(e["file"])
            walk(e.get("sections"))
            walk(e.get("chapters"))

    walk([{"file": toc["root"]}])
    walk(toc.get("parts") and [c for p in toc["parts"] for c in p.get("chapters", [])])
    walk(toc.get("chapters"))
    return found


# --- one visit per page ----------------------------------------------------------------------


@dataclass
class Visit:
    path: str
    status: int = 0
    errors: list = field(default_factory=list)  # console errors, page errors, failed requests
    offsite: list = field(default_factory=list)  # requests that tried to leave the site
    raw_math: list = field(default_factory=list)  # math left untypeset
    math_count: int = 0
    typeset_count: int = 0
    widget_views: int = 0
    widget_views_rendered: int = 0
    twins: list = field(default_factory=list)  # [{kind, ready, view}]
    colab_links: list = field(default_factory=list)
    links: list = field(default_factory=list)
    text: str = ""
    slides: dict = field(default_factory=dict)
    screenshot: str = ""
    images: list = field(default_factory=list)  # [{src, alt}] of every <img>
    axe: list | None = None  # axe-core's violations, where it ran


WAIT_FOR_PAGE = """async () => {
  const t0 = Date.now();
  const wait = (ms) => new Promise(r => setTimeout(r, ms));
  const views = () => [...document.querySelectorAll('script[type="%s"]')];
  const rendered = (s) => { const p = s.previousElementSibling;
    return !!p && p.classList.contains('widget-subarea') && p.children.length > 0; };
  while (Date.now() - t0 < %d) {
    const mathReady = !document.querySelector('script[src*="mathjax"]') ||
      (window.MathJax && MathJax.startup && MathJax.startup.promise);
    const twinsReady = !document.querySelector('.cnn-kf:not([data-ready])');
    const widgetsReady = views().every(rendered);
    const slidesReady = !document.querySelector('.reveal .slides') || window.cnnSlidesReady;
    if (mathReady && twinsReady && widgetsReady && slidesReady) break;
    await wait(100);
  }
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  return true;
}""" % (WIDGET_VIEW, TIMEOUT_MS)

INSPECT = (
    """() => {
  const clone = document.body.cloneNode(true);
  clone.querySelectorAll('pre, code, script, style, textarea, mjx-container, .highlight').forEach(e => e.remove());
  const plain = clone.textContent;
  const raw = [];
  for (const pattern of ['\\\\(', '\\\\[', '$$', '\\\\begin{', '\\\\frac']) {
    const i = plain.indexOf(pattern);
    if (i >= 0) raw.push(plain.slice(Math.max(0, i - 40), i + 60).replace(/\\s+/g, ' '));
  }
  const maths = [...document.querySelectorAll('span.math, div.math')];
  const views = [...document.querySelectorAll('script[type="%s"]')];
  const rendered = views.filter(s => { const p = s.previousElementSibling;
    return !!p && p.classList.contains('widget-subarea') && p.children.length > 0; });
  const twins = [...document.querySelectorAll('.cnn-kf')].map(t => ({
    kind: t.getAttribute('data-kind'), ready: t.getAttribute('data-ready') === '1',
    view: t.querySelector('.cnn-kf-view').innerHTML.length,
    controls: t.querySelectorAll('[data-control]').length}));
  const deck = window.Reveal && Reveal.isReady && Reveal.isReady() ?
    {slides: Reveal.getTotalSlides(), ready: true} : {};
  return {raw, mathCount: maths.length, typeset: maths.filter(m => m.querySelector('mjx-container')).length,
          mjx: document.querySelectorAll('mjx-container').length,
          views: views.length, rendered: rendered.length, twins, deck,
          colab: [...document.querySelectorAll('a[href*="colab.research.google.com"]')].map(a => a.href),
          images: [...document.querySelectorAll('img')].map(i => ({src: (i.getAttribute('src') || '').slice(0, 80),
                                                                   alt: i.getAttribute('alt')})),
          links: [...document.querySelectorAll('a[href]')].map(a => a.href),
          text: document.body.textContent};
}"""
    % WIDGET_VIEW
)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_executable(), headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_page(browser, server, path, visit=None, extra=None, viewport=None):
    """A new page at `path`, every request off the site refused; console output recorded in
    `visit`. extra: {path: html} pages served as if they were on the site."""
    visit = visit or Visit(path)
    extra = {server + p: body for p, body in (extra or {}).items()}
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, service_workers="block")

    def route(r):
        if r.request.url in extra:
            r.fulfill(body=extra[r.request.url], content_type="text/html")
        elif r.request.url.startswith(server) or r.request.url.startswith("data:"):
            r.continue_()
        else:
            visit.offsite.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    page = context.new_page()
    page.on("console", lambda m: visit.errors.append(f"console.{m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: visit.errors.append(f"uncaught: {e}"))
    page.on("requestfailed", lambda r: visit.errors.append(f"request failed: {r.url} ({r.failure})"))
    page.on("response", lambda r: visit.errors.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    response = page.goto(server + path, wait_until="load", timeout=TIMEOUT_MS)
    visit.status = response.status if response else 0
    # a page that redirects (index.html: a meta refresh) is followed to where it leads
    for _attempt in range(50):
        try:
            if page.evaluate("() => !!document.body && !document.querySelector('meta[http-equiv=Refresh i]')"):
                page.evaluate(WAIT_FOR_PAGE)
                break
        except Exception as err:
            if "context was destroyed" not in str(err):
                raise
        page.wait_for_timeout(100)
        page.wait_for_load_state("load", timeout=TIMEOUT_MS)
    else:
        raise AssertionError(f"{path} never settled")
    return page, visit


# axe-core's UMD wrapper would register it as an anonymous RequireJS module on pages that load
# RequireJS (widgets, slides): hide `define` so that it sets window.axe instead.
RUN_AXE = """async () => {
  const r = await window.axe.run(document, {resultTypes: ['violations']});
  return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target, html: n.html.slice(0, 300), summary: n.failureSummary}))}));
}"""


def run_axe(page):
    """axe-core's violations on the open page: [{id, impact, help, nodes: [{target, html, summary}]}]."""
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make assets` (npm ci installs axe-core from package-lock.json)")
    page.add_script_tag(content="(function (define) {\n" + AXE_JS.read_text(encoding="utf-8") + "\n}).call(window);")
    return page.evaluate(RUN_AXE)


def axe_audits(path):
    """axe runs on every page of the book and on one slide deck."""
    return not path.startswith("slides/") or path == AXE_DECK


def axe_table(audited):
    """One line per page: its violations counted by impact, and the rules broken."""
    lines = [f"{'page':58s} {'critical':>8s} {'serious':>8s} {'moderate':>8s} {'minor':>6s}  rules"]
    for path, violations in audited.items():
        counts = {
            k: sum(len(v["nodes"]) for v in violations if v["impact"] == k)
            for k in ["critical", "serious", "moderate", "minor"]
        }
        rules = ", ".join(sorted({v["id"] for v in violations}))
        lines.append(
            f"{path:58s} {counts['critical']:8d} {counts['serious']:8d} {counts['moderate']:8d} {counts['minor']:6d}  {rules}"
        )
    return lines


@pytest.fixture(scope="module")
def visits(site, server, browser, request):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for old in SCREENSHOTS.glob("*.png"):
        old.unlink()
    out = {}
    for path in page_paths(site):
        page, visit = open_page(browser, server, path)
        info = page.evaluate(INSPECT)
        visit.raw_math = info["raw"]
        visit.math_count, visit.typeset_count = info["mathCount"], info["typeset"]
        visit.widget_views, visit.widget_views_rendered = info["views"], info["rendered"]
        visit.twins, visit.colab_links, visit.text = info["twins"], info["colab"], info["text"]
        visit.links = info["links"]
        visit.images = info["images"]
        if axe_audits(path):
            visit.axe = run_axe(page)
        visit.slides = {**info["deck"], "mjx": info["mjx"]} if path.startswith("slides/") else {}
        shot = SCREENSHOTS / (path.removesuffix(".html").replace("/", "__") + ".png")
        page.screenshot(path=str(shot), full_page=not path.startswith("slides/"))
        visit.screenshot = str(shot)
        page.context.close()
        out[path] = visit
    (SCREENSHOTS / "visits.json").write_text(
        json.dumps(
            {
                p: {
                    "errors": v.errors,
                    "offsite": v.offsite,
                    "screenshot": v.screenshot,
                    "twins": v.twins,
                    "widget_views": v.widget_views,
                    "math": v.math_count,
                }
                for p, v in out.items()
            },
            indent=1,
        )
    )
    audited = {p: v.axe for p, v in out.items() if v.axe is not None}
    AXE_REPORT.parent.mkdir(parents=True, exist_ok=True)
    AXE_REPORT.write_text(json.dumps(audited, indent=1))
    plugins = request.config.pluginmanager
    reporter, capture = plugins.get_plugin("terminalreporter"), plugins.get_plugin("capturemanager")
    if reporter is not None and capture is not None:  # the counts go to the test output, passed or failed
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            reporter.write_line(f"axe-core: violations (elements) per page; report in {AXE_REPORT}")
            for line in axe_table(audited):
                reporter.write_line(line)
    return out


# --- the tests --------------------------------------------------------------------------------


def test_every_page_loads_with_no_console_error(visits):
    assert len(visits) >= len(toc_notebooks()) + 2
    problems = {p: v.errors for p, v in visits.items() if v.status != 200 or v.errors}
    assert problems == {}, json.dumps(problems, indent=1)


def test_no_page_needs_the_network(visits):
    """MathJax, the widget manager, fonts and reveal.js all come from the site itself."""
    offsite = {p: sorted(set(v.offsite)) for p, v in visits.items() if v.offsite}
    assert offsite == {}, json.dumps(offsite, indent=1)


def test_math_is_typeset(visits):
    assert sum(v.math_count for v in visits.values()) > 0, "no math anywhere: is MathJax configured?"
    for path, v in visits.items():
        assert v.typeset_count == v.math_count, f"{path}: {v.math_count - v.typeset_count} formulas not typeset"
        assert v.raw_math == [], f"{path}: math left as TeX source: {v.raw_math}"


def test_every_widget_renders(visits):
    assert any(v.twins or v.widget_views for v in visits.values()), "no widget on any page"
    for path, v in visits.items():
        assert v.widget_views_rendered == v.widget_views, (
            f"{path}: {v.widget_views - v.widget_views_rendered} of {v.widget_views} widgets blank"
        )
        for twin in v.twins:
            assert twin["ready"] and twin["view"] > 0 and twin["controls"] > 0, f"{path}: widget {twin} did not render"


def test_kernel_playground_is_on_the_convolution_page(visits):
    kinds = [t["kind"] for t in visits["lectures/convolution.html"].twins]
    assert "kernel_view" in kinds, kinds


def _twin_pages(visits):
    return [p for p, v in visits.items() if v.twins and not p.startswith("slides/")]


MOVE_EVERY_CONTROL = """(root) => {
  const view = root.querySelector('.cnn-kf-view');
  const out = [];
  for (const el of root.querySelectorAll('[data-control]')) {
    const state = root.getAttribute('data-state'), before = view.innerHTML;
    if (el.tagName === 'SELECT') {
      if (el.options.length < 2) continue;
      el.selectedIndex = (el.selectedIndex + 1) % el.options.length;
    } else {
      const v = +el.value, step = +el.step || 1;
      if (+el.max <= +el.min) continue;
      el.value = v + step <= +el.max ? v + step : v - step;
    }
    el.dispatchEvent(new Event('input', {bubbles: true}));
    out.push({control: el.getAttribute('data-control'), state: root.getAttribute('data-state') !== state,
              view: view.innerHTML !== before});
  }
  return out;
}"""


def test_every_kernel_free_widget_responds_in_the_browser(visits, browser, server):
    """Moving any control of any widget changes its state; at least one change redraws it."""
    pages = _twin_pages(visits)
    assert pages, "no page has a widget that responds without a kernel"
    for path in pages:
        page, visit = open_page(browser, server, path)
        for i, twin in enumerate(page.query_selector_all(".cnn-kf")):
            moves = twin.evaluate(MOVE_EVERY_CONTROL)
            assert moves, f"{path}: widget {i} has no control to move"
            assert all(m["state"] for m in moves), f"{path}: widget {i}: {moves}"
            assert any(m["view"] for m in moves), f"{path}: widget {i} never redraws: {moves}"
        assert visit.errors == [], f"{path}: {visit.errors}"
        page.context.close()


def test_kernel_playground_switches_kernels(visits, browser, server):
    """Pick another kernel as a reader would (the menu): another photo and another matrix."""
    page, visit = open_page(browser, server, "lectures/convolution.html")
    root = page.locator('.cnn-kf[data-kind="kernel_view"]')
    view = root.locator(".cnn-kf-view")
    first = view.inner_html()
    menu = root.locator("select[data-control=kernel]")
    labels = menu.locator("option").all_text_contents()
    menu.select_option(label=labels[-1])
    assert view.inner_html() != first
    assert view.locator("img").count() == 1 and view.locator("table").count() == 1
    assert visit.errors == []
    page.context.close()


def _explorer_page(visits):
    pages = [
        p
        for p, v in visits.items()
        if any(t["kind"] == "conv-explorer" for t in v.twins) and not p.startswith("slides/")
    ]
    if not pages:
        pytest.skip("no page of the book shows the conv-arithmetic explorer yet")
    return pages[0]


def _stated_output(root):
    text = root.locator(".cnn-kf-view").inner_text()
    m = re.search(r"output (\d+)×(\d+)", text)
    assert m, f"the explorer states no output size: {text[:300]!r}"
    return int(m.group(1)), int(m.group(2))


def _set_slider(root, name, value):
    slider = root.locator(f'input[data-control="{name}"]')
    slider.focus()
    current = int(slider.input_value())
    key = "ArrowRight" if value > current else "ArrowLeft"
    for _ in range(abs(value - current)):
        slider.press(key)
    assert int(slider.input_value()) == value, f"could not set {name} to {value}"


def test_explorer_responds_to_stride(visits, browser, server):
    """Change the stride with the keyboard: the stated output size changes, to the formula's."""
    from solutions.reference import conv_output_size

    path = _explorer_page(visits)
    page, visit = open_page(browser, server, path)
    root = page.locator('.cnn-kf[data-kind="conv-explorer"]').first
    for name, value in [("n", 7), ("k", 3), ("padding", 0), ("dilation", 1), ("stride", 1)]:
        _set_slider(root, name, value)
    assert _stated_output(root) == (5, 5)
    _set_slider(root, "stride", 2)
    assert _stated_output(root) == (3, 3) == (conv_output_size(7, 3, 2, 0),) * 2
    _set_slider(root, "padding", 1)
    assert _stated_output(root) == (conv_output_size(7, 3, 2, 1),) * 2
    assert visit.errors == []
    page.context.close()


def test_explorer_in_the_browser_agrees_with_python(visits, browser, server):
    """The browser's explorer (JavaScript) computes the same layout as cnn_course.explorer, for
    every size, kernel, stride, padding and dilation its sliders reach (all windows' positions,
    output sizes and captions; the read counts of every cell on a sample)."""
    from cnn_course import explorer

    path = _explorer_page(visits)
    page, visit = open_page(browser, server, path)
    settings = [
        (n, k, s, p, d)
        for n in range(1, 13)
        for k in range(1, 8)
        for s in range(1, 6)
        for p in range(0, 5)
        for d in range(1, 4)
    ]
    js = page.evaluate(
        """(settings) => settings.map(([n, k, s, p, d], i) => {
        const L = window.cnnKernelFree.convExplorerLayout(n, k, s, p, d, i % 5);
        const keep = {out: L.out, fits: L.fits, starts: L.axes.map(a => a.starts), lines: L.lines,
                      window: L.window, box: L.box, taps: i % 37 === 0 ? L.taps : null,
                      grid: i % 37 === 0 ? L.grid : null};
        return keep; })""",
        settings,
    )
    for i, ((n, k, s, p, d), got) in enumerate(zip(settings, js)):
        want = explorer.explorer_layout(n, k, s, p, d, window=i % 5)
        expected = {
            "out": list(want["out"]),
            "fits": want["fits"],
            "starts": [a["starts"] for a in want["axes"]],
            "lines": want["lines"],
            "window": list(want["window"]) if want["window"] is not None else None,
            "box": list(want["box"]) if want["box"] is not None else None,
            "taps": [list(t) for t in want["taps"]] if i % 37 == 0 else None,
            "grid": want["grid"] if i % 37 == 0 else None,
        }
        assert got == expected, f"n={n} k={k} stride={s} padding={p} dilation={d}"
    page.context.close()


def test_every_notebook_page_opens_its_committed_notebook_in_colab(visits):
    url, branch = repository()
    repo = url.removeprefix("https://github.com/")
    tracked = set(subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout.split())
    notebooks = toc_notebooks()
    assert notebooks
    for f in notebooks:
        v = visits[f"{f}.html"]
        want = f"https://colab.research.google.com/github/{repo}/blob/{branch}/{f}.ipynb"
        assert want in v.colab_links, f"{f}: no Open-in-Colab link to {want} (found {v.colab_links})"
        assert f"{f}.ipynb" in tracked, f"{f}.ipynb is not committed: the Colab link would 404"


def test_no_page_shows_solution_code_or_hidden_tests(visits):
    for path, v in visits.items():
        for aid in assignment_ids():
            assert master.leaks(v.text, master_path(aid)) == [], f"{path} shows answers of {aid}"
        assert "BEGIN SOLUTION" not in v.text and "# HIDDEN" not in v.text, path


def test_every_lecture_has_a_slide_deck_linked_from_its_page(visits):
    lectures = [f for f in toc_notebooks() if f.startswith("lectures/")]
    assert lectures
    for f in lectures:
        name = f.split("/", 1)[1]
        deck = visits.get(f"slides/{name}.slides.html")
        assert deck is not None, f"{f}: no slide deck"
        assert deck.slides.get("ready") and deck.slides["slides"] >= 3, f"{f}: slides did not start: {deck.slides}"
        page = visits[f"{f}.html"]
        assert any(link.endswith(f"/slides/{name}.slides.html") for link in page.links), f"{f}: no link to its slides"
    assert "slides/index.html" in visits


def test_no_serious_or_critical_accessibility_violation(visits):
    """axe-core on every book page and one slide deck: nothing serious or critical (colour
    contrast, unlabelled controls, missing alt text, ...)."""
    audited = {p: v.axe for p, v in visits.items() if v.axe is not None}
    assert AXE_DECK in audited and len(audited) >= len(toc_notebooks()) + 2, sorted(audited)
    bad = {
        p: [
            {
                "rule": v["id"],
                "impact": v["impact"],
                "help": v["help"],
                "elements": len(v["nodes"]),
                "first": v["nodes"][0],
            }
            for v in violations
            if v["impact"] in AXE_FAILS
        ]
        for p, violations in audited.items()
    }
    bad = {p: b for p, b in bad.items() if b}
    assert bad == {}, "\n".join(axe_table(audited)) + "\n" + json.dumps(bad, indent=1)[:8000]


# a file path or name (one word with a slash, or an image's extension), or a bare hash
PATH_LIKE = re.compile(r"^\S*[/\\]\S*$|\.(png|jpe?g|gif|svg|webp)$|^[0-9a-f]{12,}$", re.I)


def test_every_figure_has_alt_text_in_words(visits):
    """Every image says what it shows: alt text of a few words, not empty, not a file name or hash."""
    bad = {}
    for path, v in visits.items():
        for img in v.images:
            alt = (img["alt"] or "").strip()
            if len(alt.split()) < 2 or PATH_LIKE.search(alt):
                bad.setdefault(path, []).append({"src": img["src"], "alt": img["alt"]})
    assert sum(len(v.images) for v in visits.values()) > 0
    assert bad == {}, json.dumps(bad, indent=1)[:6000]


def test_front_page_has_one_search_box(visits, browser, server):
    page, visit = open_page(browser, server, "book/intro.html")
    boxes = page.evaluate(
        "() => [...document.querySelectorAll('.search-button-field, input[type=search], input[name=q]')]"
        ".filter(e => e.offsetParent !== null).length"
    )
    assert boxes == 1, f"{boxes} search boxes visible on the front page"
    page.context.close()


PHONE_LAYOUT = """() => {
  const w = document.documentElement.clientWidth;
  const wide = [...document.querySelectorAll('article p, article li, article h1, article h2, article h3, article table:not(.highlight)')]
    .filter(e => e.offsetParent !== null && e.getBoundingClientRect().right > w + 1)
    .map(e => e.tagName + ': ' + e.textContent.trim().slice(0, 60));
  const clipped = [...document.querySelectorAll('article div.highlight pre')]
    .filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
    .map(e => e.textContent.trim().slice(0, 60));
  return {page: document.documentElement.scrollWidth, width: w, wide, clipped};
}"""


@pytest.mark.parametrize("path", ["book/intro.html", "lectures/convolution.html"])
def test_readable_on_a_phone(visits, browser, server, path):
    """At 390 px wide the page does not scroll sideways, no prose runs off the screen, and code
    wraps instead of hiding behind a scroll bar. A screenshot is kept."""
    page, visit = open_page(browser, server, path, viewport=PHONE)
    layout = page.evaluate(PHONE_LAYOUT)
    shot = SCREENSHOTS / ("phone-390px__" + path.removesuffix(".html").replace("/", "__") + ".png")
    page.screenshot(path=str(shot), full_page=True)
    page.context.close()
    assert layout["page"] <= layout["width"], f"{path}: {layout['page']} px wide at {layout['width']} px"
    assert layout["wide"] == [], f"{path}: prose wider than the screen: {layout['wide'][:5]}"
    assert layout["clipped"] == [], f"{path}: code lines cut off (scroll sideways): {layout['clipped'][:5]}"
    assert shot.stat().st_size > 10_000


def test_screenshots_of_every_chapter(visits):
    for f in toc_notebooks():
        shot = Path(visits[f"{f}.html"].screenshot)
        assert shot.exists() and shot.stat().st_size > 10_000, shot


# --- the browser twins draw what Python draws (no book needed) ------------------------------

COMPARE_IMAGES = """async ([a, b]) => {
  const load = (src) => new Promise((ok, bad) => { const i = new Image(); i.onload = () => ok(i); i.onerror = bad; i.src = src; });
  const pixels = (img) => { const c = document.createElement('canvas'); c.width = img.naturalWidth; c.height = img.naturalHeight;
    const g = c.getContext('2d'); g.drawImage(img, 0, 0); return g.getImageData(0, 0, c.width, c.height).data; };
  const [x, y] = [await load(a), await load(b)];
  if (x.naturalWidth !== y.naturalWidth || x.naturalHeight !== y.naturalHeight) return 'sizes differ';
  const [p, q] = [pixels(x), pixels(y)];
  let worst = 0;
  for (let i = 0; i < p.length; i++) worst = Math.max(worst, Math.abs(p[i] - q[i]));
  return worst;
}"""


PARSE = """(f) => { const d = document.createElement('div'); d.innerHTML = f;
  return {text: d.textContent.replace(/\\s+/g, ' ').trim(), imgs: [...d.querySelectorAll('img')].map(i => i.getAttribute('src')),
          counts: ['rect', 'circle', 'path', 'text', 'tr', 'td', 'b'].map(t => d.querySelectorAll(t).length)}; }"""


def _page_with(browser, script):
    """A blank page with a twin's script loaded (not booted), to call its functions."""
    from cnn_course import kernelfree

    page = browser.new_page()
    page.set_content(
        kernelfree.twin_html([], {"renderer": "x"}, script=script).replace("window.cnnKernelFree.boot(", "void(")
    )
    return page


def test_shift_explorer_twin_draws_what_python_draws(browser):
    import numpy as np

    from cnn_course import shift_js
    from cnn_course.widgets import shift_view

    rng = np.random.default_rng(0)
    digits = np.round(rng.random((3, 16, 16)) * 16) / 16
    labels = [3, 1, 4]
    logits = {name: rng.normal(size=(3, 9, 9, 10)) * 3 for name in ["MLP", "CNN (global pool)"]}
    table = {n: np.exp(v) / np.exp(v).sum(-1, keepdims=True) for n, v in logits.items()}
    render = shift_view(digits, labels, table, 4, 12)
    data = {
        "digits": digits.tolist(),
        "labels": labels,
        "names": list(table),
        "probs": {n: p.tolist() for n, p in table.items()},
        "maxShift": 4,
        "scale": 12,
    }
    page = _page_with(browser, shift_js.SHIFT_JS)
    for digit, dy, dx in [(0, 0, 0), (1, -4, 3), (2, 2, -1), (0, 4, 4), (2, -3, -4)]:
        js = page.evaluate(
            "([d, y, x, data]) => window.cnnKernelFree.shiftExplorerHtml(d, y, x, data)", [digit, dy, dx, data]
        )
        got, want = page.evaluate(PARSE, js), page.evaluate(PARSE, render(digit, dy, dx))
        assert got["text"] == want["text"] and got["counts"] == want["counts"], (digit, dy, dx)
        assert page.evaluate(COMPARE_IMAGES, [got["imgs"][0], want["imgs"][0]]) == 0, (digit, dy, dx)
    page.close()


def test_conv_explorer_twin_draws_what_python_draws(browser):
    """Same caption and the same picture elements, for a sample of settings."""
    from cnn_course import explorer, explorer_js

    page = _page_with(browser, explorer_js.EXPLORER_JS.replace("__COLOURS__", json.dumps(explorer.COLOURS)))
    for args in [(7, 3, 2, 0, 1, 0), (5, 2, 3, 1, 2, 3), (1, 7, 1, 0, 3, 0), (12, 7, 5, 4, 3, 7), (8, 4, 3, 2, 1, 5)]:
        js = page.evaluate("(a) => window.cnnKernelFree.convExplorerHtml(...a)", list(args))
        py = explorer.render_html(explorer.explorer_layout(*args[:5], window=args[5]))
        assert page.evaluate(PARSE, js) == page.evaluate(PARSE, py), args
    page.close()


def test_plain_ipywidgets_render_offline(site, server, browser):
    """A widget without a browser twin (a plain ipywidget, say from a future chapter) is drawn
    by the widget manager the site serves, with its icon fonts, and no error (the manager
    calls MathJax 2's API on labels; the site serves MathJax 3), with no network."""
    import ipywidgets as W
    from ipywidgets.embed import embed_data

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    import offline_assets

    box = W.VBox(
        [
            W.IntSlider(value=3, description=r"$\alpha$"),
            W.HTMLMath(value=r"Math: $x^2 + 1$"),
            W.Dropdown(options=["a", "b"], description="pick"),
        ]
    )
    data = embed_data(views=[box])
    scripts = "".join(
        f'<script src="../_static/{p}"></script>'
        for p in (offline_assets.REQUIREJS, offline_assets.REQUIRE_PATHS, offline_assets.HTML_MANAGER)
    )
    html = (
        f'<!DOCTYPE html><html><head><link rel="icon" href="data:,">'
        f'<script defer src="../_static/{offline_assets.MATHJAX}"></script>{scripts}'
        f'<script type="application/vnd.jupyter.widget-state+json">{json.dumps(data["manager_state"])}</script>'
        f'</head><body><div class="cell_output"><script type="{WIDGET_VIEW}">{json.dumps(data["view_specs"][0])}'
        f"</script></div></body></html>"
    )
    page, visit = open_page(browser, server, "__probe/widgets.html", extra={"__probe/widgets.html": html})
    page.wait_for_selector(".widget-subarea .widget-slider", timeout=TIMEOUT_MS)
    page.wait_for_selector(".widget-subarea .widget-htmlmath-content", timeout=TIMEOUT_MS)
    page.wait_for_timeout(1000)  # the manager asks MathJax to typeset its labels: no error may follow
    assert page.locator(".widget-dropdown select").count() == 1
    assert visit.errors == [] and visit.offsite == [], (visit.errors, visit.offsite)
    page.context.close()


# Every slide of a deck, shown in turn (no transition): its scale (book/_ext/templates/cnn_reveal
# fits a slide taller or wider than reveal's width x height), whether it still overflows, and
# code or output boxes whose lines are cut at the right edge.
EVERY_SLIDE = """async () => {
  Reveal.configure({transition: 'none', backgroundTransition: 'none'});
  const H = Reveal.getConfig().height, W = Reveal.getConfig().width, out = [];
  for (const s of Reveal.getSlides()) {
    const idx = Reveal.getIndices(s);
    Reveal.slide(idx.h, idx.v);
    await new Promise(r => setTimeout(r, 120));
    const cur = Reveal.getCurrentSlide(), st = getComputedStyle(cur), rect = cur.getBoundingClientRect();
    const scale = parseFloat(cur.dataset.cnnScale || '1');
    out.push({slide: `${idx.h}/${idx.v}`, scale,
      text: cur.textContent.trim().replace(/\\s+/g, ' ').slice(0, 60),
      overflows: cur.scrollHeight * scale > H + 1 || cur.scrollWidth * scale > W + 1,
      scrolls: ['scroll', 'auto'].includes(st.overflowY) && cur.scrollHeight > cur.clientHeight + 1,
      off_screen: rect.top < -1 || rect.bottom > innerHeight + 1 || rect.left < -1 || rect.right > innerWidth + 1,
      cut: [...cur.querySelectorAll('pre, code')].filter(e => e.offsetParent !== null && e.scrollWidth > e.clientWidth + 1)
        .map(e => e.textContent.trim().slice(0, 50))});
  }
  return out;
}"""


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 720}, {"width": 1024, "height": 768}], ids=["16:9", "4:3"]
)
def test_no_slide_scrolls_or_cuts_a_line(site, server, browser, viewport):
    """Every slide of every deck fits its viewport (scaled if it must be, never below half
    size), scrolls nowhere, and cuts no line of code or output at its right edge."""
    decks = sorted((site / "slides").glob("*.slides.html"))
    assert len(decks) == len(toc_notebooks()) - len([n for n in toc_notebooks() if n.startswith("exercises/")])
    bad, seen = {}, 0
    for deck in decks:
        page, visit = open_page(browser, server, f"slides/{deck.name}", viewport=viewport)
        slides = page.evaluate(EVERY_SLIDE)
        page.context.close()
        seen += len(slides)
        problems = [
            s for s in slides if s["overflows"] or s["scrolls"] or s["off_screen"] or s["cut"] or s["scale"] < 0.5
        ]
        if problems:
            bad[deck.name] = problems
    assert seen > 100, f"only {seen} slides seen"
    assert bad == {}, json.dumps(bad, indent=1)[:6000]


def test_slides_index_lists_the_decks_in_the_courses_order(site):
    index = (site / "slides" / "index.html").read_text(encoding="utf-8")
    decks = re.findall(r'href="([\w-]+)\.slides\.html"', index)
    lectures = [n.removeprefix("lectures/") for n in toc_notebooks() if n.startswith("lectures/")]
    assert decks == lectures, decks
