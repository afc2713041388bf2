/// The declarative description of a built-in stage (`stages/NAME.yaml`).
///
/// The engine needs only this to run a built-in: parameter types to validate
/// `with:`, defaults to fill in, and which parameters are paths it reads or writes
/// (those become the stage's deps and outs, so users never repeat them).
public struct StageManifest: Sendable {
    /// How a parameter's value relates to the file system.
    public enum IO: String, Sendable { case none, input, output, metrics, plots }

    /// A parameter's type.
    public enum ParamType: Sendable, Equatable, CustomStringConvertible {
        case string, int, float, bool, path
        case listOfPath, listOfString
        /// A mapping of names to scalars (e.g. `types: {text: string}`).
        case map
        case choice([String])

        public var description: String {
            switch self {
            case .string: return "string"
            case .int: return "int"
            case .float: return "float"
            case .bool: return "bool"
            case .path: return "path"
            case .listOfPath: return "list[path]"
            case .listOfString: return "list[string]"
            case .map: return "map"
            case .choice(let v): return "one of " + v.joined(separator: ", ")
            }
        }
    }

    /// One declared parameter.
    public struct Param: Sendable {
        public var name: String
        public var type: ParamType
        public var io: IO
        public var defaultValue: Value?
        public var doc: String
        /// For an output folder: the metrics and plots files the stage writes inside it.
        public var reports: [Stage.Report] = []
        /// For an output: kept in place while the stage runs (DVC's `persist: true`), so a
        /// stage can resume from what an interrupted run left there (checkpoints).
        public var persist = false
        public var required: Bool { defaultValue == nil }
    }

    public var name: String
    public var version: Int
    public var summary: String
    public var params: [Param]

    static let manifestKeys = ["name", "version", "summary", "params"]
    static let paramKeys = ["name", "type", "io", "default", "doc", "values", "reports", "persist"]

    /// Parses a manifest document; `file` names it in errors.
    public init(node: Node) throws {
        guard let entries = node.entries else {
            throw WeftError.spec(loc: node.loc, message: "a stage manifest must be a mapping", hint: "see stages/concat.yaml for the format")
        }
        for e in entries where !Self.manifestKeys.contains(e.key) {
            throw WeftError.spec(loc: e.keyLoc, message: "unknown manifest key '\(e.key)'", hint: didYouMean(e.key, Self.manifestKeys))
        }
        guard let name = node["name"]?.string, !name.isEmpty else {
            throw WeftError.spec(loc: node.loc, message: "manifest needs 'name'", hint: "")
        }
        guard case .scalar(.int(let version))? = node["version"]?.kind, version > 0 else {
            throw WeftError.spec(loc: node.loc, message: "manifest '\(name)' needs an integer 'version' ≥ 1", hint: "")
        }
        self.name = name
        self.version = version
        self.summary = node["summary"]?.string ?? ""
        var params: [Param] = []
        for p in node["params"]?.items ?? [] {
            for e in p.entries ?? [] where !Self.paramKeys.contains(e.key) {
                throw WeftError.spec(loc: e.keyLoc, message: "unknown parameter key '\(e.key)'", hint: didYouMean(e.key, Self.paramKeys))
            }
            guard let pname = p["name"]?.string, let tname = p["type"]?.string else {
                throw WeftError.spec(loc: p.loc, message: "each parameter needs 'name' and 'type'", hint: "")
            }
            let type: ParamType
            switch tname {
            case "string": type = .string
            case "int": type = .int
            case "float": type = .float
            case "bool": type = .bool
            case "path": type = .path
            case "list[path]": type = .listOfPath
            case "list[string]": type = .listOfString
            case "map": type = .map
            case "choice":
                let values = (p["values"]?.items ?? []).compactMap { $0.value.interpolationText }
                guard !values.isEmpty else {
                    throw WeftError.spec(loc: p.loc, message: "choice parameter '\(pname)' needs 'values'", hint: "")
                }
                type = .choice(values)
            default:
                throw WeftError.spec(loc: p["type"]!.loc, message: "unknown parameter type '\(tname)'",
                    hint: "use one of string, int, float, bool, path, list[path], list[string], map, choice")
            }
            let ioName = p["io"]?.string ?? "none"
            guard let io = IO(rawValue: ioName) else {
                throw WeftError.spec(loc: p["io"]!.loc, message: "unknown io '\(ioName)'", hint: "use none, input, output, metrics or plots")
            }
            if io != .none && type != .path && type != .listOfPath {
                throw WeftError.spec(loc: p.loc, message: "parameter '\(pname)' has io '\(ioName)' but type \(type)", hint: "io applies to path and list[path] parameters")
            }
            var param = Param(name: pname, type: type, io: io, defaultValue: p["default"]?.value, doc: p["doc"]?.string ?? "")
            if let d = param.defaultValue, case .null = d { param.defaultValue = .null }
            if let r = p["reports"] {
                guard io == .output, type == .path else {
                    throw WeftError.spec(loc: r.loc, message: "parameter '\(pname)': 'reports' belongs to an output folder (type path, io output)", hint: "")
                }
                param.reports = try Self.reports(r, of: pname)
            }
            if let ps = p["persist"] {
                guard io == .output, case .scalar(.bool(let b)) = ps.kind else {
                    throw WeftError.spec(loc: ps.loc, message: "parameter '\(pname)': 'persist' is a bool on an output (io output)", hint: "")
                }
                param.persist = b
            }
            params.append(param)
        }
        self.params = params
    }

    /// `reports: [{path: metrics.json, io: metrics}, {path: c.json, io: plots, template: confusion, x: ..., y: ...}]`.
    static func reports(_ node: Node, of param: String) throws -> [Stage.Report] {
        guard let items = node.items else {
            throw WeftError.spec(loc: node.loc, message: "parameter '\(param)': 'reports' must be a list of {path, io} mappings", hint: "")
        }
        return try items.map { item in
            guard let path = item["path"]?.string, !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else {
                throw WeftError.spec(loc: item.loc, message: "parameter '\(param)': each report needs a relative 'path' inside the folder", hint: "")
            }
            switch item["io"]?.string {
            case "metrics"?: return Stage.Report(path: path, kind: .metrics)
            case "plots"?:
                let options = (item.entries ?? []).filter { $0.key != "path" && $0.key != "io" }
                return Stage.Report(path: path, kind: .plots, plot: try PipelineLoader.plotOptions(options, of: path, context: "manifest parameter '\(param)'"))
            default:
                throw WeftError.spec(loc: item.loc, message: "parameter '\(param)': report '\(path)' needs io: metrics or io: plots", hint: "")
            }
        }
    }

    /// Checks `with:` against the declared parameters and returns the full parameter
    /// set in declaration order, defaults filled in and ints widened to floats.
    public func resolve(with node: Node?, stage: String) throws -> Value {
        let given = node?.entries ?? []
        if let node, node.entries == nil, !(node.value == .null) {
            throw WeftError.spec(loc: node.loc, message: "stage '\(stage)': 'with' must be a mapping of parameters", hint: "")
        }
        let names = params.map(\.name)
        for e in given where !names.contains(e.key) {
            throw WeftError.spec(
                loc: e.keyLoc, message: "stage '\(stage)': built-in '\(name)' has no parameter '\(e.key)'",
                hint: [didYouMean(e.key, names), "parameters: " + names.joined(separator: ", ")].filter { !$0.isEmpty }.joined(separator: "; "))
        }
        var out: [(String, Value)] = []
        for p in params {
            if let e = given.first(where: { $0.key == p.name }) {
                out.append((p.name, try check(e.value, p, stage: stage)))
            } else if let d = p.defaultValue {
                out.append((p.name, d))
            } else {
                throw WeftError.spec(
                    loc: node?.loc ?? SourceLoc(file: "?"), message: "stage '\(stage)': built-in '\(name)' needs parameter '\(p.name)' (\(p.type))",
                    hint: p.doc)
            }
        }
        return .dict(out)
    }

    func check(_ n: Node, _ p: Param, stage: String) throws -> Value {
        let v = n.value
        func bad(_ extra: String = "") -> WeftError {
            .spec(loc: n.loc, message: "stage '\(stage)': with.\(p.name): expected \(p.type), got \(v.typeName) \(v.display)",
                  hint: extra.isEmpty ? p.doc : extra)
        }
        switch (p.type, v) {
        case (.string, .string), (.path, .string), (.int, .int), (.float, .double), (.bool, .bool): return v
        case (.float, .int(let i)): return .double(Double(i))
        case (_, .null) where p.defaultValue == .null: return v
        case (.choice(let allowed), _):
            guard let t = v.interpolationText, allowed.contains(t) else {
                throw bad("allowed values: " + allowed.joined(separator: ", "))
            }
            return v
        case (.listOfPath, .list(let l)), (.listOfString, .list(let l)):
            for item in l { guard case .string = item else { throw bad() } }
            return v
        case (.listOfPath, .string), (.listOfString, .string): return .list([v])
        case (.map, .dict(let d)):
            for (_, item) in d {
                if case .list = item { throw bad("values of a map are scalars") }
                if case .dict = item { throw bad("values of a map are scalars") }
            }
            return v
        default: throw bad()
        }
    }
}

/// The set of built-in stages known to the engine, by name.
public struct StageCatalog: Sendable {
    public var manifests: [String: StageManifest]

    public init(manifests: [String: StageManifest] = [:]) { self.manifests = manifests }

    /// Parses manifest texts keyed by file stem (as embedded in the binary).
    public init(texts: [String: String]) throws {
        var m: [String: StageManifest] = [:]
        for (stem, text) in texts {
            let man = try StageManifest(node: try DocumentLoader.parse(text, file: "stages/\(stem).yaml"))
            m[man.name] = man
        }
        self.manifests = m
    }

    public var names: [String] { manifests.keys.sorted() }
}

import Foundation
