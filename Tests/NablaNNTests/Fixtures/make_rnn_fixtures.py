"""Writes recurrent.safetensors, the PyTorch reference of RecurrentFixtureTests.swift.

How to run it (from this directory; torch and safetensors live in a venv outside the repository):

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch safetensors
    /tmp/torchenv/bin/python make_rnn_fixtures.py

The committed recurrent.safetensors was written with torch 2.15.0+cu132 (run on the CPU),
safetensors 0.8.0 and Python 3; the versions are also stored in the file's metadata.

Every case builds a real torch.nn module (nn.RNN with tanh and ReLU, nn.LSTM with and without
proj_size, nn.GRU and the three cells), draws its weights with PyTorch's own initialization after torch.manual_seed, puts it in
eval mode, and runs it in float64. Weights and inputs are drawn in float32 and only then widened,
so their values are exact in both of Nabla's float types and the float32 tests measure arithmetic
error alone. For each case the file holds

    <case>.<name>   the module's state_dict() (weight_ih_l0, bias_hh_l1_reverse, weight_hr_l0
                    with proj_size, ...), exactly the tensors a user would save from PyTorch;
    <case>:<item>   the inputs (input, h0, c0, lengths) in the layout the module is fed, and the
                    outputs PyTorch produced (output, h_n, c_n, and for variable-length batches
                    packed_output, packed_h_n, packed_c_n).

Variable-length outputs come from torch.nn.utils.rnn.pack_padded_sequence (enforce_sorted=False)
and pad_packed_sequence (total_length = the padded length), so steps past a sequence's end are
zero and the final states are taken at each sequence's own last step.

New cases go at the end, so that the random values of the earlier ones stay as they were.
"""

import platform

import safetensors
import torch
from safetensors.torch import save_file
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

torch.manual_seed(20261122)
tensors = {}
descriptions = {}


def normal(*shape, scale=1.0):
    """Normal values drawn in float32 (exact in float32), returned as float64."""
    return (torch.randn(*shape, dtype=torch.float32) * scale).double()


def add_state(case, module):
    for name, value in module.state_dict().items():
        tensors[f"{case}.{name}"] = value.detach().clone().contiguous()


def add_data(case, **items):
    for name, value in items.items():
        tensors[f"{case}:{name}"] = value.detach().clone().contiguous()


def make(case, module):
    """Widens a float32-initialized module to float64, in eval mode, and stores its state."""
    module = module.double().eval()
    add_state(case, module)
    descriptions[case] = repr(module)
    return module


def sequence_case(case, module, steps, batch, lengths=None, initial_state=True):
    """Runs `module` over a padded batch (and, with `lengths`, a packed one) and stores it all."""
    layers = module.num_layers * (2 if module.bidirectional else 1)
    shape = (steps, batch, module.input_size)
    if module.batch_first:
        shape = (batch, steps, module.input_size)
    x = normal(*shape)
    items = {"input": x}
    state = None
    if initial_state:
        # With proj_size the hidden state has proj_size features; the cell state hidden_size.
        hidden_size = getattr(module, "proj_size", 0) or module.hidden_size
        h0 = normal(layers, batch, hidden_size, scale=0.5)
        items["h0"] = h0
        state = h0
        if isinstance(module, nn.LSTM):
            c0 = normal(layers, batch, module.hidden_size, scale=0.5)
            items["c0"] = c0
            state = (h0, c0)
    output, final = module(x, state)
    items["output"] = output
    if isinstance(module, nn.LSTM):
        items["h_n"], items["c_n"] = final
    else:
        items["h_n"] = final
    if lengths is not None:
        packed = pack_padded_sequence(
            x, torch.tensor(lengths), batch_first=module.batch_first, enforce_sorted=False)
        packed_output, packed_final = module(packed, state)
        padded, _ = pad_packed_sequence(
            packed_output, batch_first=module.batch_first, total_length=steps)
        items["lengths"] = torch.tensor(lengths, dtype=torch.int64)
        items["packed_output"] = padded
        if isinstance(module, nn.LSTM):
            items["packed_h_n"], items["packed_c_n"] = packed_final
        else:
            items["packed_h_n"] = packed_final
    add_data(case, **items)


def unbatched_case(case, module, steps):
    """One sequence without a batch axis: input [T, I], states [layers * directions, H]."""
    layers = module.num_layers * (2 if module.bidirectional else 1)
    x = normal(steps, module.input_size)
    h0 = normal(layers, module.hidden_size, scale=0.5)
    c0 = normal(layers, module.hidden_size, scale=0.5)
    output, (h_n, c_n) = module(x, (h0, c0))
    add_data(case, input=x, h0=h0, c0=c0, output=output, h_n=h_n, c_n=c_n)


def cell_case(case, module, steps, batch):
    """Several steps of a cell from a given state; the state after every step is stored."""
    xs = normal(steps, batch, module.input_size)
    h = normal(batch, module.hidden_size, scale=0.5)
    items = {"input": xs, "h0": h}
    if isinstance(module, nn.LSTMCell):
        c = normal(batch, module.hidden_size, scale=0.5)
        items["c0"] = c
        hs, cs = [], []
        for x in xs:
            h, c = module(x, (h, c))
            hs.append(h)
            cs.append(c)
        items["hidden"], items["cell"] = torch.stack(hs), torch.stack(cs)
    else:
        hs = []
        for x in xs:
            h = module(x, h)
            hs.append(h)
        items["hidden"] = torch.stack(hs)
    add_data(case, **items)


with torch.no_grad():
    # nn.RNN, tanh: one bidirectional layer, time first, with a packed batch.
    rnn = make("rnn_tanh", nn.RNN(2, 3, bidirectional=True))
    sequence_case("rnn_tanh", rnn, steps=5, batch=3, lengths=[5, 1, 3])

    # nn.RNN, ReLU: three layers (dropout between them, off in eval mode), batch first, no
    # initial state, a packed batch.
    rnn = make(
        "rnn_relu",
        nn.RNN(3, 4, num_layers=3, nonlinearity="relu", batch_first=True, dropout=0.25))
    sequence_case("rnn_relu", rnn, steps=6, batch=2, lengths=[4, 6], initial_state=False)

    # nn.RNN, ReLU, two bidirectional layers without biases, time first.
    rnn = make(
        "rnn_relu_nobias",
        nn.RNN(3, 2, num_layers=2, nonlinearity="relu", bias=False, bidirectional=True))
    sequence_case("rnn_relu_nobias", rnn, steps=4, batch=2)

    # nn.LSTM: two bidirectional layers, batch first, a packed batch.
    lstm = make("lstm", nn.LSTM(3, 4, num_layers=2, batch_first=True, bidirectional=True))
    sequence_case("lstm", lstm, steps=6, batch=3, lengths=[6, 2, 4])

    # nn.LSTM: three layers, time first, dropout between layers (off in eval mode), a packed batch.
    lstm = make("lstm_deep", nn.LSTM(2, 3, num_layers=3, dropout=0.5))
    sequence_case("lstm_deep", lstm, steps=5, batch=4, lengths=[2, 5, 1, 3])

    # nn.LSTM without biases, one unbatched sequence.
    lstm = make("lstm_unbatched", nn.LSTM(4, 3, bias=False, bidirectional=True))
    unbatched_case("lstm_unbatched", lstm, steps=4)

    # nn.GRU: two bidirectional layers, time first, a packed batch.
    gru = make("gru", nn.GRU(3, 5, num_layers=2, bidirectional=True))
    sequence_case("gru", gru, steps=7, batch=2, lengths=[7, 3])

    # nn.GRU: three layers, batch first, no initial state, a packed batch.
    gru = make("gru_batch_first", nn.GRU(4, 3, num_layers=3, batch_first=True))
    sequence_case("gru_batch_first", gru, steps=5, batch=3, lengths=[3, 5, 1], initial_state=False)

    # The cells, stepped by hand.
    cell_case("rnn_cell", make("rnn_cell", nn.RNNCell(3, 4, nonlinearity="relu")), steps=3, batch=2)
    cell_case("lstm_cell", make("lstm_cell", nn.LSTMCell(3, 4)), steps=3, batch=2)
    cell_case("gru_cell", make("gru_cell", nn.GRUCell(3, 4)), steps=3, batch=2)

    # nn.LSTM with projections: two bidirectional layers, batch first, a packed batch.
    lstm = make(
        "lstm_proj",
        nn.LSTM(3, 5, num_layers=2, batch_first=True, bidirectional=True, proj_size=2))
    sequence_case("lstm_proj", lstm, steps=6, batch=3, lengths=[6, 2, 4])

    # nn.LSTM with projections: three layers without biases, time first, dropout between layers
    # (off in eval mode), a packed batch.
    lstm = make(
        "lstm_proj_deep", nn.LSTM(4, 6, num_layers=3, bias=False, dropout=0.5, proj_size=3))
    sequence_case("lstm_proj_deep", lstm, steps=5, batch=4, lengths=[3, 5, 1, 4])

metadata = {
    "source": "make_rnn_fixtures.py",
    "torch": torch.__version__,
    "safetensors": safetensors.__version__,
    "python": platform.python_version(),
}
metadata.update({f"module.{case}": text for case, text in descriptions.items()})
save_file(tensors, "recurrent.safetensors", metadata=metadata)
print(f"wrote {len(tensors)} tensors for {len(descriptions)} cases to recurrent.safetensors "
      f"with torch {torch.__version__}")
