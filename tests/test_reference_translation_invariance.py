"""translation-invariance: shift_image's conventions, equivariance of corr2d, the canvas, and
the deck's shifted-1 example."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnn_course.data import on_canvas
from solutions.reference import corr2d, equivariance_check, shift_image, shift_images, unshifted_region


def torch_shift(x, dy, dx):
    """Shift by zero padding and cropping, in torch float64 (an independent route)."""
    t = torch.tensor(x, dtype=torch.float64)[None, None]
    H, W = x.shape
    p = max(abs(dy), abs(dx), 1)
    padded = F.pad(t, (p, p, p, p))
    return padded[0, 0, p - dy : p - dy + H, p - dx : p - dx + W].numpy()


@pytest.mark.parametrize("seed", range(6))
def test_shift_image_matches_torch_padding_and_cropping(seed):
    rng = np.random.default_rng(seed)
    H, W = rng.integers(2, 11, size=2)
    x = rng.normal(size=(H, W))
    for dy in range(-H - 1, H + 2):
        for dx in [-W - 2, -1, 0, 2, W]:
            np.testing.assert_allclose(shift_image(x, dy, dx), torch_shift(x, dy, dx), atol=1e-12)


def test_sign_conventions_and_examples():
    image = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(shift_image(image, 1, 2), [[0, 0, 0, 0], [0, 0, 0, 1], [0, 0, 4, 5]])
    np.testing.assert_array_equal(shift_image(image, -1, -1), [[5, 6, 7, 0], [9, 10, 11, 0], [0, 0, 0, 0]])
    one = np.zeros((5, 7))
    one[1, 2] = 1
    assert tuple(np.argwhere(shift_image(one, 2, 3) == 1)[0]) == (3, 5)
    assert shift_image(image, 3, 0).sum() == 0 and shift_image(image, 0, -9).sum() == 0
    assert shift_image(image, 1, 1).dtype == float
    before = image.copy()
    shift_image(image, 1, 1)
    np.testing.assert_array_equal(image, before)


def test_shift_images_is_shift_image_per_image():
    x = np.random.default_rng(1).normal(size=(3, 5, 6))
    out = shift_images(x, -2, 1)
    for n in range(3):
        np.testing.assert_array_equal(out[n], shift_image(x[n], -2, 1))


@pytest.mark.parametrize("dy, dx", [(1, 2), (-2, 1), (0, -3), (2, 0), (0, 0)])
def test_correlation_is_equivariant_away_from_the_borders(dy, dx):
    rng = np.random.default_rng(7)
    x, k = rng.normal(size=(9, 11)), rng.normal(size=(3, 2))
    a, b = equivariance_check(x, k, dy, dx)
    np.testing.assert_allclose(a, b, atol=1e-12)
    full = corr2d(shift_image(x, dy, dx), k)
    rows, cols = unshifted_region(full.shape, dy, dx)
    assert a.shape == full[rows, cols].shape
    if dy or dx:  # on the vacated border the two sides differ
        assert not np.allclose(full, shift_image(corr2d(x, k), dy, dx))


def test_on_a_canvas_equivariance_holds_everywhere():
    digit = np.random.default_rng(3).uniform(size=(8, 8))
    canvas = on_canvas(digit, 16)
    assert canvas.shape == (16, 16) and np.array_equal(canvas[4:12, 4:12], digit) and canvas.sum() == digit.sum()
    k = np.ones((3, 3))
    for dy, dx in [(4, -4), (-3, 2)]:
        np.testing.assert_allclose(
            corr2d(shift_image(canvas, dy, dx), k), shift_image(corr2d(canvas, k), dy, dx), atol=1e-12
        )
        assert shift_image(canvas, dy, dx).sum() == pytest.approx(digit.sum())  # no ink lost


def test_the_decks_shifted_one():
    one = np.zeros((12, 12))
    one[2:10, 5] = [0.6, 0.8, 1.0, 0.4, 1.0, 1.0, 0.9, 0.7]
    moved = shift_image(one, 0, 1)
    w = {(3, 5): 0.6, (5, 6): 0.1, (6, 5): 0.9}
    assert sum(v * one[p] for p, v in w.items()) == pytest.approx(1.38)
    assert sum(v * moved[p] for p, v in w.items()) == pytest.approx(0.04)  # the deck's "0.4" is a slip
