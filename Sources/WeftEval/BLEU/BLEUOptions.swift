import Foundation

/// The sacreBLEU release whose results Weft's BLEU and chrF reproduce (it ends every signature).
public let sacreBLEUVersion = "2.6.0"

/// The tokenizers of sacreBLEU's BLEU that Weft reproduces.
public enum BLEUTokenize: String, CaseIterable, Sendable {
    /// No tokenization: whitespace-separated words as they are.
    case none
    /// mteval-v13a, sacreBLEU's default (WMT's standard).
    case thirteenA = "13a"
    /// mteval-v14 international: Unicode punctuation and symbols split off.
    case intl
    /// Every non-whitespace character is a token.
    case char
}

/// How BLEU treats n-gram orders without matches (Chen & Cherry 2014, as sacreBLEU names them).
public enum BLEUSmoothing: Sendable, Equatable {
    /// NIST geometric sequence: the k-th order without matches gets 1/(2^k · total).
    case exp
    /// An order without matches gets `value` matches.
    case floor(Double)
    /// Orders 2 and up get `value` added to matches and totals.
    case addK(Double)
    /// No smoothing: an order without matches makes the score 0.
    case none

    /// sacreBLEU's defaults: floor 0.1, add-k 1
    public static let defaultFloor = 0.1
    /// The default value of `add-k` smoothing.
    public static let defaultAddK = 1.0

    /// The smoothing sacreBLEU calls `name` (`exp`, `floor`, `add-k`, `none`) with `value`,
    /// or sacreBLEU's defaults (floor 0.1, add-k 1) when `value` is nil; `exp` and `none`
    /// ignore the value, as sacreBLEU does.
    public static func named(_ name: String, value: Double?) throws -> BLEUSmoothing {
        if let v = value, !(v.isFinite && v >= 0) {
            throw EvalError.invalid(
                "BLEU smoothing value \(v) for '\(name)' is not usable: give a finite number ≥ 0 (or none for the default)")
        }
        switch name {
        case "exp": return .exp
        case "none": return .none
        case "floor": return .floor(value ?? defaultFloor)
        case "add-k": return .addK(value ?? defaultAddK)
        default:
            throw EvalError.invalid(
                "unknown BLEU smoothing '\(name)': use one of exp, floor, add-k, none")
        }
    }

    /// sacreBLEU's name of the method.
    public var name: String {
        switch self {
        case .exp: return "exp"
        case .floor: return "floor"
        case .addK: return "add-k"
        case .none: return "none"
        }
    }

    /// The signature field: the name, with the value to two decimals for floor and add-k.
    public var signatureField: String {
        switch self {
        case .exp, .none: return name
        case .floor(let v), .addK(let v): return "\(name)[\(sacreFormatTwoDecimals(v))]"
        }
    }
}

/// Python's `f"{v:.2f}"`.
func sacreFormatTwoDecimals(_ v: Double) -> String {
    if v.isNaN { return "nan" }
    if v.isInfinite { return v < 0 ? "-inf" : "inf" }
    return String(format: "%.2f", v)
}

/// Settings of a BLEU computation, with sacreBLEU's `BLEU()` defaults.
public struct BLEUOptions: Sendable {
    /// The tokenizer applied to hypotheses and references.
    public var tokenize: BLEUTokenize = .thirteenA
    /// Lowercase both sides first (Python `str.lower()`).
    public var lowercase = false
    /// What orders without matches get.
    public var smoothing: BLEUSmoothing = .exp
    /// Average only over the orders the hypothesis has n-grams of (sentence BLEU wants this).
    public var effectiveOrder = false
    /// The highest n-gram order (4 for BLEU-4).
    public var maxNgramOrder = 4

    /// sacreBLEU's corpus defaults: 13a, mixed case, exp smoothing, no effective order, order 4.
    public init() {}

    /// sacreBLEU's `sentence_bleu` defaults: as `init()` but with effective order on.
    public static var sentence: BLEUOptions {
        var o = BLEUOptions()
        o.effectiveOrder = true
        return o
    }

    /// The highest n-gram order accepted: longer n-grams than any segment only make every
    /// score 0, and the statistics grow with the order.
    public static let maximumNgramOrder = 1000

    /// `maxNgramOrder` as the counting code uses it: below 1 counts nothing (every score
    /// is 0, as in sacreBLEU), above `maximumNgramOrder` is cut there.
    var order: Int { min(max(maxNgramOrder, 0), BLEUOptions.maximumNgramOrder) }

    /// Throws when a setting cannot give a meaningful score.
    public func validate() throws {
        if maxNgramOrder < 1 || maxNgramOrder > BLEUOptions.maximumNgramOrder {
            throw EvalError.invalid(
                "BLEU maxNgramOrder is \(maxNgramOrder): it must be 1...\(BLEUOptions.maximumNgramOrder) (4 is the standard)")
        }
        switch smoothing {
        case .floor(let v), .addK(let v):
            if !(v.isFinite && v >= 0) {
                throw EvalError.invalid(
                    "BLEU \(smoothing.name) smoothing value \(v) is not usable: give a finite number ≥ 0")
            }
        case .exp, .none: break
        }
    }
}
