"""Writes the fixtures of DTypeTests: PyTorch's conversions between element types, saved with
the safetensors package, and NumPy arrays of each dtype NumPy has, little- and big-endian.

Run from this directory with PyTorch, safetensors and NumPy installed (checked with PyTorch 2.15):
    python make_dtype_fixtures.py
"""

import math
import os

import numpy as np
import torch
from safetensors.torch import save_file

out = "dtypes"
torch.manual_seed(0)

# Values that exercise rounding: ties at half precision, overflow to infinity, subnormals, NaN.
special = [0.0, -0.0, 1.0, -2.5, 65504.0, 65519.99, 65520.0, 1e6, -1e6, 6.1e-5, 5.96e-8, 2.98e-8,
           1e-10, 1.0009765625, 1.00048828125, 1.00146484375, 3.140625, 1.00390625, 1.005859375,
           3.4e38, -3.4e38, 1e39, math.inf, -math.inf, math.nan, 0.1, -0.3, 1 / 3]
source = torch.cat([torch.tensor(special, dtype=torch.float64), torch.randn(200, dtype=torch.float64) * 100])
small = torch.cat([torch.tensor([-0.5, 0.5, -0.99, 127.9, -128.9, 0.0, -0.0, math.nan, 255.9]),
                   torch.rand(100, dtype=torch.float64) * 250 - 120]).double()
integers = torch.tensor([0, 1, -1, 127, 128, -129, 255, 256, 2049, 2**24 + 1, 2**31, -2**31 - 1,
                         2**53 + 1, 2**62 + 2**40 + 1, -2**63, 2**63 - 1], dtype=torch.int64)
tensors = {"source": source, "small": small, "integers": integers}
for name, dtype in [("float16", torch.float16), ("bfloat16", torch.bfloat16), ("float32", torch.float32)]:
    tensors[f"source.{name}"] = source.to(dtype)
    tensors[f"source.float32.{name}"] = source.float().to(dtype)
    tensors[f"integers.{name}"] = integers.to(dtype)
for name, dtype in [("int32", torch.int32), ("int8", torch.int8), ("bool", torch.bool)]:
    tensors[f"small.{name}"] = small.nan_to_num(0.0).to(dtype) if dtype != torch.bool else small.to(dtype)
    tensors[f"integers.{name}"] = integers.to(dtype)
tensors["small.abs.uint8"] = small.nan_to_num(0.0).abs().to(torch.uint8)
tensors["small.abs"] = small.nan_to_num(0.0).abs()
tensors["integers.uint8"] = integers.to(torch.uint8)
# Back from the half-precision types, exactly.
tensors["source.float16.float64"] = tensors["source.float16"].double()
tensors["source.bfloat16.float64"] = tensors["source.bfloat16"].double()
save_file(tensors, os.path.join(out, "conversions.safetensors"))

values = np.array([[1.5, -2.25, 0.0], [65504.0, -0.0, 3.0]])
for descr in ["<f2", ">f2", ">f4", ">f8", "<i4", ">i4", ">i8", "|u1", "|i1", "|b1"]:
    array = values.astype(np.dtype(descr)) if descr[1] != "b" else values != 0
    np.save(os.path.join(out, descr[1:] + ("_big" if descr[0] == ">" else "") + ".npy"), array)
