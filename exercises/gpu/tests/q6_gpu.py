from otter.test_files import test_case

OK_FORMAT = False

name = "q6_gpu"
points = 2

@test_case(points=None, hidden=False)
def test_waits_for_the_gpu(benchmark, conv2d_torch):
    from exercise_checks import require_gpu
    require_gpu()
    import torch
    from exercise_checks import expect_timer_waits_for_gpu
    gen = torch.Generator(device='cuda').manual_seed(440)
    w = torch.rand(64, 64, 3, 3, device='cuda', generator=gen) - 0.5
    small = torch.rand(8, 64, 56, 56, device='cuda', generator=gen) - 0.5
    large = torch.rand(64, 64, 56, 56, device='cuda', generator=gen) - 0.5
    expect_timer_waits_for_gpu(benchmark, conv2d_torch, small, large, w, stride=1, padding=1)

