"""The course's reference implementations: against PyTorch, and against the decks' worked examples."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnn_course import kernels
from solutions.reference import convolve2d, corr2d, corr2d_fast, flip


def torch_corr2d(x, k):
    return F.conv2d(torch.tensor(x)[None, None], torch.tensor(np.ascontiguousarray(k))[None, None])[0, 0].numpy()


@pytest.mark.parametrize("seed", range(5))
def test_corr2d_matches_torch_on_random_non_square_shapes(seed):
    rng = np.random.default_rng(seed)
    H, W = rng.integers(5, 20, size=2)
    kh, kw = rng.integers(1, 6, size=2)
    X, K = rng.normal(size=(H, W)), rng.normal(size=(kh, kw))
    want = torch_corr2d(X, K)
    assert want.shape == (H - kh + 1, W - kw + 1)
    np.testing.assert_allclose(corr2d(X, K), want, atol=1e-10)
    np.testing.assert_allclose(corr2d_fast(X, K), want, atol=1e-10)
    np.testing.assert_allclose(convolve2d(X, K), torch_corr2d(X, K[::-1, ::-1]), atol=1e-10)


def test_worked_example_3x3_input_2x2_kernel():
    X = np.arange(9.0).reshape(3, 3)
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(corr2d(X, K), [[19, 25], [37, 43]])
    np.testing.assert_array_equal(corr2d(X, K) + 1, [[20, 26], [38, 44]])  # with bias 1


def test_quiz_kernel_with_bias_gives_answer_A():
    X = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(corr2d(X, [[0, 1], [1, -1]]) + 1, [[1, 2], [4, 5]])


def test_horizontal_edge_example_and_the_decks_typo():
    image = np.array([[2, 0, 1, 3], [7, 1, 1, 0], [0, 2, 5, 0], [0, 5, 1, 4]], dtype=float)
    out = corr2d(image, kernels.HORIZONTAL_EDGE)
    np.testing.assert_array_equal(out, [[-4, -3], [3, -8]])
    assert not np.array_equal(out, [[-4, -3], [2, -9]])  # the deck's later slide is wrong


def test_convolution_flips_the_kernel():
    X = np.arange(9.0).reshape(3, 3)
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(flip(K), [[3, 2], [1, 0]])
    np.testing.assert_array_equal(convolve2d(X, K), [[5, 11], [23, 29]])
    image = np.array([[2, 0, 1, 3], [7, 1, 1, 0], [0, 2, 5, 0], [0, 5, 1, 4]], dtype=float)
    np.testing.assert_array_equal(convolve2d(image, kernels.HORIZONTAL_EDGE), [[4, 3], [-3, 8]])


def test_curve_detector_gives_6600_and_0():
    curve = np.zeros((7, 7))
    curve[0, 5] = curve[1, 4] = 30
    curve[2:6, 3] = 30
    patch = np.zeros((7, 7))
    patch[0, 6], patch[1, 4:] = 30, 50
    patch[2, 3:5] = [20, 50]
    patch[3:, 3:5] = 50
    assert corr2d(patch, curve)[0, 0] == 6600
    assert 5 * 50 * 30 == 7500  # the deck's written expression, which does not equal 6600


def test_handmade_kernels_sum_as_the_lecture_says():
    for name in ["identity", "sharpen", "box blur", "Gaussian 3x3", "Gaussian 5x5"]:
        assert kernels.HANDMADE[name].sum() == pytest.approx(1.0)
    for name in ["edge (4-neighbour)", "edge (8-neighbour)", "Sobel x", "Sobel y"]:
        assert kernels.HANDMADE[name].sum() == pytest.approx(0.0)
    assert (kernels.GAUSSIAN_5_273 * 273).sum() == pytest.approx(273)
    np.testing.assert_allclose(kernels.SHARPEN, kernels.IDENTITY + kernels.EDGE_4)


def test_reference_does_not_modify_inputs_and_rejects_bad_shapes():
    X, K = np.ones((4, 5)), np.ones((2, 2))
    X0, K0 = X.copy(), K.copy()
    corr2d(X, K)
    convolve2d(X, K)
    assert np.array_equal(X, X0) and np.array_equal(K, K0)
    with pytest.raises(ValueError, match="larger than image"):
        corr2d(np.ones((2, 2)), np.ones((3, 1)))
    with pytest.raises(ValueError, match="must be 2-D"):
        corr2d(np.ones((2, 2, 2)), np.ones((1, 1)))
