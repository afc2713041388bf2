import Foundation

/// Perplexity and bits per byte from summed negative log-likelihoods.
///
/// Perplexity = exp(total NLL / scored tokens), where a sequence of n tokens scores
/// n − 1 of them (each token is predicted from the ones before it; masked targets do
/// not count). Bits per byte = total NLL / ln 2 / UTF-8 bytes of the text, which does
/// not depend on the tokenizer and so compares models with different vocabularies.
public struct Perplexity: Sendable, Equatable {
    /// Sum of −log p(token) in nats over the scored tokens.
    public private(set) var nll: Double = 0
    public private(set) var tokens = 0
    public private(set) var bytes = 0
    public private(set) var sequences = 0

    public init() {}

    /// Adds one sequence's summed NLL (nats), its number of scored tokens and its text bytes.
    public mutating func add(nll: Double, tokens: Int, bytes: Int) {
        self.nll += nll
        self.tokens += tokens
        self.bytes += bytes
        sequences += 1
    }

    /// Mean NLL per scored token (nats).
    public var meanNLL: Double { tokens > 0 ? nll / Double(tokens) : .nan }

    /// exp(mean NLL); throws when nothing was scored (no NaN reaches a metrics file).
    public func perplexity() throws -> Double {
        guard tokens > 0 else {
            throw EvalError.invalid("perplexity needs at least one scored token: every sequence had fewer than 2 tokens or was fully masked")
        }
        return exp(nll / Double(tokens))
    }

    /// Total NLL in bits per UTF-8 byte of the scored text.
    public func bitsPerByte() throws -> Double {
        guard bytes > 0 else { throw EvalError.invalid("bits per byte needs the text's byte count, and it was 0") }
        return nll / log(2) / Double(bytes)
    }
}
