import Foundation
import NablaNN
import NablaOptimizers

/// A toy translation between digit sequences: the "sentence" is `length` digits and its
/// translation is the same digits reversed or sorted. Tokens 0–9 are the digits and 10 marks the
/// start of a translation (the decoder's first input).
struct ToyTranslation {
  /// How a sentence is translated.
  enum Rule: String {
    case reverse, sort
  }

  /// The translation rule.
  let rule: Rule
  /// The number of digits in a sentence.
  let length: Int
  /// The token that starts every decoder input.
  static let start = 10
  /// The number of distinct tokens.
  static let vocabularySize = 11

  /// The translation of `sentence` by `rule`.
  func translate(_ sentence: [Int]) -> [Int] {
    switch rule {
    case .reverse: return sentence.reversed()
    case .sort: return sentence.sorted()
    }
  }

  /// `count` distinct sentences drawn with `generator`, none of them in `excluded`.
  func sampleSentences(
    _ count: Int, excluding excluded: Set<[Int]> = [], generator: RandomGenerator
  ) -> [[Int]] {
    var sentences: [[Int]] = []
    var seen = excluded
    while sentences.count < count {
      let draws = [Float](
        Tensor.randomUniform([count * length], low: 0, high: 10, generator: generator))
      for start in stride(from: 0, to: draws.count, by: length) where sentences.count < count {
        let sentence = draws[start..<start + length].map { min(Int($0), 9) }
        if seen.insert(sentence).inserted { sentences.append(sentence) }
      }
    }
    return sentences
  }

  /// The sources [n, length], the decoder inputs (start token, then the translation but its last
  /// token: teacher forcing) [n, length], and the translations [n, length].
  func encode(_ sentences: [[Int]]) -> (source: Tensor, decoderInput: Tensor, target: Tensor) {
    let targets = sentences.map(translate)
    let shape = [sentences.count, length]
    return (
      Tensor(indices: sentences.flatMap { $0 }, shape: shape),
      Tensor(indices: targets.flatMap { [Self.start] + $0.dropLast() }, shape: shape),
      Tensor(indices: targets.flatMap { $0 }, shape: shape)
    )
  }
}

/// An encoder-decoder Transformer over digit tokens: a shared token embedding plus sinusoidal
/// positions (not scaled by √d as in the paper: `Embedding` starts from N(0, 1), already as large
/// as the positions), `nn.Transformer` with a causal mask on the decoder, and a linear layer
/// to the logits of the next token.
final class TranslationModel: Module, @unchecked Sendable {
  let embedding: Embedding
  let positions: SinusoidalPositionalEncoding
  let transformer: Transformer
  let output: Linear
  let dModel: Int

  /// Creates the model with `dModel` features, `headCount` heads and `layerCount` encoder and
  /// decoder layers, its initial weights drawn from `generator`.
  init(
    dModel: Int = 64, headCount: Int = 4, layerCount: Int = 2, feedForwardSize: Int = 128,
    generator: RandomGenerator = .global
  ) {
    self.dModel = dModel
    embedding = Embedding(ToyTranslation.vocabularySize, dModel, generator: generator)
    positions = SinusoidalPositionalEncoding(dimension: dModel, maxLength: 64)
    transformer = Transformer(
      dModel: dModel, headCount: headCount, encoderLayerCount: layerCount,
      decoderLayerCount: layerCount, feedForwardSize: feedForwardSize, dropout: 0,
      batchFirst: true, generator: generator)
    output = Linear(dModel, ToyTranslation.vocabularySize, generator: generator)
  }

  /// Token embeddings with their positions, [n, length, dModel].
  func embed(_ tokens: Tensor) -> Tensor {
    positions(embedding(tokens))
  }

  /// The logits [n, targetLength, vocabularySize] of the token after each decoder input token.
  func callAsFunction(_ source: Tensor, decoderInput: Tensor) -> Tensor {
    let causal = Transformer.squareSubsequentMask(decoderInput.shape[1])
    return output(
      transformer(embed(source), target: embed(decoderInput), targetMask: .additive(causal)))
  }

  /// Translates each source by greedy decoding: starting from the start token, appends the most
  /// likely next token `length` times; returns the [n, length] tokens.
  func greedyDecode(_ source: Tensor, length: Int) -> Tensor {
    withoutGradients {
      let n = source.shape[0]
      var tokens = [[Int]](repeating: [ToyTranslation.start], count: n)
      for _ in 0..<length {
        let input = Tensor(indices: tokens.flatMap { $0 }, shape: [n, tokens[0].count])
        let logits = self(source, decoderInput: input)
        let last = logits.narrowed(alongAxis: 1, start: tokens[0].count - 1, length: 1)
        let next = [Int](last.argmax(alongAxis: 2))
        for row in 0..<n { tokens[row].append(next[row]) }
      }
      return Tensor(indices: tokens.flatMap { $0.dropFirst() }, shape: [n, length])
    }
  }
}

/// One Adam step on the cross-entropy of every target token with teacher forcing; returns the
/// loss.
@discardableResult
func trainStep(
  _ model: TranslationModel, _ optimizer: Optimizer, source: Tensor, decoderInput: Tensor,
  target: Tensor
) -> Double {
  let logits = model(source, decoderInput: decoderInput)
  let loss = crossEntropy(
    logits.reshaped([-1, ToyTranslation.vocabularySize]), classIndices: target.reshaped([-1]))
  optimizer.zeroGradients()
  loss.backward()
  clipGradientNorm(model.parameters(), maxNorm: 1)
  optimizer.step()
  return loss.item
}

/// The fraction of rows of `predicted` equal to the same row of `target`, both [n, length].
func exactMatch(_ predicted: Tensor, _ target: Tensor) -> Double {
  let (p, t) = ([Int](predicted), [Int](target))
  let length = target.shape[1]
  let rows = target.shape[0]
  let correct = (0..<rows).filter {
    p[$0 * length..<($0 + 1) * length] == t[$0 * length..<($0 + 1) * length]
  }.count
  return Double(correct) / Double(rows)
}
