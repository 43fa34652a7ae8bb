// NablaOptimizers: optimizers, learning-rate schedules and gradient clipping, built on the Nabla
// tensor core. Importing NablaOptimizers also makes Nabla's Tensor available.
@_exported import Nabla
