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
static int started_workers = 0;           // set once, under pthread_once

// The current job. `token` announces a new one: generation * 1024 + the number of workers that
// take part. Each of those workers checks in when done, so no worker is left holding a finished
// job when the next one is set up.
static nabla_task_fn job_fn;
static void *job_context;
static ptrdiff_t job_count;
static atomic_long token = 0;
static atomic_long next_task = 0;
static atomic_long finished_tasks = 0;
static atomic_int checked_in = 0;
static atomic_int sleeping = 0;

static int core_count(void) {
  long cores = sysconf(_SC_NPROCESSORS_ONLN);
  return cores < 1 ? 1 : (cores > MAX_THREADS ? MAX_THREADS : (int)cores);
}

int nabla_thread_count(void) {
  int requested = atomic_load(&requested_threads);
  return requested > 0 ? requested : core_count();
}

void nabla_set_thread_count(int count) {
  atomic_store(&requested_threads, count < 0 ? 0 : (count > MAX_THREADS ? MAX_THREADS : count));
}

static void run_tasks(void) {
  for (;;) {
    long task = atomic_fetch_add(&next_task, 1);
    if (task >= job_count) return;
    job_fn(job_context, (ptrdiff_t)task);
    atomic_fetch_add(&finished_tasks, 1);
  }
}

static void *worker_main(void *argument) {
  int id = (int)(intptr_t)argument;
  long seen = 0;
  for (;;) {
    int spins = 0;
    while (atomic_load_explicit(&token, memory_order_acquire) / 1024 == seen / 1024) {
      if (++spins < SPIN_ROUNDS) {
        NABLA_PAUSE();
        continue;
      }
      pthread_mutex_lock(&lock);
      atomic_fetch_add(&sleeping, 1);
      while (atomic_load(&token) / 1024 == seen / 1024) pthread_cond_wait(&wake, &lock);
      atomic_fetch_sub(&sleeping, 1);
      pthread_mutex_unlock(&lock);
    }
    seen = atomic_load_explicit(&token, memory_order_acquire);
    if (id < seen % 1024) {
      run_tasks();
      atomic_fetch_add_explicit(&checked_in, 1, memory_order_release);
    }
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
    if (pthread_create(&thread, &attributes, worker_main, (void *)(intptr_t)id) == 0)
      started_workers++;
    pthread_attr_destroy(&attributes);
  }
}

void nabla_parallel_for(ptrdiff_t count, nabla_task_fn fn, void *context) {
  int threads = nabla_thread_count();
  if (count <= 1 || threads <= 1) {
    for (ptrdiff_t task = 0; task < count; task++) fn(context, task);
    return;
  }
  pthread_once(&once, start_workers);
  pthread_mutex_lock(&submit);
  int workers = threads - 1 < started_workers ? threads - 1 : started_workers;
  job_fn = fn;
  job_context = context;
  job_count = count;
  atomic_store(&next_task, 0);
  atomic_store(&finished_tasks, 0);
  atomic_store(&checked_in, 0);
  long generation = atomic_load(&token) / 1024 + 1;
  atomic_store_explicit(&token, generation * 1024 + workers, memory_order_release);
  if (atomic_load(&sleeping) > 0) {
    pthread_mutex_lock(&lock);
    pthread_cond_broadcast(&wake);
    pthread_mutex_unlock(&lock);
  }
  run_tasks();
  while (atomic_load_explicit(&finished_tasks, memory_order_acquire) < count ||
         atomic_load_explicit(&checked_in, memory_order_acquire) < workers)
    NABLA_PAUSE();
  pthread_mutex_unlock(&submit);
}
