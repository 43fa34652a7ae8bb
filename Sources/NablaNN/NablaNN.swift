// NablaNN: modules, layers, losses and initializers, built on the Nabla tensor core.
// Importing NablaNN also makes Nabla's Tensor available.
@_exported import Nabla
