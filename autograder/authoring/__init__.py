"""Authoring: what the instructor's repository makes from its masters. Student notebooks and
autograders (generate), made once per content and kept (prepared), the student tree (publish),
the lectures' install cells (repository), and the Gradescope zip (gradescope_zip)."""
