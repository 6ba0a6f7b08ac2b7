"""The conv-arithmetic explorer: input size, kernel, stride, padding and dilation, drawn.

Three layers, so that each can be reused on its own:

- `explorer_layout(...)` is pure arithmetic: the padded grid, every window position, which
  cells each window reads, the output size. It returns plain numbers, lists and strings (it
  could be written out as JSON), and is short enough to port line by line to JavaScript for a
  version of the explorer that runs in the browser without a Python kernel.
- `render_svg(layout)` and `render_html(layout)` turn a layout into an SVG picture and a
  caption, as strings: no matplotlib, nothing but text, so the same picture can be made
  anywhere.
- `conv_arithmetic_explorer()` wires sliders to them (ipywidgets). The drawing lives in the
  `value` of an HTML widget, so a static page shows the initial state.

Conventions are PyTorch's: `padding` zeros on each side, windows start at row 0, s, 2s, ...
and must lie wholly inside the padded input (floor), and a dilated kernel of size k spans
d(k - 1) + 1 cells with its taps d apart.
"""

import html
import numbers


def _pair(value, name):
    """An int or an (h, w) pair, as PyTorch takes sizes, strides and paddings -> (h, w) ints."""
    pair = tuple(value) if isinstance(value, (tuple, list)) else (value, value)
    if len(pair) != 2 or not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in pair):
        raise ValueError(f"{name} must be an int or an (h, w) pair of ints; got {value!r}")
    return int(pair[0]), int(pair[1])


def _axis(n, k, s, p, d):
    """Arithmetic along one axis: positions of the windows and the cells nobody reads."""
    padded = n + 2 * p
    span = d * (k - 1) + 1
    if span > padded:
        return {
            "padded": padded,
            "span": span,
            "out": 0,
            "starts": [],
            "leftover": padded,
            "numerator": padded - span,
            "fits": False,
        }
    out = (padded - span) // s + 1
    starts = [i * s for i in range(out)]
    last_end = starts[-1] + span  # one past the last cell a window reaches
    return {
        "padded": padded,
        "span": span,
        "out": out,
        "starts": starts,
        "leftover": padded - last_end,  # trailing cells that no window reaches
        "numerator": padded - span,
        "fits": True,
    }


def explorer_layout(n, k, stride=1, padding=0, dilation=1, window=0):
    """Everything the picture shows, as plain data.

    n, k, stride, padding, dilation: an int or an (h, w) pair each (input size, kernel size, ...).
    window: which output position to highlight, counted row by row (clipped to the last one).
    Returns a dict with, per axis (index 0 rows, 1 columns), the sizes and window starts; the
    padded grid as a list of rows of {"pad": bool, "reads": how many windows read the cell};
    the taps of the highlighted window; and `lines`, the caption's sentences.
    """
    n, k, s, p, d = (
        _pair(v, name)
        for v, name in [(n, "n"), (k, "k"), (stride, "stride"), (padding, "padding"), (dilation, "dilation")]
    )
    if min(n + k + s + d) < 1 or min(p) < 0:
        raise ValueError("need n, k, stride, dilation >= 1 and padding >= 0")
    axes = [_axis(n[a], k[a], s[a], p[a], d[a]) for a in (0, 1)]
    rows, cols = axes[0]["padded"], axes[1]["padded"]
    reads = [[0] * cols for _ in range(rows)]
    for r0 in axes[0]["starts"]:
        for c0 in axes[1]["starts"]:
            for m in range(k[0]):
                for q in range(k[1]):
                    reads[r0 + d[0] * m][c0 + d[1] * q] += 1
    grid = [
        [{"pad": not (p[0] <= r < p[0] + n[0] and p[1] <= c < p[1] + n[1]), "reads": reads[r][c]} for c in range(cols)]
        for r in range(rows)
    ]
    out = (axes[0]["out"], axes[1]["out"])
    fits = axes[0]["fits"] and axes[1]["fits"]
    layout = {
        "n": n,
        "k": k,
        "stride": s,
        "padding": p,
        "dilation": d,
        "axes": axes,
        "padded": (rows, cols),
        "out": out,
        "fits": fits,
        "grid": grid,
        "window": None,
        "taps": [],
        "box": None,
    }
    if fits:
        index = min(max(int(window), 0), out[0] * out[1] - 1)
        i, j = divmod(index, out[1])
        r0, c0 = axes[0]["starts"][i], axes[1]["starts"][j]
        layout["window"] = (i, j)
        layout["taps"] = [(r0 + d[0] * m, c0 + d[1] * q) for m in range(k[0]) for q in range(k[1])]
        layout["box"] = (r0, c0, axes[0]["span"], axes[1]["span"])
    layout["lines"] = _caption(layout)
    return layout


def _axis_formula(n, k, s, p, d, ax):
    """floor((n + 2p - d(k - 1) - 1) / s) + 1 with the numbers in, for one axis."""
    num = ax["numerator"]
    dil = f"{d}·({k} − 1)" if d != 1 else f"({k} − 1)"
    text = f"⌊({n} + 2·{p} − {dil} − 1) / {s}⌋ + 1 = ⌊{num}/{s}⌋ + 1"
    if not ax["fits"]:
        return (
            f"the kernel spans {ax['span']} cells but the padded input has only {ax['padded']}: "
            "it does not fit, there is no output"
        )
    text += f" = {ax['out']}"
    if num % s:
        text += f" ({num}/{s} is not whole: rounded down)"
    return text


def _caption(layout):
    """The sentences under the picture."""
    n, k, s, p, d = (layout[key] for key in ("n", "k", "stride", "padding", "dilation"))
    axes = layout["axes"]
    lines = []
    same = all(v[0] == v[1] for v in (n, k, s, p, d))
    for a in (0,) if same else (0, 1):
        label = "size" if same else ["rows", "columns"][a]
        lines.append(f"Output {label}: " + _axis_formula(n[a], k[a], s[a], p[a], d[a], axes[a]))
    if not layout["fits"]:
        return lines
    oh, ow = layout["out"]
    padded = "no padding" if p == (0, 0) else f"padded to {layout['padded'][0]}×{layout['padded'][1]}"
    lines.append(f"Input {n[0]}×{n[1]} ({padded}); output {oh}×{ow}.")

    def plural(count, word):
        return f"{count} {word}" + ("s" if count != 1 else "")

    if same and axes[0]["leftover"]:
        left = axes[0]["leftover"]
        lines.append(
            f"The last {plural(left, 'row')} and {plural(left, 'column')} of the padded input "
            "are never read: no window reaches them."
        )
    elif not same:
        for a, word in [(0, "row"), (1, "column")]:
            left = axes[a]["leftover"]
            if left:
                lines.append(
                    f"The last {plural(left, word)} of the padded input "
                    f"{'is' if left == 1 else 'are'} never read: no window reaches {'it' if left == 1 else 'them'}."
                )
    gaps = [a for a in (0, 1) if s[a] > d[a] * (k[a] - 1) + 1]
    if gaps:
        lines.append("The stride is larger than the kernel's span: cells between windows are skipped.")
    return lines


# Colours of the picture (kept here so that another renderer can reuse them).
COLOURS = {
    "input": "#cfe2f3",
    "input_strong": "#3d85c6",
    "pad": "#eeeeee",
    "unread": "#d9534f",
    "window": "#d62728",
    "output": "#d9ead3",
    "output_sel": "#d62728",
    "anchor": "#222222",
    "border": "#1f4e79",
    "grid": "#999999",
    # numbers drawn on the cells: dark enough for a 4.5:1 contrast on every fill (WCAG AA)
    "ink": "#10263d",
    "pad_ink": "#595959",
}


def render_svg(layout, cell=None):
    """The layout as an SVG string: padded input (zeros grey, the input blue, darker where more
    windows read a cell, red x where none does), the highlighted window (red frame, red taps),
    a dot at the top-left corner of every window position, and the output grid on the right."""
    rows, cols = layout["padded"]
    oh, ow = layout["out"]
    if cell is None:
        cell = max(12, min(28, 360 // max(rows, cols, 1)))
    gap, top, left = 2 * cell, 28, 8
    width = left + cols * cell + (gap + max(ow * cell, 90) if layout["fits"] else 0) + 8
    width = max(width, 200)
    height = top + max(rows, oh) * cell + 8
    # shade by the share of the most reads a cell can get (k_h * k_w, at stride 1)
    max_reads = layout["k"][0] * layout["k"][1]
    C = COLOURS
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" style="max-width:100%;height:auto;font-family:sans-serif">'
    ]
    n, p = layout["n"], layout["padding"]
    parts.append(
        f'<text x="{left}" y="18" font-size="13">input {n[0]}×{n[1]}'
        f"{f', padding {p[0]}' if p[0] == p[1] and p[0] else ''}"
        f"{f', padding ({p[0]}, {p[1]})' if p[0] != p[1] else ''}</text>"
    )
    for r, row in enumerate(layout["grid"]):
        for c, g in enumerate(row):
            x, y = left + c * cell, top + r * cell
            if g["pad"]:
                fill = C["pad"]
            else:
                # blend from the light to the strong blue by how many windows read the cell
                t = min(1.0, g["reads"] / max_reads)
                fill = _mix(C["input"], C["input_strong"], 0.8 * t)
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="{fill}" '
                f'stroke="{C["grid"]}" stroke-width="0.5"/>'
            )
            if g["pad"]:
                parts.append(
                    f'<text x="{x + cell / 2}" y="{y + cell * 0.68}" font-size="{cell * 0.45:.1f}" '
                    f'text-anchor="middle" fill="{C["pad_ink"]}">0</text>'
                )
            elif g["reads"] and cell >= 16:
                ink = C["ink"]
                parts.append(
                    f'<text x="{x + cell / 2}" y="{y + cell * 0.68}" font-size="{cell * 0.42:.1f}" '
                    f'text-anchor="middle" fill="{ink}">{g["reads"]}</text>'
                )
            elif g["reads"] == 0 and layout["fits"]:
                m = cell * 0.25
                parts.append(
                    f'<path d="M{x + m} {y + m}L{x + cell - m} {y + cell - m}M{x + cell - m} {y + m}'
                    f'L{x + m} {y + cell - m}" stroke="{C["unread"]}" stroke-width="2"/>'
                )
    # the border of the real input, inside the padding ring
    parts.append(
        f'<rect x="{left + p[1] * cell}" y="{top + p[0] * cell}" width="{n[1] * cell}" '
        f'height="{n[0] * cell}" fill="none" stroke="{C["border"]}" stroke-width="2"/>'
    )
    if layout["fits"]:
        for r0 in layout["axes"][0]["starts"]:
            for c0 in layout["axes"][1]["starts"]:
                parts.append(
                    f'<circle cx="{left + c0 * cell + cell * 0.22}" cy="{top + r0 * cell + cell * 0.22}" '
                    f'r="{max(1.5, cell * 0.09):.1f}" fill="{C["anchor"]}"/>'
                )
        for r, c in layout["taps"]:
            parts.append(
                f'<rect x="{left + c * cell + 2}" y="{top + r * cell + 2}" width="{cell - 4}" '
                f'height="{cell - 4}" fill="{C["window"]}" fill-opacity="0.35"/>'
            )
        r0, c0, h, w = layout["box"]
        parts.append(
            f'<rect x="{left + c0 * cell}" y="{top + r0 * cell}" width="{w * cell}" height="{h * cell}" '
            f'fill="none" stroke="{C["window"]}" stroke-width="3"/>'
        )
        ox = left + cols * cell + gap
        parts.append(f'<text x="{ox}" y="18" font-size="13">output {oh}×{ow}</text>')
        parts.append(
            f'<text x="{ox - gap / 2}" y="{top + min(rows, oh) * cell / 2 + 5}" font-size="16" '
            f'text-anchor="middle">→</text>'
        )
        i, j = layout["window"]
        for a in range(oh):
            for b in range(ow):
                sel = (a, b) == (i, j)
                parts.append(
                    f'<rect x="{ox + b * cell}" y="{top + a * cell}" width="{cell}" height="{cell}" '
                    f'fill="{C["output_sel"] if sel else C["output"]}" fill-opacity="{0.6 if sel else 1}" '
                    f'stroke="{C["grid"]}" stroke-width="0.5"/>'
                )
    parts.append("</svg>")
    return "".join(parts)


def _mix(a, b, t):
    """Colour a blended toward colour b by t in [0, 1] ('#rrggbb' strings)."""
    ca = [int(a[i : i + 2], 16) for i in (1, 3, 5)]
    cb = [int(b[i : i + 2], 16) for i in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02x}" for x, y in zip(ca, cb))


def render_html(layout):
    """The SVG with its caption below it, as one HTML string."""
    caption = "".join(f"<div>{html.escape(line)}</div>" for line in layout["lines"])
    legend = (
        (
            "<div style='color:#555;font-size:90%'>Grey: zero padding. Blue: the input; the number in "
            "a cell is how many windows read it; red ×: no window reads it. Dots: where each window "
            "starts. Red: the highlighted window, its taps and its output.</div>"
        )
        if layout["fits"]
        else ""
    )
    return f"<div>{render_svg(layout)}<div style='margin-top:4px'>{caption}</div>{legend}</div>"


def explorer_svg(n, k, stride=1, padding=0, dilation=1, window=0):
    """Shortcut: the picture for these settings, as an SVG string."""
    return render_svg(explorer_layout(n, k, stride, padding, dilation, window))


def show_conv_arithmetic(n, k, stride=1, padding=0, dilation=1, window=0):
    """The picture and caption as an IPython HTML object (displays in a notebook and in the book)."""
    from IPython.display import HTML

    return HTML(render_html(explorer_layout(n, k, stride, padding, dilation, window)))


def conv_arithmetic_explorer(n=7, k=3, stride=1, padding=0, dilation=1):
    """Sliders for input size, kernel size, stride, padding and dilation (square, one value for
    both axes), plus a slider that picks which window to highlight; the picture and the output
    size update as they move. Returns an ipywidgets VBox."""
    import ipywidgets as W

    style = {"description_width": "70px"}
    sliders = {
        "n": W.IntSlider(value=n, min=1, max=12, description="input n", style=style),
        "k": W.IntSlider(value=k, min=1, max=7, description="kernel k", style=style),
        "stride": W.IntSlider(value=stride, min=1, max=5, description="stride s", style=style),
        "padding": W.IntSlider(value=padding, min=0, max=4, description="padding p", style=style),
        "dilation": W.IntSlider(value=dilation, min=1, max=3, description="dilation d", style=style),
    }
    window = W.IntSlider(value=0, min=0, max=0, description="window", style=style)
    view = W.HTML()

    def update(*_):
        values = {name: s.value for name, s in sliders.items()}
        layout = explorer_layout(**values, window=window.value)
        oh, ow = layout["out"]
        window.max = max(oh * ow - 1, 0)
        if layout["window"] is not None:
            i, j = layout["window"]
            window.description = f"window {i},{j}"
        view.value = render_html(explorer_layout(**values, window=window.value))

    for s in [*sliders.values(), window]:
        s.observe(update, names="value")
    update()
    controls = W.VBox(list(sliders.values()) + [window])
    from .explorer_js import with_browser_twin  # the same explorer in JavaScript, for pages with no kernel

    return with_browser_twin(W.VBox([controls, view]), {**sliders, "window": window}, view, COLOURS)
