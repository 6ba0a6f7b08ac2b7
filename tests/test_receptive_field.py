"""The receptive-field explorer's arithmetic (cnn_course.widgets.receptive_field_paths) against
PyTorch's autograd on layers with random weights, and against the growth formula the pooling
lecture states: r_l = r_(l-1) + d_l (k_l - 1) * (product of the earlier strides)."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnn_course.widgets import receptive_field_paths

STACKS = [
    [("conv", 3, 1, 1)],
    [("conv", 3, 1, 1), ("conv", 3, 1, 1)],
    [("conv", 5, 1, 1)],
    [("conv", 3, 1, 1), ("pool", 2, 2, 1), ("conv", 3, 1, 1)],
    [("conv", 3, 1, 2), ("conv", 3, 1, 2)],
    [("conv", 3, 1, 1), ("conv", 3, 1, 2), ("conv", 3, 1, 4)],
    [("conv", 3, 2, 1), ("conv", 5, 1, 1), ("pool", 3, 2, 1), ("conv", 3, 1, 3)],
]


def formula(layers):
    r, jump = 1, 1
    for _, k, s, d in layers:
        r += d * (k - 1) * jump
        jump *= s
    return r


def autograd_field(layers, shape, unit, seed=0):
    """The input pixels with a nonzero gradient of one output unit, through random positive weights."""
    gen = torch.Generator().manual_seed(seed)
    x = torch.zeros(1, 1, *shape, dtype=torch.float64, requires_grad=True)
    h = x
    for kind, k, s, d in layers:
        w = torch.rand(1, 1, k, k, generator=gen, dtype=torch.float64) + 0.1
        padding = d * (k - 1) // 2 if kind == "conv" else 0
        h = F.conv2d(h, w if kind == "conv" else torch.ones_like(w), stride=s, padding=padding, dilation=d)
    h[0, 0][unit].backward()
    return x.grad[0, 0].numpy() != 0


@pytest.mark.parametrize("layers", STACKS)
def test_paths_are_nonzero_exactly_where_autograd_says(layers):
    shape = (11, 9)
    paths = receptive_field_paths(layers, shape)
    for unit in [(0, 0), (paths.shape[0] // 2, paths.shape[1] // 2), (paths.shape[0] - 1, 1)]:
        np.testing.assert_array_equal(paths[unit] > 0, autograd_field(layers, shape, unit), err_msg=str(unit))


@pytest.mark.parametrize("layers", STACKS)
def test_centre_field_spans_the_growth_formula(layers):
    # An image twice the field's width holds the centre unit's whole field (up to 48 pixels: the
    # paths are one image per pixel, H*W images of H x W, and dilated float64 convolutions are slow).
    side = min(48, 2 * formula(layers) + 1)
    paths = receptive_field_paths(layers, (side, side))
    centre = paths[paths.shape[0] // 2, paths.shape[1] // 2]
    rows, cols = np.flatnonzero(centre.any(axis=1)), np.flatnonzero(centre.any(axis=0))
    assert rows[-1] - rows[0] + 1 == formula(layers) == cols[-1] - cols[0] + 1


def test_same_dilation_twice_leaves_holes():
    """Two 3x3 layers of dilation 2 read only every other row and column of their 9x9 field."""
    paths = receptive_field_paths([("conv", 3, 1, 2)] * 2, (15, 15))[7, 7]
    read = paths > 0
    assert read[3:12:2, 3:12:2].all() and not read[4:12:2, :].any() and not read[:, 4:12:2].any()
