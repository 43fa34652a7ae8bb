"""Writes initialization.safetensors: what PyTorch draws after torch.manual_seed(0) (and 1 for the
second case), for Nabla's test that its generator and its layers' default initializations give
the same values. Run with a Python that has torch and safetensors:

    python make_initialization_fixtures.py
"""
import torch, torch.nn as nn
from safetensors.torch import save_file

tensors = {}
# Plain uniform draws, float32 and float64, one stream after the other.
torch.manual_seed(0)
tensors["uniform:float32"] = torch.empty(3, 7).uniform_(-0.5, 2.0)
tensors["uniform:float64"] = torch.empty(5, dtype=torch.float64).uniform_(-1.0, 3.0)
tensors["uniform:float32_after"] = torch.empty(4).uniform_(0.0, 1.0)
# The MNIST-1D CNN's layers in the order its model builds them.
torch.manual_seed(0)
layers = [nn.Conv1d(1, 25, 5, stride=2, padding=1), nn.Conv1d(25, 25, 3, stride=2, padding=1),
          nn.Conv1d(25, 25, 3, stride=2, padding=1), nn.Linear(125, 10)]
for i, layer in enumerate(layers):
    for name, value in layer.state_dict().items():
        tensors[f"cnn.{i}.{name}"] = value.contiguous()
# Another seed and the recurrent layers' initialization.
torch.manual_seed(1)
lstm = nn.LSTM(3, 4, num_layers=2, bidirectional=True)
for name, value in lstm.state_dict().items():
    tensors[f"lstm.{name}"] = value.contiguous()
save_file(tensors, "initialization.safetensors")
