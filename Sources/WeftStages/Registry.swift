import Foundation
import WeftCore
import WeftText

/// What a built-in stage gets to work with: its resolved parameters and a log.
public struct StageContext: Sendable {
    /// The `with:` values after validation and defaults, as the lock records them.
    public var with: Value
    /// Prints a line to the stage's output (its log, and the console).
    public var log: @Sendable (String) -> Void

    public func string(_ key: String) throws -> String {
        guard case .string(let s)? = with[key] else { throw BuiltinError.badParameter(key, "a string") }
        return s
    }

    public func strings(_ key: String) throws -> [String] {
        guard case .list(let l)? = with[key] else { throw BuiltinError.badParameter(key, "a list") }
        return try l.map { v in
            guard case .string(let s) = v else { throw BuiltinError.badParameter(key, "a list of strings") }
            return s
        }
    }

    public func bool(_ key: String) throws -> Bool {
        guard case .bool(let b)? = with[key] else { throw BuiltinError.badParameter(key, "a bool") }
        return b
    }

    public func int(_ key: String) throws -> Int {
        guard case .int(let i)? = with[key] else { throw BuiltinError.badParameter(key, "an integer") }
        return i
    }

    public func double(_ key: String) throws -> Double {
        switch with[key] {
        case .double(let d)?: return d
        case .int(let i)?: return Double(i)
        default: throw BuiltinError.badParameter(key, "a number")
        }
    }

    /// A string parameter whose default is null: nil when unset.
    public func optionalString(_ key: String) throws -> String? {
        switch with[key] {
        case .null?, nil: return nil
        case .string(let s)?: return s
        default: throw BuiltinError.badParameter(key, "a string or null")
        }
    }

    /// A choice parameter parsed into a `RawRepresentable` enum.
    public func choice<E: RawRepresentable>(_ key: String, as: E.Type) throws -> E where E.RawValue == String {
        guard let raw = with[key]?.interpolationText, let e = E(rawValue: raw) else {
            throw BuiltinError.badParameter(key, "one of the manifest's values")
        }
        return e
    }

    /// `threads: 0` means every core this process may use.
    public func threads(_ key: String = "threads") throws -> Int {
        let t = try int(key)
        return t > 0 ? t : ParallelMap.defaultThreads
    }
}

public enum BuiltinError: Error, CustomStringConvertible {
    case badParameter(String, String)
    case unknownStage(String)
    case versionMismatch(String, Int, Int)

    public var description: String {
        switch self {
        case let .badParameter(k, t): return "parameter '\(k)' must be \(t)"
        case let .unknownStage(n): return "no built-in stage '\(n)' in this weft binary"
        case let .versionMismatch(n, want, have):
            return "built-in '\(n)' version \(want) was requested but this weft binary implements version \(have)"
        }
    }
}

/// A built-in stage implementation. Runs in a `weft exec-stage` child process whose
/// working directory is the stage's `wdir`, so path parameters resolve as written.
public protocol BuiltinStage: Sendable {
    static var name: String { get }
    static func run(_ ctx: StageContext) throws
}

/// The built-in stages this binary implements, and the manifests that describe them.
public enum BuiltinRegistry {
    public static let implementations: [String: any BuiltinStage.Type] = [
        ConcatStage.name: ConcatStage.self,
        CleanStage.name: CleanStage.self,
        SplitStage.name: SplitStage.self,
        ValidateStage.name: ValidateStage.self,
        AugmentStage.name: AugmentStage.self,
        BPETrainStage.name: BPETrainStage.self,
        WordNetImportStage.name: WordNetImportStage.self,
        DedupStage.name: DedupStage.self,
        TokenizeStage.name: TokenizeStage.self,
        EvaluateStage.name: EvaluateStage.self,
        FinetuneStage.name: FinetuneStage.self,
        PretrainStage.name: PretrainStage.self,
        MergeStage.name: MergeStage.self,
    ]

    /// The catalog parsed from the manifests embedded at build time from `stages/*.yaml`.
    public static func catalog() throws -> StageCatalog {
        try StageCatalog(texts: embeddedStageManifests)
    }

    /// Runs built-in `name` at manifest `version` with `with` (already resolved by the engine).
    public static func run(name: String, version: Int, with: Value, log: @escaping @Sendable (String) -> Void) throws {
        guard let impl = implementations[name], let man = try catalog().manifests[name] else {
            throw BuiltinError.unknownStage(name)
        }
        guard man.version == version else { throw BuiltinError.versionMismatch(name, version, man.version) }
        try impl.run(StageContext(with: with, log: log))
    }
}
