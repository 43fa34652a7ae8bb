// The kernels compiled for the target's baseline: every CPU of the architecture runs them.
#define ISA baseline
#include "templates/instances.h"
