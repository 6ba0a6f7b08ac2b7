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
    from exercise_checks import expect_near_builtin_speed
    gen = torch.Generator(device='cuda').manual_seed(1070)
    x = torch.rand(16, 64, 56, 56, device='cuda', generator=gen) * 2 - 1
    w = torch.rand(64, 64, 3, 3, device='cuda', generator=gen) * 2 - 1
    expect_near_builtin_speed(conv2d_torch, x, w, None, 1, 1, limit=10)

