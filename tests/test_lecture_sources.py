"""Fast checks of the lectures' and exercises' sources, without building the book or opening a
browser: what a fresh clone's `make test-fast` can catch before the browser tests do."""

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LECTURES = sorted((ROOT / "lectures").glob("*.ipynb"))

# a file path or name (one word with a slash, or an image's extension), or a bare hash: what a
# browser shows as an image's alt text when the notebook gave it none (tests/test_browser.py)
PATH_LIKE = re.compile(r"^\S*[/\\]\S*$|\.(png|jpe?g|gif|svg|webp)$|^[0-9a-f]{12,}$", re.I)

# calls that draw a matplotlib figure (the course's helpers create theirs with plt.subplots)
DRAWS = re.compile(r"\bplt\.|\bsubplots\(|\bshow_images\(|\bshow_sliding_window\(|\.imshow\(|\.plot\(")


def _code(cell):
    """A cell's source as Python: IPython's magics and shell lines made `pass`, indentation kept."""
    lines = "".join(cell["source"]).splitlines()
    magic = re.compile(r"^(\s*)[%!].*$")
    return "\n".join(magic.sub(r"\1pass", line) for line in lines)


def figure_cells(nb):
    """Indices of the code cells that draw a figure when run: a top-level statement that draws,
    or that calls a function defined in the notebook whose body draws (found to a fixed point)."""
    trees = {}
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] == "code":
            trees[i] = ast.parse(_code(cell))
    drawing_functions = set()
    while True:
        found = {
            node.name
            for tree in trees.values()
            for node in ast.walk(tree)
            if isinstance(node, ast.FunctionDef)
            and node.name not in drawing_functions
            and _draws(ast.unparse(node), drawing_functions)
        }
        if not found:
            break
        drawing_functions |= found
    return [
        i
        for i, tree in trees.items()
        if any(
            _draws(ast.unparse(stmt), drawing_functions)
            for stmt in tree.body
            if not isinstance(stmt, ast.FunctionDef | ast.ClassDef | ast.Import | ast.ImportFrom)
        )
    ]


def _draws(source, drawing_functions):
    return bool(DRAWS.search(source)) or any(re.search(rf"\b{name}\(", source) for name in drawing_functions)


def alt_text(cell):
    return cell.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")


def test_the_figure_finder_finds_figures():
    """Not blind: a plain plot, a helper's figure and a call to a notebook's own drawing function."""
    cells = [
        "import matplotlib.pyplot as plt",
        "def show(x):\n    fig, ax = plt.subplots()\n    ax.imshow(x)",
        "x = 1\nprint(x)",
        "show(x)",
        "plt.plot([1, 2])",
        "fig = show_images({'a': x})",
        "%matplotlib inline\ny = 2",
    ]
    nb = {"cells": [{"cell_type": "code", "source": s, "metadata": {}} for s in cells]}
    assert figure_cells(nb) == [3, 4, 5]


@pytest.mark.parametrize("path", LECTURES, ids=lambda p: p.stem)
def test_every_figure_cell_has_alt_text_in_words(path):
    """Each cell that draws a figure carries its alt text in its metadata (mystnb.image.alt, which
    the book and the slides write on the <img>): a few words saying what it shows, never empty
    and never a file name, which is what the browser test would otherwise find on the page."""
    nb = json.loads(path.read_text())
    cells = figure_cells(nb)
    assert cells, f"{path.name}: no figure found (the finder is blind)"
    bad = {}
    for i in cells:
        alt = (alt_text(nb["cells"][i]) or "").strip()
        if len(alt.split()) < 5 or PATH_LIKE.search(alt):
            bad[i] = alt or "(none)"
    assert bad == {}, f"{path.name}: figure cells without alt text in words: {bad}"


# ----------------------------------------------------------------------------- exercises' texts

EXERCISE_IDS = sorted(p.stem for p in (ROOT / "solutions").glob("*.ipynb"))


@pytest.mark.parametrize("aid", EXERCISE_IDS)
def test_instructions_list_exactly_what_the_grader_forbids(aid):
    """The master's and the student notebook's instructions name every function the grader
    forbids in that exercise (autograder.forbidden: the chapter's FORBIDDEN, the course's own
    modules, any `# forbidden:` line of the master), and nothing else (in groups: any order)."""
    from autograder.forbidden import forbidden_for
    from checks.instructions import intro_cell, listed_in

    master = ROOT / "solutions" / f"{aid}.ipynb"
    want = forbidden_for(aid, master)
    for path in (master, ROOT / "exercises" / aid / f"{aid}.ipynb"):
        text = "".join(intro_cell(json.loads(path.read_text()))["source"])
        listed = listed_in(text)
        assert listed is not None, f"{path.relative_to(ROOT)}: no forbidden list (run `make notebooks`)"
        assert len(listed) == len(set(listed)), f"{path.relative_to(ROOT)} lists a name twice: {listed}"
        assert sorted(listed) == sorted(want), f"{path.relative_to(ROOT)} lists {listed}; the grader forbids {want}"


def test_the_forbidden_list_is_rewritten_from_the_checks(tmp_path):
    """The writer is not blind: a master whose list is out of date gets the current one."""
    from checks.instructions import listed_in, rewrite

    master = tmp_path / "translation-invariance.ipynb"
    nb = json.loads((ROOT / "solutions" / master.name).read_text())
    cell = next(c for c in nb["cells"] if c["cell_type"] == "markdown")
    cell["source"] = "".join(cell["source"]).replace("`torch.nn.functional.pad`", "`numpy.roll`")
    master.write_text(json.dumps(nb))
    assert "numpy.roll" in listed_in(cell["source"])
    assert rewrite(master) and not rewrite(master)
    text = "".join(json.loads(master.read_text())["cells"][1]["source"])
    assert "numpy.roll" not in listed_in(text) and "torch.nn.functional.pad" in listed_in(text)


def test_inline_math_keeps_the_punctuation_after_it_and_nothing_else():
    """The book wraps a formula and the full stop after it in a no-wrap span, and never a
    stretch of text between two formulas (which would run off a phone's screen)."""
    import importlib.util
    import sys

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    spec = importlib.util.spec_from_file_location("cnn_book", ROOT / "book" / "_ext" / "cnn_book.py")
    cnn_book = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cnn_book)
    math = '<span class="math notranslate nohighlight">\\({}\\)</span>'
    body = f"<p>{math.format('a + b')} and then {math.format('c &lt; d')}. Next, {math.format('e')}, f</p>"
    out = cnn_book.INLINE_MATH_THEN_PUNCTUATION.sub(r'<span class="cnn-nowrap">\1\2</span>', body)
    assert out.count('class="cnn-nowrap"') == 2
    assert f'<p>{math.format("a + b")} and then <span class="cnn-nowrap">{math.format("c &lt; d")}.</span>' in out
    assert f'<span class="cnn-nowrap">{math.format("e")},</span> f' in out
