"""Writes norms.safetensors for NormTests: vector norms, F.normalize, F.cosine_similarity and
F.pairwise_distance in float64, with the gradients of a weighted sum of each result.

Run from this directory with PyTorch and safetensors installed (checked with PyTorch 2.15):
    python make_norm_fixtures.py
"""

import torch
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(0)
x = torch.randn(4, 5, dtype=torch.float64)
x[2] = 0  # a zero row: the norm's gradient there is 0
x[3, 1] = x[3, 3] = -3.0  # a tie for the largest magnitude
y = torch.randn(4, 5, dtype=torch.float64)
out = {"x": x, "y": y}


def record(name, function, *inputs):
    inputs = [t.clone().requires_grad_() for t in inputs]
    result = function(*inputs)
    weights = torch.randn(result.shape, dtype=torch.float64)
    (result * weights).sum().backward()
    out[name] = result.detach()
    out[name + ".weights"] = weights
    for index, tensor in enumerate(inputs):
        # p = 0 leaves no gradient at all: it is zero.
        out[f"{name}.grad{index}"] = (
            tensor.grad if tensor.grad is not None else torch.zeros_like(tensor))


for p in [1, 2, 3, 0.5, float("inf")]:
    record(f"norm{p}", lambda t: torch.linalg.vector_norm(t, ord=p, dim=1), x)
record("norm2.all", lambda t: torch.linalg.vector_norm(t), x)
record("norm3.keep", lambda t: torch.linalg.vector_norm(t, ord=3, dim=0, keepdim=True), x)
record("normalize", lambda t: F.normalize(t, p=2, dim=1), x)
record("normalize1", lambda t: F.normalize(t, p=1, dim=0), x)
record("cosine", lambda a, b: F.cosine_similarity(a, b, dim=1), x[[0, 1, 3]], y[[0, 1, 3]])
record("cosine.broadcast", lambda a, b: F.cosine_similarity(a, b, dim=1), x[[0, 1, 3]], y[:1])
record("pairwise", lambda a, b: F.pairwise_distance(a, b), x, y)
record("pairwise3", lambda a, b: F.pairwise_distance(a, b, p=3, keepdim=True), x, y)
# The orders below 1 that PyTorch also takes: p = 0 counts nonzero elements; negative orders,
# which are 0 wherever an element is, and -inf, the smallest magnitude. Row 0 of z has a zero.
z = x.clone()
z[0, 2] = 0
out["z"] = z
for p in [0, -1, -2.5, float("-inf")]:
    record(f"norm{p}", lambda t: torch.linalg.vector_norm(t, ord=p, dim=1), z)
save_file(out, "norms.safetensors")
