"""Writes sorting.safetensors for SortingTests: torch.sort, torch.argsort and torch.topk along
axes 1 and 0, in float64, with the gradients of a weighted sum of the sorted values, and sorts of
the storage dtypes (int64, int32, uint8, int8, bool, float16, bfloat16).

Each float case `<name>` keeps its input under `<name>.input0`, the values under `<name>`, the
int64 indices under `<name>.indices`, the weights of the weighted sum under `<name>.weights` and
the input's gradient under `<name>.grad0`. `x` has ties (within rows and within columns, and
-0.0 beside 0.0); `y` has none. Sorts are stable (stable=True), the order Nabla gives; on the CPU
PyTorch's default sort gives the same order. `topk.ties[.smallest]` keep the values and indices
of topk of `x`, whose tied elements PyTorch returns in an order of its own (see SortingTests).

Each storage dtype keeps its input under `dtype.<type>`, the values and indices of its sorts
along axis 1 under `dtype.<type>[.descending].values` and `.indices`, and those of topk with
k=2 under `dtype.<type>.topk.values` and `.indices` (not for bool, which PyTorch's topk refuses).

Run from this directory with PyTorch and safetensors installed (checked with PyTorch 2.15):
    python make_sorting_fixtures.py
"""

import torch
from safetensors.torch import save_file

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
x = torch.tensor(
    [
        [0.5, -1.25, 0.5, 2.0, -1.25, 0.5],
        [3.0, 1.0, -2.0, 1.0, 0.0, -0.0],
        [0.5, 0.75, -0.5, 2.0, 1.0, -3.0],
        [1.5, 1.0, 1.0, 1.0, 1.0, 1.0],
    ]
)
y = torch.randn(4, 6)
out = {}


def record(name, function, input):
    """Keeps the input, the values and indices, the weights of the weighted sum and the gradient."""
    input = input.clone().requires_grad_()
    values, indices = function(input)
    weights = torch.randn(values.shape)
    (values * weights).sum().backward()
    out[name] = values.detach()
    out[name + ".indices"] = indices
    out[name + ".weights"] = weights
    out[name + ".input0"] = input.detach()
    out[name + ".grad0"] = input.grad


for tensor, label in [(x, "x"), (y, "y")]:
    for dim in [1, 0]:
        record(f"sort.{label}.axis{dim}", lambda t: torch.sort(t, dim=dim, stable=True), tensor)
        record(
            f"sort.{label}.axis{dim}.descending",
            lambda t: torch.sort(t, dim=dim, descending=True, stable=True),
            tensor,
        )
out["argsort.x.axis1"] = torch.argsort(x, dim=1, stable=True)
out["argsort.x.axis0.descending"] = torch.argsort(x, dim=0, descending=True, stable=True)
out["argsort.x"] = x

record("topk.largest", lambda t: torch.topk(t, 3, dim=1), y)
record("topk.smallest", lambda t: torch.topk(t, 3, dim=1, largest=False), y)
record("topk.axis0", lambda t: torch.topk(t, 3, dim=0), y)
record("topk.smallest.axis0", lambda t: torch.topk(t, 2, dim=0, largest=False), y)
for largest in [True, False]:
    name = "topk.ties" + ("" if largest else ".smallest")
    out[name], out[name + ".indices"] = torch.topk(x, 3, dim=1, largest=largest)

values = torch.tensor([[3, 1, 2, 1, 0], [7, 7, 2, 9, 2], [1, 0, 0, 1, 5]])
for dtype in [torch.int64, torch.int32, torch.uint8, torch.int8, torch.bool]:
    typed = values.to(dtype)
    if dtype == torch.int8:
        typed = typed - 4  # negatives too
    out[f"dtype.{dtype}".replace("torch.", "")] = typed
halves = torch.tensor([[0.1, -2.5, 0.1, 65504.0, -0.0], [1e-3, 3.0, 1e-3, -3.0, 0.0]])
for dtype in [torch.float16, torch.bfloat16]:
    out[f"dtype.{dtype}".replace("torch.", "")] = halves.to(dtype)
for key in [key for key in out if key.startswith("dtype.")]:
    for descending in [False, True]:
        name = key + (".descending" if descending else "")
        sorted_values, indices = torch.sort(out[key], dim=1, descending=descending, stable=True)
        out[name + ".values"] = sorted_values
        out[name + ".indices"] = indices
    if key != "dtype.bool":  # topk does not support bool on the CPU
        out[key + ".topk.values"], out[key + ".topk.indices"] = torch.topk(out[key], 2, dim=1)
save_file(out, "sorting.safetensors")
