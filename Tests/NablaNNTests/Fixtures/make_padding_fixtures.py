"""Writes padding.safetensors for PaddingTests: F.pad in every mode (negative amounts too) and
convolutions with padding_mode and padding='same', in float64, with the gradients of a weighted
sum of each result with respect to the inputs and the layer's parameters.

Run from this directory with PyTorch and safetensors installed (checked with PyTorch 2.15):
    python make_padding_fixtures.py
"""

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save_file

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
out = {}


def record(name, function, *inputs, module=None):
    """Keeps the inputs, the result, the weights of the weighted sum and every gradient."""
    inputs = [t.clone().requires_grad_() for t in inputs]
    result = function(*inputs)
    weights = torch.randn(result.shape)
    (result * weights).sum().backward()
    out[name] = result.detach()
    out[name + ".weights"] = weights
    for index, tensor in enumerate(inputs):
        out[f"{name}.input{index}"] = tensor.detach()
        out[f"{name}.grad{index}"] = tensor.grad
    for key, parameter in (module.named_parameters() if module else []):
        out[f"{name}.{key}"] = parameter.detach().clone()
        out[f"{name}.{key}.grad"] = parameter.grad


signal = torch.randn(2, 3, 5)
image = torch.randn(2, 2, 4, 5)
volume = torch.randn(1, 2, 3, 4, 5)
for mode in ["reflect", "replicate", "circular"]:
    record(f"{mode}.1d", lambda t: F.pad(t, (2, 3), mode=mode), signal)
    record(f"{mode}.1d.negative", lambda t: F.pad(t, (-1, 2), mode=mode), signal)
    record(f"{mode}.2d", lambda t: F.pad(t, (1, 2, 3, 1), mode=mode), image)
    record(f"{mode}.3d", lambda t: F.pad(t, (1, 0, 2, 1, 1, 2), mode=mode), volume)
record("constant.2d", lambda t: F.pad(t, (1, -2, -1, 2), value=0.5), image)

layers = {
    "conv1d.reflect": nn.Conv1d(3, 4, 3, padding=2, padding_mode="reflect"),
    "conv1d.replicate": nn.Conv1d(3, 4, 4, stride=2, padding=3, padding_mode="replicate"),
    "conv1d.circular.same": nn.Conv1d(3, 2, 4, padding="same", padding_mode="circular"),
    "conv1d.zeros.same": nn.Conv1d(3, 2, 4, dilation=2, padding="same", bias=False),
    "conv2d.reflect": nn.Conv2d(2, 3, 3, stride=2, padding=1, padding_mode="reflect"),
    "conv2d.circular": nn.Conv2d(2, 2, (2, 3), padding=(1, 2), padding_mode="circular"),
    "conv2d.replicate.same": nn.Conv2d(2, 2, (2, 4), padding="same", padding_mode="replicate"),
}
for name, layer in layers.items():
    record(name, layer, signal if name.startswith("conv1d") else image, module=layer)
save_file(out, "padding.safetensors")
