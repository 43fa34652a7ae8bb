// Tensor buffers with reuse. Training allocates and frees the same sizes every step; handing a
// freed buffer back out avoids asking the system for fresh pages (and faulting them in) each
// time, and skips the system allocator's bookkeeping for the many small tensors of a small model.
// Sizes from 256 bytes up are rounded up to a power of two and kept in one free list per size, up
// to a bounded total; smaller ones go straight to the system allocator.
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include "CNablaKernels.h"

enum {
  ALIGNMENT = 64,
  SMALLEST_CACHED = 1 << 8,  // 256 bytes
  BUCKETS = 48,              // powers of two up to 2^47 bytes
  PER_BUCKET = 64,           // buffers kept per size
};
static const size_t CACHE_LIMIT = (size_t)256 << 20;  // bytes kept in all free lists together

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static void *free_lists[BUCKETS][PER_BUCKET];
static int free_counts[BUCKETS];
static size_t cached_bytes = 0;

// The bytes of the buffers handed out and not yet freed, and the most there have been.
static _Atomic size_t live_bytes = 0;
static _Atomic size_t peak_bytes = 0;

static void count_allocation(size_t bytes) {
  size_t live = atomic_fetch_add_explicit(&live_bytes, bytes, memory_order_relaxed) + bytes;
  size_t peak = atomic_load_explicit(&peak_bytes, memory_order_relaxed);
  while (live > peak && !atomic_compare_exchange_weak_explicit(
                            &peak_bytes, &peak, live, memory_order_relaxed, memory_order_relaxed)) {
  }
}

size_t nabla_buffer_live_bytes(void) { return atomic_load(&live_bytes); }

size_t nabla_buffer_peak_bytes(void) { return atomic_load(&peak_bytes); }

void nabla_buffer_reset_peak(void) { atomic_store(&peak_bytes, atomic_load(&live_bytes)); }

/// The bucket of a large size (log2 of the rounded size), or -1 for small ones.
static int bucket_of(size_t bytes, size_t *rounded) {
  if (bytes < SMALLEST_CACHED) return -1;
  int bucket = 8;
  while (((size_t)1 << bucket) < bytes && bucket < BUCKETS - 1) bucket++;
  *rounded = (size_t)1 << bucket;
  return ((size_t)1 << bucket) >= bytes ? bucket : -1;
}

void *nabla_buffer_allocate(size_t bytes) {
  count_allocation(bytes);
  size_t rounded = bytes;
  int bucket = bucket_of(bytes, &rounded);
  if (bucket >= 0) {
    pthread_mutex_lock(&cache_lock);
    if (free_counts[bucket] > 0) {
      void *buffer = free_lists[bucket][--free_counts[bucket]];
      cached_bytes -= rounded;
      pthread_mutex_unlock(&cache_lock);
      return buffer;
    }
    pthread_mutex_unlock(&cache_lock);
  }
  size_t size = (rounded + ALIGNMENT - 1) / ALIGNMENT * ALIGNMENT;
  return aligned_alloc(ALIGNMENT, size == 0 ? ALIGNMENT : size);
}

void nabla_buffer_free(void *buffer, size_t bytes) {
  if (buffer == NULL) return;
  atomic_fetch_sub_explicit(&live_bytes, bytes, memory_order_relaxed);
  size_t rounded = bytes;
  int bucket = bucket_of(bytes, &rounded);
  if (bucket >= 0) {
    pthread_mutex_lock(&cache_lock);
    if (free_counts[bucket] < PER_BUCKET && cached_bytes + rounded <= CACHE_LIMIT) {
      free_lists[bucket][free_counts[bucket]++] = buffer;
      cached_bytes += rounded;
      pthread_mutex_unlock(&cache_lock);
      return;
    }
    pthread_mutex_unlock(&cache_lock);
  }
  free(buffer);
}

void nabla_buffer_release_cache(void) {
  pthread_mutex_lock(&cache_lock);
  for (int bucket = 0; bucket < BUCKETS; bucket++) {
    while (free_counts[bucket] > 0) free(free_lists[bucket][--free_counts[bucket]]);
  }
  cached_bytes = 0;
  pthread_mutex_unlock(&cache_lock);
}
