/// What a precision, recall or F score is when its denominator is zero, as
/// scikit-learn's `zero_division` parameter.
///
/// `.warn` gives 0 like `.zero` and also reports which scores were ill-defined in
/// `ClassificationReport.warnings` (scikit-learn raises an `UndefinedMetricWarning`).
public enum ZeroDivision: Sendable, Equatable {
    case warn, zero, one, nan

    /// Parses a parameter value: `warn`, `0`, `1` or `nan` (also `0.0`, `1.0`, `zero`, `one`).
    public init(name: String) throws {
        switch name.lowercased() {
        case "warn": self = .warn
        case "0", "0.0", "zero": self = .zero
        case "1", "1.0", "one": self = .one
        case "nan": self = .nan
        default:
            throw EvalError.invalid(
                "zero_division: unknown value \"\(name)\"; use warn, 0, 1 or nan")
        }
    }

    /// The score given to a zero denominator.
    // reference: scikit-learn 1.9.1 _check_zero_division ("warn" counts as 0)
    var value: Double {
        switch self {
        case .warn, .zero: return 0
        case .one: return 1
        case .nan: return .nan
        }
    }
}
