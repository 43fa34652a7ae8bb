"""Writes interpolation.safetensors for InterpolationTests: F.interpolate in the modes nearest,
nearest-exact, linear, bilinear and bicubic, with scale factors (among them ones that keep an
axis's size or double it, which PyTorch's kernels treat apart) and sizes, with and without
align_corners, in float64 with the gradients of a weighted sum, and in float32 (values only).

The gradient kept is that of the values PyTorch returns: the adjoint of its forward map, found
by running the forward on every unit input. Where PyTorch's own backward differs from it (its
nearest backward always copies a kept axis and halves on a doubled one, while its 1-D forward,
and its 2-D forward when the output height plus width passes 128, use the scale), the case gets
a `<name>.backward.differs` entry with PyTorch's backward gradient, so the test can say which
cases those are.

Run from this directory with PyTorch and safetensors installed (checked with PyTorch 2.15):
    python make_interpolation_fixtures.py
"""

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(0)
out = {}

# name: (input shape, keyword arguments of F.interpolate)
cases = {
    "nearest.issue": ([1, 1, 2, 4], dict(scale_factor=1.3, mode="nearest")),
    "nearest.2d.double": ([1, 2, 3, 5], dict(scale_factor=(2.1, 1.7), mode="nearest")),
    "nearest.2d.keep": ([1, 1, 4, 5], dict(scale_factor=(1.1, 2.05), mode="nearest")),
    "nearest.1d.keep": ([1, 2, 4], dict(scale_factor=1.1, mode="nearest")),
    "nearest.1d.double": ([1, 2, 3], dict(scale_factor=2.1, mode="nearest")),
    "nearest.2d.shrink": ([1, 1, 7, 9], dict(scale_factor=(0.6, 0.45), mode="nearest")),
    "nearest.2d.128": ([1, 1, 40, 88], dict(scale_factor=(1.02, 1.01), mode="nearest")),
    "nearest.2d.129": ([1, 1, 40, 89], dict(scale_factor=(1.02, 1.01), mode="nearest")),
    "nearest.2d.157.double": ([1, 1, 20, 90], dict(scale_factor=(2.04, 1.3), mode="nearest")),
    "exact.1d": ([2, 1, 5], dict(scale_factor=1.7, mode="nearest-exact")),
    "exact.1d.size": ([1, 2, 7], dict(size=4, mode="nearest-exact")),
    "exact.2d": ([1, 2, 3, 4], dict(scale_factor=(2.1, 1.3), mode="nearest-exact")),
    "exact.2d.size": ([1, 1, 5, 3], dict(size=(3, 7), mode="nearest-exact")),
    "linear.keep": ([1, 2, 4], dict(scale_factor=1.1, mode="linear")),
    "bilinear.keep": ([1, 1, 3, 4], dict(scale_factor=(1.2, 1.6), mode="bilinear")),
    "bilinear.issue": ([1, 1, 2, 4], dict(scale_factor=1.3, mode="bilinear")),
    "bicubic": ([1, 2, 4, 5], dict(scale_factor=1.7, mode="bicubic")),
    "bicubic.keep": ([1, 1, 3, 4], dict(scale_factor=(1.2, 1.6), mode="bicubic")),
    "bicubic.size": ([2, 1, 3, 4], dict(size=(5, 7), mode="bicubic")),
    "bicubic.corners": ([1, 1, 3, 4], dict(size=(6, 5), mode="bicubic", align_corners=True)),
    "bicubic.shrink": ([1, 1, 8, 9], dict(scale_factor=(0.5, 0.35), mode="bicubic")),
}
for name, (shape, options) in cases.items():
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    result = F.interpolate(x, **options)
    weights = torch.randn(result.shape, dtype=torch.float64)
    (result * weights).sum().backward()
    units = torch.eye(x.numel(), dtype=torch.float64).reshape([x.numel()] + shape)
    forward_map = torch.stack([F.interpolate(u, **options).flatten() for u in units], 1)
    adjoint = (forward_map.T @ weights.flatten()).reshape(shape)
    out[name + ".input0"] = x.detach()
    out[name] = result.detach()
    out[name + ".weights"] = weights
    out[name + ".grad0"] = adjoint
    if not torch.allclose(adjoint, x.grad, rtol=0, atol=1e-12):
        out[name + ".backward.differs"] = x.grad
    single = x.detach().float()
    out[name + ".float32.input"] = single
    out[name + ".float32"] = F.interpolate(single, **options)
save_file(out, "interpolation.safetensors")
