"""mlp-limits: the parameter counts against PyTorch and the decks' numbers; permute_pixels; the
training helpers (deterministic, and the permuted-pixels argument of the lecture, exactly)."""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from cnn_course.data import digits_split, load_digits
from cnn_course.models import accuracy, cnn, mlp, parameter_count, predict_proba, train
from solutions.reference import conv_param_count, dense_param_count, permute_pixels


@pytest.mark.parametrize("n_in, n_out, bias", [(3072, 10, True), (3072, 10, False), (7, 3, True), (1, 1, False)])
def test_dense_param_count_matches_torch(n_in, n_out, bias):
    assert dense_param_count(n_in, n_out, bias) == parameter_count(nn.Linear(n_in, n_out, bias=bias))


@pytest.mark.parametrize(
    "c_in, c_out, k, bias",
    [(3, 64, 3, True), (3, 10, 5, True), (4, 6, (3, 5), True), (16, 32, 1, False), (2, 5, (7, 2), False)],
)
def test_conv_param_count_matches_torch(c_in, c_out, k, bias):
    assert conv_param_count(c_in, c_out, k, bias) == parameter_count(nn.Conv2d(c_in, c_out, k, bias=bias))


def test_counts_are_ints_even_when_huge():
    n = 1920 * 1080 * 3
    assert n == 6_220_800
    count = dense_param_count(n, n)
    assert isinstance(count, int) and count == n * n + n


def test_the_decks_numbers():
    n = 1920 * 1080 * 3
    assert f"{n * n:.3g}" == "3.87e+13"  # weights of the 1080p linear layer
    assert f"{2 * n * n:.3g}" == "7.74e+13"  # FLOPs per image
    assert round(n * n * 4 / 1e12) == 155  # float32 bytes: 155 TB, not the deck's 1.55 TB
    forward = 2 * n * n * 10 * 1e6 * 100  # 10 layers, 1M images, 100 epochs
    assert f"{forward:.2g}" == "7.7e+22"  # the forward passes alone: half the deck's figure
    assert f"{2 * forward:.2g}" == "1.5e+23"  # the deck's figure: backward counted as one forward
    assert dense_param_count(36_000_000, 100) == 3_600_000_100
    assert dense_param_count(32 * 32 * 3, 10) == 30730
    assert conv_param_count(3, 1, 5) == 76 and conv_param_count(3, 10, 5) == 760
    assert conv_param_count(3, 64, 3) == (3 * 3 * 3 + 1) * 64 == 1792
    assert conv_param_count(1, 1, 3, bias=False) == 9


def test_permute_pixels_definition_and_no_mutation():
    rng = np.random.default_rng(0)
    images = rng.normal(size=(4, 3, 5))
    perm = rng.permutation(15)
    before = images.copy()
    out = permute_pixels(images, perm)
    assert out.shape == images.shape and np.array_equal(images, before)
    for n in range(4):
        for i in range(15):
            assert out[n].ravel()[i] == images[n].ravel()[perm[i]]
    np.testing.assert_array_equal(permute_pixels(images, np.arange(15)), images)
    np.testing.assert_array_equal(
        permute_pixels(np.arange(6.0).reshape(1, 2, 3), [5, 0, 1, 2, 3, 4]), [[[5, 0, 1], [2, 3, 4]]]
    )
    with pytest.raises(ValueError):
        permute_pixels(images, np.arange(14))


def test_digits_split_is_fixed_and_stratified():
    a = digits_split()
    b = digits_split()
    for x, y in zip(a, b):
        np.testing.assert_array_equal(x, y)
    train_x, train_y, test_x, test_y = a
    assert train_x.shape == (1347, 8, 8) and test_x.shape == (450, 8, 8)
    assert np.bincount(test_y).min() >= 43 and np.bincount(test_y).max() <= 46
    assert len(load_digits()[0]) == 1797


def test_training_is_deterministic_and_learns():
    train_x, train_y, test_x, test_y = digits_split()
    accs = [accuracy(train(mlp(64, seed=3), train_x, train_y, seed=3, epochs=5), test_x, test_y) for _ in range(2)]
    assert accs[0] == accs[1] and accs[0] > 0.85


def test_permuted_mlp_is_the_same_network_relabelled():
    """The lecture's claim: an MLP with W' = W[:, perm], trained on permuted pixels, stays W."""
    train_x, train_y, test_x, test_y = digits_split()
    perm = np.random.default_rng(1470).permutation(64)
    net = mlp(64, seed=0)
    net_p = copy.deepcopy(net)
    with torch.no_grad():
        net_p[1].weight.copy_(net[1].weight[:, perm])
    train(net, train_x, train_y, seed=0, epochs=5)
    train(net_p, permute_pixels(train_x, perm), train_y, seed=0, epochs=5)
    probs, probs_p = predict_proba(net, test_x), predict_proba(net_p, permute_pixels(test_x, perm))
    assert np.abs(probs - probs_p).max() < 1e-4
    assert (net_p[1].weight - net[1].weight[:, perm]).abs().max().item() < 1e-4


def test_cnn_heads_shapes():
    x = np.zeros((2, 16, 16))
    for head in ["global", "flatten"]:
        assert predict_proba(cnn(16, head=head), x).shape == (2, 10)
    with pytest.raises(ValueError):
        cnn(16, head="nope")
