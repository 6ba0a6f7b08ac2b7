"""Sphinx extension of the course book (loaded through `sphinx.local_extensions` in _config.yml).

1. Offline: MathJax, RequireJS and the widget manager are copied from node_modules (npm ci
   from package-lock.json, run here if needed) into the site's _static/offline/, and
   _config.yml points `mathjax_path` and `nb_ipywidgets_js` there: no page loads a script from
   a CDN. (Not in the book's source _static/: Jupyter Book adds every .js/.css found there to
   every page.)
2. Fresh outputs: the notebook execution cache (jupyter-cache) re-runs a notebook only when
   its code cells change, so it would keep outputs made by an older `cnn_course` (an old
   widget, an old figure). The cache is emptied when the course package, requirements.txt,
   pyproject.toml or a committed measurement (data/, which the GPU chapter reads) change.
3. Slides: at the end of an HTML build, every executed lecture becomes a reveal.js deck in
   slides/ (slides.py), and each lecture page gets a header button that opens its deck. A deck
   is rebuilt only when its lecture, that lecture's execution or the slides' code changed.
4. Styles: static/cnn-book.css on every page (code wraps, figures fit a phone's width, colours
   with enough contrast).
5. A quiet log: what is expected and harmless is not printed (each unexecuted exercise page's
   "Excluded from execution by pattern"; each kernel's "running over TCP without encryption",
   as the kernels listen on 127.0.0.1 only). Warnings still fail the build (-W).
"""

import hashlib
import logging as std_logging
import os
import re
import shutil
import sys
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

sys.path.insert(0, str(Path(__file__).resolve().parent))
import offline_assets  # noqa: E402
import slides  # noqa: E402

LOGGER = logging.getLogger(__name__)
HTML_BUILDERS = {"html", "dirhtml"}
ASSET_BUILDERS = HTML_BUILDERS | {"singlehtml"}  # singlehtml: the page book/_ext/pdf.py prints
STATIC = Path(__file__).resolve().parent / "static"
TEMPLATES = Path(__file__).resolve().parent / "templates" / "html"
EXPECTED_MESSAGES = ("Excluded from execution by pattern",)


def _lectures(app):
    """Docnames of the lecture notebooks in this build."""
    return sorted(
        d for d in app.env.found_docs if d.startswith("lectures/") and str(app.env.doc2path(d)).endswith(".ipynb")
    )


def _package_digest():
    root = offline_assets.ROOT
    files = sorted((root / "cnn_course").rglob("*.py")) + [root / "requirements.txt", root / "pyproject.toml"]
    files += sorted(p for p in (root / "data").rglob("*") if p.is_file())  # measurements the lectures read
    h = hashlib.sha256()
    for f in files:
        if f.exists():
            h.update(f.relative_to(root).as_posix().encode() + b"\0" + f.read_bytes())
    return h.hexdigest()[:16]


def drop_stale_execution_cache(app, config):
    if config.nb_execution_mode != "cache":
        return
    cache = Path(config.nb_execution_cache_path or Path(app.outdir).parent / ".jupyter_cache")
    stamp = cache / "cnn-course-package.sha"
    digest = _package_digest()
    if cache.exists() and (not stamp.exists() or stamp.read_text().strip() != digest):
        LOGGER.info(f"cnn_course, requirements.txt, pyproject.toml or data/ changed: emptying {cache}")
        shutil.rmtree(cache)
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")


class _DropExpected(std_logging.Filter):
    def filter(self, record):
        return not str(record.msg).startswith(EXPECTED_MESSAGES)


def quiet_log(app, config):
    """Drop the expected messages (see the module's docstring) from Sphinx's log, and start
    the notebooks' kernels with an IPython profile that logs errors only."""
    for handler in std_logging.getLogger("sphinx").handlers:
        handler.addFilter(_DropExpected())
    profile = Path(app.outdir).parent / ".ipython" / "profile_default"
    profile.mkdir(parents=True, exist_ok=True)
    config_file = profile / "ipython_kernel_config.py"
    text = "# Written by book/_ext/cnn_book.py: the book's kernels log errors only.\n"
    text += "c.IPKernelApp.log_level = 'ERROR'\n"
    if not config_file.exists() or config_file.read_text() != text:
        config_file.write_text(text)
    os.environ["IPYTHONDIR"] = str(profile.parent)


def exclude_files_outside_toc(app, config):
    """What `only_build_toc_files` does, without walking .venv/ and node_modules/: every source
    file that the table of contents does not list is excluded. sphinx-external-toc does it
    with a recursive glob of the whole repository, excluded folders included (about 0.5 s of
    every build here); this walk skips the folders `exclude_patterns` already excludes, and
    hidden ones, as that glob does. _config.yml therefore sets only_build_toc_files: false."""
    from sphinx.util.matching import Matcher

    site_map = getattr(config, "external_site_map", None)
    if site_map is None:
        return
    excluded = Matcher(config.exclude_patterns)
    suffixes = tuple(config.source_suffix)
    src = Path(app.srcdir)
    extra = []
    for folder, dirs, files in os.walk(src):
        base = Path(folder).relative_to(src).as_posix()
        rel = (lambda name: name) if base == "." else (lambda name, base=base: f"{base}/{name}")
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and not excluded(rel(d)))
        for name in sorted(files):
            suffix = next((x for x in suffixes if name.endswith(x)), None)
            if suffix is None or name.startswith("."):
                continue
            posix = rel(name)
            if posix in site_map or posix[: -len(suffix)] in site_map or excluded(posix):
                continue
            extra.append(posix)
    config.exclude_patterns = config.exclude_patterns + extra


def add_static(app, config):
    """The book's CSS, and its templates ahead of the theme's (templates/html/: the search field
    and the colour-mode switch with accessible names); one search field, in the header (the
    theme puts another in the sidebar: html_sidebars leaves it out)."""
    config.html_static_path.append(str(STATIC))
    config.templates_path.insert(0, str(TEMPLATES))
    if not config.html_sidebars:
        config.html_sidebars = {"**": ["navbar-logo.html", "icon-links.html", "sbt-sidebar-nav.html"]}


SUMMARY_IN_NAV = re.compile(r'(<a [^>]*href="[^"]*"[^>]*>(?P<title>[^<]*)</a>\s*<details[^>]*>\s*)<summary>')


def _name_nav_toggles(html):
    """The sidebar's expand/collapse toggles (a <summary> holding only an icon) get a name:
    "Sections of <the chapter's title>" (axe-core: summary-name)."""

    def named(m):
        title = re.sub(r"<[^>]+>", "", m.group("title")).strip()
        return f'{m.group(1)}<summary aria-label="Sections of {title}">'

    return SUMMARY_IN_NAV.sub(named, html)


def accessible_names(app, pagename, templatename, context, doctree):
    """Names that axe-core found missing or wrong: the sidebar's section toggles, and the
    "Show code cell source" toggles, whose aria-label ("Toggle hidden content") hid the text
    they show."""
    if app.builder.name not in ASSET_BUILDERS:
        return
    if "body" in context:
        context["body"] = context["body"].replace('<summary aria-label="Toggle hidden content">', "<summary>")
    toctree = context.get("generate_toctree_html")
    if callable(toctree) and not getattr(toctree, "_cnn_named", False):

        def named_toctree(*args, **kwargs):
            from markupsafe import Markup

            return Markup(_name_nav_toggles(str(toctree(*args, **kwargs))))

        named_toctree._cnn_named = True
        context["generate_toctree_html"] = named_toctree


INLINE_MATH_THEN_PUNCTUATION = re.compile(
    r'(<span class="math notranslate nohighlight">\\\([^<]*?\\\)</span>)([.,;:!?]+)'  # math is escaped: no "<"
)


def math_keeps_its_punctuation(app, pagename, templatename, context, doctree):
    """A full stop or comma right after inline math stays on the math's line: the browser may
    break a line after an inline formula (an atomic box), which would start the next line with
    the punctuation. Formula and punctuation share a no-wrap span (static/cnn-book.css)."""
    if app.builder.name in ASSET_BUILDERS and "body" in context:
        context["body"] = INLINE_MATH_THEN_PUNCTUATION.sub(r'<span class="cnn-nowrap">\1\2</span>', context["body"])


def copy_assets(app):
    if app.builder.name not in ASSET_BUILDERS:
        return
    try:
        offline_assets.copy_into(Path(app.outdir) / "_static")
    except RuntimeError as err:
        raise ExtensionError(str(err)) from err


def add_slides_button(app, pagename, templatename, context, doctree):
    if app.builder.name not in HTML_BUILDERS or not pagename.startswith("lectures/"):
        return
    if pagename not in _lectures(app) or "header_buttons" not in context:
        return
    name = pagename.split("/", 1)[1]
    context["header_buttons"].append(
        {
            "type": "link",
            "url": context["pathto"](f"slides/{name}.slides.html", 1),
            "tooltip": "Slides of this lecture (reveal.js)",
            "icon": "fas fa-person-chalkboard",
            "label": "slides-button",
        }
    )


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"


def tidy_scripts(app, pagename, templatename, context, doctree):
    """Per page: drop repeated scripts (sphinx-thebe adds its config twice, a SyntaxError in the
    browser), and the widget manager where no output needs it (every widget on the page shows
    its kernel-free twin instead of a widget view)."""
    files = context.get("script_files")
    if not isinstance(files, list):
        return
    needs_manager = WIDGET_VIEW in context.get("body", "")
    manager = {
        f"_static/{p}" for p in (offline_assets.REQUIREJS, offline_assets.REQUIRE_PATHS, offline_assets.HTML_MANAGER)
    }
    seen, keep = set(), []
    for js in files:
        filename = str(getattr(js, "filename", js) or "")
        attrs = getattr(js, "attributes", {}) or {}
        key = (filename, tuple(sorted((k, str(v)) for k, v in attrs.items())))
        if key in seen:
            continue
        seen.add(key)
        if not needs_manager and (filename in manager or attrs.get("type") == WIDGET_STATE):
            continue
        keep.append(js)
    files[:] = keep


def build_slides(app, exception):
    if exception is not None or app.builder.name not in HTML_BUILDERS:
        return
    names = {d.split("/", 1)[1] for d in _lectures(app)}
    try:
        decks = slides.build_all(Path(app.outdir).parent, app.outdir, names, only_changed=True)
    except RuntimeError as err:
        raise ExtensionError(str(err)) from err
    rebuilt = [p.name for p, _, fresh in decks if fresh]
    LOGGER.info(f"slides: {len(decks)} decks in {Path(app.outdir) / 'slides'}, rebuilt: {', '.join(rebuilt) or 'none'}")


def setup(app):
    app.connect("config-inited", quiet_log)
    app.connect("config-inited", add_static)
    app.connect("config-inited", exclude_files_outside_toc, priority=900)  # after sphinx-external-toc reads the toc
    app.add_css_file("cnn-book.css")
    app.connect("config-inited", drop_stale_execution_cache)
    app.connect("builder-inited", copy_assets)
    app.connect("html-page-context", add_slides_button, priority=502)  # after the theme's buttons
    app.connect("html-page-context", tidy_scripts, priority=900)  # after myst-nb adds its scripts
    app.connect("html-page-context", accessible_names, priority=901)  # after the theme fills the context
    app.connect("html-page-context", math_keeps_its_punctuation, priority=902)
    app.connect("build-finished", build_slides)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
