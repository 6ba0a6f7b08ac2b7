"""Interactive controls for the lectures: ipywidgets in Jupyter and on Colab, and, through
`kernelfree`, working controls in the published book, where no kernel runs."""

import base64
import html
import io

import numpy as np

from .kernels import HANDMADE


def image_png(img):
    """(H, W) array -> PNG bytes (8-bit grey), grey levels clipped to [0, 1]."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.round(np.clip(img, 0, 1) * 255).astype(np.uint8), mode="L").save(
        buf, format="png", optimize=True
    )
    return buf.getvalue()


def kernel_playground(photo, kernels=HANDMADE):
    """Pick a kernel, see the photo filtered by it.

    photo: (H, W) in [0, 1]; kernels: dict name -> (kh, kw) array.
    Returns an ipywidgets VBox (a menu above the kernel's weights and the filtered photo). Every
    filtered image is computed once, up front, so that switching is instant; the same images
    travel with the widget, so that it responds in the published book too (`kernelfree`).
    Edge kernels give responses around 0: they are shown shifted by 0.5 so that negative
    responses are visible (dark) and positive ones bright.
    """
    import torch
    import torch.nn.functional as F

    from .kernelfree import Dropdown, interactive, png_html

    names = list(kernels)
    rendered = {}
    photo_t = torch.as_tensor(np.asarray(photo, dtype=float))[None, None]  # (1, 1, H, W)
    for name, K in kernels.items():
        out = F.conv2d(photo_t, torch.as_tensor(np.asarray(K, dtype=float))[None, None])[0, 0].numpy()
        if np.isclose(K.sum(), 0):
            out = out + 0.5
        rendered[name] = png_html(image_png(out), width=photo.shape[1] * 2, alt=f"the photo filtered by {name}")

    def kernel_view(kernel):
        rows = "".join(
            "<tr>" + "".join(f"<td style='padding:2px 6px;text-align:right'>{v:.3g}</td>" for v in row) + "</tr>"
            for row in kernels[kernel]
        )
        matrix = f"<table style='font-family:monospace;margin:0'>{rows}</table>"
        return (
            f"<div style='display:flex;gap:16px;align-items:flex-start;flex-wrap:wrap'>"
            f"<div>{matrix}</div><div>{rendered[kernel]}</div></div>"
        )

    return interactive(kernel_view, {"kernel": Dropdown(names, value=names[0], description="kernel")})


# --- translation-invariance: shift a digit, watch two networks' predictions


def shift_probabilities(digits, models, max_shift):
    """Every model's class probabilities for every digit at every shift, computed at once.

    digits: (n, H, W) images on a canvas; models: dict name -> torch model.
    Returns dict name -> (n, 2*max_shift + 1, 2*max_shift + 1, n_classes) array, indexed
    [digit, dy + max_shift, dx + max_shift, class].
    The shifts are PyTorch's zero padding: F.pad(t, (dx, -dx, dy, -dy)) adds dx columns of
    zeros on the left and removes dx on the right (a negative amount removes), the same for rows.
    """
    import torch
    import torch.nn.functional as F

    from .models import predict_proba

    digits = np.asarray(digits, dtype=float)
    t = torch.as_tensor(digits)
    shifts = range(-max_shift, max_shift + 1)
    batch = np.stack([F.pad(t, (dx, -dx, dy, -dy)).numpy() for dy in shifts for dx in shifts], axis=1)
    n, s = len(digits), len(shifts)
    flat = batch.reshape(n * s * s, *digits.shape[1:])
    return {name: predict_proba(model, flat).reshape(n, s, s, -1) for name, model in models.items()}


def probability_bars_html(probs, label):
    """An HTML table of predicted probabilities: one row per class, one column per model.

    probs: dict model name -> (n_classes,) probabilities; label: the true class.
    The true class's row is shaded; each model's most probable class is in bold.
    """
    names = list(probs)
    head = "".join(f"<th style='padding:2px 8px'>{html.escape(n)}</th>" for n in names)
    rows = []
    for c in range(len(next(iter(probs.values())))):
        cells = []
        for n in names:
            p = float(probs[n][c])
            top = int(np.argmax(probs[n])) == c
            colour = "#2a7ab0" if top else "#9cc3dd"
            weight = "bold" if top else "normal"
            cells.append(
                "<td style='padding:1px 8px'>"
                f"<div style='display:inline-block;width:110px;height:10px;background:#eee;vertical-align:middle'>"
                f"<div style='width:{100 * p:.1f}%;height:10px;background:{colour}'></div></div>"
                f" <span style='font-family:monospace;font-weight:{weight}'>{100 * p:5.1f}%</span></td>"
            )
        shade = "background:#fff3c4" if c == label else ""
        rows.append(f"<tr style='{shade}'><td style='padding:1px 8px'><b>{c}</b></td>{''.join(cells)}</tr>")
    verdicts = []
    for n in names:
        guess = int(np.argmax(probs[n]))
        verdicts.append(f"{html.escape(n)} says <b>{guess}</b> ({'right' if guess == label else 'wrong'})")
    return (
        f"<div>{'; '.join(verdicts)}. True class: <b>{label}</b>.</div>"
        f"<table style='border-collapse:collapse'><tr><th>class</th>{head}</tr>{''.join(rows)}</table>"
    )


def _digit_png(img, scale):
    """A small image (ink 1, paper 0) enlarged scale times with sharp pixels, drawn dark on
    light as in the lecture's figures, in a thin grey frame."""
    big = np.kron(1 - np.clip(img, 0, 1), np.ones((scale, scale)))
    return image_png(np.pad(big, 1, constant_values=0.5))


def shift_view(digits, labels, table, max_shift, scale=12):
    """The explorer's view as a function of its controls: render(digit, dy, dx) -> HTML string.

    digits: (n, H, W); labels: (n,); table: `shift_probabilities(digits, models, max_shift)`.
    The HTML holds the shifted digit (an inline PNG) beside the probability table.
    """
    import torch
    import torch.nn.functional as F

    canvas = torch.as_tensor(np.asarray(digits, dtype=float))

    def render(digit, dy, dx):
        shifted = F.pad(canvas[digit], (dx, -dx, dy, -dy)).numpy()  # down dy, right dx, zeros in
        png = base64.b64encode(_digit_png(shifted, scale)).decode("ascii")
        probs = {name: p[digit, dy + max_shift, dx + max_shift] for name, p in table.items()}
        caption = f"shifted {dy:+d} down, {dx:+d} right"
        return (
            "<div style='display:flex;gap:24px;align-items:flex-start;flex-wrap:wrap'>"
            f"<figure style='margin:0'><img src='data:image/png;base64,{png}' alt='the digit {caption}'>"
            f"<figcaption style='font-size:90%'>{caption}</figcaption></figure>"
            f"<div>{probability_bars_html(probs, int(labels[digit]))}</div></div>"
        )

    return render


def shift_explorer(digits, labels, models, max_shift=4, scale=12):
    """Pick a digit and a shift; see the shifted digit and each network's probabilities.

    digits: (n, H, W) test images on a canvas, unshifted; labels: (n,) true classes;
    models: dict name -> trained torch model (e.g. {"MLP": ..., "CNN": ...}).
    Returns an ipywidgets VBox: a menu and two sliders above one HTML widget. All predictions
    are computed up front (n * (2*max_shift+1)**2 images per model), so moving a slider only
    looks them up and redraws. The picture and the table live in the HTML widget's value, so a
    static page shows the initial state.
    """
    import ipywidgets as W

    digits = np.asarray(digits, dtype=float)
    labels = [int(v) for v in labels]
    table = shift_probabilities(digits, models, max_shift)
    render = shift_view(digits, labels, table, max_shift, scale)
    choice = W.Dropdown(
        options=[(f"a {lab} (example {i + 1})", i) for i, lab in enumerate(labels)], value=0, description="digit"
    )
    dx = W.IntSlider(value=0, min=-max_shift, max=max_shift, description="dx (right)")
    dy = W.IntSlider(value=0, min=-max_shift, max=max_shift, description="dy (down)")
    view = W.HTML()

    def show(_=None):
        view.value = render(choice.value, dy.value, dx.value)

    for control in (choice, dx, dy):
        control.observe(show, names="value")
    show()
    from .shift_js import with_browser_twin  # the same explorer in JavaScript, for pages with no kernel

    return with_browser_twin(
        W.VBox([W.HBox([choice, dx, dy]), view]),
        {"digit": choice, "dx": dx, "dy": dy},
        view,
        digits,
        labels,
        table,
        max_shift,
        scale,
    )


# --- pooling: receptive fields


def receptive_field_paths(layers, shape):
    """For every output unit of a stack of layers, how many paths lead to it from each input pixel.

    layers: list of (kind, k, stride, dilation), kind "conv" (a k x k kernel with its taps
    `dilation` apart and zero padding dilation * (k - 1) // 2) or "pool" (a k x k window, no
    padding). shape: (H, W) of the input. Every kernel is all ones, so the stack is linear and
    the count is its response, at the output unit, to an image with a single 1 at the input
    pixel (the derivative of the unit with respect to that pixel). It is nonzero exactly on the
    unit's receptive field (the part inside the image). Computed with PyTorch, one image per
    input pixel, in one batch. Returns an (H', W', H, W) array of counts.
    """
    import torch
    import torch.nn.functional as F

    H, W = shape
    h = torch.eye(H * W, dtype=torch.float64).reshape(H * W, 1, H, W)  # one image per pixel
    for kind, k, s, d in layers:
        padding = d * (k - 1) // 2 if kind == "conv" else 0
        h = F.conv2d(h, torch.ones(1, 1, k, k, dtype=h.dtype), stride=s, padding=padding, dilation=d)
    return h[:, 0].permute(1, 2, 0).reshape(*h.shape[2:], H, W).numpy()


def _rf_png(image, paths, scale):
    """The image (ink dark on light), the receptive field tinted orange, deeper where more paths
    arrive; paths: (H, W) counts. Returns PNG bytes (RGB)."""
    from PIL import Image

    grey = 1 - np.clip(image, 0, 1)
    rgb = np.stack([grey] * 3, axis=-1)
    weight = np.where(paths > 0, 0.35 + 0.65 * paths / max(paths.max(), 1), 0)[..., None]
    orange = np.array([1.0, 0.55, 0.0])
    rgb = (1 - 0.6 * weight) * rgb + 0.6 * weight * orange
    big = np.kron(rgb, np.ones((scale, scale, 1)))
    buf = io.BytesIO()
    Image.fromarray(np.round(big * 255).astype(np.uint8), mode="RGB").save(buf, format="png", optimize=True)
    return buf.getvalue()


def receptive_field_explorer(image, stacks, scale=24):
    """Pick a stack of layers and point at a place; see the receptive field of the output unit there.

    image: (H, W) in [0, 1], ink 1 (a digit). stacks: dict name -> layers, as in
    `receptive_field_paths`. The controls are a stack and a row and column of the input: the
    unit shown is the output unit whose receptive field is centred nearest that pixel (for a
    stack with stride 1 and padding, unit (row, column) itself). Every setting is drawn up front,
    so the widget responds in the published book too (`kernelfree`).
    """
    from .kernelfree import Dropdown, IntSlider, interactive, png_html

    H, W = image.shape
    grid = np.stack(np.meshgrid(np.arange(H), np.arange(W), indexing="ij"), axis=-1)  # (H, W, 2)
    tables = {}
    for name, layers in stacks.items():
        paths = receptive_field_paths(layers, (H, W))  # (H', W', H, W)
        mass = paths.sum(axis=(2, 3))[..., None]
        centres = np.einsum("abhw,hwc->abc", paths, grid) / mass  # (H', W', 2) centre of each field
        size, jump = 1, 1
        for _, k, s, d in layers:  # the growth formula, layer by layer
            size += d * (k - 1) * jump
            jump *= s
        tables[name] = (paths, centres, size)

    def view(stack, row, col):
        paths, centres, size = tables[stack]
        i, j = np.unravel_index(np.argmin(np.abs(centres - [row, col]).sum(-1)), centres.shape[:2])
        field = paths[i, j]
        seen = int((field > 0).sum())
        inside = "it lies inside the image" if seen == size * size else "part of it is zero padding"
        caption = (
            f"output unit ({i}, {j}) of a {paths.shape[0]}x{paths.shape[1]} map: receptive field {size}x{size} "
            f"by the formula ({inside}); it reads {seen} of the image's {H * W} pixels, "
            f"through up to {int(field.max())} paths each"
        )
        png = png_html(_rf_png(image, field, scale), width=W * scale, alt=f"receptive field of {caption}")
        text = f"<figcaption style='font-size:90%'>{html.escape(caption)}</figcaption>"
        return f"<figure style='margin:0'>{png}{text}</figure>"

    names = list(stacks)
    return interactive(
        view,
        {
            "stack": Dropdown(names, value=names[0], description="stack"),
            "row": IntSlider(min=0, max=H - 1, value=H // 2, description="row"),
            "col": IntSlider(min=0, max=W - 1, value=W // 2, description="column"),
        },
    )
