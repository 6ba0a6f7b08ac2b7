"""Widgets that respond without a kernel: in Jupyter and Colab, and in the published book.

In Jupyter and Colab a widget built here is an ordinary ipywidget (a `VBox` of sliders and
menus above a view), driven by Python. A published page has no kernel to drive it, so each such
widget also carries a *browser twin*: the same controls as plain HTML, with a few lines of
inline JavaScript that make them respond, and no library, CDN or server behind them. The twin
travels as the `text/html` entry of the widget's display data, next to the ipywidget's own
entry. Jupyter, JupyterLab, Colab and VS Code show the ipywidget (their widget renderer ranks
above `text/html`); the book shows the twin (`nb_mime_priority_overrides` in `_config.yml`), and
so do the slides (book/_ext/slides.py). Anything that shows `text/html` and runs its scripts
gets a working widget; anything that shows it without scripts gets the first state.

There are two ways for a twin to respond, and a widget picks one:

- `interactive(render, controls)`: *precomputed*. `render(**values)` (Python) returns what to
  show for one setting of the controls: an HTML string, PNG bytes, a matplotlib figure, or any
  object with an HTML, SVG or PNG representation. When the widget is displayed, every setting
  is rendered once and stored in the twin; the browser only switches between the stored
  results. For widgets whose controls have few settings (a menu of kernels; a shift slider of a
  dozen steps), this needs no JavaScript at all, and the page shows exactly what Python drew.
- `scripted(widget, controls, renderer, script)`: *computed in the browser*. `script` is a
  JavaScript function `(values, view, ctx) => ...` that draws the view for one setting; the
  ipywidget stays whatever the author built. For widgets with too many settings to store (the
  conv-arithmetic explorer: input size x kernel x stride x padding x dilation).

Adopting it in a new widget:

    from cnn_course import kernelfree as kf

    def shifted_digit(shift):                  # any Python: returns a figure, HTML, PNG bytes
        ...
    kf.interactive(shifted_digit, {"shift": kf.IntSlider(min=-4, max=4, value=0)})

The book's browser tests (tests/test_browser.py) find every twin on every page, check that it
renders, and that moving its controls changes what it shows.
"""

import base64
import html
import io
import itertools
import json
import uuid
from dataclasses import dataclass

__all__ = ["Dropdown", "IntSlider", "interactive", "scripted", "as_html", "png_html", "KernelFreeMixin"]


# --- control specifications (the same fields as the ipywidgets of the same name) -----------


@dataclass
class Dropdown:
    """A menu. options: a list of values, or of (label, value) pairs, or a dict label -> value."""

    options: object
    value: object = None
    description: str = ""

    def pairs(self):
        opts = self.options.items() if isinstance(self.options, dict) else self.options
        return [tuple(o) if isinstance(o, (tuple, list)) else (str(o), o) for o in opts]

    def tokens(self):
        """The settings, as the twin names them (option indices)."""
        return list(range(len(self.pairs())))

    def initial_token(self):
        values = [v for _, v in self.pairs()]
        return values.index(self.value) if self.value is not None and self.value in values else 0

    def value_of(self, token):
        return self.pairs()[token][1]

    def widget(self, name):
        import ipywidgets as W

        pairs = self.pairs()
        return W.Dropdown(
            options=[(label, i) for i, (label, _) in enumerate(pairs)],
            value=self.initial_token(),
            description=self.description or name,
        )

    def spec(self, name):
        return {
            "name": name,
            "type": "select",
            "label": self.description or name,
            "options": [label for label, _ in self.pairs()],
            "value": self.initial_token(),
        }


@dataclass
class IntSlider:
    """An integer slider from min to max (both included) in steps of step."""

    min: int = 0
    max: int = 10
    value: int = None
    step: int = 1
    description: str = ""

    def tokens(self):
        return list(range(self.min, self.max + 1, self.step))

    def initial_token(self):
        return self.min if self.value is None else int(self.value)

    def value_of(self, token):
        return token

    def widget(self, name):
        import ipywidgets as W

        return W.IntSlider(
            min=self.min, max=self.max, step=self.step, value=self.initial_token(), description=self.description or name
        )

    def spec(self, name):
        return {
            "name": name,
            "type": "range",
            "label": self.description or name,
            "min": self.min,
            "max": self.max,
            "step": self.step,
            "value": self.initial_token(),
        }


def control_from_widget(w):
    """The specification of an existing ipywidget control (IntSlider, Dropdown and kin)."""
    import ipywidgets as W

    if isinstance(w, (W.IntSlider, W.BoundedIntText)):
        return IntSlider(min=w.min, max=w.max, value=w.value, step=w.step, description=w.description)
    if isinstance(w, (W.Dropdown, W.Select, W.ToggleButtons, W.RadioButtons, W.SelectionSlider)):
        return Dropdown(
            options=list(zip(w._options_labels, w._options_values)), value=w.value, description=w.description
        )
    raise TypeError(f"kernelfree cannot mirror a {type(w).__name__} in the browser yet: use an IntSlider or a Dropdown")


# --- turning what `render` returns into HTML -----------------------------------------------


def png_html(png, width=None, alt=""):
    """PNG bytes -> an <img> with the image inlined (the page needs no other file)."""
    src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
    size = f' width="{int(width)}"' if width else ""
    return f'<img src="{src}"{size} alt="{html.escape(alt)}" style="max-width:100%;height:auto">'


def as_html(obj):
    """What `render` returned, as an HTML fragment."""
    if isinstance(obj, str):
        return obj
    if isinstance(obj, (bytes, bytearray)):
        return png_html(bytes(obj))
    try:
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is always there in this course
        Figure = ()
    if isinstance(obj, Figure):
        import matplotlib.pyplot as plt

        buf = io.BytesIO()
        obj.savefig(buf, format="png", bbox_inches="tight", dpi=obj.dpi)
        plt.close(obj)
        return png_html(buf.getvalue())
    for method, wrap in [("_repr_html_", lambda x: x), ("_repr_svg_", lambda x: x), ("_repr_png_", png_html)]:
        if hasattr(obj, method):
            out = getattr(obj, method)()
            if out is not None:
                return wrap(out)
    return f"<pre>{html.escape(repr(obj))}</pre>"


# --- the twin: controls + view + the runtime, as one self-contained HTML fragment -----------

# One small runtime, repeated in every twin (it defines itself once per page). It builds no
# controls: they are in the HTML already, so a page without JavaScript shows the first setting.
RUNTIME_JS = r"""
(function () {
  var K = window.cnnKernelFree = window.cnnKernelFree || {renderers: {}};
  if (K.boot) return;
  K.boot = function (root) {
    if (!root || root.getAttribute('data-ready')) return;
    var spec = JSON.parse(root.querySelector('script.cnn-kf-spec').textContent);
    var view = root.querySelector('.cnn-kf-view');
    var inputs = {};
    root.querySelectorAll('[data-control]').forEach(function (el) { inputs[el.getAttribute('data-control')] = el; });
    var ctx = {controls: inputs, data: spec.data, root: root,
               setLabel: function (name, text) {
                 var l = root.querySelector('[data-label="' + name + '"]'); if (l) l.textContent = text; }};
    function values() {
      var v = {};
      spec.controls.forEach(function (c) { v[c.name] = parseInt(inputs[c.name].value, 10); });
      return v;
    }
    function show() {
      var v = values();
      var key = spec.controls.map(function (c) { return v[c.name]; }).join(',');
      if (spec.views) {
        view.innerHTML = spec.contents[spec.views[key]];
      } else {
        K.renderers[spec.renderer](v, view, ctx);
        key = spec.controls.map(function (c) { return inputs[c.name].value; }).join(',');
      }
      spec.controls.forEach(function (c) {      // after rendering: a renderer may move a control
        var out = root.querySelector('[data-readout="' + c.name + '"]');
        if (out) out.textContent = inputs[c.name].value;
      });
      root.setAttribute('data-state', key);
    }
    Object.keys(inputs).forEach(function (name) {
      inputs[name].addEventListener('input', show);
      inputs[name].addEventListener('change', show);
    });
    show();
    root.setAttribute('data-ready', '1');
  };
})();
"""

CSS = """
.cnn-kf{margin:.5em 0;font-family:var(--pst-font-family-base,sans-serif);font-size:14px}
.cnn-kf-controls{display:flex;flex-direction:column;gap:4px;margin-bottom:6px}
.cnn-kf-controls label{display:flex;align-items:center;gap:8px}
.cnn-kf-controls .cnn-kf-name{display:inline-block;min-width:90px;text-align:right}
.cnn-kf-controls input[type=range]{width:220px}
.cnn-kf-controls output{min-width:2em}
.cnn-kf-controls select{font:inherit;padding:1px 4px}
"""


def _control_html(c):
    name = html.escape(c["name"])
    label = f'<span class="cnn-kf-name" data-label="{name}">{html.escape(c["label"])}</span>'
    if c["type"] == "select":
        opts = "".join(
            f'<option value="{i}"{" selected" if i == c["value"] else ""}>{html.escape(o)}</option>'
            for i, o in enumerate(c["options"])
        )
        return f'<label>{label}<select data-control="{name}">{opts}</select></label>'
    return (
        f'<label>{label}<input type="range" data-control="{name}" min="{c["min"]}" max="{c["max"]}" '
        f'step="{c["step"]}" value="{c["value"]}"><output data-readout="{name}">{c["value"]}</output></label>'
    )


def twin_html(controls, spec, initial="", kind="", script=""):
    """The browser twin: controls (specs, in order), a view showing `initial`, the spec as JSON,
    and the scripts that make it respond. `script` is extra JavaScript run before it boots."""
    uid = "cnn-kf-" + uuid.uuid4().hex[:12]
    spec = {**spec, "controls": controls}
    body = json.dumps(spec, separators=(",", ":")).replace("</", "<\\/")
    return (
        f'<div class="cnn-kf" id="{uid}" data-kind="{html.escape(kind)}">'
        f"<style>{CSS}</style>"
        f'<div class="cnn-kf-controls">{"".join(_control_html(c) for c in controls)}</div>'
        f'<div class="cnn-kf-view">{initial}</div>'
        f'<script type="application/json" class="cnn-kf-spec">{body}</script>'
        f"<script>{RUNTIME_JS}{script}\nwindow.cnnKernelFree.boot(document.getElementById('{uid}'));</script>"
        "</div>"
    )


class KernelFreeMixin:
    """Adds the browser twin to a widget's display data (see the module's docstring)."""

    _kernel_free_twin = None  # a callable returning the twin's HTML

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if bundle is not None and self._kernel_free_twin is not None:
            bundle = dict(bundle)
            bundle["text/html"] = self._kernel_free_twin()
        return bundle


_TWIN_CLASSES = {}


def with_twin(widget, twin):
    """Give an existing ipywidget a browser twin (a callable returning HTML); returns the same object.

    The widget keeps its class's behaviour and API: its class is swapped for a subclass that
    only adds the twin to the display data."""
    cls = type(widget)
    if not isinstance(widget, KernelFreeMixin):
        if cls not in _TWIN_CLASSES:
            _TWIN_CLASSES[cls] = type(cls.__name__, (KernelFreeMixin, cls), {"__module__": cls.__module__})
        widget.__class__ = _TWIN_CLASSES[cls]
    widget._kernel_free_twin = twin
    return widget


def interactive(render, controls, *, max_states=600):
    """Controls over a view, like `ipywidgets.interactive`, that also respond without a kernel.

    render: function(**values) -> what to show (see `as_html`).
    controls: dict name -> Dropdown or IntSlider (this module's, or ipywidgets' own).
    max_states: the most settings to store in the twin; over that, use `scripted`.
    Returns an ipywidgets VBox (controls above an HTML view) that carries the twin.
    """
    import ipywidgets as W

    controls = {
        name: c if isinstance(c, (Dropdown, IntSlider)) else control_from_widget(c) for name, c in controls.items()
    }
    names = list(controls)
    count = 1
    for c in controls.values():
        count *= len(c.tokens())
    if count > max_states:
        raise ValueError(
            f"{count} settings are too many to precompute (max_states={max_states}): "
            "use fewer values or kernelfree.scripted"
        )
    cache = {}

    def view_for(tokens):
        if tokens not in cache:
            values = {n: controls[n].value_of(t) for n, t in zip(names, tokens)}
            cache[tokens] = as_html(render(**values))
        return cache[tokens]

    live = {n: c.widget(n) for n, c in controls.items()}
    view = W.HTML()

    def update(*_):
        view.value = view_for(tuple(live[n].value for n in names))

    for w in live.values():
        w.observe(update, names="value")
    update()

    def twin():
        contents, index, views = [], {}, {}
        for tokens in itertools.product(*(controls[n].tokens() for n in names)):
            page = view_for(tokens)
            if page not in index:
                index[page] = len(contents)
                contents.append(page)
            views[",".join(str(t) for t in tokens)] = index[page]
        initial = view_for(tuple(controls[n].initial_token() for n in names))
        return twin_html(
            [controls[n].spec(n) for n in names],
            {"views": views, "contents": contents},
            initial=initial,
            kind=getattr(render, "__name__", "interactive"),
        )

    return with_twin(W.VBox([W.VBox(list(live.values())), view]), twin)


def scripted(widget, controls, renderer, script, data=None, initial=""):
    """Give `widget` (any ipywidget) a twin whose view JavaScript computes in the browser.

    controls: dict name -> control (this module's Dropdown/IntSlider, or the live ipywidgets,
      whose current settings are copied); the twin shows them in this order.
    renderer: a name for the JavaScript function (also the twin's data-kind).
    script: JavaScript that defines `window.cnnKernelFree.renderers[renderer] = function (values,
      view, ctx) {...}`: values maps each control's name to its integer setting (a Dropdown's
      option index); view is the element to draw into; ctx.controls maps names to the input
      elements (a renderer may change their max), ctx.setLabel(name, text) relabels one,
      ctx.data is `data`.
    initial: HTML shown before the script runs (or if scripts are off), or a function returning it.
    """

    def twin():
        specs = []
        for name, c in controls.items():
            spec = c if isinstance(c, (Dropdown, IntSlider)) else control_from_widget(c)
            specs.append(spec.spec(name))
        first = initial() if callable(initial) else initial
        return twin_html(specs, {"renderer": renderer, "data": data}, initial=first, kind=renderer, script=script)

    return with_twin(widget, twin)
