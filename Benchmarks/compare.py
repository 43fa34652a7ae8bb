#!/usr/bin/env python3
"""Runs Nabla's benchmark and PyTorch's reference workloads in the same sitting, alternating them
`--rounds` times, and prints a Markdown table of the best time of each and the ratio.

    python3 Benchmarks/compare.py --torch-python /tmp/torchenv/bin/python [--rounds 3]

Needs a release build of nabla-bench (`swift build -c release --product nabla-bench`) and a
Python with torch installed (see ../shared/bench/WORKLOADS.md). Also times the inference
workloads of torch_inference.py in PyTorch and, when that Python has onnx and onnxruntime, in
ONNX Runtime, and optionally OpenBLAS's sgemm through NumPy (`--numpy-python`). `--threads`
sets the threads of every engine (all cores by default)."""
import argparse, os, platform, subprocess, sys, datetime

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)

def parse(text, engine=None):
    """NAME<TAB>MS ms[<TAB>ENGINE...] lines; with `engine`, only the lines of that engine."""
    result = {}
    for line in text.splitlines():
        parts = line.split("\t")
        if len(parts) >= 2 and parts[1].endswith(" ms"):
            if engine is None or (len(parts) > 2 and parts[2] == engine):
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
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    bench = [os.path.join(root, ".build", "release", "nabla-bench"), "--threads", str(args.threads)]
    shared = os.path.join(root, "..", "shared", "bench")
    workloads = [args.torch_python, os.path.join(shared, "torch_workloads.py")]
    inference = [args.torch_python, os.path.join(shared, "torch_inference.py"),
                 "--threads", str(args.threads)]
    environment = dict(os.environ, OMP_NUM_THREADS=str(args.threads))

    def run(command):
        return subprocess.run(command, capture_output=True, text=True, check=True,
                              env=environment).stdout

    best = {"nabla": {}, "torch": {}, "onnxruntime": {}, "numpy": {}}
    for _ in range(args.rounds):
        runs = [("nabla", lambda: {"nabla": parse(run(bench))}),
                ("torch", lambda: {"torch": parse(run(workloads))}),
                ("inference", lambda: (lambda text: {"torch": parse(text, "pytorch"),
                                                     "onnxruntime": parse(text, "onnxruntime")})(
                    run(inference)))]
        if args.numpy_python:
            runs.append(("numpy", lambda: {"numpy": numpy_sgemm(args.numpy_python)}))
        for _, measure in runs:
            for engine, times in measure().items():
                for key, ms in times.items():
                    best[engine][key] = min(ms, best[engine].get(key, float("inf")))
    print(f"Measured {datetime.date.today()} on {platform.node()} ({os.cpu_count()} cores, "
          f"{args.threads} threads), best of {args.rounds} alternating rounds; each figure is that "
          f"tool's median ms.\n")
    print("| workload | Nabla ms | PyTorch ms | Nabla speed-up | ONNX Runtime ms | Nabla vs ONNX "
          "Runtime | OpenBLAS ms |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    keys = list(best["torch"]) + [key for key in best["nabla"] if key not in best["torch"]]
    for key in keys:
        nabla, torch, onnx = (best[engine].get(key) for engine in ("nabla", "torch", "onnxruntime"))
        blas = best["numpy"].get(key, "")
        speedup = f"{torch / nabla:.2f}x" if nabla and torch else ""
        versus = f"{onnx / nabla:.2f}x" if nabla and onnx else ""
        print(f"| {key} | {nabla or 'skipped'} | {torch or ''} | {speedup} | {onnx or ''} | "
              f"{versus} | {blas} |")

if __name__ == "__main__":
    sys.exit(main())
