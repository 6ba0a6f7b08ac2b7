"""Channels and pooling: the references against PyTorch (float64) and the decks' worked examples,
the torch helpers and mistake diagnosis of checks/, and the small networks of the pooling chapter."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from checks import channels, core, pooling
from cnn_course import models
from solutions.reference import avg_pool2d, conv2d, conv2d_fast, corr2d, max_pool2d


def t(a):
    return torch.tensor(np.asarray(a, dtype=np.float64))


# --- conv2d


@pytest.mark.parametrize("seed", range(8))
def test_conv2d_matches_torch_on_random_layers(seed):
    rng = np.random.default_rng(seed)
    N, C_in, C_out = rng.integers(1, 4, size=3)
    kh, kw = (int(v) for v in rng.integers(1, 5, size=2))
    H, W = kh + rng.integers(0, 7), kw + rng.integers(0, 7)
    stride = tuple(int(v) for v in rng.integers(1, 4, size=2))
    padding = tuple(int(v) for v in rng.integers(0, 3, size=2))
    x, w, b = rng.normal(size=(N, C_in, H, W)), rng.normal(size=(C_out, C_in, kh, kw)), rng.normal(size=C_out)
    want = F.conv2d(t(x), t(w), t(b), stride=stride, padding=padding).numpy()
    np.testing.assert_allclose(conv2d(x, w, b, stride, padding), want, atol=1e-10)
    np.testing.assert_allclose(conv2d_fast(x, w, b, stride, padding), want, atol=1e-10)
    np.testing.assert_allclose(
        conv2d(x, w, stride=stride, padding=padding),
        F.conv2d(t(x), t(w), stride=stride, padding=padding).numpy(),
        atol=1e-10,
    )


@pytest.mark.parametrize("groups, w_shape", [(2, (6, 2, 3, 3)), (4, (8, 1, 3, 2)), (4, (4, 1, 3, 3))])
def test_conv2d_groups_and_depthwise_match_torch(groups, w_shape):
    rng = np.random.default_rng(groups)
    x, w = rng.normal(size=(2, 4, 7, 6)), rng.normal(size=w_shape)
    np.testing.assert_allclose(conv2d(x, w, groups=groups), F.conv2d(t(x), t(w), groups=groups).numpy(), atol=1e-10)


def test_two_channel_example_gives_56():
    X = np.stack([np.arange(9.0).reshape(3, 3), np.arange(1.0, 10.0).reshape(3, 3)])
    K = np.stack([[[0.0, 1.0], [2.0, 3.0]], [[1.0, 2.0], [3.0, 4.0]]])
    top_left = (1 * 1 + 2 * 2 + 4 * 3 + 5 * 4) + (0 * 0 + 1 * 1 + 3 * 2 + 4 * 3)
    assert top_left == 56
    Y = conv2d(X[None], K[None])
    np.testing.assert_array_equal(Y, [[[[56, 72], [104, 120]]]])
    np.testing.assert_array_equal(Y[0, 0], corr2d(X[0], K[0]) + corr2d(X[1], K[1]))
    three = conv2d(X[None], np.stack([K, K + 1, K + 2]))
    np.testing.assert_array_equal(three[0, 1:], [[[76, 100], [148, 172]], [[96, 128], [192, 224]]])


def test_filters_extend_the_full_depth():
    rng = np.random.default_rng(0)
    image = rng.uniform(size=(1, 3, 32, 32))
    assert conv2d(image, rng.normal(size=(1, 3, 5, 5))).shape == (1, 1, 28, 28)
    assert conv2d_fast(image, rng.normal(size=(6, 3, 5, 5))).shape == (1, 6, 28, 28)  # 28x28x6


def test_quiz_multiplications_and_parameters_of_64_3x3_filters_on_224_rgb():
    layer = nn.Conv2d(3, 64, 3)
    with torch.no_grad():
        out = layer(torch.zeros(1, 3, 224, 224))
    assert tuple(out.shape) == (1, 64, 222, 222)
    assert out.numel() * layer.weight[0].numel() == 64 * 3 * 3 * 3 * 222 * 222 == 85_162_752  # answer D
    assert sum(p.numel() for p in layer.parameters()) == (3 * 3 * 3 + 1) * 64 == 1792  # answer D


def test_ten_5x5_filters_with_padding_2_have_76_parameters_each():
    layer = nn.Conv2d(3, 10, 5, stride=1, padding=2)
    with torch.no_grad():
        assert tuple(layer(torch.zeros(1, 3, 32, 32)).shape) == (1, 10, 32, 32)
    assert layer.weight[0].numel() + 1 == 76
    assert sum(p.numel() for p in layer.parameters()) == 760


def test_1x1_convolution_is_a_dense_layer_over_channels():
    rng = np.random.default_rng(3)
    x, W = rng.normal(size=(2, 3, 5, 4)), rng.normal(size=(4, 3))
    np.testing.assert_allclose(conv2d(x, W[:, :, None, None]), np.einsum("oc,nchw->nohw", W, x), atol=1e-12)


@pytest.mark.parametrize(
    "call, fragment",
    [
        (lambda: conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 2, 3, 3))), "channels"),
        (lambda: conv2d(np.ones((1, 2, 5, 5)), np.ones((2, 2, 3, 3)), b=np.ones(3)), "one bias per output channel"),
        (lambda: conv2d(np.ones((2, 5, 5)), np.ones((2, 2, 3, 3))), "must be 4-D"),
        (lambda: conv2d(np.ones((1, 2, 5, 5)), np.ones((2, 2, 3, 3)), stride=0), "stride must be at least 1"),
        (lambda: conv2d(np.ones((1, 2, 5, 5)), np.ones((2, 2, 3, 3)), padding=(1, 2, 3)), "(h, w) pair"),
        (lambda: conv2d(np.ones((1, 2, 2, 2)), np.ones((2, 2, 3, 3))), "larger than the padded input"),
        (lambda: conv2d(np.ones((1, 3, 5, 5)), np.ones((2, 1, 3, 3)), groups=3), "must divide"),
        (lambda: max_pool2d(np.ones((1, 1, 4, 4)), 2, padding=2), "at most half"),
        (lambda: avg_pool2d(np.ones((1, 1, 2, 2)), 3), "larger than the padded input"),
    ],
)
def test_bad_input_raises_a_one_line_value_error(call, fragment):
    with pytest.raises(ValueError, match=None) as info:
        call()
    assert fragment in str(info.value) and "\n" not in str(info.value)


def test_references_do_not_modify_their_inputs():
    rng = np.random.default_rng(1)
    x, w, b = rng.normal(size=(2, 3, 6, 5)), rng.normal(size=(2, 3, 3, 3)), rng.normal(size=2)
    copies = [a.copy() for a in (x, w, b)]
    conv2d(x, w, b, stride=2, padding=1)
    conv2d_fast(x, w, b, stride=2, padding=1)
    max_pool2d(x, 2, padding=1)
    avg_pool2d(x, (2, 3), stride=1)
    for before, after in zip(copies, (x, w, b)):
        np.testing.assert_array_equal(before, after)


# --- pooling


@pytest.mark.parametrize("seed", range(8))
def test_pooling_matches_torch_on_random_shapes(seed):
    rng = np.random.default_rng(100 + seed)
    kernel = tuple(int(v) for v in rng.integers(1, 5, size=2))
    x = rng.normal(
        size=(rng.integers(1, 4), rng.integers(1, 4), kernel[0] + rng.integers(0, 8), kernel[1] + rng.integers(0, 8))
    )
    padding = (int(rng.integers(0, kernel[0] // 2 + 1)), int(rng.integers(0, kernel[1] // 2 + 1)))
    for stride in [None, tuple(int(v) for v in rng.integers(1, 4, size=2))]:
        np.testing.assert_allclose(
            max_pool2d(x, kernel, stride, padding), F.max_pool2d(t(x), kernel, stride, padding).numpy(), atol=1e-12
        )
        np.testing.assert_allclose(
            avg_pool2d(x, kernel, stride, padding), F.avg_pool2d(t(x), kernel, stride, padding).numpy(), atol=1e-12
        )


def test_max_of_0_1_3_4_is_4():
    x = np.arange(9.0).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(max_pool2d(x, 2, stride=1)[0, 0], [[4, 5], [7, 8]])
    np.testing.assert_array_equal(avg_pool2d(x, 2, stride=1)[0, 0], [[2, 3], [5, 6]])


def test_depth_slice_example():
    x = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=float)[None, None]
    np.testing.assert_array_equal(max_pool2d(x, 2, stride=2)[0, 0], [[6, 8], [3, 4]])
    np.testing.assert_array_equal(avg_pool2d(x, 2, stride=2)[0, 0], [[3.25, 5.25], [2, 2]])


def test_quiz_feature_map_average_is_B_and_max_is_A():
    fmap = np.array([[12, 20, 30, 0], [20, 12, 2, 0], [0, 70, 5, 2], [8, 2, 90, 3]], dtype=float)[None, None]
    np.testing.assert_array_equal(avg_pool2d(fmap, 2)[0, 0], [[16, 8], [20, 25]])
    np.testing.assert_array_equal(max_pool2d(fmap, 2)[0, 0], [[20, 30], [70, 90]])


def test_pooling_floor_mode_default_stride_and_padding_values():
    five = np.arange(25.0).reshape(1, 1, 5, 5)
    assert max_pool2d(five, 2).shape == (1, 1, 2, 2)  # (5 - 2) // 2 + 1, not 3
    assert max_pool2d(five, 2, stride=1).shape == (1, 1, 4, 4)
    ones = np.ones((1, 1, 3, 3))
    np.testing.assert_array_equal(max_pool2d(ones, 2, stride=2, padding=1)[0, 0], np.ones((2, 2)))
    np.testing.assert_array_equal(avg_pool2d(ones, 2, stride=2, padding=1)[0, 0], [[0.25, 0.5], [0.5, 1]])


def test_pooling_has_no_parameters_and_keeps_channels_apart():
    assert sum(p.numel() for p in nn.MaxPool2d(2).parameters()) == 0
    assert sum(p.numel() for p in nn.AvgPool2d(2).parameters()) == 0
    rng = np.random.default_rng(2)
    x = rng.normal(size=(2, 3, 6, 6))
    together = max_pool2d(x, 2)
    assert together.shape == (2, 3, 3, 3)
    for c in range(3):
        np.testing.assert_array_equal(together[:, c : c + 1], max_pool2d(x[:, c : c + 1], 2))


def test_pooling_loses_information():
    a = np.array([[9, 0, 0, 5], [0, 0, 0, 0], [0, 0, 0, 0], [0, 7, 3, 0]], dtype=float)
    b = np.array([[0, 0, 5, 5], [0, 9, 5, 5], [7, 7, 0, 3], [7, 7, 0, 0]], dtype=float)
    assert not np.array_equal(a, b)
    np.testing.assert_array_equal(max_pool2d(a[None, None], 2), max_pool2d(b[None, None], 2))


# --- checks/: torch helpers and mistake diagnosis


def test_torch_helpers_agree_with_the_references():
    rng = np.random.default_rng(4)
    x, w, b = rng.normal(size=(2, 3, 7, 8)), rng.normal(size=(4, 3, 2, 3)), rng.normal(size=4)
    np.testing.assert_allclose(core.torch_conv2d(x, w, b, (2, 1), (1, 0)), conv2d(x, w, b, (2, 1), (1, 0)), atol=1e-12)
    np.testing.assert_allclose(pooling.torch_max_pool2d(x, (2, 3)), max_pool2d(x, (2, 3)), atol=1e-12)
    np.testing.assert_allclose(pooling.torch_avg_pool2d(x, 2, stride=(1, 2)), avg_pool2d(x, 2, (1, 2)), atol=1e-12)


def test_check_conv2d_passes_the_reference_and_names_mistakes():
    rng = np.random.default_rng(5)
    x, w, b = rng.normal(size=(2, 3, 6, 4)), rng.normal(size=(3, 3, 2, 2)), rng.normal(size=3)
    channels.check_conv2d(conv2d, x, w, b, stride=(2, 1), padding=1)
    channels.check_conv2d(conv2d, x, w)
    cases = [
        (
            lambda x, w, b=None, stride=1, padding=0: conv2d(x[:, :1], w[:, :1], b, stride, padding),
            "uses only input channel 0",
        ),
        (lambda x, w, b=None, stride=1, padding=0: conv2d(x, w, None, stride, padding) + b, "along the width axis"),
        (
            lambda x, w, b=None, stride=1, padding=0: conv2d(x, w[:, :, ::-1, ::-1], b, stride, padding),
            "flips the kernel",
        ),
    ]
    for wrong, fragment in cases:
        with pytest.raises(AssertionError, match=fragment):
            channels.check_conv2d(wrong, x, w, b)
    with pytest.raises(AssertionError, match="raised ZeroDivisionError"):
        channels.check_conv2d(lambda *a, **k: 1 / 0, x, w)
    with pytest.raises(AssertionError, match="returned None"):
        channels.check_conv2d(lambda *a, **k: None, x, w)


def test_check_pool2d_passes_the_reference_and_names_mistakes():
    rng = np.random.default_rng(6)
    x = rng.normal(size=(2, 2, 7, 9))
    pooling.check_pool2d(max_pool2d, "max", x, (2, 3))
    pooling.check_pool2d(avg_pool2d, "avg", x, 3, stride=(2, 1))
    with pytest.raises(AssertionError, match="uses stride 1 when stride is None"):
        pooling.check_pool2d(lambda x, k, stride=None: max_pool2d(x, k, 1), "max", x, 2)
    with pytest.raises(AssertionError, match="floor mode gives"):
        pooling.check_pool2d(
            lambda x, k, stride=None: max_pool2d(np.pad(x, ((0, 0), (0, 0), (0, 1), (0, 1))), k), "max", x, 2
        )
    with pytest.raises(AssertionError, match="without dividing"):
        pooling.check_pool2d(lambda x, k, stride=None: avg_pool2d(x, k, stride) * 4, "avg", x, 2)


# --- the networks of the pooling chapter


@pytest.mark.parametrize("pool, n_params", [(None, 24298), ("max", 2698), ("avg", 2698), ("global", 1418)])
def test_pooling_cnn_variants(pool, n_params):
    net = models.pooling_cnn(pool, image_size=12)
    assert models.parameter_count(net) == n_params
    with torch.no_grad():
        assert tuple(net(torch.zeros(3, 1, 12, 12)).shape) == (3, 10)
    assert models.features(net, np.zeros((2, 12, 12))).shape[0] == 2
    with pytest.raises(ValueError):
        models.pooling_cnn("median")


def test_lenet_shapes_and_parameters():
    net = models.lenet()
    assert models.parameter_count(net) == 60 + 880 + 2080 + 330
    with torch.no_grad():
        assert tuple(net[:6](torch.zeros(2, 1, 8, 8)).shape) == (2, 16, 2, 2)
        assert tuple(net(torch.zeros(2, 1, 8, 8)).shape) == (2, 10)
    a, b = models.lenet(seed=1), models.lenet(seed=1)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
