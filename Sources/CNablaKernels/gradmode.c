// Whether autograd records operations, per thread (as PyTorch's grad mode): a count of the
// `withoutGradients` scopes the current thread is inside; and likewise whether ops are checked
// for NaN and infinity (`detectingAnomalies`). Kept here because C has cheap thread-local
// variables.
#include "CNablaKernels.h"

static _Thread_local int paused_depth = 0;

int nabla_recording_paused(void) { return paused_depth > 0; }

void nabla_pause_recording(void) { paused_depth++; }

void nabla_resume_recording(void) {
  if (paused_depth > 0) paused_depth--;
}

int nabla_lift_recording_pauses(void) {
  int depth = paused_depth;
  paused_depth = 0;
  return depth;
}

void nabla_restore_recording_pauses(int depth) { paused_depth = depth; }

static _Thread_local long recording_scope = 0;

long nabla_recording_scope(void) { return recording_scope; }

long nabla_new_recording_scope(void) {
  static _Atomic long last = 0;
  return ++last;
}

long nabla_set_recording_scope(long scope) {
  long previous = recording_scope;
  recording_scope = scope;
  return previous;
}

static _Thread_local int anomaly_depth = 0;

int nabla_anomaly_depth(void) { return anomaly_depth; }

void nabla_set_anomaly_depth(int depth) { anomaly_depth = depth; }
