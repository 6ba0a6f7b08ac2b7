"""Grading tooling for the course: `python -m autograder --help`.

- `generate`: student notebooks (exercises/) and Gradescope autograders (_build/autograder/)
  from the otter master notebooks in solutions/, the one source of every exercise.
- `check`: fails when a committed student notebook differs from what `generate` would write.
"""
