/// Why a metric could not be computed: bad input, said precisely enough to fix it
/// (which file, row, field or option, and what to do).
public enum EvalError: Error, CustomStringConvertible, Equatable {
    /// The inputs or options of a metric are unusable as given.
    case invalid(String)

    public var description: String {
        switch self {
        case .invalid(let message): return message
        }
    }
}
