"""The submissions of a folder, and reading a submitted notebook, whatever it contains.

The grader needs a submission's code cells, in order. It reads the file itself rather than
handing it to Jupyter, so that nothing in the file (its name, its kernelspec, its metadata, the
assignment name otter stores) can change how it is graded. A file that is empty, not UTF-8, not
JSON, or JSON without a list of cells is "unreadable" and scores 0; a notebook that is merely
invalid by nbformat's schema (a cell without an id, an unknown key) is graded from the code
cells it has. Cell magics and `!shell` lines are turned into the Python that IPython would run
(they do nothing during grading). Cells that otter's grader skips are skipped here too: those
tagged `otter_ignore`, or whose metadata says `"otter": {"ignore": true}` (otter.execute's
preprocessor); the course tags its figure and training cells so.

A submission's file is read, and its code parsed, only inside the confined student process
(engine.student), where memory and time are bounded: a notebook built to exhaust a parser
(a huge or deeply nested expression) costs that process, never the grader.
"""

import ast
import json
import os
import stat
import types
from collections import Counter
from pathlib import Path

from .results import GradingError
from .settings import MAX_NOTEBOOK_BYTES
from .text import file_label


class Unreadable(Exception):
    """The file cannot be read as a notebook; the message says why (one line)."""


IGNORED_TAG = "otter_ignore"  # otter's tag for a cell that its grader leaves out


def graded_cell(cell: dict) -> bool:
    """Whether the grader runs this cell: otter's rule (otter.execute.preprocessor's
    filter_ignored_cells), with metadata of any shape taken as no tag."""
    metadata = cell.get("metadata")
    if not isinstance(metadata, dict):
        return True
    tags, otter = metadata.get("tags"), metadata.get("otter")
    if isinstance(tags, list) and IGNORED_TAG in tags:
        return False
    return not (isinstance(otter, dict) and otter.get("ignore"))


def _source(value):
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return "".join(value)
    return None


def read_notebook(path, max_bytes=MAX_NOTEBOOK_BYTES, magics=True):
    """[(cell number, source)] of the code cells of a notebook file; cell numbers count every
    cell from 1, as a reader scrolling the notebook would; magics=False leaves `%` and `!` lines
    as written. Raises Unreadable."""
    try:
        size = path.stat().st_size
    except OSError as e:
        raise Unreadable(f"cannot read the file ({e.strerror})") from None
    if size > max_bytes:
        raise Unreadable(f"the file is larger than {max_bytes // 2**20} MB")
    return notebook_cells(path.read_bytes(), max_bytes, magics)


def read_fd(fd, max_bytes=MAX_NOTEBOOK_BYTES):
    """The bytes of an open regular file, from its start (os.pread: the offset is left alone,
    so that each student process of a submission can read the same descriptor again)."""
    import os

    chunks, offset = [], 0
    while offset <= max_bytes:
        chunk = os.pread(fd, min(1 << 20, max_bytes + 1 - offset), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    if offset > max_bytes:
        raise Unreadable(f"the file is larger than {max_bytes // 2**20} MB")
    return b"".join(chunks)


def notebook_cells(raw, max_bytes=MAX_NOTEBOOK_BYTES, magics=True):
    """[(cell number, source)] of a notebook's bytes (see read_notebook), the cells the grader
    skips (graded_cell) left out. Raises Unreadable."""
    if len(raw) > max_bytes:
        raise Unreadable(f"the file is larger than {max_bytes // 2**20} MB")
    if not raw.strip():
        raise Unreadable("empty file")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Unreadable("not UTF-8 text") from None
    try:
        data = json.loads(text)
    except ValueError as e:
        where = f"line {e.lineno}, column {e.colno}" if isinstance(e, json.JSONDecodeError) else "?"
        raise Unreadable(f"invalid JSON at {where}: {getattr(e, 'msg', e)}") from None
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
        if isinstance(cell, dict) and cell.get("cell_type") == "code" and graded_cell(cell):
            source = _source(cell.get("source", ""))
            if source is not None and source.strip():
                out.append((number, ipython_to_python(source) if magics else source))
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


def function_code(name, cell, line, source):
    """The code object of `def name`, compiled from its source (as the student process found it
    in cell `cell` from line `line`: engine.student.child.Child.defs), never run, so that a proxy can show
    the student's source to `inspect.getsource`. Returns (code, filename, padded source, node),
    or None if it does not compile."""
    filename = f"<cell {cell}>"
    padded = "\n" * (line - 1) + source
    try:
        tree = ast.parse(padded, filename=filename)
        node = tree.body[0]
        if len(tree.body) != 1 or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            return None
        module = compile(ast.Module(body=[node], type_ignores=[]), filename, "exec")
    except Exception:  # SyntaxError, ValueError, MemoryError, RecursionError
        return None
    for const in module.co_consts:
        if isinstance(const, types.CodeType) and const.co_name == name:
            return const, filename, padded, node
    return None


def submissions_in(folder):
    """[(row name, path, problem)] for the .ipynb files of a folder (not its subfolders), by
    file name. Hidden files (`.name`, such as the `._name.ipynb` that macOS puts in zip files)
    are not submissions. problem: None for a regular file; else why it is not read (a symbolic
    link is reported, never followed). Row names are unique: the stem, or the whole file name
    where stems collide; see file_label for how names are written."""
    folder = Path(folder)
    if not folder.is_dir():
        raise GradingError(f"{folder}: no such folder")
    found = []
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.name.startswith(".") or not entry.name.lower().endswith(".ipynb"):
                continue
            try:
                mode = entry.stat(follow_symlinks=False).st_mode
            except OSError as e:
                found.append((entry.name, Path(entry.path), f"cannot read the file ({e.strerror})"))
                continue
            if stat.S_ISLNK(mode):
                try:
                    target = file_label(os.readlink(entry.path))
                except OSError:
                    target = "?"
                found.append((entry.name, Path(entry.path), f"a symbolic link (to {target}): not followed, not graded"))
            elif stat.S_ISDIR(mode):
                continue
            elif not stat.S_ISREG(mode):
                found.append((entry.name, Path(entry.path), "not a regular file: not read, not graded"))
            elif entry.stat(follow_symlinks=False).st_nlink > 1:
                links = entry.stat(follow_symlinks=False).st_nlink
                found.append(
                    (entry.name, Path(entry.path), f"a hard link ({links} names for one file): not read, not graded")
                )
            else:
                found.append((entry.name, Path(entry.path), None))
    found.sort(key=lambda item: os.fsencode(item[0]))
    stems = Counter(file_label(name[: -len(".ipynb")]) for name, _, _ in found)
    out, used = [], set()
    for name, path, problem in found:
        label = file_label(name[: -len(".ipynb")])
        if stems[label] > 1:
            label = file_label(name)
        unique, k = label, 2
        while unique in used:
            unique, k = f"{label} ({k})", k + 1
        used.add(unique)
        out.append((unique, path, problem))
    return out


def code_fingerprint(source: str) -> str | None:
    """A function's code with comments, blank lines and layout left out (its tokens, one space
    apart), or None where it does not tokenize: two copies of one function compare equal
    however they are laid out. Tokenizing is linear in the text (no parse tree is built)."""
    import io
    import tokenize

    skip = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT, tokenize.ENDMARKER}
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        return " ".join(t.string for t in tokens if t.type not in skip)
    except (tokenize.TokenError, SyntaxError, ValueError):
        return None


def cells_fingerprint(cells: list) -> str:
    """One digest of a notebook's code cells [(number, source)], each by its code_fingerprint
    (comments and layout aside; empty cells left out)."""
    import hashlib

    digest = hashlib.sha256()
    for _, source in cells:
        text = code_fingerprint(source)
        if text is None:
            text = source
        if text:
            digest.update(text.encode("utf-8", "surrogatepass") + b"\0")
    return digest.hexdigest()
