"""Small networks for the 8x8 digits, and one deterministic way to train and evaluate them.

Everything runs on the CPU in seconds. Two chapters use them: *Limits of fully connected
networks* (an MLP on permuted pixels) and *Translation invariance* (MLP vs CNN on shifted
digits). Each model is built from a seed, and `train` draws its mini-batches from a seed, so
a lecture gives the same numbers every time it runs on the same machine.

Images go in as numpy arrays (N, H, W); `as_tensor` adds the channel axis: (N, 1, H, W).
"""

import os

import numpy as np
import torch
from torch import nn


def use_few_threads(n=2):
    """Tiny models run fastest on one or two threads (and the book builds on two cores)."""
    torch.set_num_threads(max(1, min(n, os.cpu_count() or 1)))


def as_tensor(images):
    """(N, H, W) numpy array -> (N, 1, H, W) float32 tensor."""
    return torch.as_tensor(np.asarray(images, dtype=np.float32)).unsqueeze(1)


def _seeded(build, seed):
    """Call build() with torch's global generator set to `seed`, leaving it as it was after."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return build()


def mlp(n_pixels, hidden=64, n_classes=10, seed=0):
    """Flatten -> Linear(n_pixels, hidden) -> ReLU -> Linear(hidden, n_classes).

    The input is a flat vector: the layer has no idea which pixels are neighbours."""
    return _seeded(
        lambda: nn.Sequential(
            nn.Flatten(),
            nn.Linear(n_pixels, hidden),
            nn.ReLU(),
            nn.Linear(hidden, n_classes),
        ),
        seed,
    )


def cnn(image_size, channels=(16, 32), n_classes=10, head="global", seed=0):
    """Two 3x3 convolutions (zero padding 1) with a 2x2 max pool between them, then a head.

    The first convolution has no bias, so that blank canvas stays exactly 0 after it, the
    same value as the zero padding: shifting a digit that stays on the canvas then shifts the
    feature maps exactly, right up to the edges.

    head="global": global max pooling, one number per channel, then Linear(channels[1], 10);
                   the head no longer knows *where* a feature was found.
    head="flatten": flatten the (channels[1], size/2, size/2) feature maps into one vector,
                   then a Linear layer: a dense layer with one weight per position, again.
    image_size: H (= W) of the input, needed by the flatten head.
    """
    c1, c2 = channels

    def build():
        body = [
            nn.Conv2d(1, c1, 3, padding=1, bias=False),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.ReLU(),
        ]
        if head == "global":
            tail = [nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(c2, n_classes)]
        elif head == "flatten":
            side = image_size // 2
            tail = [nn.Flatten(), nn.Linear(c2 * side * side, n_classes)]
        else:
            raise ValueError(f"head must be 'global' or 'flatten'; got {head!r}")
        return nn.Sequential(*body, *tail)

    return _seeded(build, seed)


def parameter_count(model):
    """Number of learnable numbers in a torch model."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def train(model, images, labels, epochs=15, batch_size=128, lr=1e-2, seed=0):
    """Train in place with Adam on cross-entropy; mini-batches drawn with `seed`. Returns model.

    images: (N, H, W) numpy array; labels: (N,) ints.
    """
    x = as_tensor(images)
    y = torch.as_tensor(np.asarray(labels), dtype=torch.long)
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        order = torch.randperm(len(x), generator=gen)
        for start in range(0, len(x), batch_size):
            idx = order[start : start + batch_size]
            opt.zero_grad()
            loss_fn(model(x[idx]), y[idx]).backward()
            opt.step()
    model.eval()
    return model


@torch.no_grad()
def predict_proba(model, images):
    """Softmax probabilities, (N, n_classes) numpy array, for images (N, H, W)."""
    model.eval()
    return torch.softmax(model(as_tensor(images)), dim=1).numpy()


def accuracy(model, images, labels):
    """Fraction of images whose most probable class is the label (a float in [0, 1])."""
    return float(np.mean(predict_proba(model, images).argmax(axis=1) == np.asarray(labels)))


# --- pooling: the same small CNN with and without pooling, and a LeNet-style network


def pooling_cnn(pool="max", image_size=12, channels=(8, 16), n_classes=10, seed=0):
    """Two 3x3 convolutions (zero padding 1, ReLU after each), pooled as `pool` says, then one Linear.

    pool=None:     no pooling; the Linear layer sees every position of the last feature maps.
    pool="max":    a 2x2 max pool (stride 2) after each convolution: 4 times fewer positions each.
    pool="avg":    the same with 2x2 average pooling.
    pool="global": no pooling between the convolutions; one max per channel over the whole map.
    image_size: H (= W) of the inputs, which fixes the size of the Linear layer.
    """
    c1, c2 = channels
    pools = {None: nn.Identity, "max": lambda: nn.MaxPool2d(2), "avg": lambda: nn.AvgPool2d(2), "global": nn.Identity}
    if pool not in pools:
        raise ValueError(f"pool must be None, 'max', 'avg' or 'global'; got {pool!r}")

    def build():
        layers = [
            nn.Conv2d(1, c1, 3, padding=1),
            nn.ReLU(),
            pools[pool](),
            nn.Conv2d(c1, c2, 3, padding=1),
            nn.ReLU(),
            pools[pool](),
        ]
        if pool == "global":
            layers += [nn.AdaptiveMaxPool2d(1), nn.Flatten(), nn.Linear(c2, n_classes)]
        else:
            side = image_size if pool is None else image_size // 4
            layers += [nn.Flatten(), nn.Linear(c2 * side * side, n_classes)]
        return nn.Sequential(*[layer for layer in layers if not isinstance(layer, nn.Identity)])

    return _seeded(build, seed)


def lenet(n_classes=10, seed=0):
    """A LeNet-style network for the 8x8 digits, built from the chapter's pieces:

        conv 3x3 (1 -> 6, padding 1), ReLU, max pool 2x2      (N, 1, 8, 8) -> (N, 6, 4, 4)
        conv 3x3 (6 -> 16, padding 1), ReLU, max pool 2x2     -> (N, 16, 2, 2)
        flatten, Linear(64 -> 32), ReLU, Linear(32 -> 10)     -> (N, 10) class scores

    (LeCun's LeNet-5 has the same plan on 32x32 images with 5x5 kernels and dense layers of
    120 and 84 units.)
    """
    return _seeded(
        lambda: nn.Sequential(
            nn.Conv2d(1, 6, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Conv2d(6, 16, 3, padding=1),
            nn.ReLU(),
            nn.MaxPool2d(2),
            nn.Flatten(),
            nn.Linear(16 * 2 * 2, 32),
            nn.ReLU(),
            nn.Linear(32, n_classes),
        ),
        seed,
    )


@torch.no_grad()
def features(model, images):
    """What the model's last layer sees: the output of every layer but the last, (N, F) numpy.

    images: (N, H, W) numpy array.
    """
    model.eval()
    return model[:-1](as_tensor(images)).flatten(1).numpy()
