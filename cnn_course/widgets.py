"""Interactive controls for the lectures (ipywidgets: they run in Jupyter and on Colab)."""
import io

import matplotlib.pyplot as plt
import numpy as np

from .kernels import HANDMADE
from .reference import corr2d_fast


def image_png(img):
    """(H, W) array -> PNG bytes, grey levels clipped to [0, 1]."""
    buf = io.BytesIO()
    plt.imsave(buf, np.clip(img, 0, 1), cmap="gray", vmin=0, vmax=1, format="png")
    return buf.getvalue()


def kernel_playground(photo, kernels=HANDMADE):
    """Pick a kernel, see the photo filtered by it.

    photo: (H, W) in [0, 1]; kernels: dict name -> (kh, kw) array.
    Returns an ipywidgets VBox. Every filtered image is computed once, up front, so that
    switching is instant. Edge kernels give responses around 0: they are shown shifted by 0.5
    so that negative responses are visible (dark) and positive ones bright.
    """
    import ipywidgets as W

    rendered = {}
    for name, K in kernels.items():
        out = corr2d_fast(photo, K)
        if np.isclose(K.sum(), 0):
            out = out + 0.5
        rendered[name] = image_png(out)
    names = list(kernels)
    choice = W.Dropdown(options=names, value=names[0], description="kernel")
    matrix = W.HTML()
    image = W.Image(format="png", width=photo.shape[1] * 2)

    def show(name):
        rows = "".join(
            "<tr>" + "".join(f"<td style='padding:2px 6px;text-align:right'>{v:.3g}</td>" for v in row) + "</tr>"
            for row in kernels[name]
        )
        matrix.value = f"<table style='font-family:monospace'>{rows}</table>"
        image.value = rendered[name]

    choice.observe(lambda change: show(change["new"]), names="value")
    show(names[0])
    return W.VBox([choice, W.HBox([matrix, image])])
