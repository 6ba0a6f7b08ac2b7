"""Similarity between the submissions of a class: `grade --similarity`, or `similarity ID FOLDER -o OUT`.

    python -m autograder similarity <id> <folder> -o <out> [--threshold T]

compares the code of every pair of submissions, and of each submission with the answer keys,
and writes in <out>:
- similarity.csv: one row per pair at or above the threshold, most similar first: `a`, `b`
  (submission names, as grades.csv writes them; for an answer-key copy, `b` is the key's
  path), `similarity_a_b` (the fraction of a's compared code that is found in b, 0..1),
  `similarity_b_a`, `tokens_overlapping` (characters of a's normalised code in matching
  regions), `kind` (`pair` or `answer key`).
- similarity.html: one static page (inline CSS, no script, nothing fetched) with the copies of
  an answer key first, then the pairs, each with the two codes side by side and the matching
  regions highlighted, then the files not compared and why.

What is compared: the code cells of each notebook, less the first setup cell and every cell
the starter notebook (exercises/<id>/<id>.ipynb) already has; what remains of the starter's
code (function headers, docstrings) is boilerplate, whose fingerprints never count as a match.
Known sources: the master's solution cells (solutions/<id>.ipynb) and solutions/reference.py.

Built on copydetect's tokeniser and winnowing (why, and what is ours: autograder/README.md).
The k-gram hashes are BLAKE2b, so the same folder gives the same files; the page is ours,
offline, with every student text escaped.

Submissions are hostile: the files come from autograder.submissions.submissions_in (symbolic links,
FIFOs and other non-regular files are listed there and never opened); each is opened without
following links, must still be a regular file, and is read up to MAX_FILE_BYTES; the JSON is
parsed by autograder.submissions.notebook_cells (invalid JSON, nesting too deep, not UTF-8,
cells that are not objects), then at most MAX_CODE_CHARS of code are tokenised (Pygments'
lexers are regular expressions: the cap bounds their time; the worst case measured, 50 000
characters of the Python lexer's slowest input found (`a.a.a...`), about a second, linear in
its length; realistic code takes a third of that). A file that fails
is listed as "not compared: <reason>" and the others are compared.

Threshold: DEFAULT_THRESHOLD (settings.SIMILARITY_THRESHOLD) of the larger direction (and
of the submission's side for an answer key); how it was chosen is in autograder/README.md.
"""

import hashlib
import html
import json
import os
import re
import stat
import sys
import time
import types
from pathlib import Path

import numpy as np

from .. import text
from ..settings import SIMILARITY_THRESHOLD
from ..text import one_line, write_atomically

MAX_FILE_BYTES = 8 * 2**20
MAX_CODE_CHARS = 50_000
DEFAULT_THRESHOLD = SIMILARITY_THRESHOLD
MAX_SHOWN = 100  # side-by-side views on the page (a class that all copied one key has N^2/2 pairs)
NOISE = 25  # copydetect's defaults: matches shorter than NOISE normalised characters never count,
GUARANTEE = 30  # matches of GUARANTEE or more are always found (window = GUARANTEE - NOISE + 1)


class NotCompared(Exception):
    """A submission whose code cannot be compared; the message says why (one line)."""


# ----------------------------------------------------------------------------- reading code


def _clean(text):
    """Lone surrogates (which JSON allows: `"\\ud800"`) as U+FFFD, so that the code can be written
    as UTF-8 (json.loads joins the halves of a pair into one character: what is left is alone)."""
    return text if text.isascii() else re.sub("[\ud800-\udfff]", "\ufffd", text)


def starter_cells(aid):
    """The code cells of the starter notebook, [(cell number, source)]."""
    from ..paths import student_path
    from ..submissions import read_notebook

    return read_notebook(student_path(aid), magics=False)


def compared_code(cells, starter):
    """The code of a notebook as compared: its code cells joined, each under a `# cell N`
    comment, less the first one (the setup cell: it installs the grading tool) and less every
    cell whose text is a starter cell's. cells, starter: [(cell number, source)]."""
    given = {source.strip() for _, source in starter}
    kept = [(n, s) for n, s in cells[1:] if s.strip() not in given]
    return "".join(f"# cell {n}\n{_clean(s).rstrip()}\n\n" for n, s in kept)


def read_code(path, starter):
    """The compared code of one submission file. Raises NotCompared."""
    from ..submissions import Unreadable, notebook_cells, read_fd

    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        raise NotCompared(f"cannot open the file ({e.strerror})") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise NotCompared("not a regular file")
        if info.st_size > MAX_FILE_BYTES:
            raise NotCompared(f"the file is larger than {MAX_FILE_BYTES // 2**20} MB")
        raw = read_fd(fd, MAX_FILE_BYTES)
        cells = notebook_cells(raw, MAX_FILE_BYTES, magics=False)
    except Unreadable as e:
        raise NotCompared(f"unreadable notebook: {e}") from None
    finally:
        os.close(fd)
    if not cells:
        raise NotCompared("no code cells")
    code = compared_code(cells, starter)
    if len(code) > MAX_CODE_CHARS:
        raise NotCompared(f"more than {MAX_CODE_CHARS} characters of code")
    if not code.strip():
        raise NotCompared("no code beyond the starter notebook's")
    return code


def known_sources(aid):
    """[(label, code)]: the master's solution cells and the reference implementations."""
    from .. import master
    from ..paths import ROOT, SOLUTIONS, master_path

    path = master_path(aid)
    key = "".join(f"{source.rstrip()}\n\n" for source in master.solution_cells(path))
    return [(str(path.relative_to(ROOT)), key), ("solutions/reference.py", (SOLUTIONS / "reference.py").read_text())]


# ----------------------------------------------------------------------------- fingerprints


def _kgram_hashes(text, k):
    """int64 hash of each k-gram of text (BLAKE2b: the same in every process)."""
    if len(text) < k:
        return np.array([], dtype=np.int64)
    data = text.encode("utf-8", "surrogatepass")
    if len(data) == len(text):  # ASCII: byte offsets are character offsets
        grams = (data[i : i + k] for i in range(len(text) - k + 1))
    else:
        grams = (text[i : i + k].encode("utf-8", "surrogatepass") for i in range(len(text) - k + 1))
    digests = b"".join(hashlib.blake2b(g, digest_size=8).digest() for g in grams)
    return np.frombuffer(digests, dtype="<i8").copy()


def fingerprint(code, boilerplate=()):
    """What copydetect.compare_files takes (a CodeFingerprint's fields): the code normalised by
    copydetect's tokeniser, its winnowed k-gram hashes less those in `boilerplate` (a set of
    hashes), each with the positions where it occurs."""
    from copydetect import utils

    filtered, offsets = utils.filter_code(code, "submission.py", language="python")
    hashes, idx = utils.winnow(_kgram_hashes(filtered, NOISE), GUARANTEE - NOISE + 1, remove_duplicates=False)
    where = {}
    for h, i in zip(hashes.tolist(), idx.tolist()):
        if h not in boilerplate:
            where.setdefault(h, []).append(i)
    return types.SimpleNamespace(
        filename="submission.py",
        raw_code=code,
        filtered_code=filtered,
        offsets=offsets,
        hashes=set(where),
        hash_idx=where,
        k=NOISE,
        token_coverage=utils.get_token_coverage(where, NOISE, len(filtered)),
    )


def compare(a, b):
    """(similarity a->b, similarity b->a, overlapping characters, slices in a, slices in b):
    copydetect.compare_files on two fingerprints; slices are 2xN arrays of [start, end) in the
    original code."""
    from copydetect import compare_files

    if not a.hashes or not b.hashes:
        return 0.0, 0.0, 0, np.zeros((2, 0), int), np.zeros((2, 0), int)
    overlap, (sa, sb), (slices_a, slices_b) = compare_files(a, b)
    if overlap == 0:
        return 0.0, 0.0, 0, np.zeros((2, 0), int), np.zeros((2, 0), int)
    return float(min(sa, 1.0)), float(min(sb, 1.0)), int(overlap), slices_a, slices_b


# ----------------------------------------------------------------------------- the report


def similarities(aid, folder, threshold=DEFAULT_THRESHOLD):
    """Compare a folder. Returns (rows, codes, not_compared): rows [dict a, b, kind, ab, ba,
    tokens, slices_a, slices_b] at or above the threshold (kind `answer key` first, then by
    similarity); codes {name: compared code} (known sources included); not_compared
    [(name, reason)]."""
    from ..submissions import submissions_in

    starter = starter_cells(aid)
    boilerplate_code = "".join(f"{s}\n\n" for _, s in starter)
    boilerplate = fingerprint(boilerplate_code).hashes
    prints, codes, not_compared = {}, {}, []
    for name, path, problem in submissions_in(folder):
        if problem:
            not_compared.append((name, problem))
            continue
        try:
            codes[name] = read_code(path, starter)
        except NotCompared as e:
            not_compared.append((name, str(e)))
            continue
        prints[name] = fingerprint(codes[name], boilerplate)
    rows = []
    for label, code in known_sources(aid):
        key = fingerprint(code, boilerplate)
        codes[label] = code
        for name, fp in prints.items():
            ab, ba, tokens, sa, sb = compare(fp, key)
            if ab >= threshold:
                rows.append(dict(a=name, b=label, kind="answer key", ab=ab, ba=ba, tokens=tokens, sa=sa, sb=sb))
    names = list(prints)
    pairs = []
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            ab, ba, tokens, sa, sb = compare(prints[a], prints[b])
            if max(ab, ba) >= threshold:
                pairs.append(dict(a=a, b=b, kind="pair", ab=ab, ba=ba, tokens=tokens, sa=sa, sb=sb))
    rows.sort(key=lambda r: (-r["ab"], r["a"], r["b"]))
    pairs.sort(key=lambda r: (-max(r["ab"], r["ba"]), r["a"], r["b"]))
    return rows + pairs, codes, not_compared


def similarity_csv(rows):
    return text.csv_text(
        ["a", "b", "similarity_a_b", "similarity_b_a", "tokens_overlapping", "kind"],
        [[r["a"], r["b"], f"{r['ab']:.3f}", f"{r['ba']:.3f}", r["tokens"], r["kind"]] for r in rows],
    )


def highlighted(code, slices):
    """code as escaped HTML, the regions in `slices` (2xN [start, end)) inside <mark>."""
    out, at = [], 0
    for start, end in sorted(zip(slices[0].tolist(), slices[1].tolist())):
        start, end = max(int(start), at), min(int(end), len(code))
        if end <= start:
            continue
        out += [html.escape(code[at:start]), "<mark>", html.escape(code[start:end]), "</mark>"]
        at = end
    out.append(html.escape(code[at:]))
    return "".join(out)


CSS = """
body { font-family: system-ui, sans-serif; margin: 1.5em; color: #222; }
table.sum { border-collapse: collapse; } table.sum td, table.sum th { border: 1px solid #bbb; padding: .2em .6em; }
.pair { border-top: 2px solid #888; margin-top: 1.5em; }
.key h3 { color: #a00; }
.side { display: flex; gap: 1em; }
.side > div { flex: 1; min-width: 0; }
pre { background: #f6f6f6; padding: .6em; overflow: auto; max-height: 40em; font-size: 85%; white-space: pre; }
mark { background: #ffd966; }
"""


def html_text(aid, rows, codes, not_compared, threshold, compared):
    """The page (a str): answer-key copies, then pairs, then the files not compared; every text
    from a submission (names, code) through html.escape; no script, nothing fetched."""
    e = html.escape
    keys = [r for r in rows if r["kind"] == "answer key"]
    pairs = [r for r in rows if r["kind"] == "pair"]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Similarity: {e(aid)}</title><style>{CSS}</style></head><body>",
        f"<h1>Similarity between submissions: {e(aid)}</h1>",
        f"<p>{compared} submissions compared; threshold {threshold:.2f} (the fraction of one submission's code, "
        "after the starter notebook's, found in the other). Variable and function names are normalised. "
        "A high figure is evidence to look at, not a verdict: short exercises make honest solutions alike.</p>",
        f"<h2>Copies of an answer key ({len(keys)})</h2>",
    ]

    copies = {r["a"] for r in keys}
    shown_keys = keys[:MAX_SHOWN]
    shown_pairs = pairs[: MAX_SHOWN - len(shown_keys)]

    def table(items, key, shown):
        if not items:
            return ["<p>None.</p>"]
        out = ['<table class="sum"><tr><th>submission</th><th>' + ("source" if key else "other") + "</th>"]
        out.append("<th>a&rarr;b</th><th>b&rarr;a</th>" + ("" if key else "<th>note</th>") + "</tr>")
        for i, r in enumerate(items):
            anchor = f"{'k' if key else 'p'}{i}"
            link = f'<a href="#{anchor}">{e(r["a"])}</a>' if i < shown else e(r["a"])
            note = "" if key else f"<td>{'both copy an answer key' if {r['a'], r['b']} <= copies else ''}</td>"
            out.append(
                f"<tr><td>{link}</td><td>{e(r['b'])}</td><td>{r['ab']:.2f}</td><td>{r['ba']:.2f}</td>{note}</tr>"
            )
        out.append("</table>")
        return out

    def detail(items, key):
        out = []
        for i, r in enumerate(items):
            anchor = f"{'k' if key else 'p'}{i}"
            out.append(f'<div class="pair{" key" if key else ""}" id="{anchor}">')
            what = "copy of the answer key" if key else "pair"
            out.append(
                f"<h3>{e(r['a'])} &harr; {e(r['b'])}: {what}, {r['ab']:.2f} / {r['ba']:.2f}, "
                f"{r['tokens']} characters overlapping</h3>"
            )
            out.append('<div class="side">')
            for name, slices in ((r["a"], r["sa"]), (r["b"], r["sb"])):
                out.append(f"<div><h4>{e(name)}</h4><pre>{highlighted(codes[name], slices)}</pre></div>")
            out.append("</div></div>")
        return out

    parts += table(keys, True, len(shown_keys))
    parts.append(f"<h2>Pairs at or above {threshold:.2f} ({len(pairs)})</h2>")
    parts += table(pairs, False, len(shown_pairs))
    parts.append(f"<h2>Not compared ({len(not_compared)})</h2>")
    if not_compared:
        parts.append("<ul>" + "".join(f"<li>{e(n)}: not compared: {e(why)}</li>" for n, why in not_compared) + "</ul>")
    else:
        parts.append("<p>None.</p>")
    if len(shown_keys) + len(shown_pairs) < len(rows):
        parts.append(f"<p>Side by side: the first {MAX_SHOWN} of {len(rows)} (similarity.csv lists them all).</p>")
    parts += detail(shown_keys, True) + detail(shown_pairs, False)
    parts.append("</body></html>\n")
    return "\n".join(parts)


# ----------------------------------------------------------------------------- the cache

CACHE_FILE = "similarity-cache.json"


def _file_digest(path):
    """sha256 of a submission file's bytes as read_code would read them (no link followed, a
    regular file, at most MAX_FILE_BYTES + 1), or the reason it cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as e:
        return f"open: {e.errno}"
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return "not a regular file"
        digest, left = hashlib.sha256(), MAX_FILE_BYTES + 1
        while left > 0 and (chunk := os.read(fd, min(left, 1 << 20))):
            digest.update(chunk)
            left -= len(chunk)
        return digest.hexdigest()
    except OSError as e:
        return f"read: {e.errno}"
    finally:
        os.close(fd)


def cache_key(aid, folder, threshold):
    """A digest of everything the report is made from: this module and copydetect's version, the
    threshold, the starter notebook, the answer keys, and each submission's name and bytes. It
    reads no notebook as JSON and imports nothing slow."""
    from importlib.metadata import version

    from ..paths import SOLUTIONS, master_path, student_path
    from ..submissions import submissions_in

    digest = hashlib.sha256(Path(__file__).read_bytes())
    digest.update(f"\0{version('copydetect')}\0{threshold!r}\0{aid}\0".encode())
    for path in (student_path(aid), master_path(aid), SOLUTIONS / "reference.py"):
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for name, path, problem in submissions_in(folder):
        item = [name, problem or _file_digest(path)]
        digest.update(json.dumps(item).encode() + b"\0")
    return digest.hexdigest()


def _cached(out, key):
    """The report of an earlier run into `out` with the same key (a dict), or None."""
    try:
        data = json.loads((out / CACHE_FILE).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) and data.get("key") == key else None
    except (OSError, ValueError):
        return None


def _stored_rows(rows):
    return [{k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in r.items()} for r in rows]


def write_report(aid, folder, out, threshold=DEFAULT_THRESHOLD, progress=True):
    """Write OUT/similarity.csv and OUT/similarity.html for the submissions in folder.
    Returns (rows, not_compared) as similarities() gives them. A rerun into the same folder with
    nothing changed (cache_key) takes both from OUT/similarity-cache.json (and rewrites a page
    that was changed or removed) instead of comparing again."""
    started = time.monotonic()
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    key = cache_key(aid, folder, threshold)
    earlier = _cached(out, key)
    if earlier is not None:
        rows = [{k: (np.array(v) if k in ("sa", "sb") else v) for k, v in r.items()} for r in earlier["rows"]]
        not_compared = [tuple(n) for n in earlier["not_compared"]]
        csv_text, page, compared = earlier["csv"], earlier["html"], earlier["compared"]
    else:
        rows, codes, not_compared = similarities(aid, folder, threshold)
        compared = sum("/" not in name for name in codes)  # known sources are paths; a file name has no /
        csv_text, page = similarity_csv(rows), html_text(aid, rows, codes, not_compared, threshold, compared)
    for name, content in (("similarity.csv", csv_text), ("similarity.html", page)):
        try:
            same = (out / name).read_text(encoding="utf-8") == content
        except (OSError, ValueError):
            same = False
        if not same:
            write_atomically(out / name, content)
    if earlier is None:
        stored = dict(
            key=key, rows=_stored_rows(rows), not_compared=not_compared, csv=csv_text, html=page, compared=compared
        )
        write_atomically(out / CACHE_FILE, json.dumps(stored))
    if progress:
        for name, why in not_compared:
            print(one_line(f"{name}: not compared: {why}"), file=sys.stderr)
        keys = sum(r["kind"] == "answer key" for r in rows)
        print(
            f"{aid}: similarity of {compared} submissions in {time.monotonic() - started:.1f} s"
            f"{' (unchanged: from ' + CACHE_FILE + ')' if earlier is not None else ''}: "
            f"{keys} answer-key copies, {len(rows) - keys} pairs at or above {threshold:.2f} "
            f"-> {out / 'similarity.html'}",
            file=sys.stderr,
        )
    return rows, not_compared
