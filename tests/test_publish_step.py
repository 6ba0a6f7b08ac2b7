"""`make publish` and what the published book promises: the execution cache of a book built in
the student tree survives a new publish; the student tree carries the committed measurements
(data/) and no page that tells students to run the instructor repository's `make` targets; the
front page links the PDF only once it has been printed."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_make_publish_keeps_the_student_trees_execution_cache(tmp_path):
    student = tmp_path / "student"
    cache = student / "_build" / ".jupyter_cache"
    cache.mkdir(parents=True)
    (cache / "global.db").write_text("executed notebooks")
    (student / "stale.txt").write_text("from an older publish")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    run = subprocess.run(
        ["make", "-s", "publish", f"STUDENT={student}"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert (cache / "global.db").read_text() == "executed notebooks", "the execution cache was lost"
    assert not (student / "stale.txt").exists(), "the tree was not written afresh"
    assert (student / "_toc.yml").exists() and not (tmp_path / "student.jupyter_cache").exists()

    # what students get of the book's own pages
    assert (student / "data" / "README.md").exists(), "the committed measurements (data/) are not published"
    for page in sorted((student / "book").glob("*.md")):
        text = page.read_text()
        assert "instructors' repository only" not in text, page.name
        assert not re.search(r"\bmake (book|test|notebooks|publish|pdf|slides)\b", text), (
            f"{page.name} tells students to run a make target; the student tree has no Makefile"
        )
    instructors = (student / "book" / "instructors.md").read_text()
    assert "solutions/" not in instructors and "does not protect" not in instructors
    assert "How students' work is graded" in instructors
    # the GPU chapter's note on a missing measurement points students at nothing they lack
    code = "from cnn_course import timing; print(timing.missing_message())"
    note = subprocess.run(
        [sys.executable, "-c", code],
        cwd=student,
        env={**env, "PYTHONPATH": str(student)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert note.returncode == 0 and "benchmarks" not in note.stdout and "GPU" in note.stdout, note.stdout + note.stderr
    # and the instructor's own pages keep them
    assert "make book" in (ROOT / "book" / "how-to-use.md").read_text()
    assert "what it does not" in (ROOT / "book" / "instructors.md").read_text()


def test_the_front_page_links_the_pdf_only_once_it_is_printed(tmp_path):
    spec = importlib.util.spec_from_file_location("pdf", ROOT / "book" / "_ext" / "pdf.py")
    pdf = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pdf)
    assert pdf.PDF_SLOT in (ROOT / "book" / "intro.md").read_text(), "the front page has no slot for the link"
    assert "cnn-course.pdf" not in (ROOT / "book" / "intro.md").read_text()
    front = tmp_path / pdf.FRONT_PAGE
    front.parent.mkdir(parents=True)
    front.write_text(f"<main><h1>Course</h1>{pdf.PDF_SLOT}</main>")
    assert pdf.link_pdf(tmp_path) and pdf.link_pdf(tmp_path)
    assert front.read_text().count('href="../cnn-course.pdf"') == 1
    front.write_text("<main>no slot</main>")
    assert not pdf.link_pdf(tmp_path)
