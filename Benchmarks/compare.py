#!/usr/bin/env python3
"""Runs Nabla's benchmark and PyTorch's reference workloads in the same sitting, alternating them
`--rounds` times, and prints a Markdown table of the best time of each and the ratio.

    python3 Benchmarks/compare.py --torch-python /tmp/torchenv/bin/python [--rounds 3]

Needs a release build of nabla-bench (`swift build -c release --product nabla-bench`) and a
Python with torch installed (see ../shared/bench/WORKLOADS.md). Optionally also times OpenBLAS's
sgemm through NumPy (`--numpy-python`)."""
import argparse, os, platform, subprocess, sys, datetime

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)

def parse(text):
    result = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1].endswith(" ms"):
            result[parts[0]] = float(parts[1][:-3])
    return result

def numpy_sgemm(python):
    code = ("import numpy as np, time, statistics\n"
            "for n in (256, 512, 1024, 2048):\n"
            "    a = np.random.rand(n, n).astype(np.float32); b = np.random.rand(n, n).astype(np.float32)\n"
            "    for _ in range(3): a @ b\n"
            "    ts = []\n"
            "    for _ in range(10):\n"
            "        t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)\n"
            "    print(f'sgemm{n}\\t{statistics.median(ts) * 1000:.4f} ms')\n"
            "a = np.random.rand(1024, 1024); b = np.random.rand(1024, 1024)\n"
            "for _ in range(3): a @ b\n"
            "ts = []\n"
            "for _ in range(10):\n"
            "    t = time.perf_counter(); a @ b; ts.append(time.perf_counter() - t)\n"
            "print(f'dgemm1024\\t{statistics.median(ts) * 1000:.4f} ms')\n")
    environment = dict(os.environ)
    environment.pop("OPENBLAS_CORETYPE", None)  # some machines force Haswell kernels
    return parse(subprocess.run([python, "-c", code], capture_output=True, text=True,
                                env=environment, check=True).stdout)

def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--torch-python", required=True)
    parser.add_argument("--numpy-python")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    bench = os.path.join(root, ".build", "release", "nabla-bench")
    torch_script = os.path.join(root, "..", "shared", "bench", "torch_workloads.py")
    best = {"nabla": {}, "torch": {}, "numpy": {}}
    for _ in range(args.rounds):
        runs = [("nabla", lambda: parse(subprocess.run([bench], capture_output=True, text=True, check=True).stdout)),
                ("torch", lambda: parse(subprocess.run([args.torch_python, torch_script], capture_output=True, text=True, check=True).stdout))]
        if args.numpy_python:
            runs.append(("numpy", lambda: numpy_sgemm(args.numpy_python)))
        for name, run in runs:
            for key, ms in run().items():
                best[name][key] = min(ms, best[name].get(key, float("inf")))
    print(f"Measured {datetime.date.today()} on {platform.node()} ({os.cpu_count()} cores), "
          f"best of {args.rounds} alternating rounds; each figure is that tool's median ms.\n")
    print("| workload | Nabla ms | PyTorch ms | Nabla speed-up | OpenBLAS ms |")
    print("| --- | --- | --- | --- | --- |")
    for key in best["torch"]:
        nabla, torch = best["nabla"].get(key), best["torch"][key]
        blas = best["numpy"].get(key)
        ratio = f"{torch / nabla:.2f}x" if nabla else "skipped"
        print(f"| {key} | {nabla if nabla else 'skipped'} | {torch} | {ratio} | {blas if blas else ''} |")
    for key in best["nabla"]:
        if key not in best["torch"]:
            print(f"| {key} | {best['nabla'][key]} | | | {best['numpy'].get(key, '')} |")

if __name__ == "__main__":
    sys.exit(main())
