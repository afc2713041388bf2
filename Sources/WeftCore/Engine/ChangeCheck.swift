import Foundation

/// Why a stage has to run.
public enum ChangeReason: Sendable, Equatable, CustomStringConvertible {
    case newStage
    case commandChanged
    case depsChanged(added: [String], removed: [String])
    case outsChanged(added: [String], removed: [String])
    case depChanged(String)
    case depMissing(String)
    case paramChanged(file: String, key: String, old: Value?, new: Value?)
    case outMissing(String)
    case outModified(String)
    case alwaysChanged
    case upstreamChanged(String)
    case forced

    public var description: String {
        switch self {
        case .newStage: return "new stage"
        case .commandChanged: return "command changed"
        case let .depsChanged(a, r): return "deps changed:" + (a.isEmpty ? "" : " added " + a.joined(separator: ", ")) + (r.isEmpty ? "" : " removed " + r.joined(separator: ", "))
        case let .outsChanged(a, r): return "outs changed:" + (a.isEmpty ? "" : " added " + a.joined(separator: ", ")) + (r.isEmpty ? "" : " removed " + r.joined(separator: ", "))
        case let .depChanged(p): return "dep changed: \(p)"
        case let .depMissing(p): return "dep missing: \(p)"
        case let .paramChanged(f, k, o, n):
            return "param changed: \(k) \(o?.display ?? "(none)") → \(n?.display ?? "(removed)")" + (f == "params.yaml" ? "" : " (\(f))")
        case let .outMissing(p): return "out missing: \(p)"
        case let .outModified(p): return "out modified: \(p)"
        case .alwaysChanged: return "always_changed"
        case let .upstreamChanged(s): return "upstream stage '\(s)' will run"
        case .forced: return "forced"
        }
    }

    /// Machine-readable form for `status --json`.
    public var json: Value {
        switch self {
        case .newStage: return .dict([("kind", .string("new_stage"))])
        case .commandChanged: return .dict([("kind", .string("command_changed"))])
        case let .depsChanged(a, r):
            return .dict([("kind", .string("deps_changed")), ("added", .list(a.map { .string($0) })), ("removed", .list(r.map { .string($0) }))])
        case let .outsChanged(a, r):
            return .dict([("kind", .string("outs_changed")), ("added", .list(a.map { .string($0) })), ("removed", .list(r.map { .string($0) }))])
        case let .depChanged(p): return .dict([("kind", .string("dep_changed")), ("path", .string(p))])
        case let .depMissing(p): return .dict([("kind", .string("dep_missing")), ("path", .string(p))])
        case let .paramChanged(f, k, o, n):
            return .dict([("kind", .string("param_changed")), ("file", .string(f)), ("key", .string(k)), ("old", o ?? .null), ("new", n ?? .null)])
        case let .outMissing(p): return .dict([("kind", .string("out_missing")), ("path", .string(p))])
        case let .outModified(p): return .dict([("kind", .string("out_modified")), ("path", .string(p))])
        case .alwaysChanged: return .dict([("kind", .string("always_changed"))])
        case let .upstreamChanged(s): return .dict([("kind", .string("upstream_changed")), ("stage", .string(s))])
        case .forced: return .dict([("kind", .string("forced"))])
        }
    }
}

/// The current state of a stage's inputs, and what differs from its lock entry.
public struct StageCheck: Sendable {
    public var reasons: [ChangeReason]
    public var deps: [LockedPath]
    public var params: [(String, [(String, Value)])]
    /// Current out hashes (nil where missing).
    public var outs: [(Stage.Out, HashInfo?)]
    public var needsRun: Bool { !reasons.isEmpty }
}

/// Compares a stage against its lock entry, hashing through the state DB.
public struct ChangeChecker: Sendable {
    public let hasher: PathHasher
    public let params: ParamsReader

    public init(hasher: PathHasher, params: ParamsReader) {
        self.hasher = hasher
        self.params = params
    }

    public func check(_ stage: Stage, locked: LockEntry?, hashOuts: Bool = true) throws -> StageCheck {
        var reasons: [ChangeReason] = []
        var deps: [LockedPath] = []
        for d in stage.deps {
            if let h = try hasher.hash(d.key) {
                deps.append(LockedPath(path: d.path, info: h))
            } else {
                reasons.append(.depMissing(d.path))
            }
        }
        let params = try self.params.values(for: stage)
        var outs: [(Stage.Out, HashInfo?)] = []
        if hashOuts {
            for o in stage.outs { outs.append((o, try hasher.hash(o.key))) }
        }
        guard let locked else {
            // Keep any missing dep: a new stage that cannot run must not look merely new.
            return StageCheck(reasons: [.newStage] + reasons, deps: deps, params: params, outs: outs)
        }
        if LockEntry.definition(of: stage) != locked.definition || !locked.env.elementsEqual(stage.env, by: { $0 == $1 }) {
            reasons.append(.commandChanged)
        }
        let nowDeps = stage.deps.map(\.path), wasDeps = locked.deps.map(\.path)
        if Set(nowDeps) != Set(wasDeps) {
            reasons.append(.depsChanged(added: nowDeps.filter { !wasDeps.contains($0) }, removed: wasDeps.filter { !nowDeps.contains($0) }))
        }
        let nowOuts = stage.outs.map(\.path), wasOuts = locked.outs.map(\.path)
        if Set(nowOuts) != Set(wasOuts) {
            reasons.append(.outsChanged(added: nowOuts.filter { !wasOuts.contains($0) }, removed: wasOuts.filter { !nowOuts.contains($0) }))
        }
        for d in deps {
            if let old = locked.deps.first(where: { $0.path == d.path }), old.info.hash != d.info.hash {
                reasons.append(.depChanged(d.path))
            }
        }
        for (file, kv) in params {
            let old = locked.params.first(where: { $0.0 == file })?.1 ?? []
            for (k, v) in kv {
                let o = old.first(where: { $0.0 == k })?.1
                if o != v { reasons.append(.paramChanged(file: file, key: k, old: o, new: v)) }
            }
            for (k, o) in old where !kv.contains(where: { $0.0 == k }) {
                reasons.append(.paramChanged(file: file, key: k, old: o, new: nil))
            }
        }
        for (o, h) in outs {
            guard let h else { reasons.append(.outMissing(o.path)); continue }
            if let was = locked.outs.first(where: { $0.path == o.path }), was.info.hash != h.hash {
                reasons.append(.outModified(o.path))
            }
        }
        if stage.alwaysChanged { reasons.append(.alwaysChanged) }
        return StageCheck(reasons: reasons, deps: deps, params: params, outs: outs)
    }
}
