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
