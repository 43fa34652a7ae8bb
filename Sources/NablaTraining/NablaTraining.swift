// NablaTraining: what surrounds a training loop (datasets and loaders, metrics, progress, logs
// and plots), built on NablaNN. Importing NablaTraining also makes NablaNN and Nabla available.
@_exported import NablaNN
