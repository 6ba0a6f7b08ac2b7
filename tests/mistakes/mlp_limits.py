import numpy as np


def dense_forgets_bias(n_in, n_out, bias=True):
    return n_in * n_out


def dense_bias_per_input(n_in, n_out, bias=True):
    return n_in * n_out + (n_in if bias else 0)


def dense_ignores_bias_flag(n_in, n_out, bias=True):
    return n_in * n_out + n_out


def dense_one_bias(n_in, n_out, bias=True):
    return n_in * n_out + (1 if bias else 0)


def dense_returns_float(n_in, n_out, bias=True):
    return float(n_in * n_out + (n_out if bias else 0))


def _hw(kernel_size):
    return tuple(kernel_size) if np.ndim(kernel_size) else (kernel_size, kernel_size)


def conv_int_kernel_not_squared(c_in, c_out, kernel_size, bias=True):
    k = kernel_size if np.ndim(kernel_size) == 0 else kernel_size[0] * kernel_size[1]
    return c_out * c_in * k + (c_out if bias else 0)


def conv_pair_uses_kh_twice(c_in, c_out, kernel_size, bias=True):
    kh, _ = _hw(kernel_size)
    return c_out * c_in * kh * kh + (c_out if bias else 0)


def conv_forgets_input_channels(c_in, c_out, kernel_size, bias=True):
    kh, kw = _hw(kernel_size)
    return c_out * kh * kw + (c_out if bias else 0)


def conv_one_bias(c_in, c_out, kernel_size, bias=True):
    kh, kw = _hw(kernel_size)
    return c_out * c_in * kh * kw + (1 if bias else 0)


def conv_bias_per_input_channel(c_in, c_out, kernel_size, bias=True):
    kh, kw = _hw(kernel_size)
    return c_out * c_in * kh * kw + (c_in if bias else 0)


def conv_ignores_bias_flag(c_in, c_out, kernel_size, bias=True):
    kh, kw = _hw(kernel_size)
    return c_out * c_in * kh * kw + c_out


def permute_inverse(images, perm):
    x = np.asarray(images, dtype=float)
    flat = x.reshape(len(x), -1)
    out = np.empty_like(flat)
    out[:, perm] = flat  # scatter instead of gather
    return out.reshape(x.shape)


def permute_column_major(images, perm):
    x = np.asarray(images, dtype=float)
    N, H, W = x.shape
    flat = x.transpose(0, 2, 1).reshape(N, H * W)  # numbers pixels column by column
    return flat[:, perm].reshape(N, W, H).transpose(0, 2, 1)


def permute_returns_flat(images, perm):
    x = np.asarray(images, dtype=float)
    return x.reshape(len(x), -1)[:, perm]


def permute_whole_batch(images, perm):
    x = np.asarray(images, dtype=float)
    return x.reshape(-1)[perm].reshape(x.shape)  # one flat vector for all images


def permute_ignores_perm(images, perm):
    return np.array(images, dtype=float)


def permute_in_place(images, perm):
    flat = images.reshape(len(images), -1)
    flat[:] = flat[:, perm]
    return images


MISTAKES = [
    ("dense: no biases", "q1", {"dense_param_count": dense_forgets_bias}, "biases-missing"),
    ("dense: one bias per input", "q1", {"dense_param_count": dense_bias_per_input}, "bias-per-input"),
    ("dense: bias=False ignored", "q1", {"dense_param_count": dense_ignores_bias_flag}, "bias-flag-ignored"),
    ("dense: a single bias", "q1", {"dense_param_count": dense_one_bias}, "single-bias"),
    ("dense: returns a float", "q1", {"dense_param_count": dense_returns_float}, "count-float"),
    (
        "conv: int kernel_size not squared",
        "q2",
        {"conv_param_count": conv_int_kernel_not_squared},
        "kernel-size-not-squared",
    ),
    ("conv: (kh, kw) read as (kh, kh)", "q2", {"conv_param_count": conv_pair_uses_kh_twice}, "kernel-height-twice"),
    (
        "conv: input channels forgotten",
        "q2",
        {"conv_param_count": conv_forgets_input_channels},
        "input-channels-forgotten",
    ),
    ("conv: a single bias", "q2", {"conv_param_count": conv_one_bias}, "single-bias"),
    (
        "conv: one bias per input channel",
        "q2",
        {"conv_param_count": conv_bias_per_input_channel},
        "bias-per-input",
    ),
    ("conv: bias=False ignored", "q2", {"conv_param_count": conv_ignores_bias_flag}, "bias-flag-ignored"),
    ("permute: inverse permutation", "q3", {"permute_pixels": permute_inverse}, "permutation-inverted"),
    ("permute: column-major numbering", "q3", {"permute_pixels": permute_column_major}, "pixels-column-major"),
    ("permute: flattened output", "q3", {"permute_pixels": permute_returns_flat}, "output-flattened"),
    (
        "permute: one permutation over the whole batch",
        "q3",
        {"permute_pixels": permute_whole_batch},
        "permutation-over-batch",
    ),
    ("permute: perm ignored", "q3", {"permute_pixels": permute_ignores_perm}, "permutation-ignored"),
    ("permute: input changed in place", "q3", {"permute_pixels": permute_in_place}, "input-mutated"),
]
