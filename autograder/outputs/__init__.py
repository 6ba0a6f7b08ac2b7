"""What the grader writes from graded outcomes: one module per output, each with
`write(out, run)` (run: results.GradingRun). A new output is a module and a line in
registry.py; the grade command writes every one (REPORTS only where settings.report: the class at a glance,
which Gradescope's one-submission run leaves out). Outputs read results; they never import
the engine or a command. Others: gradescope_results (the Gradescope run's results.json),
lms (grades joined to a roster, --roster), similarity (--similarity)."""
