"""Submissions for testing and benchmarking the grader, built from the committed student notebook.

Each submission is the convolution exercise's student notebook with its answer cells filled in
(the answer key's code, a classic mistake from tests/mistakes/, or something hostile), so that
they stay valid as the exercise evolves. `write_class` writes a folder of them.
"""

import inspect
import random
from pathlib import Path

import nbformat

from autograder import master
from autograder.paths import ROOT, master_path, student_path

AID = "convolution"


def student_notebook(aid=AID):
    return nbformat.read(student_path(aid), as_version=4)


def answers(aid=AID):
    """{function name: the answer key's cell}."""
    return {cell.split("(")[0].split("def ")[-1].strip(): cell for cell in master.solution_cells(master_path(aid))}


def answer_cell_index(nb, name):
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and f"def {name}(" in cell.source:
            return i
    raise KeyError(name)


def filled(aid=AID, **sources):
    """The student notebook with answer cells replaced: name=source (None keeps the stub);
    names not given get the answer key."""
    nb = student_notebook(aid)
    key = answers(aid)
    for name, solution in key.items():
        source = sources.get(name, solution)
        if source is not None:
            nb.cells[answer_cell_index(nb, name)].source = source
    return nb


def with_cell(nb, source, after=None):
    """nb with a code cell added after the answer cell of `after` (default: at the end)."""
    cell = nbformat.v4.new_code_cell(source)
    cell.id = f"added-{len(nb.cells)}"
    index = len(nb.cells) if after is None else answer_cell_index(nb, after) + 1
    nb.cells.insert(index, cell)
    return nb


def ignored(nb, source):
    """nb with a code cell added at the end, tagged otter_ignore (a cell the graders skip)."""
    nb = with_cell(nb, source)
    nb.cells[-1].metadata["tags"] = ["otter_ignore"]
    return nb


def source_of(fn, name):
    """The source of a mistake function from tests/mistakes/, renamed to `name` and made
    self-contained (the mistakes call solutions.reference, which submissions must not import)."""
    text = inspect.getsource(fn)
    text = text.replace(f"def {fn.__name__}(", f"def {name}(", 1)
    return text


# A correct corr2d that does not use the answer key's exact code (to vary the class).
CORR2D_VECTORISED = """\
def corr2d(image, kernel):
    X = np.asarray(image, dtype=float)
    K = np.asarray(kernel, dtype=float)
    windows = np.lib.stride_tricks.sliding_window_view(X, K.shape)
    return np.einsum("ijmn,mn->ij", windows, K)
"""

CORR2D_REFERENCE = """\
def _right_corr2d(image, kernel):
    X = np.asarray(image, dtype=float)
    K = np.asarray(kernel, dtype=float)
    kh, kw = K.shape
    Y = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i:i + kh, j:j + kw] * K)
    return Y
"""

CONVOLVE2D_OWN_LOOPS = """\
def convolve2d(image, kernel):
    X = np.asarray(image, dtype=float)
    K = np.asarray(kernel, dtype=float)[::-1, ::-1]
    kh, kw = K.shape
    Y = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i:i + kh, j:j + kw] * K)
    return Y
"""


ZEROS = dict(
    corr2d="def corr2d(image, kernel):\n    return np.zeros((1, 1))\n",
    convolve2d="def convolve2d(image, kernel):\n    return np.zeros((1, 1))\n",
)


def hostile(out_dir=None):
    """{file name: (notebook or raw bytes, what the test expects)}: every hostile case.

    Expectations: "full" (13/13), "baseline" (no more than the unanswered notebook), "zeros" (no
    more than the honest notebook whose functions return zeros, for cheats that return zeros), or
    a dict {question: points} for the cases that lose exactly one question; `status` fragments."""
    cases = {}
    out_dir = str(out_dir or "/nonexistent")

    cases["correct.ipynb"] = (filled(), {"score": "full", "status": "ok"})
    cases["unanswered.ipynb"] = (student_notebook(), {"score": "baseline", "status": "ok"})
    # Wrong but honest: it leaves its inputs alone, which earns nothing without right values
    # (issue 20: properties count together with correct values; it used to earn one per question).
    cases["returns_zeros.ipynb"] = (filled(**ZEROS), {"score": {"q1": 0, "q2": 0}, "status": "ok"})

    # A function that loops forever: only its question loses points. (The photo cell, which calls
    # it at the top level, is tagged otter_ignore: the grader does not run it.)
    cases["loop_in_function.ipynb"] = (
        filled(corr2d="def corr2d(image, kernel):\n    while True:\n        pass\n", convolve2d=CONVOLVE2D_OWN_LOOPS),
        {"score": {"q1": 0, "q2": "full"}, "status": ["timeout: corr2d() did not return"]},
    )

    cases["loop_at_top_level.ipynb"] = (
        with_cell(
            filled(), "import time\nprint('training...')\nwhile True:\n    time.sleep(0.01)\n", after="convolve2d"
        ),
        {"score": "full", "status": ["did not finish"]},
    )

    cases["exception_at_import.ipynb"] = (
        filled(corr2d="import a_module_that_does_not_exist\n\n" + answers()["corr2d"]),
        {"score": {"q1": 0}, "status": ["ModuleNotFoundError"]},
    )

    # Cells tagged otter_ignore are skipped, as otter's grader skips them: one that would end the
    # process, and one that redefines corr2d with a forbidden function, change nothing; an answer
    # written only in such a cell is not run, so it earns what an unanswered notebook earns.
    cases["ignored_cells.ipynb"] = (
        ignored(ignored(filled(), "import os\nos._exit(3)\n"), "from scipy.signal import correlate2d as corr2d\n"),
        {"score": "full", "status": "ok"},
    )
    cases["answer_in_ignored_cell.ipynb"] = (
        ignored(filled(corr2d="", convolve2d=""), answers()["corr2d"] + "\n\n" + answers()["convolve2d"]),
        {"score": "baseline", "status": "ok"},
    )

    cases["sys_exit.ipynb"] = (
        with_cell(filled(), "import sys\nsys.exit('done early')\n", after="convolve2d"),
        {"score": "full", "status": ["SystemExit"]},
    )

    cases["os_exit.ipynb"] = (
        with_cell(filled(), "import os\nos._exit(3)\n", after="convolve2d"),
        {"score": "full", "status": ["cell"]},
    )

    cases["kills_own_kernel.ipynb"] = (
        with_cell(filled(), "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n", after="convolve2d"),
        {"score": "full", "status": ["cell"]},
    )

    cases["memory_bomb.ipynb"] = (
        with_cell(filled(), "hog = []\nwhile True:\n    hog.append(bytearray(64 * 2**20))\n", after="convolve2d"),
        {"score": "full", "status": ["MemoryError"]},
    )

    cases["memory_bomb_in_function.ipynb"] = (
        filled(convolve2d="def convolve2d(image, kernel):\n    return np.ones((1 << 22, 1 << 20))\n"),
        {"score": {"q2": 0, "q1": "full"}, "status": ["ok"]},
    )

    fake = filled(corr2d=None, convolve2d=None)
    fake = with_cell(
        fake,
        'print("All tests passed!")\nprint("q1 results: All test cases passed!")\n'
        'class _G:\n    def check(self, *a, **k):\n        print("All test cases passed!")\n'
        "grader = _G()\n",
        after="convolve2d",
    )
    cases["prints_all_tests_passed.ipynb"] = (fake, {"score": "baseline"})

    renamed = filled()
    cases["Alice Smith - convolution (1).ipynb"] = (renamed, {"score": "full", "status": "ok"})

    kernel = filled()
    kernel.metadata["kernelspec"] = {
        "name": "conda-env-foo-py",
        "display_name": "Python [conda env:foo]",
        "language": "python",
    }
    kernel.metadata["otter"] = {"assignment_name": "something-else"}
    cases["custom_kernelspec.ipynb"] = (kernel, {"score": "full", "status": "ok"})

    deleted = filled()
    del deleted.cells[answer_cell_index(deleted, "convolve2d")]
    cases["deleted_cell.ipynb"] = (deleted, {"score": {"q1": "full", "q2": 0}})

    reordered = filled()
    code = [c for c in reordered.cells if c.cell_type == "code"]
    others = [c for c in reordered.cells if c.cell_type != "code"]
    reordered.cells = others + code[::-1]
    cases["reordered_cells.ipynb"] = (reordered, {"score": "full"})

    cases["invalid_json.ipynb"] = (
        b'{"cells": [{"cell_type": "code", "source": "def corr2d(',
        {"score": 0, "status": ["unreadable notebook: invalid JSON at line 1, column 44: Unterminated string"]},
    )
    cases["empty_file.ipynb"] = (b"", {"score": 0, "status": ["unreadable notebook: empty file"]})
    cases["not_a_notebook.ipynb"] = (b"[1, 2, 3]", {"score": 0, "status": ["unreadable notebook: not a Jupyter"]})

    # --- cheats: none may score more than the unanswered notebook.
    # FIELD-NOTES: one line replacing otter's test runner gave full marks in stock otter.
    cases["cheat_replaces_test_runner.ipynb"] = (
        with_cell(
            filled(corr2d=None, convolve2d=None),
            """\
try:
    import otter.test_files.exception_test as _et
    def _pass(self, env):
        self.test_case_results = []
    _et.ExceptionTestFile.run = _pass
except Exception as e:
    print(e)
try:
    import doctest
    doctest.DocTestRunner.run = lambda self, *a, **k: doctest.TestResults(0, 0)
except Exception as e:
    print(e)
try:
    import otter
    otter.Notebook.check = lambda *a, **k: None
except Exception as e:
    print(e)
""",
            after="convolve2d",
        ),
        {"score": "baseline"},
    )

    # Reads the hidden tests and the answer key from disk (paths given away), runs the answer key.
    repo = str(ROOT)
    cases["cheat_reads_answer_key.ipynb"] = (filled(corr2d=None, convolve2d=None, **{}), {"score": "baseline"})
    nb = cases["cheat_reads_answer_key.ipynb"][0]
    with_cell(
        nb,
        f'''\
import glob, json, os
_found = []
for _pattern in ["{repo}/solutions/*.ipynb", "{repo}/_build/**/tests/q*.py", "/autograder/source/tests/*.py",
                 "{repo}/_build/autograder/*/tests/*.py", "{repo}/solutions/reference.py"]:
    _found += glob.glob(_pattern, recursive=True)
for _path in _found:
    try:
        _text = open(_path).read()
    except Exception as e:
        print("cannot read", _path, e)
        continue
    if _path.endswith(".ipynb"):
        for _cell in json.loads(_text)["cells"]:
            _src = "".join(_cell["source"])
            if _cell["cell_type"] == "code" and ("def corr2d" in _src or "def convolve2d" in _src):
                exec(_src)
    elif _path.endswith("reference.py"):
        exec(_text)
# and try to overwrite the grader's output
for _target in ["{out_dir}/grades.csv", "{out_dir}/feedback/cheat_reads_answer_key.md"]:
    try:
        open(_target, "w").write("submission,q1,q2,total,possible,status\\ncheat_reads_answer_key,8,5,13,13,ok\\n")
    except Exception as e:
        print("cannot write", _target, e)
''',
        after="convolve2d",
    )

    cases["cheat_monkeypatches_numpy.ipynb"] = (
        with_cell(
            filled(**ZEROS),
            """\
import numpy
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda a, b, *args, **k: numpy.ones(numpy.broadcast(numpy.asarray(a), numpy.asarray(b)).shape, bool)
numpy.array_equal = lambda *a, **k: True
numpy.asarray = lambda a, *args, **k: numpy.array(a, *args, **k) if not isinstance(a, numpy.ndarray) else a
""",
            after="convolve2d",
        ),
        {"score": "zeros"},
    )

    cases["cheat_monkeypatches_torch.ipynb"] = (
        with_cell(
            filled(**ZEROS),
            """\
import torch, torch.nn.functional as F
F.conv2d = lambda x, w, *a, **k: torch.zeros((1, 1, 1, 1), dtype=torch.float64)
torch.conv2d = F.conv2d
torch.as_tensor = lambda *a, **k: torch.zeros((1, 1), dtype=torch.float64)
""",
            after="convolve2d",
        ),
        {"score": "zeros"},
    )

    cases["cheat_uses_conv2d.ipynb"] = (
        filled(
            corr2d="""\
def corr2d(image, kernel):
    import torch
    import torch.nn.functional as F
    x = torch.as_tensor(np.asarray(image, dtype=float))[None, None]
    w = torch.as_tensor(np.asarray(kernel, dtype=float))[None, None]
    return F.conv2d(x, w)[0, 0].numpy()
"""
        ),
        {"score": 0, "status": ["forbidden function in q1", "forbidden function in q2"]},
    )

    cases["cheat_hides_conv2d.ipynb"] = (
        filled(
            corr2d="""\
def corr2d(image, kernel):
    import importlib
    lib = importlib.import_module("torch.nn." + "functional")
    fn = getattr(lib, "conv" + "2d")
    torch = importlib.import_module("tor" + "ch")
    x = torch.as_tensor(np.asarray(image, dtype=float))[None, None]
    w = torch.as_tensor(np.asarray(kernel, dtype=float))[None, None]
    return fn(x, w)[0, 0].numpy()
"""
        ),
        {"score": 0, "status": ["forbidden function in q1"]},
    )

    cases["cheat_uses_scipy.ipynb"] = (
        filled(
            corr2d="""\
def corr2d(image, kernel):
    from scipy import signal
    return signal.correlate2d(np.asarray(image, dtype=float), np.asarray(kernel, dtype=float), mode="valid")
"""
        ),
        {"score": 0, "status": ["forbidden function in q1"]},
    )

    cases["cheat_attacks_grader.ipynb"] = (
        with_cell(
            filled(corr2d=None, convolve2d=None),
            """\
import os, signal, subprocess
for _target in [os.getppid()]:
    try:
        os.kill(_target, signal.SIGKILL)
    except Exception as e:
        print("kill", e)
try:
    subprocess.Popen(["sleep", "600"])
except Exception as e:
    print("spawn", e)
""",
            after="convolve2d",
        ),
        {"score": "baseline"},
    )

    # Mutates its input (the kernel, at the end), correct values otherwise: every graded call checks
    # that the inputs are left alone (issue 20), so it loses every hidden test of both questions
    # (convolve2d passes the caller's kernel through to it); it used to lose the "inputs not
    # modified" tests only.
    cases["mutates_input.ipynb"] = (
        filled(
            corr2d="""\
def corr2d(image, kernel):
    image -= 0.0
    kernel *= 1.0
    X = image
    K = kernel
    kh, kw = K.shape
    Y = np.zeros((X.shape[0] - kh + 1, X.shape[1] - kw + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = np.sum(X[i:i + kh, j:j + kw] * K)
    K[0, 0] += 1.0
    return Y
"""
        ),
        {"score": {"q1": 0, "q2": 0}},
    )
    return cases


def write(folder, cases):
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, (content, _) in cases.items():
        path = folder / name
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            nbformat.write(content, path)
    return folder


def planted_class(n=40, seed=0):
    """A generated class for the benchmark: correct, wrong and broken submissions, honest only
    (nothing that hangs: `otter run` has no time limit). {name: (notebook, mistake id or None)}:
    each wrong submission carries one classic mistake of tests/mistakes/convolution.py."""
    import importlib

    mistakes = importlib.import_module("mistakes.convolution").MISTAKES
    rng = random.Random(seed)
    kinds = []
    for i in range(n):
        r = i % 8
        if r in (0, 1, 2):
            kinds.append(("correct", filled() if r != 2 else filled(corr2d=CORR2D_VECTORISED), None))
        elif r in (3, 4, 5):
            description, question, functions, mistake_id = mistakes[rng.randrange(len(mistakes))]
            ((fname, fn),) = functions.items()
            body = source_of(fn, fname)
            src = CORR2D_REFERENCE + "\n\n" + body.replace("right_corr2d(", "_right_corr2d(")
            kinds.append(("wrong", filled(**{fname: src}), mistake_id))
        elif r == 6:
            broken = "def convolve2d(image, kernel):\n    return corr2d(image, kernel[::-1, ::-1]\n"
            kinds.append(("broken", filled(convolve2d=broken), None))
        else:
            kinds.append(("broken", filled(corr2d=None), None))
    return {f"student{i:02d}-{kind}": (nb, mistake_id) for i, (kind, nb, mistake_id) in enumerate(kinds)}


def class_of(n=40, seed=0):
    """planted_class's notebooks: {name: notebook}."""
    return {name: nb for name, (nb, _) in planted_class(n, seed).items()}
