"""Every lecture as a reveal.js slide deck (`jupyter nbconvert --to slides`), served by the book.

    make slides            # = python book/_ext/slides.py: all decks, from the executed lectures

Input: the lectures with the outputs (and widget state) of the book build's execution, taken
from its execution cache (_build/.jupyter_cache). Output: _build/html/slides/<id>.slides.html and an index,
_build/html/slides/index.html. The book build runs the same at its end (book/_ext/cnn_book.py),
so every build of the book has its decks, and every lecture page has a slides button.

nbconvert's SlidesExporter does the work, with a template (templates/cnn_reveal) that loads
reveal.js, RequireJS, MathJax 3 and the widget manager from the site itself
(_static/offline/), so that the slides, like the book, work with the network off.

Slide structure: a lecture whose cells carry Jupyter's `slideshow` metadata (View > Cell
toolbar > Slideshow in Jupyter; lectures/convolution.ipynb has it) is cut where it says. A
lecture with none gets it derived: a `#` or `##` heading starts a slide, a `###` heading a
sub-slide (below it), a slide that grows past about a screen continues on a sub-slide, and the
install cell is skipped. (A heading anywhere in a cell starts the slide at that cell.) Cells
tagged `hide-input` or `remove-input` show their output only;
`remove-cell` is dropped. MyST admonitions (```{note}, {admonition}, dropdowns, ...) become
boxes, since nbconvert's Markdown knows no MyST.
"""

import argparse
import copy
import hashlib
import html
import re
import sys
from pathlib import Path

import nbformat

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import offline_assets  # noqa: E402

ROOT = HERE.parents[1]
TEMPLATES = HERE / "templates"
SLIDE_BUDGET = 24  # about one screen, in "lines" (see _height)

ADMONITIONS = {
    "note",
    "tip",
    "hint",
    "important",
    "warning",
    "caution",
    "attention",
    "danger",
    "error",
    "seealso",
    "admonition",
    "dropdown",
    "exercise",
    "solution",
}
FENCE_OPEN = re.compile(r"^(?P<fence>`{3,}|:{3,})\{(?P<name>[\w-]+)\}\s*(?P<arg>.*?)\s*$")
ROLE = re.compile(r"\{(?P<role>[\w:-]+)\}`(?P<text>[^`]*)`")


# --- MyST Markdown -> the Markdown nbconvert knows ------------------------------------------

GLUE_MIME = "application/papermill.record/"


def glued_values(nb):
    """name -> {mime: value} of every value a cell stored with myst-nb's glue()."""
    values = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            name = out.get("metadata", {}).get("scrapbook", {}).get("name")
            if name:
                values[name] = {
                    k.removeprefix(GLUE_MIME): v for k, v in out.get("data", {}).items() if k.startswith(GLUE_MIME)
                }
    return values


def _glue_text(target, glue):
    """{glue:text}`name:format` -> the value, formatted as the book formats it."""
    name, _, fmt = target.partition(":")
    data = glue.get(name.strip())
    if data is None:
        return target
    text = str(data.get("text/plain", "")).strip()
    if fmt:
        try:
            import ast

            return format(ast.literal_eval(text), fmt)
        except (ValueError, SyntaxError, TypeError):
            return text
    return text.strip("'")


def _role(m, glue=None):
    role, text = m.group("role"), m.group("text")
    if role.startswith("glue"):
        if role == "glue:md":
            data = (glue or {}).get(text.strip(), {})
            return str(data.get("text/markdown", _glue_text(text, glue or {})))
        return _glue_text(text, glue or {})
    if role == "math":
        return f"${text}$"
    text = re.sub(r"\s*<[^>]*>$", "", text)  # {doc}`title <target>` -> title
    return f"`{text}`" if role in {"code", "command", "file", "kbd"} else text


def myst_to_markdown(source, glue=None):
    """Directives become HTML boxes (admonitions), <details> (dropdowns) or plain content;
    roles become their text ({glue} roles the value glued under that name); labels and
    comments go."""
    lines = source.splitlines()
    out, i = [], 0
    while i < len(lines):
        m = FENCE_OPEN.match(lines[i])
        if not m:
            line = lines[i]
            if not re.match(r"^\(\S+\)=\s*$", line) and not line.startswith("% "):
                out.append(ROLE.sub(lambda m: _role(m, glue), line))
            i += 1
            continue
        fence, name, arg = m.group("fence"), m.group("name"), m.group("arg")
        close = re.compile(rf"^{re.escape(fence[0])}{{{len(fence)},}}\s*$")
        body, i = [], i + 1
        depth = 0
        while i < len(lines):
            if FENCE_OPEN.match(lines[i]) and lines[i].startswith(fence[0] * len(fence)):
                depth += 1
            elif close.match(lines[i]):
                if depth == 0:
                    break
                depth -= 1
            body.append(lines[i])
            i += 1
        i += 1  # the closing fence
        options = {}
        while body and re.match(r"^:[\w-]+:", body[0]):
            key, _, value = body.pop(0)[1:].partition(":")
            options[key] = value.strip()
        inner = myst_to_markdown("\n".join(body), glue)
        classes = options.get("class", "")
        if name in {"math"}:
            out += ["$$", inner, "$$"]
        elif name == "dropdown" or "dropdown" in classes.split():
            title = html.escape(arg or name.capitalize())
            out += [f"<details><summary>{title}</summary>", "", inner, "", "</details>"]
        elif name in ADMONITIONS:
            if name == "admonition":
                title = arg or "Note"
            else:  # {note} text: the text is content
                title = "See also" if name == "seealso" else name.capitalize()
                inner = f"{arg}\n\n{inner}" if arg else inner
            out += [
                f'<div class="admonition {name} {html.escape(classes)}">',
                f'<p class="admonition-title">{html.escape(title)}</p>',
                "",
                inner,
                "",
                "</div>",
            ]
        else:  # figure, margin, code-block, ...: the content
            out += ([arg, ""] if arg and name not in {"code-block", "code"} else []) + [inner]
    return "\n".join(out)


# --- slide structure ------------------------------------------------------------------------


def has_slide_metadata(nb):
    return any(c.metadata.get("slideshow", {}).get("slide_type") for c in nb.cells)


def _is_install_cell(cell):
    return cell.cell_type == "code" and "%pip install" in cell.source


def _height(cell):
    """A rough height of a cell on a slide, in lines of text."""
    tags = set(cell.metadata.get("tags", []))
    if cell.cell_type == "markdown":
        return sum(1 + len(line) // 90 for line in cell.source.splitlines() if line.strip()) + 1
    h = 0 if tags & {"hide-input", "remove-input"} else len(cell.source.splitlines()) + 1
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if "image/png" in data or "image/svg+xml" in data or "text/html" in data:
            h += 14
        elif "text" in out or "text/plain" in data:
            text = out.get("text") or data.get("text/plain", "")
            h += min(len("".join(text).splitlines()), 20)
    return h


def derive_slide_metadata(nb):
    """Slide types from headings and heights, for a lecture that has none (see the docstring)."""
    used = 0
    for n, cell in enumerate(nb.cells):
        kind = "-"
        md = cell.source if cell.cell_type == "markdown" else ""
        if _is_install_cell(cell):
            kind = "skip"
        elif n == 0 or re.search(r"^#{1,2}\s", md, flags=re.M):
            kind = "slide"
        elif re.search(r"^###\s", md, flags=re.M):
            kind = "subslide"
        elif used + _height(cell) > SLIDE_BUDGET and used > 0:
            kind = "subslide"
        if kind in {"slide", "subslide"}:
            used = 0
        if kind != "skip":
            used += _height(cell)
        cell.metadata.setdefault("slideshow", {})["slide_type"] = kind
    return nb


LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s")


def _blocks(source):
    """A Markdown cell's paragraphs and top-level list items, with the separator that joins
    each to the one before it ("\n" between items of one list); fenced blocks are kept whole."""
    blocks, current, fence, gap = [], [], None, False

    def close():
        if current:
            item = bool(LIST_ITEM.match(current[0]))
            tight = item and not gap and blocks and LIST_ITEM.match(blocks[-1][1].split("\n")[0])
            blocks.append(("\n" if tight else "\n\n", "\n".join(current)))
            current.clear()

    for line in source.splitlines():
        opening = re.match(r"^(`{3,}|:{3,})", line)
        if fence is None and opening:
            fence = opening.group(1)[0] * len(opening.group(1))
        elif fence is not None and line.strip() == fence:
            fence = None
        if fence is None and not line.strip():
            close()
            gap = True
            continue
        if fence is None and LIST_ITEM.match(line) and current:
            close()
        if not current:
            gap = gap and not blocks
        current.append(line)
        gap = False if len(current) > 1 else gap
    close()
    return blocks


def split_markdown(nb, at_headings):
    """Cut Markdown cells that would not fit a slide: at every heading (at_headings: for a
    lecture whose slides are derived, so that each heading starts its slide) and where a cell
    grows past SLIDE_BUDGET, between paragraphs or list items. Each later part continues on a
    sub-slide (a heading's part gets its slide from derive_slide_metadata)."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "markdown":
            cells.append(cell)
            continue
        chunks = []
        for sep, block in _blocks(cell.source):
            starts_heading = at_headings and re.match(r"^#{1,6}\s", block)
            trial = (chunks[-1] + sep + block) if chunks else block
            too_tall = chunks and _height(nbformat.v4.new_markdown_cell(trial)) > SLIDE_BUDGET
            if not chunks or starts_heading or too_tall:
                chunks.append(block)
            else:
                chunks[-1] = trial
        if len(chunks) <= 1:
            cells.append(cell)
            continue
        for n, chunk in enumerate(chunks):
            part = copy.deepcopy(cell)
            part.source = chunk
            if n > 0:
                if "id" in part:
                    part["id"] = f"{part['id']}-{n}"
                part.metadata = {k: v for k, v in part.metadata.items() if k != "slideshow"}
                if not at_headings:
                    part.metadata["slideshow"] = {"slide_type": "subslide"}
            cells.append(part)
    nb.cells = cells
    return nb


def prepare(nb):
    """A copy of an executed lecture, ready for the SlidesExporter."""
    nb = copy.deepcopy(nb)
    derived = not has_slide_metadata(nb)
    split_markdown(nb, at_headings=derived)
    if derived:
        derive_slide_metadata(nb)
    glue = glued_values(nb)
    cells = []
    for cell in nb.cells:
        tags = set(cell.metadata.get("tags", []))
        if "remove-cell" in tags:
            continue
        if cell.cell_type == "markdown":
            cell.source = myst_to_markdown(cell.source, glue)
        elif cell.cell_type == "code":  # glued values are shown in the text, not as outputs
            cell.outputs = [
                o for o in cell.get("outputs", []) if not any(k.startswith(GLUE_MIME) for k in o.get("data", {}))
            ]
            alt = cell.metadata.get("mystnb", {}).get("image", {}).get("alt")
            for out in cell.outputs:  # the figure's alt text, as the book has it (the template writes it)
                if alt and any(k.startswith("image/") for k in out.get("data", {})):
                    out.setdefault("metadata", {})["alt"] = alt
        cells.append(cell)
    nb.cells = cells
    return nb  # hide-input / remove-input / remove-output: the exporter's TagRemovePreprocessor


def title_of(nb, default):
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            m = re.search(r"^#\s+(.+)$", cell.source, flags=re.M)
            if m:
                return m.group(1).strip()
    return default


# --- export ---------------------------------------------------------------------------------


def exporter():
    from nbconvert import SlidesExporter
    from traitlets.config import Config

    prefix = "../_static/" + offline_assets.SUBDIR
    c = Config()
    c.SlidesExporter.extra_template_basedirs = [str(TEMPLATES)]
    c.SlidesExporter.template_name = "cnn_reveal"
    c.SlidesExporter.reveal_url_prefix = f"{prefix}/reveal.js"
    c.SlidesExporter.reveal_theme = "white"
    c.SlidesExporter.reveal_scroll = False  # no slide scrolls: the template scales a tall one to fit
    c.SlidesExporter.reveal_number = "c/t"
    c.SlidesExporter.require_js_url = f"../_static/{offline_assets.REQUIREJS}"
    c.SlidesExporter.mathjax_url = f"../_static/{offline_assets.MATHJAX}"
    c.SlidesExporter.widget_renderer_url = f"../_static/{offline_assets.HTML_MANAGER}"
    c.SlidesExporter.exclude_input_prompt = True
    c.SlidesExporter.exclude_output_prompt = True
    # kernelfree widgets: their browser twin (text/html) responds without a kernel; prefer it
    c.NbConvertBase.display_data_priority = [
        "text/html",
        "application/vnd.jupyter.widget-view+json",
        "application/javascript",
        "text/markdown",
        "image/svg+xml",
        "text/latex",
        "image/png",
        "image/jpeg",
        "text/plain",
    ]
    c.TagRemovePreprocessor.enabled = True
    c.TagRemovePreprocessor.remove_input_tags = {"hide-input", "remove-input"}
    c.TagRemovePreprocessor.remove_cell_tags = {"remove-cell"}
    c.TagRemovePreprocessor.remove_all_outputs_tags = {"remove-output"}
    return SlidesExporter(config=c)


def executed_lecture(name, build_dir):
    """lectures/<name>.ipynb with the outputs of its last execution by the book build: from the
    execution cache (build_dir/.jupyter_cache), else from build_dir/jupyter_execute (which
    myst-nb writes without outputs when it took them from the cache)."""
    from jupyter_cache import get_cache

    source = ROOT / "lectures" / f"{name}.ipynb"
    nb = nbformat.read(source, as_version=4)
    cache_dir = Path(build_dir) / ".jupyter_cache"
    if cache_dir.is_dir():
        try:
            return get_cache(str(cache_dir)).merge_match_into_notebook(nb)[1]
        except KeyError:
            pass
    copy_path = Path(build_dir) / "jupyter_execute" / "lectures" / f"{name}.ipynb"
    if copy_path.exists():
        executed = nbformat.read(copy_path, as_version=4)
        if any(c.get("outputs") for c in executed.cells if c.cell_type == "code"):
            return executed
    raise RuntimeError(
        f"lectures/{name}.ipynb has no executed version in {build_dir}: build the book first "
        "(make book), and do not edit the lecture while it builds"
    )


def build_deck(nb, name, out_dir, book_page=None):
    """An executed lecture -> out_dir/<name>.slides.html. Returns (path, title)."""
    title = title_of(nb, name)
    nb.metadata["title"] = title
    body, _ = exporter().from_notebook_node(
        prepare(nb),
        resources={
            "metadata": {"name": name},
            "cnn_book_url": book_page,
            "cnn_require_paths": f"../_static/{offline_assets.REQUIRE_PATHS}",
        },
    )
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{name}.slides.html"
    path.write_text(body, encoding="utf-8")
    return path, title


def write_index(out_dir, decks):
    items = "\n".join(
        f'<li><a href="{html.escape(p.name)}">{html.escape(t)}</a> '
        f'(<a href="../lectures/{html.escape(p.name.removesuffix(".slides.html"))}.html">lecture</a>)</li>'
        for p, t in decks
    )
    page = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Slides</title><link rel="icon" href="data:,">
<style>body{{font-family:sans-serif;max-width:40em;margin:2em auto;line-height:1.5}}</style></head>
<body><h1>Slides</h1>
<p>Each lecture of the course as a reveal.js slide deck: arrow keys or space to move,
<kbd>Esc</kbd> for an overview, <kbd>S</kbd> for speaker view. <a href="../index.html">Back to the book</a>.</p>
<ul>
{items}
</ul></body></html>
"""
    (Path(out_dir) / "index.html").write_text(page, encoding="utf-8")


def deck_key(name, build_dir):
    """What a deck is made from, as a digest: the lecture's source; the copy of it that myst-nb
    writes to build_dir/jupyter_execute/ whenever the book build reads the lecture again (and
    so whenever it executes it: its size and time); this script, the template and the site's
    assets. A deck whose key is unchanged need not be rebuilt. Cheap: no notebook is parsed."""
    h = hashlib.sha256((ROOT / "lectures" / f"{name}.ipynb").read_bytes())
    for path in [Path(__file__), *sorted(TEMPLATES.rglob("*"))]:
        if path.is_file():
            h.update(path.read_bytes())
    h.update(offline_assets._digest().encode())
    executed = Path(build_dir) / "jupyter_execute" / "lectures" / f"{name}.ipynb"
    if executed.exists():
        st = executed.stat()
        h.update(f"{st.st_size} {st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def course_order(names):
    """The lectures' names in the order of the table of contents (_toc.yml), others after them."""
    import yaml

    order = []

    def walk(entries):
        for entry in entries or []:
            if str(entry.get("file", "")).startswith("lectures/"):
                order.append(entry["file"].removeprefix("lectures/"))
            walk(entry.get("sections"))
            walk(entry.get("chapters"))

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    walk([c for part in toc.get("parts", []) for c in part.get("chapters", [])])
    walk(toc.get("chapters"))
    rank = {name: i for i, name in enumerate(order)}
    return sorted(names, key=lambda n: (rank.get(n, len(rank)), n))


def build_all(build_dir, html_dir, names, only_changed=False):
    """The named lectures (executed by the book build in build_dir) -> html_dir/slides/.
    only_changed: keep a deck whose lecture, execution and template are those it was built
    from (see `deck_key`). Returns [(path, title, rebuilt)]."""
    html_dir = Path(html_dir)
    offline_assets.copy_into(html_dir / "_static")
    out_dir = html_dir / "slides"
    decks = []
    for name in course_order(names):  # the index lists the decks in the course's order
        path, stamp = out_dir / f"{name}.slides.html", out_dir / f".{name}.key"
        key = deck_key(name, build_dir)
        if only_changed and path.exists() and stamp.exists():
            old_key, _, title = stamp.read_text(encoding="utf-8").partition("\t")
            if old_key == key:
                decks.append((path, title.strip(), False))
                continue
        path, title = build_deck(executed_lecture(name, build_dir), name, out_dir, book_page=f"../lectures/{name}.html")
        stamp.write_text(f"{key}\t{title}\n", encoding="utf-8")
        decks.append((path, title, True))
    write_index(out_dir, [(p, t) for p, t, _ in decks])
    return decks


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument(
        "--build",
        default=str(ROOT / "_build"),
        help="the book's build folder (holds .jupyter_cache/ and html/); default _build",
    )
    args = ap.parse_args(argv)
    build = Path(args.build)
    if not (build / "html" / "index.html").exists():
        sys.exit(f"{build}/html holds no book: build it first (make book)")
    names = [p.stem for p in sorted((build / "html" / "lectures").glob("*.html"))]
    for path, title, _ in build_all(build, build / "html", names):
        print(f"{path}  ({title})")


if __name__ == "__main__":
    main()
