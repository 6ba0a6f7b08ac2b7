"""The outputs the grade command writes, by the file or folder each makes in OUT."""

from . import feedback, grades_csv, log, mistakes, report

CLASS_OUTPUTS = {"feedback/": feedback.write, "grading.log": log.write, "grades.csv": grades_csv.write}
REPORTS = {"mistakes.csv": mistakes.write, "report.html": report.write}
