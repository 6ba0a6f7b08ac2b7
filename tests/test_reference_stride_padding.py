"""Stride and padding references and the conv-arithmetic explorer: against PyTorch (float64)
and against every worked example and quiz of the decks."""

import itertools
import math
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnn_course import kernels
from cnn_course.explorer import conv_arithmetic_explorer, explorer_layout, render_html, render_svg
from solutions.reference import conv_output_size, corr2d, corr2d_padded, corr2d_strided, pad2d


def torch_conv(x, k, stride=1, padding=0, dilation=1):
    x = torch.tensor(np.asarray(x, dtype=float))[None, None]
    w = torch.tensor(np.ascontiguousarray(k, dtype=float))[None, None]
    return F.conv2d(x, w, stride=stride, padding=padding, dilation=dilation)[0, 0].numpy()


# ---------------------------------------------------------------- conv_output_size


def test_output_size_formula_matches_torch_with_dilation():
    """floor((n + 2p - d(k - 1) - 1)/s) + 1 against F.conv2d for every small case that fits."""
    checked = 0
    for n, k, s, p, d in itertools.product(range(1, 10), range(1, 5), range(1, 5), range(0, 3), range(1, 4)):
        if d * (k - 1) + 1 > n + 2 * p:
            with pytest.raises(ValueError, match="larger than the padded input"):
                conv_output_size(n, k, s, p, d)
            continue
        x = torch.zeros(1, 1, n, 1, dtype=torch.float64)
        w = torch.zeros(1, 1, k, 1, dtype=torch.float64)
        want = F.conv2d(x, w, stride=(s, 1), padding=(p, 0), dilation=(d, 1)).shape[2]
        assert conv_output_size(n, k, s, p, d) == want, (n, k, s, p, d)
        assert conv_output_size(n, k, stride=s, padding=p, dilation=d) == (n + 2 * p - d * (k - 1) - 1) // s + 1
        checked += 1
    assert checked > 1000


def test_7x7_with_3x3_at_strides_1_to_4():
    """Stride 1 -> 5, 2 -> 3, 3 -> (7-3)/3 + 1 = 2.33 does not fit, floor gives 2 (as torch);
    stride 4 -> (7-3)/4 + 1 = 2 exactly."""
    assert [conv_output_size(7, 3, s) for s in (1, 2, 3, 4)] == [5, 3, 2, 2]
    assert [(7 - 3) / s + 1 for s in (1, 2, 3, 4)] == [5, 3, pytest.approx(2.3333, abs=1e-4), 2]
    assert [(7 - 3) % s for s in (1, 2, 3, 4)] == [0, 0, 1, 0]  # only stride 3 leaves a remainder
    X = np.arange(49.0).reshape(7, 7)
    K = np.ones((3, 3))
    for s in (1, 2, 3, 4):
        assert torch_conv(X, K, stride=s).shape == (conv_output_size(7, 3, s),) * 2
    # stride 3: torch ignores the last row and column (the result is that of the 6x6 crop)
    np.testing.assert_array_equal(torch_conv(X, K, stride=3), torch_conv(X[:6, :6], K, stride=3))


def test_cs540_quiz_q2_answer_a():
    assert conv_output_size(7, 3, stride=2, padding=0) == 3


def test_cs540_formula_with_total_padding():
    """floor((n - k + p_total + s)/s) with p_total = 2p; with p_total = k - 1: floor((n + s - 1)/s)."""
    for n, k, s in itertools.product(range(3, 12), range(1, 4), range(1, 5)):
        for p in range(0, 3):
            if k <= n:
                assert conv_output_size(n, k, s, p) == (n - k + 2 * p + s) // s
        if (k - 1) % 2 == 0:  # odd kernel: p_total = k - 1 splits evenly
            assert conv_output_size(n, k, s, (k - 1) // 2) == (n + s - 1) // s == math.ceil(n / s)


def test_brown_and_cs4644_padding_cases():
    assert conv_output_size(4, 3, 1, 0) == 2  # w' = (4 - 3 + 0)/1 + 1
    assert conv_output_size(4, 3, 1, 1) == 4  # w' = (4 - 3 + 2)/1 + 1
    assert conv_output_size(7, 3, 1, 1) == 7  # 7x7, 3x3, stride 1, pad 1
    for f, p in [(3, 1), (5, 2), (7, 3)]:  # pad (F - 1)/2 keeps the size
        assert (f - 1) // 2 == p and all(conv_output_size(n, f, 1, p) == n for n in range(f, 40))
    assert conv_output_size(32, 5, 1, 2) == 32  # 32x32x3, ten 5x5 filters, pad 2 -> 32x32x10
    layer = torch.nn.Conv2d(3, 10, 5, stride=1, padding=2)
    assert layer(torch.zeros(1, 3, 32, 32)).shape == (1, 10, 32, 32)
    assert layer.weight[0].numel() + 1 == 5 * 5 * 3 + 1 == 76
    assert sum(p.numel() for p in layer.parameters()) == 760


def test_32x32_through_seven_5x5_layers():
    sizes = [32]
    for _ in range(7):
        sizes.append(conv_output_size(sizes[-1], 5))
    assert sizes == [32, 28, 24, 20, 16, 12, 8, 4]
    x = torch.zeros(1, 1, 32, 32)
    for _ in range(7):
        x = F.conv2d(x, torch.zeros(1, 1, 5, 5))
    assert x.shape[-2:] == (4, 4)
    assert all(conv_output_size(32, 5, 1, 2) == 32 for _ in range(7))


def test_output_size_rejects_bad_arguments_with_one_line():
    for kwargs, match in [
        (dict(n=2, k=3), "larger than the padded input"),
        (dict(n=7, k=3, stride=0), "at least 1"),
        (dict(n=7, k=3, padding=-1), "padding"),
        (dict(n=7.0, k=3), "must be an int"),
        (dict(n=(7, 7), k=3), "must be an int"),
    ]:
        with pytest.raises(ValueError, match=match) as info:
            conv_output_size(**kwargs)
        assert "\n" not in str(info.value)
    assert conv_output_size(1, 3, padding=1) == 1


# ---------------------------------------------------------------- corr2d_strided


@pytest.mark.parametrize("seed", range(8))
def test_corr2d_strided_matches_torch_with_tuple_strides(seed):
    rng = np.random.default_rng(seed)
    H, W = rng.integers(5, 16, size=2)
    kh, kw = rng.integers(1, 5, size=2)
    stride = tuple(int(v) for v in rng.integers(1, 5, size=2)) if seed % 2 else int(rng.integers(1, 5))
    X, K = rng.normal(size=(H, W)), rng.normal(size=(kh, kw))
    want = torch_conv(X, K, stride=stride)
    np.testing.assert_allclose(corr2d_strided(X, K, stride), want, atol=1e-10)
    sh, sw = stride if isinstance(stride, tuple) else (stride, stride)
    assert want.shape == (conv_output_size(int(H), int(kh), sh), conv_output_size(int(W), int(kw), sw))
    np.testing.assert_allclose(corr2d_strided(X, K, stride), corr2d(X, K)[::sh, ::sw], atol=1e-10)


def test_corr2d_strided_stride_1_is_corr2d_and_the_4x4_example():
    image = np.array([[2, 0, 1, 3], [7, 1, 1, 0], [0, 2, 5, 0], [0, 5, 1, 4]], dtype=float)
    np.testing.assert_array_equal(corr2d_strided(image, kernels.HORIZONTAL_EDGE), [[-4, -3], [3, -8]])
    # stride 2: (4 - 3)/2 + 1 = 1.5 does not fit; only the top-left window remains
    np.testing.assert_array_equal(corr2d_strided(image, kernels.HORIZONTAL_EDGE, 2), [[-4]])


def test_d2l_strides_3_and_2_give_0_8_6_8():
    X = np.arange(9.0).reshape(3, 3)
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    P = pad2d(X, 1)
    np.testing.assert_array_equal(corr2d_strided(P, K, (3, 2)), [[0, 8], [6, 8]])
    np.testing.assert_array_equal(corr2d_padded(X, K, stride=(3, 2), padding=1), [[0, 8], [6, 8]])
    np.testing.assert_array_equal(torch_conv(X, K, stride=(3, 2), padding=1), [[0, 8], [6, 8]])
    assert 0 * 0 + 0 * 1 + 1 * 2 + 2 * 3 == 8 and 0 * 0 + 6 * 1 + 0 * 2 + 0 * 3 == 6
    # the CS540 formula with total padding 2: floor((3 - 2 + 2 + 3)/3) x floor((3 - 2 + 2 + 2)/2)
    assert ((3 - 2 + 2 + 3) // 3, (3 - 2 + 2 + 2) // 2) == (2, 2)


def test_corr2d_strided_rejects_bad_arguments():
    for args, match in [
        ((np.ones((3, 3)), np.ones((2, 2)), 0), "at least 1"),
        ((np.ones((3, 3)), np.ones((2, 2)), (1, 2, 3)), "pair"),
        ((np.ones((2, 2)), np.ones((3, 1)), 1), "larger than image"),
    ]:
        with pytest.raises(ValueError, match=match):
            corr2d_strided(*args)


# ---------------------------------------------------------------- pad2d, corr2d_padded


def test_pad2d_matches_torch_and_the_decks():
    X = np.arange(9.0).reshape(3, 3)
    np.testing.assert_array_equal(
        pad2d(X, 1), [[0, 0, 0, 0, 0], [0, 0, 1, 2, 0], [0, 3, 4, 5, 0], [0, 6, 7, 8, 0], [0, 0, 0, 0, 0]]
    )
    rng = np.random.default_rng(0)
    Y = rng.normal(size=(4, 7))
    for padding in [0, 2, (1, 3), (0, 2)]:
        ph, pw = padding if isinstance(padding, tuple) else (padding, padding)
        np.testing.assert_array_equal(pad2d(Y, padding), F.pad(torch.tensor(Y), (pw, pw, ph, ph)).numpy())
    patch = np.array(
        [
            [60, 113, 56, 139, 85],
            [73, 121, 54, 84, 128],
            [131, 99, 70, 129, 127],
            [80, 57, 115, 69, 134],
            [104, 126, 123, 95, 130],
        ]
    )
    padded = pad2d(patch, 1)
    assert padded.shape == (7, 7) and padded.dtype == float
    assert padded[0].sum() == padded[-1].sum() == padded[:, 0].sum() == padded[:, -1].sum() == 0
    np.testing.assert_array_equal(padded[1:-1, 1:-1], patch)


def test_pad2d_does_not_modify_and_rejects_negative():
    X = np.ones((2, 3))
    P = pad2d(X, 1)
    P[1, 1] = 5
    assert X[0, 0] == 1
    with pytest.raises(ValueError, match="at least 0"):
        pad2d(X, (1, -1))


def test_padded_3x3_example_gives_the_decks_4x4():
    X = np.arange(9.0).reshape(3, 3)
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    want = [[0, 3, 8, 4], [9, 19, 25, 10], [21, 37, 43, 16], [6, 7, 8, 0]]
    np.testing.assert_array_equal(corr2d_padded(X, K, padding=1), want)
    np.testing.assert_array_equal(torch_conv(X, K, padding=1), want)


@pytest.mark.parametrize("seed", range(8))
def test_corr2d_padded_matches_torch(seed):
    rng = np.random.default_rng(100 + seed)
    H, W = rng.integers(3, 14, size=2)
    kh, kw = rng.integers(1, 6, size=2)
    stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
    padding = tuple(int(v) for v in rng.integers(0, 3, size=2))
    if kh > H + 2 * padding[0] or kw > W + 2 * padding[1]:
        kh, kw = 1, 1
    X, K = rng.normal(size=(H, W)), rng.normal(size=(kh, kw))
    np.testing.assert_allclose(corr2d_padded(X, K, stride, padding), torch_conv(X, K, stride, padding), atol=1e-10)
    np.testing.assert_allclose(
        corr2d_padded(X, K, stride[0], padding[0]), torch_conv(X, K, stride[0], padding[0]), atol=1e-10
    )


def test_same_padding_for_odd_and_even_kernels():
    """Odd k: (k - 1)/2 on each side. Even k: k - 1 is odd; CS540 puts the extra row on top,
    torch's padding='same' (like TensorFlow's SAME) puts it at the bottom and on the right."""
    X = np.arange(9.0).reshape(3, 3)
    K = np.array([[0.0, 1.0], [2.0, 3.0]])
    full = corr2d_padded(X, K, padding=1)  # 4x4: one row/column too many
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        same = F.conv2d(torch.tensor(X)[None, None], torch.tensor(K)[None, None], padding="same")[0, 0].numpy()
    bottom_right = corr2d(np.pad(X, ((0, 1), (0, 1))), K)  # extra zeros below and right
    top_left = corr2d(np.pad(X, ((1, 0), (1, 0))), K)  # CS540: ceil(1/2) = 1 on top, 0 below
    np.testing.assert_array_equal(same, bottom_right)
    np.testing.assert_array_equal(bottom_right, full[1:, 1:])
    np.testing.assert_array_equal(top_left, full[:3, :3])
    assert not np.array_equal(top_left, bottom_right)
    with pytest.raises(RuntimeError, match="strided"):
        F.conv2d(torch.tensor(X)[None, None], torch.tensor(K)[None, None], padding="same", stride=2)
    # odd kernels: symmetric padding (k - 1)/2 is the same as padding='same'
    rng = np.random.default_rng(1)
    Y, K3 = rng.normal(size=(6, 8)), rng.normal(size=(3, 5))
    same3 = F.conv2d(torch.tensor(Y)[None, None], torch.tensor(K3)[None, None], padding="same")[0, 0].numpy()
    np.testing.assert_allclose(corr2d_padded(Y, K3, padding=(1, 2)), same3, atol=1e-10)


def test_zero_padding_is_a_masked_kernel_at_the_border():
    """With zeros outside, a border output is the kernel restricted to the pixels that exist."""
    image = np.array([[2, 0, 3, 1, 1], [1, 1, 0, 0, 2], [4, 3, 2, 0, 1], [1, 0, 5, 2, 0], [0, 1, 0, 3, 0]], dtype=float)
    K = kernels.SOBEL_X
    out = corr2d_padded(image, K, padding=1)
    assert out.shape == (5, 5)
    assert out[0, 0] == np.sum(image[:2, :2] * K[1:, 1:])


def test_corr2d_padded_rejects_bad_arguments():
    with pytest.raises(ValueError, match="larger than the padded image"):
        corr2d_padded(np.ones((2, 2)), np.ones((5, 1)), padding=1)
    with pytest.raises(ValueError, match="pair"):
        corr2d_padded(np.ones((4, 4)), np.ones((2, 2)), padding=(1, 1, 1))


# ---------------------------------------------------------------- explorer


@pytest.mark.parametrize(
    "n, k, s, p, d",
    [
        (7, 3, 1, 0, 1),
        (7, 3, 3, 0, 1),
        (7, 3, 4, 0, 1),
        (5, 2, 2, 1, 2),
        (12, 7, 5, 4, 3),
        (1, 1, 1, 0, 1),
        ((3, 3), (2, 2), (3, 2), 1, 1),
    ],
)
def test_explorer_layout_agrees_with_torch(n, k, s, p, d):
    layout = explorer_layout(n, k, s, p, d)
    pair = lambda v: v if isinstance(v, tuple) else (v, v)  # noqa: E731
    (H, W), (kh, kw) = pair(n), pair(k)
    x = torch.ones(1, 1, H, W, dtype=torch.float64)
    out = F.conv2d(x, torch.ones(1, 1, kh, kw, dtype=torch.float64), stride=s, padding=p, dilation=d)
    assert layout["out"] == tuple(out.shape[-2:])
    # the windows read every input pixel as often as torch's output depends on it
    x.requires_grad_(True)
    F.conv2d(x, torch.ones(1, 1, kh, kw, dtype=torch.float64), stride=s, padding=p, dilation=d).sum().backward()
    ph, pw = pair(p)
    reads = np.array([[c["reads"] for c in row] for row in layout["grid"]])[ph : ph + H, pw : pw + W]
    np.testing.assert_array_equal(reads, x.grad[0, 0].numpy())
    assert render_svg(layout).startswith("<svg") and "</svg>" in render_html(layout)


def test_explorer_states_the_size_and_what_is_ignored():
    text = " ".join(explorer_layout(7, 3, 3)["lines"])
    assert "⌊4/3⌋ + 1 = 2" in text and "rounded down" in text and "last 1 row and 1 column" in text
    text = " ".join(explorer_layout(7, 3, 4)["lines"])
    assert "⌊4/4⌋ + 1 = 2" in text and "skipped" in text
    text = " ".join(explorer_layout(7, 3, 1, 1)["lines"])
    assert "= 7" in text and "padded to 9×9" in text
    text = " ".join(explorer_layout(2, 3)["lines"])
    assert "does not fit" in text
    assert explorer_layout(2, 3)["out"] == (0, 0) and "<svg" in render_html(explorer_layout(2, 3))


def test_explorer_widget_holds_the_drawing_in_its_state():
    box = conv_arithmetic_explorer(7, 3, 1, 1)
    controls, view = box.children
    assert "<svg" in view.value and "output 7×7" in view.value
    sliders = {s.description.split()[0]: s for s in controls.children}
    sliders["stride"].value = 3
    assert "output 3×3" in view.value
    sliders["window"].value = sliders["window"].max
    assert sliders["window"].max == 8 and "window 2,2" == sliders["window"].description
    sliders["kernel"].value = 7
    sliders["input"].value = 2
    assert "does not fit" in view.value
