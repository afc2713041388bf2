import Foundation

/// Reads params files (YAML or JSON) once per run and looks up the values stages use.
public final class ParamsReader: @unchecked Sendable {
    let root: String
    private var files: [String: Value] = [:]
    private let mutex = NSLock()

    public init(root: String) { self.root = root }

    /// Forgets cached file contents (after a stage may have rewritten a params file).
    public func invalidate() {
        mutex.lock()
        files.removeAll()
        mutex.unlock()
    }

    func load(_ key: String, for stage: Stage, at loc: SourceLoc) throws -> Value {
        mutex.lock()
        defer { mutex.unlock() }
        if let v = files[key] { return v }
        let abs = key.hasPrefix("/") ? key : root + "/" + key
        guard FS.exists(abs) else {
            throw WeftError.spec(loc: loc, message: "stage '\(stage.id)': params file '\(key)' does not exist",
                                 hint: "create it, or remove the stage's 'params' entry")
        }
        let v = try DocumentLoader.load(path: abs, displayPath: key).value
        files[key] = v
        return v
    }

    /// The values a stage uses, as the lock records them: file as written → [(key, value)].
    public func values(for stage: Stage) throws -> [(String, [(String, Value)])] {
        var out: [(String, [(String, Value)])] = []
        for p in stage.params {
            let doc = try load(p.key, for: stage, at: p.loc)
            var kv: [(String, Value)] = []
            if p.keys.isEmpty {
                if case .dict(let d) = doc { kv = d }
            } else {
                for k in p.keys {
                    guard let v = doc.lookup(k) else {
                        let top: [String]
                        if case .dict(let d) = doc { top = d.map(\.0) } else { top = [] }
                        throw WeftError.spec(loc: p.loc, message: "stage '\(stage.id)': parameter '\(k)' is not in \(p.key)",
                                             hint: [didYouMean(k, top), "add it to \(p.key) or remove it from the stage's 'params'"].filter { !$0.isEmpty }.joined(separator: "; "))
                    }
                    kv.append((k, v))
                }
            }
            if let i = out.firstIndex(where: { $0.0 == p.file }) { out[i].1 += kv } else { out.append((p.file, kv)) }
        }
        return out
    }
}
