"""Writes the torch.save fixtures that PyTorchFileTests reads, and expected.json with their values.

Run from this directory with PyTorch installed (checked with 2.15):
    python make_pytorch_files.py
"""

import json
import os

import torch

torch.manual_seed(0)
out = "pytorch"
expected = {}


def record(name, tensor):
    """Keeps a tensor's dtype, shape and values (row-major) for the Swift test."""
    expected[name] = {
        "dtype": str(tensor.dtype).removeprefix("torch."),
        "shape": list(tensor.shape),
        "values": tensor.detach().contiguous().flatten().double().tolist(),
    }


class Model(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = torch.nn.Linear(3, 4)
        self.conv = torch.nn.Conv1d(2, 3, 3)
        self.lstm = torch.nn.LSTM(3, 5)
        self.norm = torch.nn.BatchNorm1d(3)


model = Model()
model.norm(torch.randn(6, 3))  # running statistics and num_batches_tracked move off their defaults
state = model.state_dict()
torch.save(state, os.path.join(out, "model.pt"))
for key, value in state.items():
    record("model/" + key, value)

# A training checkpoint: the model, an optimizer's state, and plain values.
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
model.linear(torch.randn(2, 3)).sum().backward()
optimizer.step()
checkpoint = {
    "model": model.state_dict(),
    "optimizer": optimizer.state_dict(),
    "epoch": 3,
    "loss": 0.25,
    "name": "run-7",
    "flags": (True, False, None),
    "big": 2**40,
    "negative": -5,
    "ids": torch.tensor([4, 0, 2]),
    "scalar": torch.tensor(2.5, dtype=torch.float64),
    "empty": torch.zeros(0, 3),
}
torch.save(checkpoint, os.path.join(out, "checkpoint.pt"))
record("checkpoint/model/linear.weight", model.linear.weight)
record("checkpoint/momentum0", optimizer.state_dict()["state"][0]["momentum_buffer"])
for key in ["ids", "scalar", "empty"]:
    record("checkpoint/" + key, checkpoint[key])

# Views: a transposed matrix, a slice with a storage offset and a step, and one storage shared by
# three tensors (saved once).
base = torch.arange(24, dtype=torch.float32).reshape(4, 6)
views = {
    "transposed": base.t(),
    "sliced": base[1:, ::2],
    "shared_a": base,
    "shared_b": base.flatten()[5:11],
    "shared_c": base.view(2, 12),
}
torch.save(views, os.path.join(out, "views.pt"))
for key, value in views.items():
    record("views/" + key, value)

# Every storage type Nabla holds, and one it does not (int16), which the reader refuses.
dtypes = {
    "linear": torch.nn.Linear(2, 2).to(torch.bfloat16).state_dict(),
    "half": torch.randn(3, 2).half().t(),
    "ids": torch.tensor([[1, -2], [70000, 3]], dtype=torch.int32),
    "pixels": torch.tensor([0, 17, 255], dtype=torch.uint8),
    "signed": torch.tensor([-128, 5, 127], dtype=torch.int8),
    "mask": torch.tensor([True, False, True]),
}
torch.save(dtypes, os.path.join(out, "dtypes.pt"))
for key in ["half", "ids", "pixels", "signed", "mask"]:
    record("dtypes/" + key, dtypes[key])
for key, value in dtypes["linear"].items():
    record("dtypes/linear." + key, value)
torch.save({"weight": torch.ones(2, 2, dtype=torch.int16)}, os.path.join(out, "int16.pt"))


class Exploit:
    def __reduce__(self):
        return (os.system, ("echo loaded-code-ran",))


class Thing:
    pass


torch.save({"weight": torch.ones(2), "payload": Exploit()}, os.path.join(out, "os_system.pt"))
torch.save({"weight": torch.ones(2), "thing": Thing()}, os.path.join(out, "unknown_global.pt"))
with open(os.path.join(out, "model.pt"), "rb") as f:
    data = f.read()
with open(os.path.join(out, "truncated.pt"), "wb") as f:
    f.write(data[: len(data) // 2])

with open(os.path.join(out, "expected.json"), "w") as f:
    json.dump(expected, f, indent=1, sort_keys=True)
