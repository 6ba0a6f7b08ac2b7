"""What `generate` makes of an assignment, made once per content and kept: the student files,
otter's autograder zip, and the hidden tests the grader runs.

`cached_generation(aid)` is keyed by a digest of everything generation reads (the master, the
checks, the generator, _config.yml, requirements.txt), so every output folder and every run,
`make notebooks`, the Gradescope zip and the tests share one generation per change. This module
imports nothing slow: nbformat and otter (seconds) load only when something must be generated.
"""

import hashlib
import json
import shutil
import tempfile
from pathlib import Path

from ..paths import AUTOGRADERS, CHECKS, EXERCISES, ROOT, master_path, student_path
from ..results import GradingError

GENERATED = AUTOGRADERS.parent / "generated"


def inputs_digest(aid: str) -> str:
    """A digest of everything `generate(aid)` reads: the master, the checks, the generator, the
    repository settings (_config.yml) and the pinned packages (otter's version among them)."""
    digest = hashlib.sha256(aid.encode())
    for path in [
        master_path(aid),
        *sorted(CHECKS.glob("*.py")),
        Path(__file__).with_name("generate.py"),
        ROOT / "_config.yml",
        ROOT / "requirements.txt",
    ]:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def generation_folder(aid: str, cache_root: Path = GENERATED) -> Path:
    return Path(cache_root) / aid / inputs_digest(aid)[:16]


def cached_generation(aid: str, cache_root: Path = GENERATED) -> Path:
    """A folder with exercises/<id>/ and autograder/<id>/ (and autograder/<id>-autograder.zip)
    as `generate` writes them, reused while inputs_digest(aid) is unchanged (otter assign takes
    half a minute an exercise). It also holds imports.json: the modules the student notebook
    imports (the grader preloads them)."""
    folder = generation_folder(aid, cache_root)
    if not (folder / "done").exists():
        from ..submissions import imports, read_notebook
        from .generate import generate

        Path(cache_root).mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=f".{aid}-", dir=cache_root))
        try:
            notebook = generate(aid, exercises_root=stage / "exercises", autograders=stage / "autograder")
        except BaseException:
            shutil.rmtree(stage, ignore_errors=True)
            raise
        (stage / "imports.json").write_text(json.dumps(imports(read_notebook(notebook))))
        (stage / "done").write_text(aid)
        folder.parent.mkdir(parents=True, exist_ok=True)
        for older in folder.parent.iterdir():  # older digests (not this one: another process may be reading it)
            if older.name != folder.name:
                shutil.rmtree(older, ignore_errors=True)
        try:
            stage.rename(folder)
        except OSError:  # another process put it there first
            shutil.rmtree(stage, ignore_errors=True)
    return folder


def tests_ready(aid: str) -> bool:
    """Whether the assignment's hidden tests are prepared for its current content."""
    return (generation_folder(aid) / "done").exists()


def prepared_tests(aid: str) -> tuple[Path, list[str]]:
    """(the hidden tests' folder, with exercise_checks.py beside it; the modules the exercise
    notebook imports), generated first where the content changed."""
    if not tests_ready(aid):
        from .generate import GenerateError  # nbformat and otter: seconds to import, so only here

        try:
            cached_generation(aid)
        except GenerateError as e:
            raise GradingError(str(e).splitlines()[0]) from None
    folder = cached_generation(aid)
    return folder / "autograder" / aid / "tests", json.loads((folder / "imports.json").read_text())


def prepared_notebook(aid: str) -> Path:
    """The generated student notebook of the current content."""
    return student_path(aid, cached_generation(aid) / "exercises")


def install_generated(aid):
    """`make notebooks` for one exercise: exercises/<id>/ and _build/autograder/ from the cached
    generation (generated first if the inputs changed). Returns the student notebook's path."""
    folder = cached_generation(aid)
    target = student_path(aid)
    shutil.rmtree(target.parent / "tests", ignore_errors=True)
    for name, data in student_files(aid, folder / "exercises").items():
        (target.parent / name).parent.mkdir(parents=True, exist_ok=True)
        (target.parent / name).write_bytes(data)
    AUTOGRADERS.mkdir(parents=True, exist_ok=True)
    shutil.copy(folder / "autograder" / f"{aid}-autograder.zip", AUTOGRADERS / f"{aid}-autograder.zip")
    shutil.rmtree(AUTOGRADERS / aid, ignore_errors=True)
    shutil.copytree(folder / "autograder" / aid, AUTOGRADERS / aid)
    return target


def student_files(aid, exercises_root=EXERCISES):
    """{relative path: bytes} of everything in exercises_root/<id>/ that generate writes."""
    folder = Path(exercises_root) / aid
    paths = [student_path(aid, exercises_root), folder / "exercise_checks.py", *sorted(folder.glob("tests/*.py"))]
    return {str(p.relative_to(folder)): p.read_bytes() for p in paths if p.exists()}


def stale(aid):
    """None if exercises/<id>/ holds what `generate` writes; else a one-line reason."""
    committed = student_path(aid)
    if not committed.exists():
        return f"{committed}: missing; run `make notebooks`"
    fresh, now = student_files(aid, cached_generation(aid) / "exercises"), student_files(aid)
    for name in sorted(set(fresh) | set(now)):
        if fresh.get(name) != now.get(name):
            state = "missing" if name not in now else "not generated" if name not in fresh else "stale"
            return f"{committed.parent / name}: {state} (differs from solutions/{aid}.ipynb); run `make notebooks`"
    return None
