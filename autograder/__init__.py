"""The course's grading tooling: `python -m autograder --help`.

Where each concern lives (autograder/README.md has the table and how to add an output, a
limit or a chapter); imports flow down this list only (`make lint` checks it):

- `__main__`: argument parsing; `commands/`: one thin module per subcommand;
- `outputs/` (what is written from outcomes: grades, feedback, log, report, mistakes,
  Gradescope's results.json, similarity, LMS files), `engine/` (grading a folder into outcomes:
  the workers, the session, the confined student process in `engine/student/`) and `authoring/`
  (generation from the masters, the student tree, the Gradescope zip), which never import each
  other;
- `forbidden` and `master`; then `submissions`; then `results` (outcomes and what outputs read
  off them); then `settings` (every limit once), `text`, `paths`.
"""

import sys as _sys

# nbformat (the grader reads notebooks, and otter's test files import it) imports jsonschema,
# whose format checkers import rfc3987_syntax where it is installed (jupyter-events pulls it in):
# 39 Lark grammars built at import, about 1 s of every grader process's start, for the "iri"
# format, which nothing here checks. Marked absent in the grader's processes.
_sys.modules.setdefault("rfc3987_syntax", None)

