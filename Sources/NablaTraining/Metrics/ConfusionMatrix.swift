/// Counts of (true class, predicted class) pairs over an evaluation, with the accuracy and the
/// precision, recall and F1 score of each class and their macro averages.
///
/// Row `t`, column `p` counts the samples of class `t` predicted as `p`, as scikit-learn's
/// `confusion_matrix` lays it out. A class that is never predicted has precision 0 and one that
/// never occurs has recall 0 (scikit-learn's `zero_division=0`); macro averages weigh every class
/// equally, and the macro F1 is the mean of the classes' F1 scores.
///
/// ```swift
/// var confusion = ConfusionMatrix(classCount: 10)
/// for (x, y) in testLoader { confusion.add(model(x), labels: y) }
/// print(confusion.accuracy, confusion.macroF1)
/// print(confusion)  // the table
/// ```
public struct ConfusionMatrix: Sendable, Equatable, CustomStringConvertible {
  /// The number of classes.
  public let classCount: Int
  /// `counts[t][p]`: how many samples of true class `t` were predicted as `p`.
  public private(set) var counts: [[Int]]

  /// An empty matrix for `classCount` classes.
  public init(classCount: Int) {
    require(classCount > 0, "ConfusionMatrix: classCount must be positive, got \(classCount)")
    self.classCount = classCount
    counts = Array(repeating: Array(repeating: 0, count: classCount), count: classCount)
  }

  /// Counts a batch: `output` is [N, C] logits or [N] predicted classes, `labels` N classes.
  ///
  /// - Parameters:
  ///   - output: Logits of shape [N, C], or class indices of shape [N].
  ///   - labels: The N true classes, each in `0..<classCount`.
  public mutating func add(_ output: Tensor, labels: Tensor) {
    let op = "ConfusionMatrix.add"
    let (predicted, truth) = (
      classIndices(predictedBy: output, op: op), classIndices(of: labels, op: op)
    )
    requireSameCount(predicted, truth, output, labels, op: op)
    for (index, (prediction, label)) in zip(predicted, truth).enumerated() {
      require(
        (0..<classCount).contains(prediction) && (0..<classCount).contains(label),
        "\(op): sample \(index) has label \(label) and prediction \(prediction), but the matrix "
          + "has \(classCount) classes")
      counts[label][prediction] += 1
    }
  }

  /// The number of samples counted.
  public var total: Int { counts.joined().reduce(0, +) }

  /// The fraction of samples on the diagonal (NaN before any).
  public var accuracy: Double {
    Double((0..<classCount).map { counts[$0][$0] }.reduce(0, +)) / Double(total)
  }

  /// Of the samples predicted as `classIndex`, the fraction that are (0 when none is).
  public func precision(of classIndex: Int) -> Double {
    let predicted = counts.map { $0[classIndex] }.reduce(0, +)
    return predicted == 0 ? 0 : Double(counts[classIndex][classIndex]) / Double(predicted)
  }

  /// Of the samples of class `classIndex`, the fraction predicted as it (0 when none occurs).
  public func recall(of classIndex: Int) -> Double {
    let actual = counts[classIndex].reduce(0, +)
    return actual == 0 ? 0 : Double(counts[classIndex][classIndex]) / Double(actual)
  }

  /// The harmonic mean of the precision and the recall of `classIndex` (0 when both are 0).
  public func f1(of classIndex: Int) -> Double {
    let (p, r) = (precision(of: classIndex), recall(of: classIndex))
    return p + r == 0 ? 0 : 2 * p * r / (p + r)
  }

  /// The mean precision over the classes.
  public var macroPrecision: Double { macro(precision(of:)) }
  /// The mean recall over the classes.
  public var macroRecall: Double { macro(recall(of:)) }
  /// The mean F1 score over the classes.
  public var macroF1: Double { macro(f1(of:)) }

  private func macro(_ metric: (Int) -> Double) -> Double {
    (0..<classCount).map(metric).reduce(0, +) / Double(classCount)
  }

  /// The counts as a table, true classes down and predictions across, with each class's
  /// precision, recall and F1.
  public var description: String {
    let width = max(5, String(counts.joined().max() ?? 0).count + 1)
    func cell(_ text: String) -> String {
      String(repeating: " ", count: max(0, width - text.count)) + text
    }
    func percent(_ value: Double) -> String { cell(String(Int((value * 100).rounded()))) }
    var lines = [
      cell("t\\p") + (0..<classCount).map { cell(String($0)) }.joined() + cell("P%") + cell("R%")
        + cell("F1%")
    ]
    for row in 0..<classCount {
      lines.append(
        cell(String(row)) + counts[row].map { cell(String($0)) }.joined()
          + percent(precision(of: row)) + percent(recall(of: row)) + percent(f1(of: row)))
    }
    return lines.joined(separator: "\n")
  }
}
