"""The instructor's side of the course: the otter master notebooks (<id>.ipynb) and the reference
implementations (reference.py). Never published."""
