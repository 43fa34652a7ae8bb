// swift-tools-version: 6.0
import PackageDescription

let package = Package(
  name: "Nabla",
  platforms: [.macOS(.v13)],
  // CNablaKernels is a target, not a product: its C interface is internal to the package.
  products: [
    .library(name: "Nabla", targets: ["Nabla"]),
    .library(name: "NablaNN", targets: ["NablaNN"]),
    .library(name: "NablaOptimizers", targets: ["NablaOptimizers"]),
    .library(name: "NablaTraining", targets: ["NablaTraining"]),
    .library(name: "NablaDistributed", targets: ["NablaDistributed"]),
    .executable(name: "nabla-bench", targets: ["nabla-bench"]),
  ],
  targets: [
    .target(name: "CNablaKernels"),
    .target(name: "Nabla", dependencies: ["CNablaKernels"]),
    .target(name: "NablaNN", dependencies: ["Nabla"]),
    .target(name: "NablaOptimizers", dependencies: ["Nabla", "CNablaKernels"]),
    .target(name: "NablaTraining", dependencies: ["NablaNN"]),
    .target(name: "NablaDistributed", dependencies: ["NablaNN"]),
    .executableTarget(
      name: "nabla-bench", dependencies: ["CNablaKernels", "NablaNN", "NablaOptimizers"],
      path: "Benchmarks/nabla-bench"),
    .executableTarget(
      name: "nabla-distributed-bench", dependencies: ["NablaDistributed", "NablaOptimizers"],
      path: "Benchmarks/nabla-distributed-bench"),
    .executableTarget(name: "xor", dependencies: ["Nabla"], path: "Examples/xor"),
    // What the test targets share (expectClose, expectGradients); not a product.
    .target(name: "NablaTestSupport", dependencies: ["Nabla"], path: "Tests/NablaTestSupport"),
    .testTarget(name: "NablaTests", dependencies: ["Nabla", "NablaTestSupport"]),
    .testTarget(
      name: "NablaDistributedTests",
      dependencies: ["NablaDistributed", "NablaOptimizers", "nabla-distributed-checks"]),
    .executableTarget(
      name: "nabla-distributed-checks", dependencies: ["NablaDistributed", "NablaOptimizers"],
      path: "Tests/DistributedChecks"),
    .testTarget(
      name: "NablaNNTests", dependencies: ["NablaNN", "NablaTestSupport"],
      resources: [.copy("Fixtures")]),
    .testTarget(
      name: "NablaOptimizersTests",
      dependencies: ["NablaOptimizers", "NablaNN", "NablaTestSupport"]),
    .testTarget(
      name: "NablaTrainingTests", dependencies: ["NablaTraining", "NablaOptimizers"],
      resources: [.copy("Fixtures")]),
    .executableTarget(
      name: "mnist1d",
      dependencies: [
        "NablaNN", "NablaOptimizers", "NablaTraining", "NablaDistributed", "ExampleSupport",
      ],
      path: "Examples/mnist1d"),
    .target(name: "ExampleSupport", path: "Examples/ExampleSupport"),
    .executableTarget(
      name: "perceptron", dependencies: ["NablaTraining", "ExampleSupport"],
      path: "Examples/perceptron"),
    .executableTarget(
      name: "spirals",
      dependencies: ["NablaNN", "NablaOptimizers", "NablaTraining", "ExampleSupport"],
      path: "Examples/spirals"),
    .executableTarget(
      name: "addition",
      dependencies: ["NablaNN", "NablaOptimizers", "NablaTraining", "ExampleSupport"],
      path: "Examples/addition"),
    .executableTarget(
      name: "translate",
      dependencies: ["NablaNN", "NablaOptimizers", "NablaTraining", "ExampleSupport"],
      path: "Examples/translate"),
    .executableTarget(
      name: "matrices", dependencies: ["NablaNN", "ExampleSupport"], path: "Examples/matrices"),
    .executableTarget(
      name: "gradcheck", dependencies: ["NablaNN", "ExampleSupport"], path: "Examples/gradcheck"),
    .testTarget(
      name: "ExamplesTests",
      dependencies: [
        "perceptron", "spirals", "addition", "translate", "matrices", "gradcheck", "mnist1d",
      ]),
  ],
  swiftLanguageModes: [.v6]
)
