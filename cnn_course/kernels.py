"""Handmade kernels from the lecture decks, as float arrays.

Each is applied with cross-correlation (`corr2d`), as deep-learning libraries do. For the
symmetric ones flipping changes nothing; for Sobel it flips the sign of the response.
"""

import numpy as np

IDENTITY = np.array([[0, 0, 0], [0, 1, 0], [0, 0, 0]], dtype=float)
EDGE_4 = np.array([[0, -1, 0], [-1, 4, -1], [0, -1, 0]], dtype=float)  # "ridge" detection
EDGE_8 = np.array([[-1, -1, -1], [-1, 8, -1], [-1, -1, -1]], dtype=float)  # edge detection
SHARPEN = np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float)
BOX_BLUR = np.ones((3, 3)) / 9
GAUSSIAN_3 = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], dtype=float) / 16
_binomial_5 = np.array([1, 4, 6, 4, 1], dtype=float)
GAUSSIAN_5 = np.outer(_binomial_5, _binomial_5) / 256
GAUSSIAN_5_273 = (
    np.array(
        [[1, 4, 7, 4, 1], [4, 16, 26, 16, 4], [7, 26, 41, 26, 7], [4, 16, 26, 16, 4], [1, 4, 7, 4, 1]], dtype=float
    )
    / 273
)
SOBEL_X = np.array([[1, 0, -1], [2, 0, -2], [1, 0, -1]], dtype=float)
SOBEL_Y = SOBEL_X.T.copy()
HORIZONTAL_EDGE = np.array([[1, 1, 1], [0, 0, 0], [-1, -1, -1]], dtype=float)

HANDMADE = {
    "identity": IDENTITY,
    "edge (4-neighbour)": EDGE_4,
    "edge (8-neighbour)": EDGE_8,
    "sharpen": SHARPEN,
    "box blur": BOX_BLUR,
    "Gaussian 3x3": GAUSSIAN_3,
    "Gaussian 5x5": GAUSSIAN_5,
    "Sobel x": SOBEL_X,
    "Sobel y": SOBEL_Y,
}
