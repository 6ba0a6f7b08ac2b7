"""Reading a submitted notebook, whatever it contains.

The grader needs a submission's code cells, in order. It reads the file itself rather than
handing it to Jupyter, so that nothing in the file (its name, its kernelspec, its metadata, the
assignment name otter stores) can change how it is graded. A file that is empty, not UTF-8, not
JSON, or JSON without a list of cells is "unreadable" and scores 0; a notebook that is merely
invalid by nbformat's schema (a cell without an id, an unknown key) is graded from the code
cells it has. Cell magics and `!shell` lines are turned into the Python that IPython would run
(they do nothing during grading).
"""

import ast
import json
import types

MAX_BYTES = 64 * 2**20


class Unreadable(Exception):
    """The file cannot be read as a notebook; the message says why (one line)."""


def _source(value):
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def read_notebook(path, max_bytes=MAX_BYTES):
    """[(cell number, source)] of the code cells of a notebook file; cell numbers count every
    cell from 1, as a reader scrolling the notebook would. Raises Unreadable."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise Unreadable(f"cannot read the file ({e.strerror})") from None
    if size > max_bytes:
        raise Unreadable(f"the file is larger than {max_bytes // 2**20} MB")
    raw = path.read_bytes()
    if not raw.strip():
        raise Unreadable("empty file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text") from None
    try:
        data = json.loads(text)
    except ValueError as e:
        raise Unreadable(f"invalid JSON ({str(e).split(':')[0]} at line {getattr(e, 'lineno', '?')})") from None
    except RecursionError:
        raise Unreadable("invalid JSON (nested too deeply)") from None
    if not isinstance(data, dict):
        raise Unreadable(f"not a Jupyter notebook (the JSON is a {type(data).__name__})")
    if "cells" not in data and isinstance(data.get("worksheets"), list):
        data = _from_v3(text)
    cells = data.get("cells")
    if not isinstance(cells, list):
        raise Unreadable("not a Jupyter notebook (no list of cells)")
    out = []
    for number, cell in enumerate(cells, start=1):
        if isinstance(cell, dict) and cell.get("cell_type") == "code":
            source = _source(cell.get("source", ""))
            if source is not None and source.strip():
                out.append((number, ipython_to_python(source)))
    return out


def _from_v3(text):
    import nbformat

    try:
        return nbformat.reads(text, as_version=4)
    except Exception as e:
        raise Unreadable(f"not a readable Jupyter notebook ({type(e).__name__})") from None


_TRANSFORMER = None


def ipython_to_python(source):
    """`%matplotlib inline` -> `get_ipython().run_line_magic(...)`: what IPython would run."""
    global _TRANSFORMER
    if not any(ch in source for ch in "%!?"):
        return source
    try:
        if _TRANSFORMER is None:
            from IPython.core.inputtransformer2 import TransformerManager

            _TRANSFORMER = TransformerManager()
        return _TRANSFORMER.transform_cell(source)
    except Exception:
        return source


def imports(cells):
    """Top-level module names imported by cells (to preload them in the student process)."""
    names = []
    for _, source in cells:
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names += [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names.append(node.module)
    return list(dict.fromkeys(n for n in names if n.split(".")[0] not in ("otter", "__future__")))


def function_code(cells, name):
    """The code object of the last top-level `def name` in the cells, compiled but never run,
    so that a proxy can show the student's source to `inspect.getsource`. None if absent."""
    found = None
    for number, source in cells:
        filename = f"<cell {number}>"
        try:
            tree = ast.parse(source, filename=filename)
        except (SyntaxError, ValueError):
            continue
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
                found = (filename, source, node)
    if found is None:
        return None
    filename, source, node = found
    try:
        module = compile(ast.Module(body=[node], type_ignores=[]), filename, "exec")
    except (SyntaxError, ValueError):
        return None
    for const in module.co_consts:
        if isinstance(const, types.CodeType) and const.co_name == name:
            return const, filename, source, node
    return None
