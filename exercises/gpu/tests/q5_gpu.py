from otter.test_files import test_case

OK_FORMAT = False

name = "q5_gpu"
points = 4

@test_case(points=None, hidden=False)
def test_runs_on_the_gpu_in_float32(conv2d_torch):
    from exercise_checks import require_gpu
    require_gpu()
    import numpy as np
    from exercise_checks import check_conv2d_torch, random_array
    rng = np.random.default_rng(940)
    x, w, b = (random_array(rng, 4, 8, 20, 18), random_array(rng, 16, 8, 3, 3), random_array(rng, 16))
    check_conv2d_torch(conv2d_torch, x, w, b, stride=1, padding=1, device='cuda', dtype='float32')
    check_conv2d_torch(conv2d_torch, x, w, None, stride=(2, 1), padding=(0, 2), device='cuda', dtype='float32')

@test_case(points=None, hidden=False)
def test_within_10x_of_conv2d_on_the_gpu(conv2d_torch):
    from exercise_checks import require_gpu
    require_gpu()
    import torch
    import torch.nn.functional as F
    from exercise_checks import alternating_medians, float32_mode
    gen = torch.Generator(device='cuda').manual_seed(1070)
    x = torch.rand(16, 64, 56, 56, device='cuda', generator=gen) * 2 - 1
    w = torch.rand(64, 64, 3, 3, device='cuda', generator=gen) * 2 - 1
    with float32_mode(tf32=False):
        builtin, yours = alternating_medians([lambda: F.conv2d(x, w, None, 1, 1), lambda: conv2d_torch(x, w, None, 1, 1)], repeats=10, warmup=3)
    if yours > 10 * builtin:
        raise AssertionError(f'conv2d_torch(x (16, 64, 56, 56) float32 on {x.device}, w (64, 64, 3, 3), padding=1) took {yours * 1000.0:.2f} ms, {yours / builtin:.1f} times as long as F.conv2d ({builtin * 1000.0:.2f} ms); at most 10 times is expected: unfold and one matmul, on the GPU, with no Python loop over pixels')

