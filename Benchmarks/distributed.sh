#!/usr/bin/env bash
# The distributed comparison of BENCHMARKS.md in one sitting, each tool twice, alternating:
# MPI_Allreduce from C, nabla-distributed-bench with 2 ranks and with 1 process (1 thread each),
# and PyTorch DDP (gloo) with 2 processes and 1 process (1 thread each).
#
#   bash Benchmarks/distributed.sh [/tmp/torchenv/bin/python]
set -euo pipefail
cd "$(dirname "$0")/.."
python=${1:-/tmp/torchenv/bin/python}
swift build -c release --product nabla-distributed-bench >/dev/null
mpicc -O2 Benchmarks/mpi-allreduce/allreduce.c -o .build/mpi-allreduce
mpirun=(mpirun --allow-run-as-root -np 2)
for round in 1 2; do
  echo "== round $round"
  "${mpirun[@]}" .build/mpi-allreduce
  "${mpirun[@]}" .build/release/nabla-distributed-bench --threads 1
  .build/release/nabla-distributed-bench --threads 1 | grep -v allreduce
  "$python" -m torch.distributed.run --nproc_per_node 2 Benchmarks/torch_ddp.py 2>/dev/null
  "$python" Benchmarks/torch_ddp.py
done
