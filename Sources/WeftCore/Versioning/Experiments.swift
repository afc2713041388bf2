import Foundation

/// An experiment as git stores it: a commit on `refs/exps/<name>` (done) or
/// `refs/exps-queue/<name>` (queued) whose parent is the baseline commit.
public struct Experiment: Sendable {
    public enum State: String, Sendable { case queued, succeeded, failed }
    public var name: String
    public var commit: GitOID
    public var baseline: GitOID?
    public var state: State
    public var failedStage: String?
    public var overrides: [String]
    public var targets: [String]
    /// The `-m` note, if one was given.
    public var message: String?
    /// Microseconds since 1970 when it was queued (queue order).
    public var time: Int64
}

/// What `weft exp run` needs besides the repository.
public struct ExperimentRequest: Sendable {
    public var targets: [String] = []
    public var overrides: [ParamOverride] = []
    public var name: String?
    public var message: String?
    public init() {}
}

/// DVC-style experiments on libgit2: every run happens in a temporary checkout; results
/// are commits on experiment refs. The user's branch, index and working tree are never touched.
public struct Experiments: Sendable {
    public let vp: VersionedProject
    public let launcher: BuiltinLauncher

    public init(_ vp: VersionedProject, launcher: @escaping BuiltinLauncher) {
        self.vp = vp
        self.launcher = launcher
    }

    // MARK: reading

    /// Every experiment, queued ones first in queue order, then done ones by time.
    public func list() throws -> [Experiment] {
        var out: [Experiment] = []
        for (prefix, queued) in [(VersionedProject.queueRefs, true), (VersionedProject.expRefs, false)] {
            for ref in try vp.repo.refNames(matching: prefix + "*") {
                guard let id = vp.repo.refTarget(ref) else { continue }
                out.append(try experiment(named: String(ref.dropFirst(prefix.count)), commit: id, queued: queued))
            }
        }
        return out.sorted { ($0.state == .queued ? 0 : 1, $0.time, $0.name) < ($1.state == .queued ? 0 : 1, $1.time, $1.name) }
    }

    func experiment(named name: String, commit: GitOID, queued: Bool) throws -> Experiment {
        let info = try vp.repo.commitInfo(commit)
        var trailers: [String: [String]] = [:]
        for line in info.message.split(separator: "\n") {
            guard line.hasPrefix("Weft-"), let colon = line.firstIndex(of: ":") else { continue }
            trailers[String(line[..<colon]), default: []].append(String(line[line.index(after: colon)...]).trimmingCharacters(in: .whitespaces))
        }
        let state: Experiment.State = queued ? .queued : trailers["Weft-Exp-Status"]?.first == "failed" ? .failed : .succeeded
        // Queue order: microseconds recorded at queueing (commit times have whole seconds).
        let time = trailers["Weft-Exp-Queued"]?.first.flatMap { Int64($0) } ?? info.time * 1_000_000
        return Experiment(name: name, commit: commit, baseline: info.parents.first, state: state,
                          failedStage: trailers["Weft-Exp-Failed-Stage"]?.first, overrides: trailers["Weft-Exp-Set"] ?? [],
                          targets: trailers["Weft-Exp-Target"] ?? [], message: trailers["Weft-Exp-Message"]?.first, time: time)
    }

    /// A done experiment by name.
    public func done(_ name: String) throws -> Experiment {
        guard let id = vp.repo.refTarget(VersionedProject.expRefs + name) else {
            let names = try list().map(\.name)
            throw WeftError.usage(message: "no experiment named '\(name)'" + [didYouMean(name, names)].filter { !$0.isEmpty }.map { " (\($0))" }.joined()
                                  + "\n  hint: 'weft exp show' lists them")
        }
        return try experiment(named: name, commit: id, queued: false)
    }

    // MARK: preparing

    /// Files of the workspace that differ from HEAD and belong in an experiment: every
    /// tracked file under the project that changed, plus pipeline, lock and params files.
    func workspaceChanges(head: GitOID) throws -> [(String, [UInt8]?)] {
        let under = vp.prefix.isEmpty ? "" : vp.prefix + "/"
        var changes: [(String, [UInt8]?)] = []
        var seen = Set<String>()
        for f in try vp.repo.files(at: head) where f.path.hasPrefix(under) && f.mode != 0o120000 {
            let rel = String(f.path.dropFirst(under.count))
            seen.insert(rel)
            let abs = vp.root + "/" + rel
            guard let info = FS.info(abs, follow: false) else { changes.append((f.path, nil)); continue }
            guard !info.isDir, let bytes = FS.read(abs) else { continue }
            if GitRepo.blobID(of: bytes) != f.blob { changes.append((f.path, bytes)) }
        }
        var extra = Project.pipelineFiles(root: vp.root)
        extra += extra.map { PipelineFile.lockPath(for: $0) }
        if let p = try? Project.load(root: vp.root, catalog: vp.catalog) {
            for s in p.stages { for x in s.params where !x.key.hasPrefix("/") { extra.append(x.key) } }
        }
        extra.append("params.yaml")
        for rel in extra where !seen.contains(rel) {
            seen.insert(rel)
            if let b = FS.read(vp.root + "/" + rel) { changes.append((vp.repoPath(rel), b)) }
        }
        return changes
    }

    /// The commit an experiment runs from: HEAD's tree plus the workspace's changes plus the
    /// params overrides, with HEAD as parent. Validates the overrides against the params files.
    func inputCommit(_ req: ExperimentRequest, name: String) throws -> GitOID {
        guard let head = try vp.repo.head() else {
            throw WeftError.git(message: "experiments need a commit to start from, and this repository has none yet",
                                hint: "commit your pipeline first (git add -A && git commit -m 'pipeline')")
        }
        var files = try workspaceChanges(head: head)
        for (rel, bytes) in try overriddenParams(req.overrides, root: vp.root) {
            let p = vp.repoPath(rel)
            files.removeAll { $0.0 == p }
            files.append((p, bytes))
        }
        let tree = try vp.repo.tree(base: head, changing: files)
        var msg = "weft exp queued: \(name)\n\n"
        msg += "Weft-Exp-Queued: \(Int64(Date().timeIntervalSince1970 * 1e6))\n"
        for o in req.overrides { msg += "Weft-Exp-Set: \(o.text)\n" }
        for t in req.targets { msg += "Weft-Exp-Target: \(t)\n" }
        if let m = req.message { msg += "Weft-Exp-Message: \(m.split(whereSeparator: \.isNewline).joined(separator: " "))\n" }
        return try vp.repo.commit(tree: tree, parents: [head], message: msg)
    }

    /// A fresh readable name (`exp-brisk-otter`) derived from the input, never one in use.
    func newName(seed: String) throws -> String {
        let adjectives = ["amber", "brisk", "calm", "deft", "eager", "fair", "gentle", "hardy", "ivory", "jolly", "keen", "lucid",
                          "mellow", "nimble", "olive", "plucky", "quiet", "rapid", "sunny", "tidy", "urban", "vivid", "witty", "zesty"]
        let nouns = ["otter", "heron", "lynx", "finch", "bison", "koala", "marten", "newt", "orca", "puffin", "quail", "raven",
                     "seal", "tapir", "vole", "walrus", "yak", "zebra", "badger", "crane", "dingo", "egret", "ferret", "gecko"]
        let h = Array(ContentHash.of(seed).utf8)
        let a = Int(h[0]) * 7 + Int(h[1]), n = Int(h[2]) * 5 + Int(h[3])
        let base = "exp-\(adjectives[a % adjectives.count])-\(nouns[n % nouns.count])"
        var name = base
        var k = 2
        while try taken(name) {
            name = "\(base)-\(k)"
            k += 1
        }
        return name
    }

    func taken(_ name: String) throws -> Bool {
        vp.repo.refTarget(VersionedProject.expRefs + name) != nil || vp.repo.refTarget(VersionedProject.queueRefs + name) != nil
    }

    /// Checks a user-given experiment name: a single ref component.
    static func validate(_ name: String) throws {
        let ok = !name.isEmpty && !name.hasPrefix(".") && !name.hasPrefix("-") && !name.hasSuffix(".lock")
            && name.unicodeScalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil || "-_.".unicodeScalars.contains($0) }
            && !name.contains("..")
        guard ok else {
            throw WeftError.usage(message: "'\(name)' cannot name an experiment\n  hint: use letters, digits, '-', '_' and '.'")
        }
    }

    /// Resolves the name for a new experiment and rejects one already used.
    func name(for req: ExperimentRequest) throws -> String {
        if let n = req.name {
            try Self.validate(n)
            if try taken(n) {
                throw WeftError.usage(message: "an experiment named '\(n)' already exists\n  hint: pick another -n, or 'weft exp remove \(n)'")
            }
            return n
        }
        return try newName(seed: req.overrides.map(\.text).joined(separator: "\n") + "\(Date().timeIntervalSince1970)\(getpid())")
    }

    /// `exp run --queue`: records the experiment's input on `refs/exps-queue/<name>`.
    public func queue(_ req: ExperimentRequest) throws -> String {
        let name = try name(for: req)
        let input = try inputCommit(req, name: name)
        try vp.repo.setRef(VersionedProject.queueRefs + name, to: input, message: "weft exp queue", force: false)
        return name
    }

    // MARK: running

    /// `exp run`: prepares and runs one experiment now.
    public func run(_ req: ExperimentRequest, jobs: Int, console: Console, children: ChildRegistry) throws -> Experiment {
        let name = try name(for: req)
        let input = try inputCommit(req, name: name)
        return try execute(name: name, input: input, pool: SlotPool(capacity: jobs), console: console, children: children)
    }

    /// `exp run --run-all -j N`: runs every queued experiment, N at a time, all sharing N
    /// stage slots. Returns them in queue order.
    public func runQueue(jobs: Int, console: Console, children: ChildRegistry) throws -> [Experiment] {
        let queued = try list().filter { $0.state == .queued }
        guard !queued.isEmpty else { return [] }
        let pool = SlotPool(capacity: jobs)
        let results = Locked<[String: Result<Experiment, Error>]>([:])
        let next = Locked(0)
        let workers = min(jobs, queued.count)
        // Threads, not concurrentPerform: that caps the parallelism at the core count, and each
        // worker mostly waits on its stages' child processes.
        let group = DispatchGroup()
        for _ in 0..<workers {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                while true {
                let k: Int = next.withLock { n in defer { n += 1 }; return n }
                guard k < queued.count, !children.isInterrupted else { return }
                let e = queued[k]
                let c = Console(liveStatus: false, prefix: workers > 1 ? "[\(e.name)] " : "")
                let r = Result { try execute(name: e.name, input: e.commit, pool: pool, console: c, children: children) }
                if case .failure(let err) = r { c.error("ERROR: \(err)") }
                results.withLock { $0[e.name] = r }
                }
            }
        }
        group.wait()
        let done = results.withLock { $0 }
        return try queued.compactMap { e in try done[e.name]?.get() }
    }

    /// Runs an experiment's input commit in a temporary checkout and records the result on
    /// `refs/exps/<name>` (also when a stage fails: the experiment is then marked failed).
    func execute(name: String, input: GitOID, pool: SlotPool, console: Console, children: ChildRegistry) throws -> Experiment {
        let info = try vp.repo.commitInfo(input)
        let queuedReq = try experiment(named: name, commit: input, queued: true)
        let temp = try vp.tempDir("exp-" + name)
        defer { try? FS.remove(temp) }
        try vp.repo.materialise(input, into: temp)
        let root = vp.prefix.isEmpty ? temp : temp + "/" + vp.prefix
        try shareCache(with: vp, projectRoot: root)
        let ws = try Workspace(root: root, catalog: vp.catalog)
        try restoreExperimentInputs(ws)

        console.line("Running experiment '\(name)'" + (queuedReq.overrides.isEmpty ? "" : " (" + queuedReq.overrides.joined(separator: ", ") + ")"))
        var o = ReproOptions()
        o.targets = queuedReq.targets
        o.pool = pool
        o.jobs = pool.capacity
        let result: Executor.Result
        do {
            result = try Executor(workspace: ws, options: o, console: console, children: children, launcher: launcher).run()
        } catch {
            result = Executor.Result(outcomes: [], failures: ["\(error)"], interrupted: false)
        }
        if result.interrupted {
            throw WeftError.usage(message: "experiment '\(name)' interrupted; nothing recorded (still queued if it was)")
        }
        let failed = result.outcomes.first { if case .failed = $0.1 { return true } else { return false } }?.0
        for f in result.failures { console.error("ERROR: " + f) }

        // Record params, locks, pipelines and metrics (metrics may be cached outputs: force them in).
        var files: [(String, [UInt8]?)] = []
        var record = Project.pipelineFiles(root: root)
        record += record.map { PipelineFile.lockPath(for: $0) }
        let snap = Snapshot(workspace: root, catalog: vp.catalog, store: ws.store)
        record += (try? snap.paramsFiles()) ?? []
        record += (try? snap.metricsFiles()) ?? []
        for rel in Set(record).sorted() {
            if let b = FS.read(root + "/" + rel), FS.info(root + "/" + rel)?.isDir == false { files.append((vp.repoPath(rel), b)) }
        }
        let tree = try vp.repo.tree(base: input, changing: files)
        var msg = "weft exp: \(name)\n\n"
        if let m = queuedReq.message { msg += m + "\n\nWeft-Exp-Message: \(m)\n" }
        for s in queuedReq.overrides { msg += "Weft-Exp-Set: \(s)\n" }
        for t in queuedReq.targets { msg += "Weft-Exp-Target: \(t)\n" }
        msg += "Weft-Exp-Queued: \(queuedReq.time)\n"
        msg += "Weft-Exp-Status: \(result.failures.isEmpty ? "succeeded" : "failed")\n"
        if let failed { msg += "Weft-Exp-Failed-Stage: \(failed)\n" }
        let commit = try vp.repo.commit(tree: tree, parents: info.parents, message: msg)
        try vp.repo.setRef(VersionedProject.expRefs + name, to: commit, message: "weft exp run")
        try vp.repo.deleteRef(VersionedProject.queueRefs + name)
        console.line(result.failures.isEmpty ? "Experiment '\(name)' done: \(commit.short)"
                                             : "Experiment '\(name)' FAILED at stage '\(failed ?? "?")': recorded as failed (\(commit.short))")
        return try experiment(named: name, commit: commit, queued: false)
    }

    /// Outputs the copied locks record come back from the cache (so unchanged stages skip);
    /// inputs produced by no stage and not in git come from the cache or the workspace.
    func restoreExperimentInputs(_ ws: Workspace) throws {
        for s in ws.project.stages {
            guard let e = try ws.lock(for: ws.project.file(of: s)).entry(s.name) else { continue }
            for o in s.outs where o.cache {
                guard let rec = e.outs.first(where: { $0.path == o.path }), ws.store.contains(rec.info.hash),
                      !FS.exists(ws.hasher.absolute(o.key)) else { continue }
                if let m = try? ws.store.checkout(hash: rec.info.hash, to: ws.hasher.absolute(o.key)) {
                    try ws.hasher.remember(o.key, rec.info, manifest: m)
                } else {
                    try? ws.hasher.remember(o.key, rec.info, manifest: nil)
                }
            }
        }
        for s in ws.project.stages {
            for d in s.deps where !FS.exists(ws.hasher.absolute(d.key)) && !d.key.hasPrefix("/") {
                let produced = ws.project.graph.producers[d.key] != nil
                    || RelPath.ancestors(d.key).contains { ws.project.graph.producers[$0] != nil }
                if produced { continue }
                let rec = try ws.lock(for: ws.project.file(of: s)).entry(s.name)?.deps.first { $0.path == d.path }
                if let rec, ws.store.contains(rec.info.hash) {
                    try ws.store.checkout(hash: rec.info.hash, to: ws.hasher.absolute(d.key))
                } else if FS.exists(vp.root + "/" + d.key) {
                    try copyTree(from: vp.root + "/" + d.key, to: ws.hasher.absolute(d.key))
                }
            }
        }
        ws.state.commit()
    }

    // MARK: showing

    /// `exp show`: the workspace, HEAD and every experiment, with params and metrics.
    public func rows(store: ObjectStore) throws -> [RevisionRow] {
        var rows = [vp.row(Snapshot(workspace: vp.root, catalog: vp.catalog, store: store), name: "workspace")]
        if let head = try vp.repo.head() {
            rows.append(vp.row(try Snapshot(vp, commit: head, label: "HEAD", store: store), name: vp.repo.headBranch() ?? "HEAD"))
        }
        for e in try list() {
            let snap = try Snapshot(vp, commit: e.commit, label: e.name, store: store)
            var r = vp.row(snap, name: e.name, state: e.state.rawValue, baseline: e.baseline?.short, failedStage: e.failedStage)
            if e.state == .queued { r.metrics = [] }  // not run yet: its lock still describes the baseline
            rows.append(r)
        }
        return rows
    }

    // MARK: applying

    /// `exp apply NAME`: writes the experiment's params, locks, pipelines and tracked metrics
    /// into the workspace and restores its outputs from the cache. Refuses, changing nothing,
    /// if a file it would write has uncommitted changes of its own, or an output's current
    /// bytes exist nowhere else. Returns the paths written or restored.
    public func apply(_ name: String, store: ObjectStore, console: Console) throws -> [String] {
        let e = try done(name)
        guard e.state == .succeeded else {
            throw WeftError.usage(message: "experiment '\(name)' failed at stage '\(e.failedStage ?? "?")'; it is not applied\n  hint: 'weft exp show' for its results, 'weft exp remove \(name)' to drop it")
        }
        let head = try vp.repo.head()
        let under = vp.prefix.isEmpty ? "" : vp.prefix + "/"
        let snap = try Snapshot(vp, commit: e.commit, label: name, store: store)
        let project = try snap.project()
        let cachedOuts = Set(project.stages.flatMap { $0.outs.filter(\.cache).map(\.key) })

        var headFiles: [String: GitOID] = [:]
        if let head { for f in try vp.repo.files(at: head) { headFiles[f.path] = f.blob } }
        var writes: [(String, [UInt8])] = []
        var conflicts: [String] = []
        for f in try vp.repo.files(at: e.commit) where f.path.hasPrefix(under) && f.mode != 0o120000 {
            let rel = String(f.path.dropFirst(under.count))
            if headFiles[f.path] == f.blob || cachedOuts.contains(rel) { continue }
            let current = FS.read(vp.root + "/" + rel)
            let currentID = current.map { GitRepo.blobID(of: $0) }
            if currentID == f.blob { continue }
            // Uncommitted: the workspace differs from HEAD (or the file is new and not HEAD's).
            if let currentID, currentID != headFiles[f.path] { conflicts.append(rel) }
            writes.append((rel, try vp.repo.blob(f.blob)))
        }
        // Outputs: never overwrite bytes the cache does not hold.
        let hasher = PathHasher(root: vp.root, state: try StateDB(path: vp.root + "/.weft/state.db"))
        for s in project.stages {
            guard let entry = try snap.lock(project.file(of: s)).entry(s.name) else { continue }
            for o in s.outs where o.cache {
                guard let rec = entry.outs.first(where: { $0.path == o.path }), let now = try hasher.hash(o.key),
                      now.hash != rec.info.hash, !store.contains(now.hash) else { continue }
                conflicts.append(o.key + " (output not in the cache)")
            }
        }
        if !conflicts.isEmpty {
            throw WeftError.usage(message: "exp apply \(name): these have uncommitted changes that applying would overwrite:\n"
                                  + conflicts.map { "  " + $0 }.joined(separator: "\n")
                                  + "\n  hint: commit or stash them (or 'weft repro' to cache modified outputs), then apply again")
        }
        for (rel, bytes) in writes {
            let abs = vp.root + "/" + rel
            let parent = RelPath.parent(abs)
            if !FS.exists(parent) { try FS.makeDirs(parent) }
            try FS.writeAtomically(abs, bytes)
            console.line("M       " + rel)
        }
        let ws = try Workspace(root: vp.root, catalog: vp.catalog)
        _ = try checkoutOutputs(ws, targets: [], force: true, console: console)
        return writes.map(\.0)
    }

    // MARK: changing

    /// `exp remove`: deletes experiments (done or queued); returns the names removed.
    public func remove(_ names: [String]) throws -> [String] {
        var removed: [String] = []
        for n in names {
            let a = try vp.repo.deleteRef(VersionedProject.expRefs + n)
            let b = try vp.repo.deleteRef(VersionedProject.queueRefs + n)
            guard a || b else { throw WeftError.usage(message: "no experiment named '\(n)'\n  hint: 'weft exp show' lists them") }
            removed.append(n)
        }
        return removed
    }

    /// `exp branch NAME BRANCH`: a new branch at the experiment's commit.
    public func branch(_ name: String, _ branch: String) throws -> GitOID {
        let e = try done(name)
        try vp.repo.setRef("refs/heads/" + branch, to: e.commit, message: "weft exp branch \(name)", force: false)
        return e.commit
    }
}

/// Copies a file or folder (used for data the workspace has but neither git nor the cache).
func copyTree(from src: String, to dst: String) throws {
    guard let i = FS.info(src) else { return }
    let parent = RelPath.parent(dst)
    if !FS.exists(parent) { try FS.makeDirs(parent) }
    if !i.isDir {
        try FS.copyFile(from: src, to: dst, mode: i.mode & 0o111 != 0 ? 0o755 : 0o644)
        return
    }
    try FS.makeDirs(dst)
    for (rel, fi) in try FS.walkFiles(src) {
        let d = dst + "/" + rel
        let p = RelPath.parent(d)
        if !FS.exists(p) { try FS.makeDirs(p) }
        try FS.copyFile(from: src + "/" + rel, to: d, mode: fi.mode & 0o111 != 0 ? 0o755 : 0o644)
    }
}
