"""Writes fourier.safetensors for FourierTests: torch.fft transforms (lengths that are powers of
two and lengths that are not, every norm, cut and padded), windows, torch.stft and torch.istft,
and the magnitude and phase of complex values, in float64, with the gradients of a weighted sum
of each result. Complex values are stored as torch.view_as_real lays them out: a trailing axis
of two.

Run from this directory with PyTorch and safetensors installed (checked with PyTorch 2.15):
    python make_fourier_fixtures.py
"""

import torch
from safetensors.torch import save_file

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
out = {}
c = torch.view_as_complex
r = torch.view_as_real


def record(name, function, *inputs):
    """Keeps the inputs, the result, the weights of the weighted sum and every gradient."""
    inputs = [t.clone().requires_grad_() for t in inputs]
    result = function(*inputs)
    weights = torch.randn(result.shape)
    (result * weights).sum().backward()
    out[name] = result.detach().contiguous()
    out[name + ".weights"] = weights
    for index, tensor in enumerate(inputs):
        out[f"{name}.input{index}"] = tensor.detach().contiguous()
        out[f"{name}.grad{index}"] = tensor.grad.contiguous()


fft = torch.fft
record("fft6", lambda t: r(fft.fft(c(t))), torch.randn(3, 6, 2))
record("fft8.axis0.pad", lambda t: r(fft.fft(c(t), n=5, dim=0, norm="ortho")), torch.randn(4, 3, 2))
record("ifft7.forward", lambda t: r(fft.ifft(c(t), norm="forward")), torch.randn(2, 7, 2))
record("ifft8.cut", lambda t: r(fft.ifft(c(t), n=8)), torch.randn(2, 12, 2))
record("rfft10.cut8", lambda t: r(fft.rfft(t, n=8)), torch.randn(3, 10))
record("rfft7.axis0", lambda t: r(fft.rfft(t, dim=0, norm="ortho")), torch.randn(7, 3))
record("rfft1000", lambda t: r(fft.rfft(t)), torch.randn(1000))
record("rfft1024", lambda t: r(fft.rfft(t, norm="forward")), torch.randn(1024))
record("irfft5", lambda t: fft.irfft(c(t)), torch.randn(3, 5, 2))
record("irfft9", lambda t: fft.irfft(c(t), n=9, norm="ortho"), torch.randn(3, 5, 2))
record("irfft4.cut", lambda t: fft.irfft(c(t), n=4, dim=0), torch.randn(6, 2, 2))
record("irfft12.pad", lambda t: fft.irfft(c(t), n=12, norm="forward"), torch.randn(2, 4, 2))
z = torch.randn(2, 5, 2)
z[1, 2] = 0
record("magnitude", lambda t: c(t).abs(), z)
record("phase", lambda t: c(t).angle(), z)

for periodic in [True, False]:
    kind = "periodic" if periodic else "symmetric"
    for length in [1, 2, 10]:
        out[f"hann.{kind}.{length}"] = torch.hann_window(length, periodic=periodic)
        out[f"hamming.{kind}.{length}"] = torch.hamming_window(length, periodic=periodic)
        out[f"blackman.{kind}.{length}"] = torch.blackman_window(length, periodic=periodic)
out["hamming.custom"] = torch.hamming_window(9, True, 0.5, 0.4)

signal = torch.randn(2, 50)
hann = torch.hann_window(16)
record("stft", lambda t: r(torch.stft(t, 16, 4, window=hann, return_complex=True)), signal)
hamming = torch.hamming_window(12, periodic=False)
record(
    "stft.short.window",
    lambda t: r(
        torch.stft(
            t, 16, 5, 12, hamming, center=False, normalized=True, onesided=False,
            return_complex=True,
        )
    ),
    signal,
)
record(
    "stft.constant",
    lambda t: r(torch.stft(t, 10, 3, window=torch.blackman_window(10), pad_mode="constant",
                           return_complex=True)),
    signal[0],
)
spectrum = torch.stft(signal, 16, 4, window=hann, return_complex=True)
record("istft", lambda t: torch.istft(c(t), 16, 4, window=hann, length=50), r(spectrum))
record("istft.full", lambda t: torch.istft(c(t), 16, 4, window=hann), r(spectrum))
record(
    "istft.long",
    lambda t: torch.istft(c(t), 16, 4, window=hann, length=60, normalized=True),
    r(spectrum[0]),
)
hamming16 = torch.hamming_window(16)
two_sided = torch.stft(signal, 16, 5, window=hamming16, center=False, onesided=False,
                       return_complex=True)
record(
    "istft.two.sided",
    lambda t: torch.istft(c(t), 16, 5, window=hamming16, center=False, onesided=False),
    r(two_sided),
)
save_file(out, "fourier.safetensors")
