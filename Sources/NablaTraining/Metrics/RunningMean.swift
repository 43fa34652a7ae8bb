/// The mean of the values seen so far, for a loss averaged over an epoch's batches.
///
/// Values can carry a weight (the batch size), so that a last batch shorter than the others
/// counts for what it holds, as a mean over all samples would.
///
/// ```swift
/// var loss = RunningMean()
/// for (x, y) in loader {
///   let batchLoss = crossEntropy(model(x), classIndices: y)
///   loss.add(batchLoss.item, weight: Double(x.shape[0]))
/// }
/// print(loss.mean)
/// ```
public struct RunningMean: Sendable, Equatable {
  /// The weighted sum of the values.
  public private(set) var total = 0.0
  /// The sum of the weights (the number of values when every weight is 1).
  public private(set) var weight = 0.0

  /// An empty mean.
  public init() {}

  /// The mean of the values added, or NaN before any.
  public var mean: Double { weight > 0 ? total / weight : .nan }

  /// Adds `value`, counted `weight` times.
  ///
  /// - Parameters:
  ///   - value: The value, such as one batch's mean loss.
  ///   - weight: How much it counts, such as the batch's size; must not be negative.
  public mutating func add(_ value: Double, weight: Double = 1) {
    require(weight >= 0, "RunningMean.add: the weight must not be negative, got \(weight)")
    total += value * weight
    self.weight += weight
  }

  /// Forgets every value, as at the start of an epoch.
  public mutating func reset() { self = RunningMean() }
}
