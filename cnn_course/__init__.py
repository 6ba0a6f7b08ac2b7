"""Shared code for the CNN course: data, kernels, plots, widgets, models and timing helpers.

It holds no answer to a graded question: the lectures compute with PyTorch, which the
exercises forbid, or with code written out for one worked example.

Lectures import from here; exercise notebooks do not (they must run on Colab alone), except
for `checks`, which the exercise generator copies next to each student notebook.
"""
