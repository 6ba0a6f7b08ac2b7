"""Sphinx extension of the course book (loaded through `sphinx.local_extensions` in _config.yml).

1. Offline: MathJax, RequireJS and the widget manager are copied from node_modules (npm ci
   from package-lock.json, run here if needed) into the site's _static/offline/, and
   _config.yml points `mathjax_path` and `nb_ipywidgets_js` there: no page loads a script from
   a CDN. (Not in the book's source _static/: Jupyter Book adds every .js/.css found there to
   every page.)
2. Fresh outputs: the notebook execution cache (jupyter-cache) re-runs a notebook only when
   its code cells change, so it would keep outputs made by an older `cnn_course` (an old
   widget, an old figure). The cache is emptied when the course package, requirements.txt or
   pyproject.toml change.
3. Slides: at the end of an HTML build, every executed lecture becomes a reveal.js deck in
   slides/ (slides.py), and each lecture page gets a header button that opens its deck.
"""

import hashlib
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


def _lectures(app):
    """Docnames of the lecture notebooks in this build."""
    return sorted(
        d for d in app.env.found_docs if d.startswith("lectures/") and str(app.env.doc2path(d)).endswith(".ipynb")
    )


def _package_digest():
    root = offline_assets.ROOT
    files = sorted((root / "cnn_course").rglob("*.py")) + [root / "requirements.txt", root / "pyproject.toml"]
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
        LOGGER.info(f"cnn_course, requirements.txt or pyproject.toml changed: emptying {cache}")
        shutil.rmtree(cache)
    cache.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest + "\n")


def copy_assets(app):
    if app.builder.name not in HTML_BUILDERS:
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
        decks = slides.build_all(Path(app.outdir).parent, app.outdir, names)
    except RuntimeError as err:
        raise ExtensionError(str(err)) from err
    LOGGER.info(f"slides: {len(decks)} decks in {Path(app.outdir) / 'slides'}")


def setup(app):
    app.connect("config-inited", drop_stale_execution_cache)
    app.connect("builder-inited", copy_assets)
    app.connect("html-page-context", add_slides_button, priority=502)  # after the theme's buttons
    app.connect("html-page-context", tidy_scripts, priority=900)  # after myst-nb adds its scripts
    app.connect("build-finished", build_slides)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
