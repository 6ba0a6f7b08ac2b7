"""Every function a student can find in the student tree, tried as the answer to every question.

Run as a script (a fresh process, so that the tree's own `cnn_course` is the one imported):

    python tests/answer_hunt.py TREE TESTS_ROOT OUT.json

TREE is a student tree (`python -m autograder publish`); TESTS_ROOT holds <id>/tests/*.py, the
grader's test files (hidden cases included). For every function defined in TREE (the modules,
every top-level `def` of every notebook, the files beside the exercises) and every contract
name of every exercise whose signature it accepts, this runs the question's tests with that
function under that name, in this process, without any forbidden-function rule: a generous
first pass. It writes the bindings that earned the question's full marks, each with the source
a student would have to copy (the function's module, or the notebook's definitions), so that
the caller can grade them with the real grader.
"""

import ast
import hashlib
import importlib
import inspect
import json
import signal
import sys
import types
from pathlib import Path

SECONDS = 3  # per binding: a function that runs longer (a training loop) is no answer


def notebook_definitions(path):
    """The imports, functions, classes and plain assignments of a notebook's code cells, as one
    source (what a student would copy to reuse the notebook's functions)."""
    cells = json.loads(path.read_text(encoding="utf-8"))["cells"]
    keep = []
    for cell in cells:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"])
        source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef)):
                keep.append(ast.get_source_segment(source, node))
    return "\n\n".join(keep) + "\n"


def module_source(tree, path, seen=None):
    """A module's source with its relative imports replaced by the modules they name (inlined
    first), so that it runs on its own, as a student copying it would make it."""
    seen = set() if seen is None else seen
    source = path.read_text(encoding="utf-8")
    parsed = ast.parse(source)
    lines = source.splitlines(keepends=True)
    before = []
    for node in reversed(parsed.body):
        if isinstance(node, ast.ImportFrom) and node.level >= 1:
            target = path.parent / f"{node.module}.py" if node.module else path.parent / "__init__.py"
            del lines[node.lineno - 1 : node.end_lineno]
            if target.exists() and target not in seen:
                seen.add(target)
                before.insert(0, module_source(tree, target, seen))
    return "".join(before) + "".join(lines)


def load_namespaces(tree):
    """(label, namespace, source) for every Python module and notebook of the tree."""
    sys.path.insert(0, str(tree))
    found = []
    for path in sorted(tree.rglob("*.py")):
        rel = path.relative_to(tree)
        try:
            if rel.parts[0] == "cnn_course":
                name = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
                module = importlib.import_module(name)
                found.append((str(rel), vars(module), module_source(tree, path)))
                continue
            env = {"__name__": f"tree_{hashlib.sha1(str(rel).encode()).hexdigest()[:8]}", "__file__": str(path)}
            source = module_source(tree, path)
            exec(compile(source, str(path), "exec"), env)
            found.append((str(rel), env, source))
        except Exception as e:  # a module that does not load here (sphinx extension...) has no callable answer
            print(f"answer_hunt: {rel} not loaded ({type(e).__name__}: {e})", file=sys.stderr)
    for path in sorted(tree.rglob("*.ipynb")):
        rel = path.relative_to(tree)
        source = notebook_definitions(path)
        env = {"__name__": f"notebook_{hashlib.sha1(str(rel).encode()).hexdigest()[:8]}"}
        for node in ast.parse(source).body:  # statement by statement: one bad import loses nothing else
            try:
                exec(compile(ast.Module([node], []), str(path), "exec"), env)
            except Exception:
                pass
        found.append((str(rel), env, source))
    return found


def functions(namespaces):
    """(label, function name, function, source): each distinct function once."""
    out, seen = [], set()
    for label, env, source in namespaces:
        for name, value in list(env.items()):
            if not isinstance(value, types.FunctionType):
                continue
            try:
                key = hashlib.sha1(inspect.getsource(value).encode()).hexdigest()
            except (OSError, TypeError):
                key = f"{label}:{name}"
            if key in seen:
                continue
            seen.add(key)
            out.append((label, name, value, source))
    return out


def accepts(fn, n):
    try:
        inspect.signature(fn).bind(*range(n))
        return True
    except (TypeError, ValueError):
        return False


class Timeout(BaseException):
    pass


def _alarm(signum, frame):
    raise Timeout()


def main(tree, tests_root, out):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    from autograder import master
    from autograder.engine.testfiles import run_tests
    from autograder.paths import assignment_ids, master_path

    tree, tests_root = Path(tree), Path(tests_root)
    candidates = functions(load_namespaces(tree))
    signal.signal(signal.SIGALRM, _alarm)
    winners, tried = [], 0
    for aid in assignment_ids():
        key = master.answer_key(master_path(aid))
        contract = {}
        for cell in master.solution_cells(master_path(aid)):
            for node in ast.parse(cell).body:
                if isinstance(node, ast.FunctionDef):
                    contract[node.name] = len(node.args.args) - len(node.args.defaults)
        for question_file in sorted((tests_root / aid / "tests").glob("*.py")):
            single = tests_root / aid / "single" / question_file.stem / "tests"
            single.mkdir(parents=True, exist_ok=True)
            (single / question_file.name).write_text(question_file.read_text())
            (single.parent / "exercise_checks.py").write_text((tests_root / aid / "exercise_checks.py").read_text())
            text = question_file.read_text()
            for name, required in contract.items():
                if f"({name}" not in text and f", {name}" not in text:
                    continue
                for label, fn_name, fn, source in candidates:
                    if not accepts(fn, required):
                        continue
                    tried += 1
                    signal.alarm(SECONDS)
                    try:
                        (result,) = run_tests(single, {**key, name: fn})
                        full = result.possible > 0 and result.score == result.possible
                    except (Timeout, Exception):
                        full = False
                    finally:
                        signal.alarm(0)
                    if full:
                        winners.append(
                            {
                                "aid": aid,
                                "question": result.name,
                                "name": name,
                                "file": label,
                                "function": fn_name,
                                "source": source,
                                "possible": result.possible,
                            }
                        )
    Path(out).write_text(json.dumps({"functions": len(candidates), "tried": tried, "full_marks": winners}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
