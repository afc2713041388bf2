/// A metric `weft evaluate` and the `evaluate` stage compute, chosen by name.
public enum Metric: Hashable, Sendable, CustomStringConvertible {
    case accuracy, precision, recall, f1, confusion
    case bleu, sentenceBLEU, chrf, chrfPlusPlus
    case rouge(RougeType)
    case exactMatch, tokenF1
    /// Need a model's likelihoods (the stage's model mode), not predictions.
    case perplexity, bitsPerByte

    /// The names as users write them, in the order `--help` lists them.
    public static let names: [String] = [
        "accuracy", "precision", "recall", "f1", "confusion", "bleu", "sentence_bleu", "chrf", "chrf++",
        "rouge1", "rouge2", "rougeL", "rougeLsum", "exact_match", "token_f1", "perplexity", "bits_per_byte",
    ]

    /// Parses one name; an unknown one throws with the known names listed.
    public init(name: String) throws {
        switch name {
        case "accuracy": self = .accuracy
        case "precision": self = .precision
        case "recall": self = .recall
        case "f1": self = .f1
        case "confusion", "confusion_matrix": self = .confusion
        case "bleu": self = .bleu
        case "sentence_bleu": self = .sentenceBLEU
        case "chrf": self = .chrf
        case "chrf++", "chrfpp": self = .chrfPlusPlus
        case "exact_match", "em": self = .exactMatch
        case "token_f1": self = .tokenF1
        case "perplexity": self = .perplexity
        case "bits_per_byte", "bpb": self = .bitsPerByte
        default:
            if name.hasPrefix("rouge"), let t = try? RougeType(name: name) {
                self = .rouge(t)
            } else {
                throw EvalError.invalid("unknown metric '\(name)'; known metrics: " + Metric.names.joined(separator: ", ") + " (and rouge3 … rouge9)")
            }
        }
    }

    /// A comma-separated list (`bleu,chrf`) or several names; duplicates are dropped.
    public static func parse(_ names: [String]) throws -> [Metric] {
        var out: [Metric] = []
        for part in names.flatMap({ $0.split(separator: ",") }) {
            let name = part.trimmingCharacters(in: .whitespaces)
            if name.isEmpty { continue }
            let m = try Metric(name: name)
            if !out.contains(m) { out.append(m) }
        }
        guard !out.isEmpty else { throw EvalError.invalid("no metric given; choose among: " + Metric.names.joined(separator: ", ")) }
        return out
    }

    public var description: String {
        switch self {
        case .accuracy: return "accuracy"
        case .precision: return "precision"
        case .recall: return "recall"
        case .f1: return "f1"
        case .confusion: return "confusion"
        case .bleu: return "bleu"
        case .sentenceBLEU: return "sentence_bleu"
        case .chrf: return "chrf"
        case .chrfPlusPlus: return "chrf++"
        case .rouge(let t): return t.description
        case .exactMatch: return "exact_match"
        case .tokenF1: return "token_f1"
        case .perplexity: return "perplexity"
        case .bitsPerByte: return "bits_per_byte"
        }
    }

    /// Compares predicted labels with true labels.
    public var isClassification: Bool {
        switch self {
        case .accuracy, .precision, .recall, .f1, .confusion: return true
        default: return false
        }
    }

    /// Compares generated text with reference texts.
    public var isText: Bool { !isClassification && !needsModel }

    /// Computed from a model's likelihoods, so only in the stage's model mode.
    public var needsModel: Bool { self == .perplexity || self == .bitsPerByte }
}
