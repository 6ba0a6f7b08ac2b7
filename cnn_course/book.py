"""Numbers computed on a page, for the page's prose.

In the built book, `glue(name, value)` stores a value that the text shows with
{glue:text}`name:.1%` (myst-nb), so that no number in the prose is typed by hand. Where myst-nb
is not installed (Colab, a plain Jupyter), nothing is stored: the cells print the same numbers.
"""


def glue(name, value):
    """Store `value` under `name` for the page's text (in the book build). Returns None, so
    that a cell ending with glue(...) shows nothing."""
    try:
        from myst_nb import glue as _glue
    except ImportError:
        return
    import numpy as np

    if isinstance(value, np.generic):  # numpy 2 writes np.float64(0.5), which {glue:text} cannot format
        value = value.item()
    _glue(name, value, display=False)
