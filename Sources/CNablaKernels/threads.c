// A persistent pool of worker threads for the kernels.
//
// Workers are created on first use and live for the process. After a job they spin for a short
// while (a new job then starts within a microsecond) and then sleep on a condition variable, so
// an idle process uses no CPU. The calling thread takes part in every job.
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include "CNablaKernels.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define NABLA_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define NABLA_PAUSE() __asm__ __volatile__("yield")
#else
#define NABLA_PAUSE() ((void)0)
#endif

enum { MAX_THREADS = 256, SPIN_ROUNDS = 20000 };

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t wake = PTHREAD_COND_INITIALIZER;
static pthread_mutex_t submit = PTHREAD_MUTEX_INITIALIZER;  // one job at a time
static pthread_once_t once = PTHREAD_ONCE_INIT;

static atomic_int requested_threads = 0;  // 0: one per core

// The current job, announced in one 64-bit word: generation (upper 24 bits), task count
// (20 bits) and the next unclaimed task (low 20 bits). A worker claims a task with a
// compare-and-swap that only succeeds while the generation is the one it woke up for and tasks
// remain, so a worker that wakes late can never run a task twice or touch a finished job, and
// the caller never waits for a worker that has not started.
enum { INDEX_BITS = 20, COUNT_BITS = 20, MAX_TASKS = (1 << 20) - 1 };
#define FIELD(word, shift, bits) (((word) >> (shift)) & ((1ull << (bits)) - 1))
#define GENERATION(word) ((word) >> (INDEX_BITS + COUNT_BITS))
#define TASK_COUNT(word) FIELD(word, INDEX_BITS, COUNT_BITS)
#define NEXT_TASK(word) FIELD(word, 0, INDEX_BITS)

static nabla_task_fn job_fn;
static void *job_context;
static _Atomic unsigned long long work = 0;
static atomic_long finished_tasks = 0;
static atomic_int job_workers = 0;  // how many workers may help with the current job
static atomic_int sleeping = 0;

/// The number of online cores, asked of the system once (sysconf reads a file each time).
static int core_count(void) {
  static atomic_int cached = 0;
  int cores = atomic_load_explicit(&cached, memory_order_relaxed);
  if (cores == 0) {
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    cores = online < 1 ? 1 : (online > MAX_THREADS ? MAX_THREADS : (int)online);
    atomic_store_explicit(&cached, cores, memory_order_relaxed);
  }
  return cores;
}

int nabla_thread_count(void) {
  int requested = atomic_load(&requested_threads);
  return requested > 0 ? requested : core_count();
}

void nabla_set_thread_count(int count) {
  atomic_store(&requested_threads, count < 0 ? 0 : (count > MAX_THREADS ? MAX_THREADS : count));
}

/// Set while a thread runs tasks, so a parallel loop started inside a task runs serially instead
/// of waiting for the pool it is part of.
static _Thread_local int inside_task = 0;

/// Claims and runs tasks of the job of `generation` until none are left.
static void run_tasks(unsigned long long generation) {
  inside_task = 1;
  unsigned long long word = atomic_load_explicit(&work, memory_order_acquire);
  while (GENERATION(word) == generation && NEXT_TASK(word) < TASK_COUNT(word)) {
    if (!atomic_compare_exchange_weak_explicit(&work, &word, word + 1, memory_order_acq_rel,
                                               memory_order_acquire))
      continue;
    job_fn(job_context, (ptrdiff_t)NEXT_TASK(word));
    atomic_fetch_add_explicit(&finished_tasks, 1, memory_order_release);
    word = atomic_load_explicit(&work, memory_order_acquire);
  }
  inside_task = 0;
}

static void *worker_main(void *argument) {
  int id = (int)(intptr_t)argument;
  unsigned long long seen = 0;
  for (;;) {
    int spins = 0;
    while (GENERATION(atomic_load_explicit(&work, memory_order_acquire)) == seen) {
      if (++spins < SPIN_ROUNDS) {
        NABLA_PAUSE();
        continue;
      }
      pthread_mutex_lock(&lock);
      atomic_fetch_add(&sleeping, 1);
      while (GENERATION(atomic_load(&work)) == seen) pthread_cond_wait(&wake, &lock);
      atomic_fetch_sub(&sleeping, 1);
      pthread_mutex_unlock(&lock);
    }
    seen = GENERATION(atomic_load_explicit(&work, memory_order_acquire));
    if (id < atomic_load(&job_workers)) run_tasks(seen);
  }
  return NULL;
}

static void start_workers(void) {
  int workers = core_count() - 1;
  for (int id = 0; id < workers; id++) {
    pthread_t thread;
    pthread_attr_t attributes;
    pthread_attr_init(&attributes);
    pthread_attr_setdetachstate(&attributes, PTHREAD_CREATE_DETACHED);
    pthread_create(&thread, &attributes, worker_main, (void *)(intptr_t)id);
    pthread_attr_destroy(&attributes);
  }
}

void nabla_parallel_for(ptrdiff_t count, nabla_task_fn fn, void *context) {
  int threads = nabla_thread_count();
  if (count <= 1 || threads <= 1 || count > MAX_TASKS || inside_task) {
    for (ptrdiff_t task = 0; task < count; task++) fn(context, task);
    return;
  }
  pthread_once(&once, start_workers);
  pthread_mutex_lock(&submit);
  job_fn = fn;
  job_context = context;
  atomic_store(&finished_tasks, 0);
  atomic_store(&job_workers, threads - 1);
  unsigned long long generation = GENERATION(atomic_load(&work)) + 1;
  atomic_store_explicit(
      &work, (generation << (INDEX_BITS + COUNT_BITS)) | ((unsigned long long)count << INDEX_BITS),
      memory_order_release);
  if (atomic_load(&sleeping) > 0) {
    pthread_mutex_lock(&lock);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
  }
  run_tasks(generation);
  while (atomic_load_explicit(&finished_tasks, memory_order_acquire) < count) NABLA_PAUSE();
  pthread_mutex_unlock(&submit);
}

/// The arguments of nabla_parallel_range, for its tasks.
typedef struct {
  nabla_range_fn fn;
  void *context;
  ptrdiff_t count, chunk;
} RangeJob;

static void range_task(void *context, ptrdiff_t index) {
  const RangeJob *job = (const RangeJob *)context;
  ptrdiff_t begin = index * job->chunk;
  ptrdiff_t end = begin + job->chunk < job->count ? begin + job->chunk : job->count;
  job->fn(job->context, begin, end);
}

void nabla_parallel_range(ptrdiff_t count, ptrdiff_t grain, nabla_range_fn fn, void *context) {
  int threads = nabla_thread_count();
  if (count < 2 * grain || threads <= 1) {
    if (count > 0) fn(context, 0, count);
    return;
  }
  ptrdiff_t tasks = count / grain < 4 * threads ? count / grain : 4 * threads;
  RangeJob job = {fn, context, count, (count + tasks - 1) / tasks};
  nabla_parallel_for((count + job.chunk - 1) / job.chunk, range_task, &job);
}
