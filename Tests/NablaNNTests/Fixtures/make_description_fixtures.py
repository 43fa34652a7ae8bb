"""Writes descriptions.json, PyTorch's printed form of the modules in ModuleDescriptionTests.swift.

How to run it (from this directory; torch lives in a venv outside the repository):

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install torch
    /tmp/torchenv/bin/python make_description_fixtures.py

The committed file was written with torch 2.15.0+cu132. It maps a case name to `repr(module)`,
which is what `print(module)` shows, for a module built with the same arguments as the Swift test
builds its own. Numbers that are Double in Swift are passed as floats, since PyTorch prints an int
argument as an int. The Swift test translates PyTorch's class names to Nabla's (Conv1d to Conv1D,
MultiheadAttention to MultiHeadAttention, ...) and compares the whole text.
"""

import json

import torch
from torch import nn


def cases():
    """The modules by case name; ModuleDescriptionTests.swift builds the same ones."""
    encoder_layer = nn.TransformerEncoderLayer(8, 2, 16)
    return {
        "readme": nn.Sequential(
            nn.Linear(40, 100), nn.ReLU(), nn.Dropout(0.1), nn.Linear(100, 10)
        ),
        "mnist1dCNN": nn.Sequential(
            nn.Conv1d(1, 25, 5, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Conv1d(25, 25, 3, stride=2, padding=1),
            nn.ReLU(),
            nn.Flatten(),
            nn.Linear(125, 10),
        ),
        "lstmBidirectional": nn.LSTM(40, 128, num_layers=2, batch_first=True, bidirectional=True),
        "lstmProjected": nn.LSTM(40, 128, num_layers=2, bias=False, dropout=0.2, proj_size=64),
        "gru": nn.GRU(10, 20),
        "rnn": nn.RNN(3, 4),
        "rnnRelu": nn.RNN(3, 4, nonlinearity="relu", bias=False),
        "lstmCell": nn.LSTMCell(40, 128),
        "rnnCell": nn.RNNCell(4, 8, bias=False, nonlinearity="relu"),
        "gruCell": nn.GRUCell(4, 8),
        "attention": nn.MultiheadAttention(8, 2),
        "encoder": nn.TransformerEncoder(
            encoder_layer, 2, norm=nn.LayerNorm(8), enable_nested_tensor=False
        ),
        "batchNorm1d": nn.BatchNorm1d(25),
        "batchNorm2dPlain": nn.BatchNorm2d(3, momentum=None, affine=False),
        "groupNorm": nn.GroupNorm(2, 8),
        "groupNormPlain": nn.GroupNorm(2, 8, affine=False),
        "instanceNorm": nn.InstanceNorm2d(3),
        "instanceNormAffine": nn.InstanceNorm2d(3, affine=True),
        "layerNorm": nn.LayerNorm(64),
        "layerNormNoBias": nn.LayerNorm([4, 8], bias=False),
        "layerNormPlain": nn.LayerNorm(4, elementwise_affine=False),
        "rmsNorm": nn.RMSNorm([4, 8]),
        "conv2d": nn.Conv2d(1, 16, 3, padding=1),
        "conv2dDepthwise": nn.Conv2d(16, 16, (3, 5), padding="same", groups=16, bias=False),
        "conv1dDilated": nn.Conv1d(1, 2, 5, dilation=2),
        "convTranspose1d": nn.ConvTranspose1d(8, 4, 4, stride=2, padding=1),
        "convTranspose2d": nn.ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1),
        "maxPool1d": nn.MaxPool1d(2),
        "maxPool2d": nn.MaxPool2d(2),
        "maxPool2dCeil": nn.MaxPool2d((2, 3), ceil_mode=True),
        "avgPool1d": nn.AvgPool1d(3),
        "avgPool2d": nn.AvgPool2d(3, stride=2),
        "lpPool1d": nn.LPPool1d(2.0, 3),
        "lpPool1dStrided": nn.LPPool1d(2.0, 3, stride=1),
        "lpPool2d": nn.LPPool2d(1.5, 2),
        "adaptiveAvgPool1d": nn.AdaptiveAvgPool1d(4),
        "adaptiveAvgPool2d": nn.AdaptiveAvgPool2d(1),
        "adaptiveMaxPool1d": nn.AdaptiveMaxPool1d(3),
        "adaptiveMaxPool2d": nn.AdaptiveMaxPool2d((2, 3)),
        "maxUnpool1d": nn.MaxUnpool1d(2),
        "maxUnpool2d": nn.MaxUnpool2d(2),
        "upsample": nn.Upsample(scale_factor=2.0),
        "upsampleBilinear": nn.Upsample(scale_factor=(2.0, 1.5), mode="bilinear"),
        "upsampleSize": nn.Upsample(size=(8, 8), mode="bilinear"),
        "relu": nn.ReLU(),
        "leakyReLU": nn.LeakyReLU(),
        "elu": nn.ELU(),
        "gelu": nn.GELU(),
        "geluTanh": nn.GELU(approximate="tanh"),
        "softplus": nn.Softplus(),
        "softmax": nn.Softmax(dim=1),
        "logSoftmax": nn.LogSoftmax(dim=1),
        "sigmoid": nn.Sigmoid(),
        "tanh": nn.Tanh(),
        "identity": nn.Identity(),
        "flatten": nn.Flatten(0),
        "dropout": nn.Dropout(),
        "embedding": nn.Embedding(100, 32),
        "embeddingOptions": nn.Embedding(10, 3, padding_idx=-1, max_norm=1.0, norm_type=1.0),
    }


def main():
    texts = {name: repr(module) for name, module in cases().items()}
    texts["_torch_version"] = torch.__version__
    with open("descriptions.json", "w") as file:
        json.dump(texts, file, indent=1, sort_keys=True)
        file.write("\n")


if __name__ == "__main__":
    main()
