"""PyTorch DDP (gloo backend) on the workloads of nabla-distributed-bench, timed the same way:
a barrier, then one step; the median of 15 steps after 3, the slowest rank's. One thread per
process. Run it beside ours in the same sitting:

    /tmp/torchenv/bin/python -m torch.distributed.run --nproc_per_node 2 Benchmarks/torch_ddp.py
    /tmp/torchenv/bin/python Benchmarks/torch_ddp.py          # one process, no DDP
"""
import os
import statistics
import time

import torch
import torch.distributed as dist
import torch.nn as nn

torch.set_num_threads(1)
distributed = "RANK" in os.environ
if distributed:
    dist.init_process_group("gloo")
rank = dist.get_rank() if distributed else 0
size = dist.get_world_size() if distributed else 1


def wrap(model):
    return nn.parallel.DistributedDataParallel(model) if distributed else model


def measure(step):
    times = []
    for run in range(18):
        if distributed:
            dist.barrier()
        start = time.perf_counter()
        step()
        if run >= 3:
            times.append((time.perf_counter() - start) * 1e3)
    median = torch.tensor([statistics.median(times)], dtype=torch.float64)
    if distributed:
        dist.all_reduce(median, op=dist.ReduceOp.MAX)
    return median.item()


def report(name, ms, note):
    if rank == 0:
        print(f"torch_{name}\t{ms:.3f} ms\t{note}, {size} process(es) x 1 thread", flush=True)


def training_step(model, optimizer, x, labels):
    loss_fn = nn.CrossEntropyLoss()

    def step():
        optimizer.zero_grad()
        loss_fn(model(x), labels).backward()
        optimizer.step()

    return step


torch.manual_seed(0)
for mib in [1, 16, 64]:
    x = torch.ones(mib * 262144)
    if distributed:
        report(f"allreduce_{mib}MiB", measure(lambda: dist.all_reduce(x)), "gloo all_reduce")

mlp = wrap(nn.Sequential(nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), nn.ReLU(), nn.Linear(128, 10)))
report("mlp_step", measure(training_step(mlp, torch.optim.Adam(mlp.parameters(), lr=1e-3),
                                         torch.randn(128, 784), torch.arange(128) % 10)), "batch 128 per rank")

cnn = wrap(nn.Sequential(
    nn.Conv2d(1, 16, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Conv2d(16, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
    nn.Flatten(), nn.Linear(1568, 10)))
report("cnn_step", measure(training_step(cnn, torch.optim.SGD(cnn.parameters(), lr=0.01, momentum=0.9),
                                         torch.randn(64, 1, 28, 28), torch.arange(64) % 10)), "batch 64 per rank")

big = wrap(nn.Sequential(
    nn.Linear(1024, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(), nn.Linear(2048, 2048), nn.ReLU(),
    nn.Linear(2048, 1024), nn.ReLU(), nn.Linear(1024, 10)))
report("overlap_on", measure(training_step(big, torch.optim.SGD(big.parameters(), lr=0.01),
                                           torch.randn(64, 1024), torch.arange(64) % 10)),
       "12600330 parameters, batch 64 per rank, 25 MB buckets")

if distributed:
    dist.destroy_process_group()
