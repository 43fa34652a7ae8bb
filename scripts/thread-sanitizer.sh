#!/usr/bin/env bash
# Builds the package with ThreadSanitizer (in .build/tsan, apart from the normal build) and runs
# the tests that use several threads at once: two models trained concurrently from prefetching
# loaders, the loaders' worker threads, gradient hooks. Fails on any report.
#
#   bash scripts/thread-sanitizer.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v swift >/dev/null || export PATH="$PATH:/opt/swift/usr/bin"
swift build --sanitize=thread --scratch-path .build/tsan --build-tests
TSAN_OPTIONS="halt_on_error=1 ${TSAN_OPTIONS:-}" swift test --sanitize=thread \
  --scratch-path .build/tsan --skip-build \
  --filter "ConcurrentTrainingTests|DataTests|GradientHookTests|SingleProcessTests" 2>&1 |
  tee /tmp/nabla-tsan.log | tail -3
if grep -q "ThreadSanitizer" /tmp/nabla-tsan.log; then
  echo "thread-sanitizer.sh: ThreadSanitizer reported a problem (see /tmp/nabla-tsan.log)" >&2
  exit 1
fi
grep -q "Test run with .* passed" /tmp/nabla-tsan.log
