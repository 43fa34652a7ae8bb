#!/usr/bin/env python3
"""Trains one MNIST-1D model with Nabla and with PyTorch for several seeds, alternating them, and
prints each run's test accuracy and time, then the means. One seed's accuracy moves by a point or
more with the seed (and with the order of floating-point sums), so comparing the two libraries'
accuracy takes several seeds.

    python3 Benchmarks/mnist1d_seeds.py --torch-python /tmp/torchenv/bin/python [--model cnn]
        [--seeds 10]

Needs a release build of the example (`swift build -c release --product mnist1d`) and
../shared/bench/torch_mnist1d.py, which seeds PyTorch with 0; here its torch.manual_seed is made
to use each seed in turn instead."""
import argparse, os, re, statistics, subprocess

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(here)

# Runs the reference script unchanged, except that its torch.manual_seed(0) seeds with SEED.
SEEDED = (
    "import runpy, sys, torch\n"
    "seed = int(sys.argv.pop())\n"
    "original = torch.manual_seed\n"
    "torch.manual_seed = lambda _: original(seed)\n"
    "sys.argv = sys.argv[1:]\n"
    "runpy.run_path(sys.argv[0], run_name='__main__')\n")


def accuracy_and_time(line):
    accuracy = float(re.search(r"test_acc=([0-9.]+)", line).group(1))
    seconds = float(re.search(r"train_s=([0-9.]+)", line).group(1))
    return accuracy, seconds


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--torch-python", default="python3")
    parser.add_argument("--model", default="cnn")
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--steps", type=int, default=8000)
    parser.add_argument("--shared", default=os.path.join(root, "..", "shared"))
    args = parser.parse_args()
    data = os.path.join(args.shared, "data", "mnist1d")
    script = os.path.join(args.shared, "bench", "torch_mnist1d.py")
    nabla = os.path.join(root, ".build", "release", "mnist1d")
    results = {"Nabla": [], "PyTorch": []}
    print("| seed | Nabla acc % | Nabla s | PyTorch acc % | PyTorch s |")
    print("|---:|---:|---:|---:|---:|")
    for seed in range(args.seeds):
        ours = subprocess.run(
            [nabla, "--model", args.model, "--steps", str(args.steps), "--seed", str(seed),
             "--data", data], capture_output=True, text=True, check=True).stdout
        theirs = subprocess.run(
            [args.torch_python, "-c", SEEDED, script, data, args.model, str(args.steps),
             str(seed)], capture_output=True, text=True, check=True).stdout
        runs = (accuracy_and_time(ours.strip().splitlines()[-1]),
                accuracy_and_time(theirs.strip().splitlines()[-1]))
        results["Nabla"].append(runs[0])
        results["PyTorch"].append(runs[1])
        print(f"| {seed} | {runs[0][0]:.1f} | {runs[0][1]:.2f} | {runs[1][0]:.1f} | "
              f"{runs[1][1]:.2f} |", flush=True)
    for name, runs in results.items():
        accuracies = [accuracy for accuracy, _ in runs]
        print(f"{name}: mean accuracy {statistics.mean(accuracies):.2f} % "
              f"(sd {statistics.stdev(accuracies) if len(runs) > 1 else 0:.2f}), "
              f"mean time {statistics.mean(seconds for _, seconds in runs):.2f} s")


if __name__ == "__main__":
    main()
