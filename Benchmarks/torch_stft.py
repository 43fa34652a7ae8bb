"""Times torch.stft on the spectrogram workloads of nabla-bench (stft400, stft512), the way
nabla-bench times them: three warm-up runs, then the median of fifteen, in milliseconds.

    /tmp/torchenv/bin/python Benchmarks/torch_stft.py --threads 1
"""

import argparse
import statistics
import time

import torch

parser = argparse.ArgumentParser()
parser.add_argument("--threads", type=int, default=1)
arguments = parser.parse_args()
torch.set_num_threads(arguments.threads)
signal = torch.randn(8, 16000)
for n_fft in [400, 512]:
    window = torch.hann_window(n_fft)

    def run():
        with torch.no_grad():
            torch.stft(signal, n_fft, 160, window=window, return_complex=True).abs()

    for _ in range(3):
        run()
    times = []
    for _ in range(15):
        start = time.perf_counter()
        run()
        times.append((time.perf_counter() - start) * 1000)
    print(f"stft{n_fft}\t{statistics.median(times):.4f} ms\tbatch8 16000 samples, hop 160, hann")
