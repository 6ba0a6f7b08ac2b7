"""backprop: the reference gradients against torch.autograd in float64 (the peer check: 1e-8),
the lecture's hand-worked example, and the max-pool tie convention."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from solutions.reference import avg_pool2d_backward, conv2d_backward, max_pool2d_backward

TOL = 1e-8


def t(a, grad=False):
    return torch.tensor(np.asarray(a, dtype=np.float64), requires_grad=grad)


def autograd_conv(dout, x, w, b, stride, padding):
    xt, wt, bt = t(x, True), t(w, True), t(b, True)
    out = F.conv2d(xt, wt, bt, stride=stride, padding=padding)
    return [g.numpy() for g in torch.autograd.grad(out, (xt, wt, bt), t(dout))]


def autograd_pool(pool, dout, x, kernel_size, stride):
    xt = t(x, True)
    (dx,) = torch.autograd.grad(pool(xt, kernel_size, stride), xt, t(dout))
    return dx.numpy()


@pytest.mark.parametrize("seed", range(12))
def test_conv2d_backward_agrees_with_autograd(seed):
    rng = np.random.default_rng(seed)
    N, C_in, C_out = (int(v) for v in rng.integers(1, 4, size=3))
    kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
    stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
    padding = tuple(int(v) for v in rng.integers(0, 3, size=2))
    H, W = kh + int(rng.integers(0, 7)), kw + int(rng.integers(0, 7))
    x, w, b = rng.normal(size=(N, C_in, H, W)), rng.normal(size=(C_out, C_in, kh, kw)), rng.normal(size=C_out)
    dout = rng.normal(size=F.conv2d(t(x), t(w), stride=stride, padding=padding).shape)
    before = [a.copy() for a in (dout, x, w)]
    got = conv2d_backward(dout, x, w, stride, padding)
    for name, g, want in zip(["dx", "dw", "db"], got, autograd_conv(dout, x, w, b, stride, padding)):
        assert g.shape == want.shape, name
        assert np.abs(g - want).max() <= TOL, (name, np.abs(g - want).max())
    assert all(np.array_equal(a, c) for a, c in zip(before, (dout, x, w))), "an input changed"


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pool_backward_agrees_with_autograd(kind, seed):
    rng = np.random.default_rng(100 + seed)
    kernel = tuple(int(v) for v in rng.integers(1, 4, size=2))
    stride = None if seed % 3 == 0 else tuple(int(v) for v in rng.integers(1, 4, size=2))
    x = rng.normal(
        size=(
            int(rng.integers(1, 3)),
            int(rng.integers(1, 4)),
            kernel[0] + int(rng.integers(0, 7)),
            kernel[1] + int(rng.integers(0, 7)),
        )
    )
    if seed % 2:  # small integers: ties within windows
        x = rng.integers(0, 3, size=x.shape).astype(float)
    pool, backward = (F.max_pool2d, max_pool2d_backward) if kind == "max" else (F.avg_pool2d, avg_pool2d_backward)
    dout = rng.normal(size=pool(t(x), kernel, stride).shape)
    got = backward(dout, x, kernel, stride)
    want = autograd_pool(pool, dout, x, kernel, stride)
    assert got.shape == x.shape and np.abs(got - want).max() <= TOL


def test_lecture_example_by_hand():
    """The lecture's 3x3 input and 2x2 kernel with dL/dY = 1 everywhere: dK[m, k] is the sum of
    the 2x2 block of X at (m, k) and dX counts how often each pixel meets each kernel entry."""
    X = np.arange(9.0).reshape(1, 1, 3, 3)
    K = np.array([[0.0, 1], [2, 3]]).reshape(1, 1, 2, 2)
    dx, dk, db = conv2d_backward(np.ones((1, 1, 2, 2)), X, K)
    np.testing.assert_array_equal(dk[0, 0], [[8, 12], [20, 24]])
    np.testing.assert_array_equal(dx[0, 0], [[0, 1, 1], [2, 6, 4], [2, 5, 3]])
    assert db.tolist() == [4.0]


def test_max_pool_ties_go_to_the_first_maximum_as_in_torch():
    x = np.array([[1.0, 3, 3], [3, 0, 3], [1, 1, 1]])[None, None]
    dx = max_pool2d_backward(np.ones((1, 1, 2, 2)), x, 2, 1)
    np.testing.assert_array_equal(dx[0, 0], [[0, 2, 0], [1, 0, 1], [0, 0, 0]])
    np.testing.assert_array_equal(dx, autograd_pool(F.max_pool2d, np.ones((1, 1, 2, 2)), x, 2, 1))


def test_wrong_dout_shape_is_refused():
    with pytest.raises(ValueError, match="dout"):
        conv2d_backward(np.ones((1, 1, 3, 3)), np.ones((1, 1, 3, 3)), np.ones((1, 1, 2, 2)))
    with pytest.raises(ValueError, match="dout"):
        max_pool2d_backward(np.ones((1, 1, 2, 2)), np.ones((1, 1, 5, 5)), 2, 1)
