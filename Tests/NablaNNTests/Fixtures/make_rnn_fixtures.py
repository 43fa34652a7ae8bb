"""Writes recurrent.safetensors, the fixture of RecurrentFixtureTests.

THE REFERENCE HERE IS NUMPY, NOT PYTORCH. PyTorch is not installed on the machines this project
is built on, so this script implements the equations PyTorch documents for torch.nn.RNN,
torch.nn.LSTM and torch.nn.GRU (https://pytorch.org/docs/stable/generated/torch.nn.LSTM.html and
the GRU and RNN pages) in NumPy, in float64, and stores, under PyTorch's state-dict names, the
weights, the inputs and the outputs it computes:

    LSTM: i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)     f = sigmoid(W_if x + b_if + W_hf h + b_hf)
          g = tanh(W_ig x + b_ig + W_hg h + b_hg)        o = sigmoid(W_io x + b_io + W_ho h + b_ho)
          c' = f * c + i * g                            h' = o * tanh(c')
    GRU:  r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)     z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
          n = tanh(W_in x + b_in + r * (W_hn h + b_hn))  h' = (1 - z) * n + z * h
    RNN:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)

with weight_ih_l{k}[_reverse] = [W_i*; ...] stacked in the gate order above (LSTM i, f, g, o; GRU
r, z, n), layer k > 0 reading the concatenated outputs of layer k - 1, the reverse direction
running from the last step to the first, and h_n / c_n indexed by layer * directions + direction.
For the "packed" outputs, each batch element is run alone over its first `lengths[b]` steps, as
torch.nn.utils.rnn.pack_padded_sequence does, and the outputs past its length are zero, as
pad_packed_sequence gives them.

Run from this directory (the venv lives outside the repository):

    python3 -m venv /tmp/stenv && /tmp/stenv/bin/pip install safetensors numpy
    /tmp/stenv/bin/python make_rnn_fixtures.py
"""

import numpy as np
from safetensors.numpy import save_file

rng = np.random.default_rng(20261122)


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def lstm_step(x, state, w_ih, w_hh, b_ih, b_hh):
    h, c = state
    gates = x @ w_ih.T + b_ih + h @ w_hh.T + b_hh
    i, f, g, o = np.split(gates, 4, axis=-1)
    i, f, g, o = sigmoid(i), sigmoid(f), np.tanh(g), sigmoid(o)
    c = f * c + i * g
    return o * np.tanh(c), c


def gru_step(x, state, w_ih, w_hh, b_ih, b_hh):
    (h,) = state
    xr, xz, xn = np.split(x @ w_ih.T + b_ih, 3, axis=-1)
    hr, hz, hn = np.split(h @ w_hh.T + b_hh, 3, axis=-1)
    r = sigmoid(xr + hr)
    z = sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return ((1 - z) * n + z * h,)


def rnn_step(x, state, w_ih, w_hh, b_ih, b_hh):
    (h,) = state
    return (np.tanh(x @ w_ih.T + b_ih + h @ w_hh.T + b_hh),)


def run(step, weights, x, states, layers, directions):
    """x: [T, N, I] time first; states: tuple of [layers * directions, N, H]. Full length."""
    steps = x.shape[0]
    finals = [[] for _ in states]
    layer_input = x
    for layer in range(layers):
        outputs = []
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
            w = [weights[name + suffix] for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
            index = layer * directions + direction
            state = tuple(s[index] for s in states)
            out = [None] * steps
            order = range(steps) if direction == 0 else reversed(range(steps))
            for t in order:
                state = step(layer_input[t], state, *w)
                out[t] = state[0]
            outputs.append(np.stack(out))
            for part, value in zip(finals, state):
                part.append(value)
        layer_input = np.concatenate(outputs, axis=-1)
    return layer_input, tuple(np.stack(part) for part in finals)


def run_packed(step, weights, x, states, lengths, layers, directions):
    """Each batch element alone over its own length; outputs past it are zero."""
    steps, batch = x.shape[0], x.shape[1]
    output = np.zeros((steps, batch, directions * states[0].shape[-1]))
    finals = [np.zeros_like(s) for s in states]
    for b, length in enumerate(lengths):
        out, last = run(
            step, weights, x[:length, b : b + 1], tuple(s[:, b : b + 1] for s in states), layers,
            directions)
        output[:length, b] = out[:, 0]
        for final, value in zip(finals, last):
            final[:, b] = value[:, 0]
    return output, finals


def make_weights(prefix, gates, input_size, hidden, layers, directions):
    bound = 1 / np.sqrt(hidden)
    weights = {}
    for layer in range(layers):
        for direction in range(directions):
            suffix = f"_l{layer}" + ("_reverse" if direction == 1 else "")
            size = input_size if layer == 0 else directions * hidden
            shapes = {
                "weight_ih": (gates * hidden, size),
                "weight_hh": (gates * hidden, hidden),
                "bias_ih": (gates * hidden,),
                "bias_hh": (gates * hidden,),
            }
            for name, shape in shapes.items():
                weights[name + suffix] = rng.uniform(-bound, bound, shape).astype(np.float32)
    return weights


fixture = {}


def add_case(prefix, step, gates, input_size, hidden, layers, directions, steps, batch, lengths,
             state_count):
    weights = make_weights(prefix, gates, input_size, hidden, layers, directions)
    x = rng.normal(size=(steps, batch, input_size)).astype(np.float32)
    states = tuple(
        rng.normal(scale=0.5, size=(layers * directions, batch, hidden)).astype(np.float32)
        for _ in range(state_count))
    w64 = {name: value.astype(np.float64) for name, value in weights.items()}
    x64 = x.astype(np.float64)
    s64 = tuple(s.astype(np.float64) for s in states)
    output, finals = run(step, w64, x64, s64, layers, directions)
    packed_output, packed_finals = run_packed(step, w64, x64, s64, lengths, layers, directions)
    for name, value in weights.items():
        fixture[f"{prefix}.{name}"] = value
    fixture[f"{prefix}.input"] = x
    fixture[f"{prefix}.lengths"] = np.array(lengths, dtype=np.int64)
    fixture[f"{prefix}.output"] = output
    fixture[f"{prefix}.packed_output"] = packed_output
    names = ["h", "c"][:state_count]
    for name, s, final, packed in zip(names, states, finals, packed_finals):
        fixture[f"{prefix}.{name}0"] = s
        fixture[f"{prefix}.{name}_n"] = final
        fixture[f"{prefix}.packed_{name}_n"] = packed


# Inputs are stored time first ([T, N, I]); the tests feed them batch first where they say so.
add_case("lstm", lstm_step, 4, 3, 4, 2, 2, 6, 3, [6, 2, 4], 2)
add_case("gru", gru_step, 3, 3, 5, 2, 2, 7, 2, [7, 3], 1)
add_case("rnn", rnn_step, 1, 2, 3, 1, 2, 5, 2, [5, 1], 1)

save_file(fixture, "recurrent.safetensors", metadata={"source": "make_rnn_fixtures.py (NumPy)"})
print("wrote", len(fixture), "tensors to recurrent.safetensors")
