"""Writes the fixtures the Nabla tests read, with the reference Python libraries.

Run from this directory with numpy and safetensors installed:

    python3 -m venv /tmp/stenv && /tmp/stenv/bin/pip install safetensors numpy
    /tmp/stenv/bin/python make_fixtures.py

It prints the numbers the tests expect (computed here with numpy).
"""

import numpy as np
from safetensors.numpy import save_file

# The state of torch.nn.Sequential(Linear(3, 4), ReLU(), Linear(4, 2)), from fixed numbers.
state = {
    "0.weight": ((np.arange(12, dtype=np.float32).reshape(4, 3) - 5.5) / 10),
    "0.bias": np.array([0.5, -0.25, 0.125, -1.0], dtype=np.float32),
    "2.weight": ((np.arange(8, dtype=np.float32).reshape(2, 4) - 3.0) / 4),
    "2.bias": np.array([0.75, -0.5], dtype=np.float32),
}
save_file(state, "sequential.safetensors")

mixed = {
    "doubles": np.array([[0.1, -2.5, 1e-300], [3.0, np.pi, -0.0]], dtype=np.float64),
    "labels": np.array([0, -3, 7, 2**40, -(2**62)], dtype=np.int64),
    "scalar": np.array(1.5, dtype=np.float32),
}
save_file(mixed, "mixed.safetensors", metadata={"source": "make_fixtures.py"})

np.save("matrix.npy", np.array([[1.0, -2.0, 0.5], [3.25, 0.0, -1e-3]], dtype=np.float32))
np.save("scalar.npy", np.array(np.e, dtype=np.float64))
np.save("labels.npy", np.array([4, -1, 2**53 + 1], dtype=np.int64))
np.save("empty.npy", np.zeros((0, 3), dtype=np.float32))


def forward(x):
    hidden = np.maximum(x @ state["0.weight"].T + state["0.bias"], 0)
    return hidden @ state["2.weight"].T + state["2.bias"]


x = np.array([[1.0, 2.0, 3.0], [-1.0, 0.5, -2.0]], dtype=np.float32)
np.set_printoptions(precision=9)
print("input:", x.ravel().tolist())
print("output:", forward(x).ravel().tolist())
