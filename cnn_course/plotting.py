"""Figures shared by the lectures: small matrices with their numbers, and image grids."""

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.patches import Rectangle


def show_matrix(ax, M, title=None, window=None, cmap="Blues", fmt="{:g}"):
    """Draw a small matrix as a grid of numbers.

    M: (h, w). window: optional (row, col, height, width) drawn as a red frame.
    """
    M = np.asarray(M, dtype=float)
    ax.imshow(M, cmap=cmap, alpha=0.35)
    for (i, j), v in np.ndenumerate(M):
        ax.text(j, i, fmt.format(v), ha="center", va="center", fontsize=12)
    ax.set_xticks(np.arange(-0.5, M.shape[1]), minor=True)
    ax.set_yticks(np.arange(-0.5, M.shape[0]), minor=True)
    ax.grid(which="minor", color="black", linewidth=1)
    ax.tick_params(which="both", length=0, labelbottom=False, labelleft=False)
    if window is not None:
        r, c, h, w = window
        ax.add_patch(Rectangle((c - 0.5, r - 0.5), w, h, fill=False, edgecolor="red", linewidth=3))
    if title:
        ax.set_title(title)


def show_sliding_window(X, K, Y, i, j):
    """One step of the sliding dot product: the window in X, the kernel, and output Y[i, j].

    X: (H, W) input; K: (kh, kw) kernel; Y: (H', W') output. Returns the figure.
    """
    kh, kw = np.shape(K)
    fig, axes = plt.subplots(1, 3, figsize=(9, 3), width_ratios=[np.shape(X)[1], kw, np.shape(Y)[1]])
    show_matrix(axes[0], X, "input", window=(i, j, kh, kw))
    show_matrix(axes[1], K, "kernel", cmap="Oranges")
    show_matrix(axes[2], Y, "output", window=(i, j, 1, 1), cmap="Greens")
    fig.tight_layout()
    return fig


def show_images(images, ncols=3, size=3.0, cmap="gray", vmin=None, vmax=None):
    """A grid of images with titles. images: dict title -> (H, W) or (H, W, 3) array."""
    n = len(images)
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(size * ncols, size * nrows * 1.1), squeeze=False)
    for ax in axes.flat:
        ax.axis("off")
    for ax, (title, img) in zip(axes.flat, images.items()):
        ax.imshow(img, cmap=cmap, vmin=vmin, vmax=vmax)
        ax.set_title(title)
    fig.tight_layout()
    return fig
