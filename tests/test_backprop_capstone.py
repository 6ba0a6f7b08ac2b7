"""The backprop exercise's capstone trains a CNN written entirely by the student: their forward
functions (pasted from the Channels and Pooling exercises) when they agree with PyTorch's, and
PyTorch's forward pass, labelled as such, while they are `...` or wrong."""

import contextlib
import io
import re

import nbformat
import numpy as np
import pytest

from autograder import master
from autograder.paths import master_path, student_path
from solutions import reference

SETTINGS = "learning_rate, batch, epochs, time_budget_s = 0.1, 32, 10, 45"


def capstone_sources(path):
    nb = nbformat.read(path, as_version=4)
    start = next(i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and c.source.startswith("## Capstone"))
    return [c.source for c in nb.cells[start:] if c.cell_type == "code"][:2]  # the pasted functions, the training


@pytest.fixture(scope="module")
def answer_key():
    return master.answer_key(master_path("backprop"))


def run_capstone(env, forward=None, epochs=2):
    """Run the capstone's cells in env (the answer key); forward replaces the pasted-functions
    cell with other definitions. Returns what the cells printed."""
    forward_cell, train_cell = capstone_sources(master_path("backprop"))
    assert SETTINGS in train_cell, "the training cell's settings line changed: update SETTINGS"
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(forward_cell, env)
        env.update(forward or {})
        exec(train_cell.replace(SETTINGS, SETTINGS.replace(", 10, 45", f", {epochs}, 45")), env)
    return out.getvalue()


def _epochs(text):
    found = re.findall(r"mean training loss ([\d.]+), test accuracy ([\d.]+)", text)
    return [(float(loss), float(accuracy)) for loss, accuracy in found]


def test_the_student_tree_ships_no_forward_answer():
    forward_cell, _ = capstone_sources(student_path("backprop"))
    assert re.findall(r"def (\w+)\(", forward_cell) == ["conv2d", "max_pool2d"]
    assert forward_cell.count("    ...") == 2 and "return" not in forward_cell, forward_cell


@pytest.mark.slow  # trains for 3 epochs: about half a minute
def test_with_the_students_forward_functions_the_whole_network_is_theirs(answer_key):
    text = run_capstone(dict(answer_key), {"conv2d": reference.conv2d, "max_pool2d": reference.max_pool2d}, epochs=3)
    assert "convolution: your conv2d" in text and "pooling:     your max_pool2d" in text, text
    losses, accuracies = zip(*_epochs(text))
    assert len(losses) == 3 and losses[2] < losses[1] < losses[0] and max(accuracies) > 0.9, text


@pytest.mark.slow
def test_unfilled_or_wrong_forward_functions_fall_back_to_pytorch_and_say_so(answer_key):
    text = run_capstone(dict(answer_key), epochs=1)  # the cell's `...` functions
    assert "PyTorch's F.conv2d (your conv2d is still `...`)" in text, text
    assert "PyTorch's F.max_pool2d (your max_pool2d is still `...`)" in text, text
    stride_one = {"max_pool2d": lambda x, kernel_size, stride=None: reference.max_pool2d(x, kernel_size, 1)}

    def needs_a_helper(x, w, b=None, stride=1, padding=0):
        return as_pair(padding)  # noqa: F821 (a helper of the Channels exercise, not pasted)

    text = run_capstone(dict(answer_key), {"conv2d": needs_a_helper, **stride_one}, epochs=1)
    assert "PyTorch's F.conv2d (your conv2d raised NameError: name 'as_pair' is not defined)" in text, text
    assert "PyTorch's F.max_pool2d (your max_pool2d differs from PyTorch's on a small random layer)" in text, text
    assert np.isfinite(_epochs(text)[0][0])
