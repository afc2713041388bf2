import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What `weft repro` was asked to do.
public struct ReproOptions: Sendable {
    public var targets: [String] = []
    public var force = false
    public var singleItem = false
    public var downstream = false
    public var dry = false
    public var keepGoing = false
    public var noRunCache = false
    public var jobs = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Slots shared with other runs in this process (experiments run side by side);
    /// nil gives the run its own `jobs` slots.
    public var pool: SlotPool? = nil
    public init() {}
}

/// Scheduler slots shared by several executors, so that runs side by side never hold
/// more than `capacity` slots in total.
public final class SlotPool: @unchecked Sendable {
    public let capacity: Int
    private var free: Int
    private var waiters: [@Sendable () -> Void] = []
    private let mutex = NSLock()

    public init(capacity: Int) {
        self.capacity = max(1, capacity)
        free = self.capacity
    }

    func tryAcquire(_ n: Int) -> Bool {
        mutex.lock()
        defer { mutex.unlock() }
        guard free >= n else { return false }
        free -= n
        return true
    }

    /// Gives slots back and wakes every executor waiting for some. Call with no lock held:
    /// the wake-up takes each executor's own lock.
    func release(_ n: Int) {
        mutex.lock()
        free += n
        let wake = waiters
        mutex.unlock()
        for w in wake { w() }
    }

    func onRelease(_ w: @escaping @Sendable () -> Void) {
        mutex.lock()
        waiters.append(w)
        mutex.unlock()
    }
}

/// How a stage ended in one `repro`.
public enum StageOutcome: Sendable, Equatable {
    case skipped  // unchanged
    case ran
    case restored  // from the run cache
    case wouldRun  // --dry
    case frozen
    case failed(String)
    case blocked(String)  // an upstream stage failed
    case notStarted  // the run stopped before it
}

/// Turns a stage's built-in `uses:` into the command line of a child process.
public typealias BuiltinLauncher = @Sendable (_ name: String, _ version: Int, _ with: Value) -> [String]

/// Which stages a set of targets selects, in topological order.
public func selectStages(_ project: Project, targets: [String], singleItem: Bool, downstream: Bool) throws -> [Int] {
    let g = project.graph
    guard !targets.isEmpty else { return g.order }
    let t = try project.resolve(targets: targets)
    if singleItem { return g.order.filter { t.contains($0) } }
    if downstream { return g.closure(of: t, downstreamToo: true, upstreamToo: false) }
    return g.closure(of: t)
}

/// Fails before anything runs if a selected stage reads a path that neither exists nor
/// is written by any stage.
public func checkMissingDeps(_ ws: Workspace, selected: [Int]) throws {
    var errors: [WeftError] = []
    for i in selected {
        let s = ws.project.stages[i]
        for d in s.deps where !FS.exists(ws.hasher.absolute(d.key)) {
            if ws.project.graph.producers[d.key] != nil { continue }
            if RelPath.ancestors(d.key).contains(where: { ws.project.graph.producers[$0] != nil }) { continue }
            if ws.project.graph.upstream[i].contains(where: { u in ws.project.stages[u].outs.contains { RelPath.isWithin($0.key, d.key) } }) { continue }
            errors.append(.spec(loc: d.loc, message: "stage '\(s.id)': dependency '\(d.path)' does not exist and no stage produces it",
                                hint: "create it, fix the path, or add the stage that writes it"))
        }
    }
    if errors.count == 1 { throw errors[0] }
    if !errors.isEmpty { throw WeftError.multiple(errors) }
}

/// Runs a selection of stages: ready stages in parallel within `jobs` slots, honouring
/// `cpus` and `mutex`; each stage checked against its lock, restored from the run cache,
/// or run, then its outputs cached and its lock entry written.
public final class Executor: @unchecked Sendable {
    let ws: Workspace
    let options: ReproOptions
    let console: Console
    let children: ChildRegistry
    let launcher: BuiltinLauncher
    let checker: ChangeChecker

    private let cond = NSCondition()
    private var outcome: [Int: StageOutcome] = [:]
    private var running: [Int: Date] = [:]
    private var heldMutex = Set<String>()
    private var stopping = false
    private var errors: [String] = []
    private let started = Date()

    public init(workspace: Workspace, options: ReproOptions, console: Console, children: ChildRegistry, launcher: @escaping BuiltinLauncher) {
        ws = workspace
        self.options = options
        self.console = console
        self.children = children
        self.launcher = launcher
        checker = ChangeChecker(hasher: workspace.hasher, params: workspace.params)
    }

    public struct Result: Sendable {
        public var outcomes: [(String, StageOutcome)]
        public var failures: [String]
        public var interrupted: Bool
        public var ok: Bool { failures.isEmpty && !interrupted }
    }

    public func run() throws -> Result {
        let selected = try selectStages(ws.project, targets: options.targets, singleItem: options.singleItem, downstream: options.downstream)
        let graph = ws.project.graph
        // Validate everything we can before the first stage starts.
        for i in selected { _ = try ws.params.values(for: graph.stages[i]) }
        try checkMissingDeps(ws, selected: selected)
        for f in ws.project.files { _ = try ws.lock(for: f) }
        try FS.makeDirs(ws.weftDir + "/logs")
        try FS.makeDirs(ws.weftDir + "/tmp")
        recoverInterruptedRuns()

        let inSelection = Set(selected)
        let pool = options.pool ?? SlotPool(capacity: options.jobs)
        let jobs = pool.capacity
        pool.onRelease { [weak self] in
            guard let self else { return }
            self.cond.lock()
            self.cond.broadcast()
            self.cond.unlock()
        }
        var pending = selected
        var statusTimer: DispatchSourceTimer?
        if console.isTTY {
            let t = DispatchSource.makeTimerSource(queue: .global())
            t.schedule(deadline: .now() + 0.2, repeating: 0.25)
            t.setEventHandler { [weak self] in self?.drawStatus(total: selected.count) }
            t.resume()
            statusTimer = t
        }

        cond.lock()
        while true {
            if children.isInterrupted { stopping = true }
            // Stages whose upstream failed can never run.
            pending.removeAll { i in
                if let bad = graph.upstream[i].first(where: { u in
                    guard inSelection.contains(u), let o = outcome[u] else { return false }
                    switch o { case .failed, .blocked: return true; default: return false }
                }) {
                    outcome[i] = .blocked(graph.stages[bad].id)
                    return true
                }
                return false
            }
            if !stopping {
                var k = 0
                while k < pending.count {
                    let i = pending[k]
                    let s = graph.stages[i]
                    let upDone = graph.upstream[i].allSatisfy { u in !inSelection.contains(u) || outcome[u] != nil && running[u] == nil }
                    let need = min(max(1, s.cpus), jobs)
                    if upDone && heldMutex.isDisjoint(with: s.mutex) && pool.tryAcquire(need) {
                        pending.remove(at: k)
                        heldMutex.formUnion(s.mutex)
                        running[i] = Date()
                        let upstreamWouldRun = graph.upstream[i].contains { outcome[$0] == .wouldRun }
                        Thread.detachNewThread { [self] in
                            let o = self.process(i, upstreamWouldRun: upstreamWouldRun, prefixed: jobs > 1)
                            self.cond.lock()
                            self.outcome[i] = o
                            self.running[i] = nil
                            self.heldMutex.subtract(s.mutex)
                            if case .failed(let msg) = o {
                                self.errors.append(msg)
                                if !self.options.keepGoing { self.stopping = true }
                            }
                            self.cond.broadcast()
                            self.cond.unlock()
                            pool.release(need)
                        }
                        continue
                    }
                    k += 1
                }
            }
            if running.isEmpty && (pending.isEmpty || stopping) { break }
            if running.isEmpty && !pending.isEmpty && !pending.contains(where: { i in
                graph.upstream[i].allSatisfy { u in !inSelection.contains(u) || outcome[u] != nil }
            }) {
                // Nothing running and no pending stage ready: every pending stage is blocked.
                // (A ready stage waits here only for slots another run in the pool holds.)
                break
            }
            cond.wait()
        }
        cond.unlock()
        statusTimer?.cancel()
        console.clearStatus()
        ws.state.commit()

        var outcomes: [(String, StageOutcome)] = []
        for i in selected {
            let o = outcome[i] ?? .notStarted
            outcomes.append((graph.stages[i].id, o))
            if case .blocked(let up) = o {
                console.error("Stage '\(graph.stages[i].id)' not run: upstream stage '\(up)' failed")
            }
        }
        return Result(outcomes: outcomes, failures: errors, interrupted: children.isInterrupted)
    }

    /// Puts back outputs that a killed `weft` (kill -9, power loss) had set aside while
    /// their stage ran: the lock still describes them, so they are the consistent state.
    /// Safe because the caller holds the workspace lock: no other run is in flight.
    func recoverInterruptedRuns() {
        let tmp = ws.weftDir + "/tmp"
        guard let names = try? FS.list(tmp) else { return }
        let mine = ".\(getpid()).prev"
        for name in names where name.hasSuffix(".prev") && !name.hasSuffix(mine) {
            let base = String(name.dropLast(5))
            guard let dot = base.lastIndex(of: ".") else { continue }
            let logName = String(base[..<dot])
            if let stage = ws.project.stages.first(where: { $0.id.replacingOccurrences(of: "/", with: "_") == logName }),
               let moved = try? FS.list(tmp + "/" + name) {
                for m in moved {
                    guard let n = Int(m), n < stage.outs.count else { continue }
                    let abs = ws.hasher.absolute(stage.outs[n].key)
                    try? FS.remove(abs)
                    _ = rename(tmp + "/" + name + "/" + m, abs)
                }
                console.error("Recovered the previous outputs of stage '\(stage.id)' from an interrupted run.")
            }
            try? FS.remove(tmp + "/" + name)
        }
    }

    /// Where a built-in stage writes its one-line progress while the console shows a live status.
    func progressPath(_ stageID: String) -> String {
        ws.weftDir + "/tmp/" + stageID.replacingOccurrences(of: "/", with: "_") + ".progress"
    }

    private func drawStatus(total: Int) {
        cond.lock()
        // A built-in stage may report its progress (a training bar) in its progress file.
        let names = running.keys.sorted().map { i -> String in
            let id = ws.project.stages[i].id
            guard let p = try? String(contentsOfFile: progressPath(id), encoding: .utf8), !p.isEmpty else { return id }
            return id + " " + p.trimmingCharacters(in: .newlines)
        }
        let done = outcome.values.filter { $0 == .ran || $0 == .restored }.count
        let skipped = outcome.values.filter { $0 == .skipped || $0 == .frozen }.count
        cond.unlock()
        let elapsed = String(format: "%.1fs", Date().timeIntervalSince(started))
        console.setStatus("⏵ running: \(names.isEmpty ? "-" : names.joined(separator: ", ")) | done \(done) | skipped \(skipped) | \(done + skipped)/\(total) | \(elapsed)")
    }

    /// Checks, restores or runs one stage. Never throws: every problem becomes `.failed`.
    func process(_ i: Int, upstreamWouldRun: Bool, prefixed: Bool) -> StageOutcome {
        let stage = ws.project.stages[i]
        do {
            let lockFile = try ws.lock(for: ws.project.file(of: stage))
            let locked = lockFile.entry(stage.name)
            if stage.frozen {
                console.line("Stage '\(stage.id)' is frozen, skipping")
                return .frozen
            }
            var check = try checker.check(stage, locked: locked)
            if options.force { check.reasons.append(.forced) }
            if upstreamWouldRun { check.reasons.append(.upstreamChanged("")) }
            if !check.needsRun {
                console.line("Stage '\(stage.id)' didn't change, skipping")
                return .skipped
            }
            if options.dry {
                console.line((["Running stage '\(stage.id)':"] + commandLines(stage).map { "> " + $0 }).joined(separator: "\n"))
                return .wouldRun
            }
            if let missing = check.reasons.first(where: { if case .depMissing = $0 { return true } else { return false } }) {
                return .failed("stage '\(stage.id)': \(missing) (no upstream stage produced it)")
            }
            let order = ws.project.file(of: stage).stages.map(\.name)

            // Run cache: the same signature was run before and its outputs are in the cache.
            let runCacheable = !stage.alwaysChanged && stage.outs.allSatisfy { $0.cache && !$0.persist } && !stage.outs.isEmpty
            let sig = RunCache.signature(stage: stage, deps: check.deps, params: check.params)
            if runCacheable && !options.noRunCache && !options.force, let outs = ws.runCache.lookup(sig),
               outs.map(\.path) == stage.outs.map(\.path) {
                for (o, rec) in zip(stage.outs, outs) {
                    if check.outs.first(where: { $0.0.key == o.key })?.1?.hash != rec.info.hash {
                        let manifest = try ws.store.checkout(hash: rec.info.hash, to: ws.hasher.absolute(o.key))
                        try ws.hasher.remember(o.key, rec.info, manifest: manifest)
                    }
                }
                try lockFile.record(stage.name, LockEntry(definition: LockEntry.definition(of: stage), deps: check.deps, params: check.params,
                                                          outs: outs, env: stage.env), order: order)
                console.line("Stage '\(stage.id)' is cached - skipping run, checking out outputs")
                return .restored
            }

            return try execute(stage, check: check, locked: locked, lockFile: lockFile, order: order, sig: runCacheable ? sig : nil, prefixed: prefixed)
        } catch {
            return .failed("stage '\(stage.id)': \(error)")
        }
    }

    func commandLines(_ stage: Stage) -> [String] {
        switch stage.command {
        case .shell(let cmds): return cmds
        case .builtin(let name, _, let with): return ["weft exec-stage \(name) --with '\(with.canonicalJSON)'"]
        }
    }

    /// Runs the stage's commands with its previous outputs set aside, then caches the new
    /// outputs and records the lock; on failure or interrupt, puts the previous outputs back.
    func execute(_ stage: Stage, check: StageCheck, locked: LockEntry?, lockFile: LockFile, order: [String], sig: String?, prefixed: Bool) throws -> StageOutcome {
        let logName = stage.id.replacingOccurrences(of: "/", with: "_")
        let logPath = ws.weftDir + "/logs/" + logName + ".log"
        let logFD = open(logPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard logFD >= 0 else { throw WeftError.io(path: logPath, message: "cannot write log: \(FS.errorText())", hint: "") }
        defer { close(logFD) }

        // Set previous outputs aside (a rename), so a failed run can put them back.
        let backup = ws.weftDir + "/tmp/" + logName + ".\(getpid()).prev"
        try? FS.remove(backup)
        var setAside: [(String, String)] = []
        func restorePrevious() {
            for o in stage.outs { if !o.persist { try? FS.remove(ws.hasher.absolute(o.key)) } }
            for (orig, moved) in setAside { _ = rename(moved, orig) }
            try? FS.remove(backup)
        }
        for (n, o) in stage.outs.enumerated() {
            let abs = ws.hasher.absolute(o.key)
            let parent = RelPath.parent(abs)
            if !FS.exists(parent) { try FS.makeDirs(parent) }
            if o.persist {
                try ws.store.unprotect(abs)
            } else if FS.info(abs, follow: false) != nil {
                if !FS.exists(backup) { try FS.makeDirs(backup) }
                let moved = backup + "/\(n)"
                guard rename(abs, moved) == 0 else {
                    restorePrevious()
                    throw WeftError.io(path: o.path, message: "cannot move the previous output aside: \(FS.errorText())", hint: "")
                }
                setAside.append((abs, moved))
            }
        }

        var env = ProcessInfo.processInfo.environment
        var blas: String?
        if case .builtin = stage.command {
            // OpenBLAS reads these once when it loads: the child must start with them.
            let (core, source) = ws.config.blasCoreType.resolve(environment: env)
            if let core { env["OPENBLAS_CORETYPE"] = core }
            let threads = max(1, stage.cpus)
            env["OPENBLAS_NUM_THREADS"] = String(threads)
            blas = "\(core ?? "detected by OpenBLAS"), \(threads) thread\(threads > 1 ? "s" : "")"
            let note = "> blas: OPENBLAS_CORETYPE=\(core ?? "(unset)") (\(source)), \(threads) thread(s)\n"
            _ = note.withCString { Glibc.write(logFD, $0, strlen($0)) }
        }
        if case .builtin = stage.command, console.isTTY {
            env["WEFT_PROGRESS_FILE"] = progressPath(stage.id)
        }
        defer { try? FS.remove(progressPath(stage.id)) }
        for (k, v) in stage.env { env[k] = v }
        env["WEFT_STAGE"] = stage.id
        env["WEFT_ROOT"] = ws.root
        let runner = ProcessRunner(console: console, children: children)
        let cwd = ws.hasher.absolute(stage.wdir == "." ? "" : stage.wdir).trimmingSuffix("/")
        var exitCode: Int32 = 0
        var failedCommand = ""
        let commands: [(String, [String])]
        switch stage.command {
        case .shell(let cmds): commands = cmds.map { ($0, ["/bin/sh", "-c", $0]) }
        case .builtin(let name, let version, let with): commands = [(commandLines(stage)[0], launcher(name, version, with))]
        }
        for (n, (shown, argv)) in commands.enumerated() {
            console.line((n == 0 ? "Running stage '\(stage.id)':\n" : "") + "> " + shown)
            let header = "> \(shown)\n"
            _ = header.withCString { Glibc.write(logFD, $0, strlen($0)) }
            exitCode = try runner.run(argv: argv, env: env, cwd: cwd, logFD: logFD, prefix: prefixed ? "[\(stage.id)] " : nil, echo: true)
            if exitCode != 0 || children.isInterrupted { failedCommand = shown; break }
        }
        if children.isInterrupted {
            restorePrevious()
            return .failed("stage '\(stage.id)': interrupted; previous outputs restored, nothing recorded")
        }
        if exitCode != 0 {
            restorePrevious()
            let tail = Self.tail(of: logPath, lines: 10)
            var msg = "stage '\(stage.id)': command exited with code \(exitCode): \(failedCommand)"
            if !tail.isEmpty {
                msg += "\n  last lines of .weft/logs/\(logName).log:\n" + tail.map { "    " + $0 }.joined(separator: "\n")
            }
            return .failed(msg)
        }
        // Every declared output must exist.
        for o in stage.outs where !FS.exists(ws.hasher.absolute(o.key)) {
            restorePrevious()
            return .failed("stage '\(stage.id)': the command succeeded but did not write declared output '\(o.path)'\n  hint: fix the command, or remove '\(o.path)' from the stage's outs")
        }
        do {
            var outs: [LockedPath] = []
            for o in stage.outs {
                let abs = ws.hasher.absolute(o.key)
                guard let info = FS.info(abs) else { continue }
                if info.isDir {
                    let (h, entries) = try ws.hasher.hashDir(o.key, abs: abs)
                    if o.cache { try ws.store.store(dir: abs, entries: entries ?? ws.hasher.manifest(o.key), id: h.hash) }
                    outs.append(LockedPath(path: o.path, info: h))
                } else {
                    let h = try ws.hasher.hashFile(o.key, abs: abs, info: info)
                    if o.cache { try ws.store.store(file: abs, hash: h) }
                    outs.append(LockedPath(path: o.path, info: HashInfo(hash: h, size: info.size, nfiles: nil)))
                }
            }
            if let sig { try ws.runCache.record(sig, outs: outs) }
            // Objects durable before the lock names them.
            ws.store.sync()
            try lockFile.record(stage.name, LockEntry(definition: LockEntry.definition(of: stage), deps: check.deps, params: check.params,
                                                      outs: outs, env: stage.env, blas: blas), order: order)
            ws.params.invalidate()
        } catch {
            restorePrevious()
            throw error
        }
        try? FS.remove(backup)
        return .ran
    }

    static func tail(of path: String, lines n: Int) -> [String] {
        guard let b = FS.read(path) else { return [] }
        let text = String(decoding: b.suffix(8192), as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).suffix(n).map(String.init)
    }
}

extension String {
    func trimmingSuffix(_ s: String) -> String {
        var x = self
        while x.count > 1 && x.hasSuffix(s) { x.removeLast(s.count) }
        return x
    }
}
