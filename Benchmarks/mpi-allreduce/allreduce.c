/* The reference for NablaDistributed's allReduce: MPI_Allreduce called from C on a float buffer
 * of 1, 16 and 64 MiB, timed as nabla-distributed-bench times its own (barrier, then the call;
 * the median of 15 runs after 3 warm-ups), printed by rank 0 in the same format.
 *
 *   mpicc -O2 Benchmarks/mpi-allreduce/allreduce.c -o /tmp/mpi-allreduce
 *   mpirun -np 2 /tmp/mpi-allreduce
 */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

static int compare(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int rank;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  const int mebibytes[] = {1, 16, 64};
  for (int s = 0; s < 3; s++) {
    int count = mebibytes[s] * 262144;
    float *send = malloc(sizeof(float) * count), *receive = malloc(sizeof(float) * count);
    for (int i = 0; i < count; i++) send[i] = (float)(i % 7);
    double times[15];
    for (int r = -3; r < 15; r++) {
      MPI_Barrier(MPI_COMM_WORLD);
      double start = MPI_Wtime();
      MPI_Allreduce(send, receive, count, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
      if (r >= 0) times[r] = (MPI_Wtime() - start) * 1e3;
    }
    qsort(times, 15, sizeof(double), compare);
    if (rank == 0) printf("mpi_allreduce_%dMiB\t%.3f ms\tMPI_Allreduce from C\n", mebibytes[s], times[7]);
    free(send);
    free(receive);
  }
  MPI_Finalize();
  return 0;
}
