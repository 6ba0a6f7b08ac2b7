"""Shared code for the CNN course: reference implementations, data, kernels, plots, widgets.

Lectures import from here; exercise notebooks do not (they must run on Colab alone), except
for `checks`, which the exercise generator copies next to each student notebook.
"""
