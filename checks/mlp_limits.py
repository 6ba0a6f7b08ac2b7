"""Checks of the Limits of fully connected networks exercise: parameter counts and pixel permutations."""

import numpy as np

from .core import expect_array, result_array, run_student, same

FORBIDDEN = []

MISTAKES = {
    "biases-missing": ("the biases not counted", ["biases are missing"]),
    "bias-per-input": ("one bias per input, not per output", ["not one per input"]),
    "bias-flag-ignored": ("bias=False ignored", ["with bias=False the layer has no biases", "only when bias=True"]),
    "single-bias": ("one bias for the whole layer", ["not one in all"]),
    "count-float": ("a parameter count that is a float", ["return an int"]),
    "kernel-size-not-squared": ("an int kernel_size k taken as k weights, not k x k", ["an int kernel_size="]),
    "kernel-height-twice": ("(kh, kw) read as (kh, kh)", ["kh was used twice"]),
    "input-channels-forgotten": ("the input channels left out of the weights", ["spans all c_in input channels"]),
    "permutation-inverted": ("the inverse permutation applied", ["applies the inverse permutation"]),
    "pixels-column-major": ("pixels numbered column by column", ["numbers the pixels column by column"]),
    "output-flattened": ("the flattened images returned", ["reshape the result back"]),
    "permutation-over-batch": ("one permutation over the whole batch", ["apply the same perm to each image"]),
    "permutation-ignored": ("perm ignored", ["returned the images unchanged"]),
}


def check_count(fn, call, args, expected, mistakes=(), **kwargs):
    """fn(*args, **kwargs) must return the whole number `expected`, as an int.

    mistakes: (wrong value, explanation) pairs: a result equal to a wrong value fails with
    its explanation, so the student learns what was counted wrongly.
    """
    got = run_student(fn, call, args, kwargs)
    if got is None:
        raise AssertionError(f"{call} returned None: is there a `return` at the end of your function?")
    if isinstance(got, (bool, np.bool_)) or not isinstance(got, (int, np.integer, float, np.floating)):
        raise AssertionError(f"{call} returned {got!r} ({type(got).__name__}); expected the int {expected:,}")
    if isinstance(got, (float, np.floating)):
        if float(got) == expected:
            raise AssertionError(
                f"{call} returned {got!r}, a float; a count is a whole number: "
                f"return an int (use * and //, not /, or wrap the result in int(...))"
            )
        raise AssertionError(f"{call} returned the float {got!r}; expected the int {expected:,}")
    got = int(got)
    if got != expected:
        for value, why in mistakes:
            if value != expected and got == value:
                raise AssertionError(f"{call} returned {got:,}; expected {expected:,}: {why}")
        raise AssertionError(f"{call} returned {got:,}; expected {expected:,}")


def check_permute_pixels(permute_pixels, images, perm, call=None):
    """permute_pixels(images, perm) must give out[n].ravel()[i] == images[n].ravel()[perm[i]]."""
    x = np.asarray(images, dtype=float)
    N, H, W = x.shape
    perm = np.asarray(perm)
    call = call or f"permute_pixels(images {x.shape}, perm of {perm.size} indices)"
    expected = x.reshape(N, H * W)[:, perm].reshape(N, H, W)
    one_image = [
        (
            ValueError,
            ("reshape", "size"),
            "perm numbers the H * W pixels of one image: apply the same perm to each image",
        )
    ]
    got = result_array(run_student(permute_pixels, call, (images, perm), notes=one_image), call)
    if got.shape == (N, H * W):
        raise AssertionError(
            f"{call} returned shape {got.shape}, the flattened images; "
            f"reshape the result back to the shape of the input, {x.shape}"
        )
    if same(got, expected):
        return
    inverse = np.empty_like(x.reshape(N, H * W))
    inverse[:, perm] = x.reshape(N, H * W)
    column_major = x.transpose(0, 2, 1).reshape(N, H * W)[:, perm].reshape(N, W, H).transpose(0, 2, 1)
    if same(got, inverse.reshape(N, H, W)):
        raise AssertionError(
            f"{call} applies the inverse permutation: pixel i of the output must be "
            f"pixel perm[i] of the input (out_flat = x_flat[perm]), not the other way round "
            f"(out_flat[perm] = x_flat)"
        )
    if H != W and same(got, column_major):
        raise AssertionError(
            f"{call} numbers the pixels column by column; the flat index of pixel "
            f"(r, c) is r * W + c, as image.ravel() and reshape do (row by row)"
        )
    if same(got, x):
        raise AssertionError(f"{call} returned the images unchanged; this perm is not the identity")
    expect_array(got, expected, call)
