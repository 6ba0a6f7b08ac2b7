"""The static check for forbidden functions (checks.static), on cells given as text: what it
resolves, and what it refuses to follow in a graded function. (Through the real command and a
student's own check: tests/test_forbidden_agreement.py.)"""

from autograder.forbidden import forbidden_for
from checks.static import violations as static_violations

FORBIDDEN = forbidden_for("convolution")


def test_static_check_resolves_aliases():
    cells = [
        (1, "import torch.nn.functional as F\nfrom scipy import signal as s\n"),
        (2, "def helper(x, k):\n    return F.conv2d(x, k)\n"),
        (3, "def corr2d(x, k):\n    return helper(x, k)\n"),
        (4, "def convolve2d(x, k):\n    return s.convolve2d(x, k)\n"),
        (5, "print(F.conv2d)  # outside a graded function: allowed\n"),
    ]
    found = static_violations(cells, forbidden_for("convolution"), {"q1": ["corr2d"], "q2": ["convolve2d"]})
    assert "torch.nn.functional.conv2d" in found["q1"][0] and "helper" in found["q1"][0]
    assert "scipy.signal.convolve2d" in found["q2"][0]
    clean = static_violations(
        [(1, "import numpy as np\ndef corr2d(x, k):\n    return np.zeros(1)\n")],
        forbidden_for("convolution"),
        {"q1": ["corr2d"]},
    )
    assert clean == {}


def test_reflection_is_refused_in_a_graded_function():
    head = "import torch\nimport torch.nn.functional as F\n"
    for body, finding in [
        ("vars(F)['conv2d'](x, k)", "vars, which reaches functions by a name built at run time"),
        ("F.__dict__['conv2d'](x, k)", "__dict__, which reaches functions by a name built at run time"),
        ("globals()['F'].conv2d(x, k)", "globals, which reaches functions by a name built at run time"),
        ("__import__('operator').attrgetter('conv2d')(F)(x, k)", "operator.attrgetter, which reaches"),
    ]:
        cells = [(1, head + f"def corr2d(x, k):\n    return {body}\n")]
        found = static_violations(cells, FORBIDDEN, {"q1": ["corr2d"]})
        assert finding in found.get("q1", [""])[0], (body, found)
    off = "from torch.utils._python_dispatch import _disable_current_modes\n"
    cells = [(1, off + "def corr2d(x, k):\n    with _disable_current_modes():\n        return x\n")]
    assert "turns off the dispatch modes" in static_violations(cells, FORBIDDEN, {"q1": ["corr2d"]})["q1"][0]


def test_a_name_set_at_the_top_level_carries_what_it_holds():
    cells = [
        (1, "import functools\nimport torch.nn.functional as F\n"),
        (1, "_c = functools.partial(F.conv2d)\npair = (F.conv2d, 1)\n"),
        (2, "def corr2d(x, k):\n    return _c(x, k)\n"),
        (3, "def convolve2d(x, k):\n    return pair[0](x, k)\n"),
    ]
    found = static_violations(cells, FORBIDDEN, {"q1": ["corr2d"], "q2": ["convolve2d"]})
    assert "torch.nn.functional.conv2d, which this exercise forbids (through _c, set at the top level" in found["q1"][0]
    assert "(through pair, set at the top level" in found["q2"][0]


def test_a_local_variable_named_like_a_top_level_one_is_its_own():
    # `out` computed with F.conv2d outside the function (to compare, say) and a local `out` inside
    cells = [
        (1, "import torch\nimport torch.nn.functional as F\n"),
        (1, "out = F.conv2d(torch.ones(1, 1, 3, 3), torch.ones(1, 1, 2, 2))\n"),
        (2, "def corr2d(image, kernel):\n    out = image[:1, :1] * 0\n    return out\n"),
    ]
    assert static_violations(cells, FORBIDDEN, {"q1": ["corr2d"]}) == {}


def test_a_name_bound_by_any_top_level_statement_carries_what_it_holds():
    head = (1, "import contextlib\nimport torch.nn.functional as F\n")
    for binding in [
        "for _f in [F.conv2d]:\n    pass\n",
        "if True:\n    _f = F.conv2d\n",
        "with contextlib.nullcontext(F.conv2d) as _f:\n    pass\n",
        "_f = None\n_f = _f or F.conv2d\n",
        "print(_f := F.conv2d)\n",
        "try:\n    _f = F.conv2d\nexcept Exception:\n    pass\n",
    ]:
        cells = [head, (2, binding), (3, "def corr2d(x, k):\n    return _f(x, k)\n")]
        found = static_violations(cells, FORBIDDEN, {"q1": ["corr2d"]})
        assert "torch.nn.functional.conv2d" in found.get("q1", [""])[0], (binding, found)
    # what a function or a class binds inside itself is its own
    cells = [head, (2, "def helper():\n    _g = F.conv2d\n    return 1\n"), (3, "def corr2d(x, k):\n    return _g\n")]
    assert static_violations(cells, FORBIDDEN, {"q1": ["corr2d"]}) == {}
