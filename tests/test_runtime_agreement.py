"""The student's runtime and the grader's agree: what the grader's numpy refuses, the student's
own grader.check refuses too (checks/core.py: like_the_grader)."""

import re
import warnings

import numpy as np
import pytest

from autograder.paths import ROOT
from checks import core


def test_grader_numpy_is_the_pinned_one():
    pin = re.search(r"^numpy==(\d+)\.(\d+)", (ROOT / "requirements.txt").read_text(), flags=re.M)
    assert pin and tuple(map(int, pin.groups())) == core.GRADER_NUMPY
    assert tuple(int(p) for p in np.__version__.split(".")[:2]) == core.GRADER_NUMPY


def test_scalar_of_an_array_fails_as_under_the_grader():
    core.like_the_grader()
    with pytest.raises((TypeError, DeprecationWarning)):
        float(np.ones((1, 1, 1)))  # numpy 2.x: TypeError; numpy 1.25-1.26: the warning, now an error


def test_old_numpy_warning_becomes_an_error():
    """What an older runtime warns about is an error once the checks are imported (simulated)."""
    core.like_the_grader()
    with pytest.raises(DeprecationWarning):
        warnings.warn(
            "Conversion of an array with ndim > 0 to a scalar is deprecated, and will error in future.",
            DeprecationWarning,
            stacklevel=1,
        )


def test_np_lib_pad_fails_as_under_the_grader(monkeypatch):
    monkeypatch.setattr(np, "__version__", "1.26.4")
    monkeypatch.setattr(np.lib, "pad", np.pad, raising=False)
    note = core.like_the_grader()
    assert note and "numpy 1.26.4" in note and "2.4" in note
    with pytest.raises(AttributeError, match="use np.pad"):
        np.lib.pad(np.ones((2, 2)), 1)
