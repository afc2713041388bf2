import Foundation

/// One output of `weft repro --rev`: what the revision's lock recorded and what came out now.
public struct ReproducedOutput: Sendable {
    public var stage: String
    public var output: String
    /// nil when the revision never recorded the stage.
    public var recorded: String?
    /// nil when the stage did not run (failed or blocked).
    public var reproduced: String?
    public var match: Bool { recorded != nil && recorded == reproduced }
    /// Built-in stages: the BLAS kernels and threads of the recorded run and of this one.
    public var recordedBLAS: String?
    public var reproducedBLAS: String?
}

/// The outcome of reproducing a revision.
public struct ReproductionReport: Sendable {
    public var revision: String
    public var commit: GitOID
    public var outputs: [ReproducedOutput]
    /// The first stage (in DAG order) whose outputs differ although its inputs matched.
    public var nondeterministic: String?
    public var failures: [String]
    public var interrupted: Bool
    public var mismatches: Int { outputs.filter { $0.recorded != nil && !$0.match }.count }
}

/// Writes a temporary project's settings so it shares the workspace's cache.
func shareCache(with vp: VersionedProject, projectRoot: String) throws {
    let c = try WorkspaceConfig.load(root: vp.root)
    let types = c.linkTypes.map(\.rawValue).joined(separator: ", ")
    let blas: String
    switch c.blasCoreType {
    case .auto: blas = "auto"
    case .env: blas = "env"
    case .named(let n): blas = n
    }
    try FS.makeDirs(projectRoot + "/.weft")
    try FS.writeAtomically(projectRoot + "/.weft/config.yaml",
                           "cache:\n  dir: \(Value.string(c.cacheDir).canonicalJSON)\n  type: [\(types)]\nblas_coretype: \(blas)\n", sync: false)
}

/// Restores the inputs a revision's lock recorded that its git tree lacks (data produced by
/// no stage and not committed): from the cache, or from the workspace when the file there
/// still has the recorded hash. Throws naming every one it cannot.
func restoreRecordedInputs(_ ws: Workspace, recorded: [String: LockEntry], revision: String, workspaceRoot: String) throws {
    var missing: [String] = []
    var done = Set<String>()
    let current = PathHasher(root: workspaceRoot, state: try StateDB(path: workspaceRoot + "/.weft/state.db"))
    for s in ws.project.stages {
        guard let e = recorded[s.id] else { continue }
        for d in s.deps where !FS.exists(ws.hasher.absolute(d.key)) && !done.contains(d.key) {
            let produced = ws.project.graph.producers[d.key] != nil
                || RelPath.ancestors(d.key).contains { ws.project.graph.producers[$0] != nil }
            if produced { continue }
            guard let rec = e.deps.first(where: { $0.path == d.path }) else { continue }
            if ws.store.contains(rec.info.hash) {
                try ws.store.checkout(hash: rec.info.hash, to: ws.hasher.absolute(d.key))
            } else if !d.key.hasPrefix("/"), try current.hash(d.key)?.hash == rec.info.hash {
                try copyTree(from: current.absolute(d.key), to: ws.hasher.absolute(d.key))
            } else {
                missing.append("\(d.key) (input of stage '\(s.id)', \(rec.info.hash.prefix(12))…)")
                continue
            }
            done.insert(d.key)
        }
    }
    if !missing.isEmpty {
        throw WeftError.cache(message: "revision '\(revision)': inputs that are not in its git tree, not in the cache, and not in the workspace as recorded:\n"
                                + missing.map { "  " + $0 }.joined(separator: "\n"),
                              hint: "put the recorded version of these files back into the workspace (or commit them), then retry")
    }
}

/// `weft repro --rev REV`: takes the pipelines, params and lock recorded at REV into a
/// temporary folder (never the user's working tree), restores recorded inputs from the
/// cache, runs every selected stage, and compares each output's hash with the record.
public func reproduceRevision(_ vp: VersionedProject, rev: String, targets: [String], jobs: Int, console: Console,
                              children: ChildRegistry, launcher: @escaping BuiltinLauncher) throws -> ReproductionReport {
    let commit = try vp.resolve(rev)
    let temp = try vp.tempDir("repro-" + commit.short)
    defer { try? FS.remove(temp) }
    try vp.repo.materialise(commit, into: temp)
    let root = vp.prefix.isEmpty ? temp : temp + "/" + vp.prefix
    guard FS.exists(root) else {
        throw WeftError.git(message: "revision '\(rev)' (\(commit.short)) has no '\(vp.prefix)' folder", hint: "the project did not exist yet at that commit")
    }
    try shareCache(with: vp, projectRoot: root)
    let ws: Workspace
    do {
        ws = try Workspace(root: root, catalog: vp.catalog)
    } catch {
        throw WeftError.git(message: "revision '\(rev)' (\(commit.short)): its pipeline does not load: \(error)", hint: "")
    }
    var recorded: [String: LockEntry] = [:]
    for f in ws.project.files {
        let lock = try ws.lock(for: f)
        for s in f.stages { if let e = lock.entry(s.name) { recorded[s.id] = e } }
    }
    if recorded.isEmpty {
        throw WeftError.git(message: "revision '\(rev)' (\(commit.short)) has no lock file entries: nothing was recorded to reproduce",
                            hint: "commit the lock files (pipelines/*.lock, dvc.lock) after 'weft repro'")
    }
    try restoreRecordedInputs(ws, recorded: recorded, revision: rev, workspaceRoot: vp.root)

    var o = ReproOptions()
    o.targets = targets
    o.force = true
    o.noRunCache = true
    o.jobs = jobs
    let result = try Executor(workspace: ws, options: o, console: console, children: children, launcher: launcher).run()

    var outputs: [ReproducedOutput] = []
    var nondeterministic: String?
    let selected = try selectStages(ws.project, targets: targets, singleItem: false, downstream: false)
    for i in selected {
        let s = ws.project.stages[i]
        let before = recorded[s.id]
        let after = try ws.lock(for: ws.project.file(of: s)).entry(s.name)
        var differs = false
        for out in s.outs {
            let r = before?.outs.first(where: { $0.path == out.path })?.info.hash
            let n = after?.outs.first(where: { $0.path == out.path })?.info.hash
            let row = ReproducedOutput(stage: s.id, output: out.key, recorded: r, reproduced: n, recordedBLAS: before?.blas, reproducedBLAS: after?.blas)
            if r != nil && !row.match { differs = true }
            outputs.append(row)
        }
        if differs, nondeterministic == nil, let before, let after, inputsMatch(before, after) { nondeterministic = s.id }
    }
    return ReproductionReport(revision: rev, commit: commit, outputs: outputs, nondeterministic: nondeterministic,
                              failures: result.failures, interrupted: result.interrupted)
}

/// Same dependency hashes and param values: the stage saw exactly what it saw at the revision.
func inputsMatch(_ a: LockEntry, _ b: LockEntry) -> Bool {
    let da = Dictionary(a.deps.map { ($0.path, $0.info.hash) }, uniquingKeysWith: { x, _ in x })
    let db = Dictionary(b.deps.map { ($0.path, $0.info.hash) }, uniquingKeysWith: { x, _ in x })
    guard da == db, a.params.count == b.params.count else { return false }
    for (x, y) in zip(a.params, b.params) {
        guard x.0 == y.0, x.1.count == y.1.count else { return false }
        for (p, q) in zip(x.1, y.1) where p.0 != q.0 || p.1 != q.1 { return false }
    }
    return true
}

/// The table `repro --rev` prints: stage, output, recorded hash, reproduced hash, match.
public func renderReproduction(_ r: ReproductionReport) -> String {
    var rows = [["stage", "output", "recorded", "reproduced", "match"]]
    for o in r.outputs {
        rows.append([o.stage, o.output, o.recorded.map { String($0.prefix(12)) } ?? "(not recorded)",
                     o.reproduced.map { String($0.prefix(12)) } ?? "(not run)",
                     o.recorded == nil ? "-" : o.match ? "yes" : "NO"])
    }
    var out = renderTextTable(rows)
    let ok = r.outputs.filter(\.match).count
    out += "\n\(ok) of \(r.outputs.filter { $0.recorded != nil }.count) recorded outputs of \(r.revision) (\(r.commit.short)) reproduced bit for bit."
    if let s = r.nondeterministic {
        out += "\nStage '\(s)' is not deterministic: its inputs matched the record, its outputs did not."
    }
    out += blasNotes(r.outputs)
    return out
}

/// Columns padded to their widest cell, a rule under the header.
public func renderTextTable(_ rows: [[String]]) -> String {
    guard let head = rows.first else { return "" }
    var width = [Int](repeating: 0, count: head.count)
    for r in rows { for (i, c) in r.enumerated() where i < width.count { width[i] = max(width[i], c.count) } }
    func line(_ r: [String]) -> String {
        r.enumerated().map { i, c in i == r.count - 1 ? c : c.padding(toLength: width[i], withPad: " ", startingAt: 0) }
            .joined(separator: "  ").trimmingCharacters(in: .whitespaces)
    }
    var lines = [line(head), width.map { String(repeating: "-", count: $0) }.joined(separator: "  ")]
    lines += rows.dropFirst().map(line)
    return lines.joined(separator: "\n")
}

/// `weft checkout --rev REV`: puts the outputs REV recorded into the workspace from the
/// cache. An output whose current bytes exist nowhere else (not in the cache) is kept
/// unless `force`. Returns what was restored; throws naming what could not be.
public func checkoutRevision(_ vp: VersionedProject, ws: Workspace, rev: String, targets: [String], force: Bool,
                             console: Console) throws -> Int {
    let commit = try vp.resolve(rev)
    let snap = try Snapshot(vp, commit: commit, label: rev, store: ws.store)
    let project = try snap.project()
    let selected = try selectStages(project, targets: targets, singleItem: false, downstream: false)
    var restored = 0
    var missing: [String] = []
    var refused: [String] = []
    for i in selected {
        let s = project.stages[i]
        guard let e = try snap.lock(project.file(of: s)).entry(s.name) else { continue }
        for o in s.outs where o.cache {
            guard let rec = e.outs.first(where: { $0.path == o.path }) else { continue }
            let now = try ws.hasher.hash(o.key)
            if now?.hash == rec.info.hash { continue }
            if let now, !force, !ws.store.contains(now.hash) {
                refused.append(o.key)
                continue
            }
            guard ws.store.contains(rec.info.hash) else { missing.append("\(o.key) (stage '\(s.id)')"); continue }
            do {
                let manifest = try ws.store.checkout(hash: rec.info.hash, to: ws.hasher.absolute(o.key))
                try ws.hasher.remember(o.key, rec.info, manifest: manifest)
                console.line((now == nil ? "A       " : "M       ") + o.key)
                restored += 1
            } catch WeftError.cache {
                missing.append("\(o.key) (stage '\(s.id)')")
            }
        }
    }
    ws.state.commit()
    var errors: [WeftError] = []
    if !refused.isEmpty {
        errors.append(.usage(message: "not overwritten: modified outputs whose contents are not in the cache:\n"
                             + refused.map { "  " + $0 }.joined(separator: "\n")
                             + "\n  hint: 'weft repro' to cache them first, or --force to overwrite (their contents are lost)"))
    }
    if !missing.isEmpty {
        errors.append(.cache(message: "revision '\(rev)' (\(commit.short)): outputs whose objects are not in the cache:\n"
                             + missing.map { "  " + $0 }.joined(separator: "\n"),
                             hint: "'weft repro --rev \(rev)' rebuilds them from that revision's pipeline and inputs"))
    }
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw WeftError.multiple(errors) }
    return restored
}

/// Every object any commit's lock files reference (for `gc --all-commits`), lock blobs
/// parsed once however many commits share them.
public func objectsReferencedByHistory(_ vp: VersionedProject, store: ObjectStore) throws -> Set<String> {
    var keep = Set<String>()
    var seen = Set<GitOID>()
    let under = vp.prefix.isEmpty ? "" : vp.prefix + "/"
    for c in try vp.repo.allCommits() {
        for f in try vp.repo.files(at: c) where f.path.hasPrefix(under) && f.path.hasSuffix(".lock") {
            let rel = String(f.path.dropFirst(under.count))
            guard rel == "dvc.lock" || rel == "weft.lock" || (rel.hasPrefix("pipelines/") && !rel.dropFirst(10).contains("/")) else { continue }
            guard seen.insert(f.blob).inserted else { continue }
            guard let lock = try? LockFile(path: rel, root: vp.root, bytes: vp.repo.blob(f.blob)) else { continue }
            for e in lock.entries.values {
                for p in e.outs + e.deps {
                    keep.insert(p.info.hash)
                    if p.info.isDir, store.contains(p.info.hash),
                       let m = try? DirManifest.decode(store.get(p.info.hash), origin: p.info.hash) {
                        for x in m { keep.insert(x.hash) }
                    }
                }
            }
        }
    }
    return keep
}

/// One line per built-in stage whose outputs differ from the record, naming the BLAS kernels
/// and threads then and now: different kernels round differently.
func blasNotes(_ outputs: [ReproducedOutput]) -> String {
    var out = "", told = Set<String>()
    for o in outputs where o.recorded != nil && !o.match && (o.recordedBLAS != nil || o.reproducedBLAS != nil) && !told.contains(o.stage) {
        told.insert(o.stage)
        let was = o.recordedBLAS ?? "not recorded", now = o.reproducedBLAS ?? "not recorded"
        out += "\nStage '\(o.stage)': BLAS kernels then: \(was); now: \(now)"
            + (was == now ? "." : " (different kernels round differently; set blas_coretype in .weft/config.yaml to match).")
    }
    return out
}
