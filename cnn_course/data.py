"""Real data that installed packages ship: nothing is downloaded."""

import numpy as np


def load_photo(gray=True, scale=2):
    """Grace Hopper's portrait, shipped with matplotlib.

    gray=True: (H, W) luminance in [0, 1]; gray=False: (H, W, 3) RGB in [0, 1].
    scale: keep every scale-th pixel in each direction (600x512 -> 300x256 at scale=2).
    """
    import matplotlib.cbook
    import matplotlib.pyplot as plt

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        rgb = plt.imread(f, format="jpg").astype(float) / 255
    rgb = rgb[::scale, ::scale]
    if not gray:
        return rgb
    return rgb @ np.array([0.299, 0.587, 0.114])


def load_digits():
    """The 8x8 handwritten digits that scikit-learn ships (1797 images, 10 classes).

    Returns (images, labels): images (1797, 8, 8) float in [0, 1]; labels (1797,) int.
    """
    from sklearn.datasets import load_digits as _load

    d = _load()
    return d.images / 16.0, d.target


# --- mlp-limits, translation-invariance: a fixed train/test split, and digits on a larger canvas


def digits_split(test_fraction=0.25, seed=0):
    """The digits, split once into a training and a test set (stratified, reproducible).

    Returns (train_images, train_labels, test_images, test_labels): images (N, 8, 8) in [0, 1],
    labels (N,) int. With the defaults: 1347 training and 450 test images.
    """
    from sklearn.model_selection import train_test_split

    images, labels = load_digits()
    tr_x, te_x, tr_y, te_y = train_test_split(
        images, labels, test_size=test_fraction, random_state=seed, stratify=labels
    )
    return tr_x, tr_y, te_x, te_y


def on_canvas(images, size=16):
    """Put each (h, w) image in the middle of a larger square of zeros, so that shifting it by up
    to (size - h) // 2 pixels in any direction loses nothing.

    images: (N, h, w) or (h, w). Returns (N, size, size) or (size, size), float.
    """
    x = np.asarray(images, dtype=float)
    h, w = x.shape[-2:]
    if size < h or size < w:
        raise ValueError(f"canvas {size} is smaller than the image {(h, w)}")
    top, left = (size - h) // 2, (size - w) // 2
    out = np.zeros(x.shape[:-2] + (size, size))
    out[..., top : top + h, left : left + w] = x
    return out
