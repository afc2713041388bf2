import ArgumentParser
import Foundation
import WeftCore
import WeftStages
#if canImport(Glibc)
import Glibc
#endif

/// Prints an error the way every weft command does and exits with `code`.
func fail(_ error: Error, code: Int32 = 1) -> Never {
    let text = (error as? WeftError)?.description ?? "\(error)"
    FileHandle.standardError.write(Data(("ERROR: " + text + "\n").utf8))
    exit(code)
}

/// Runs a command body, turning Weft errors into messages and exit codes.
func guarded(_ body: () throws -> Int32) -> Never {
    do { exit(try body()) } catch { fail(error) }
}

func projectRoot() throws -> String {
    let cwd = FileManager.default.currentDirectoryPath
    guard let root = Project.findRoot(from: cwd) else {
        throw WeftError.usage(message: "no weft project here or above \(cwd)\n  hint: run 'weft init' and add pipelines/<name>.yaml, or cd into a project with dvc.yaml or weft.yaml")
    }
    return root
}

func openWorkspace(file: String?) throws -> Workspace {
    try Workspace(root: try projectRoot(), file: file, catalog: try BuiltinRegistry.catalog())
}

/// The command line of a built-in stage's child process: this same binary.
let builtinLauncher: BuiltinLauncher = { name, version, with in
    let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    return [exe, "exec-stage", name, "--version", String(version), "--with", with.canonicalJSON]
}

struct Weft: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "weft",
        abstract: "Declarative pipelines for fine-tuning language models: reruns only what changed, in parallel, cached.",
        subcommands: [Init.self, Repro.self, Status.self, Dag.self, Stages.self, CacheCommand.self, GC.self, Checkout.self,
                      Exp.self, ParamsCommand.self, MetricsCommand.self, PlotsCommand.self, Doctor.self, Bench.self,
                      ModelCommand.self, Generate.self, TokenizeCommand.self, EvaluateCommand.self, BLASInfo.self, ExecStage.self,
                      QuantizeCommand.self])
}

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create .weft/, cache/, params.yaml and .gitignore entries in the current folder.")
    func run() throws {
        guarded {
            let did = try initProject(at: FileManager.default.currentDirectoryPath)
            print(did.isEmpty ? "Already initialised." : did.joined(separator: "\n"))
            return 0
        }
    }
}

struct Repro: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Bring stages up to date, running only what changed.")
    @Argument(help: "Stages, foreach groups or pipeline files (default: all).") var targets: [String] = []
    @Option(name: .shortAndLong, help: "Use only this pipeline file.") var file: String?
    @Option(name: [.customShort("j", allowingJoined: true), .long], help: "Parallel slots (default: number of cores).") var jobs: Int?
    @Flag(name: .long, help: "Run the selected stages even if nothing changed.") var force = false
    @Flag(name: [.customShort("s"), .long], help: "Only the targets, not their upstream.") var singleItem = false
    @Flag(name: .long, help: "The targets and everything downstream of them.") var downstream = false
    @Flag(name: .long, help: "Print what would run; run nothing.") var dry = false
    @Flag(name: [.customShort("k"), .long], help: "After a failure, let independent branches finish.") var keepGoing = false
    @Flag(name: .long, help: "Do not restore outputs from earlier runs with the same inputs.") var noRunCache = false
    @Flag(name: .long, help: "Fail at once if another weft process holds the workspace.") var noWait = false
    @Option(name: .long, help: "Reproduce this git revision in a temporary checkout and compare with its lock.") var rev: String?
    @Flag(name: .long, help: "With --rev: exit non-zero if any output differs, naming the non-deterministic stage.") var verify = false

    func run() throws {
        if let rev { guarded { try reproduceRev(rev) } }
        guarded {
            if verify { throw WeftError.usage(message: "--verify needs --rev REV") }
            let ws = try openWorkspace(file: file)
            let console = Console()
            let lock = try WorkspaceLock(weftDir: ws.weftDir, noWait: noWait, onWait: { console.error($0) })
            defer { lock.release() }
            var o = ReproOptions()
            o.targets = targets
            o.force = force
            o.singleItem = singleItem
            o.downstream = downstream
            o.dry = dry
            o.keepGoing = keepGoing
            o.noRunCache = noRunCache
            if let jobs {
                guard jobs >= 1 else { throw WeftError.usage(message: "--jobs must be at least 1") }
                o.jobs = jobs
            }
            let children = ChildRegistry()
            let signals = installSignalHandlers(children, console: console)
            let result = try Executor(workspace: ws, options: o, console: console, children: children, launcher: builtinLauncher).run()
            _ = signals
            if !dry { try ignoreCachedOutputs(ws) }
            for f in result.failures { console.error("ERROR: " + f) }
            if result.interrupted {
                console.error("Interrupted: running stages were stopped; their previous outputs are back and nothing was recorded. 'weft repro' resumes.")
                return 130
            }
            if !result.ok { return 1 }
            if !dry, !result.outcomes.contains(where: { $0.1 == .ran || $0.1 == .restored }) {
                console.line("Data and pipelines are up to date.")
            }
            return 0
        }
    }
}

extension Repro {
    func reproduceRev(_ rev: String) throws -> Int32 {
        for (set, flag) in [(file != nil, "-f"), (singleItem, "--single-item"), (downstream, "--downstream"), (dry, "--dry"), (keepGoing, "--keep-going")] where set {
            throw WeftError.usage(message: "\(flag) does not combine with --rev (every selected stage of the revision runs)")
        }
        let vp = try VersionedProject(root: try projectRoot(), catalog: try BuiltinRegistry.catalog(), for: "repro --rev")
        let console = Console()
        let children = ChildRegistry()
        let signals = installSignalHandlers(children, console: console)
        let report = try reproduceRevision(vp, rev: rev, targets: targets, jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount,
                                           console: console, children: children, launcher: builtinLauncher)
        _ = signals
        console.clearStatus()
        print(renderReproduction(report))
        for f in report.failures { console.error("ERROR: " + f) }
        if report.interrupted { return 130 }
        if !report.failures.isEmpty { return 1 }
        if verify && report.mismatches > 0 {
            console.error("ERROR: \(report.mismatches) output(s) of \(rev) did not reproduce"
                          + (report.nondeterministic.map { "; first non-deterministic stage: '\($0)'" } ?? ""))
            return 1
        }
        return 0
    }
}

/// SIGINT/SIGTERM stop every running stage's process group; weft itself exits after
/// putting previous outputs back.
func installSignalHandlers(_ children: ChildRegistry, console: Console) -> [DispatchSourceSignal] {
    var sources: [DispatchSourceSignal] = []
    for sig in [SIGINT, SIGTERM] {
        signal(sig, SIG_IGN)
        let s = DispatchSource.makeSignalSource(signal: sig, queue: .global())
        s.setEventHandler {
            if children.isInterrupted {
                console.error("Second interrupt: killing stages now.")
                children.terminateAll(grace: 0)
            } else {
                console.error("Interrupt: stopping running stages…")
                children.terminateAll()
            }
        }
        s.resume()
        sources.append(s)
    }
    return sources
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show which stages would run and exactly why.")
    @Argument var targets: [String] = []
    @Option(name: .shortAndLong, help: "Use only this pipeline file.") var file: String?
    @Flag(help: "Machine-readable output.") var json = false
    func run() throws {
        guarded {
            let ws = try openWorkspace(file: file)
            print(renderStatus(try computeStatus(ws, targets: targets), json: json))
            return 0
        }
    }
}

struct Dag: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the stage graph (ASCII, Graphviz dot or Mermaid).")
    @Option(name: .shortAndLong, help: "Use only this pipeline file.") var file: String?
    @Flag var dot = false
    @Flag var mermaid = false
    func run() throws {
        guarded {
            let ws = try openWorkspace(file: file)
            print(renderDAG(ws.project, format: dot ? "dot" : mermaid ? "mermaid" : "ascii"))
            return 0
        }
    }
}

struct Stages: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List the pipeline's stages, or with --builtin the built-in stage catalog.")
    @Option(name: .shortAndLong, help: "Use only this pipeline file.") var file: String?
    @Flag var json = false
    @Flag(help: "List built-in stages with each parameter's type and default.") var builtin = false
    func run() throws {
        guarded {
            if builtin {
                let cat = try BuiltinRegistry.catalog()
                if json {
                    print(Value.list(cat.names.map { n in
                        let m = cat.manifests[n]!
                        return .dict([("name", .string(m.name)), ("version", .int(m.version)), ("summary", .string(m.summary)),
                                      ("params", .list(m.params.map { p in
                                          .dict([("name", .string(p.name)), ("type", .string(p.type.description)), ("io", .string(p.io.rawValue)),
                                                 ("required", .bool(p.required)), ("default", p.defaultValue ?? .null), ("doc", .string(p.doc))])
                                      }))])
                    }).orderedJSON)
                } else {
                    for n in cat.names {
                        let m = cat.manifests[n]!
                        print("\(m.name) (v\(m.version)) — \(m.summary)")
                        for p in m.params {
                            let d = p.required ? "required" : "default: \(p.defaultValue!.display)"
                            let io = p.io == .none ? "" : ", \(p.io.rawValue)"
                            print("    \(p.name): \(p.type)\(io) (\(d))" + (p.doc.isEmpty ? "" : " — \(p.doc)"))
                        }
                    }
                }
                return 0
            }
            let ws = try openWorkspace(file: file)
            if json {
                print(Value.list(ws.project.graph.order.map { i in
                    let s = ws.project.stages[i]
                    var d: [(String, Value)] = [("stage", .string(s.id)), ("file", .string(s.pipelineFile))]
                    switch s.command {
                    case .shell(let c): d.append(("cmd", .list(c.map { .string($0) })))
                    case .builtin(let n, let v, let w): d += [("uses", .string(n)), ("version", .int(v)), ("with", w)]
                    }
                    d += [("deps", .list(s.deps.map { .string($0.key) })), ("outs", .list(s.outs.map { .string($0.key) })),
                          ("desc", s.desc.map { .string($0) } ?? .null), ("frozen", .bool(s.frozen))]
                    return .dict(d)
                }).orderedJSON)
            } else {
                let width = ws.project.stages.map(\.id.count).max() ?? 0
                for i in ws.project.graph.order {
                    let s = ws.project.stages[i]
                    print(s.id.padding(toLength: width, withPad: " ", startingAt: 0) + (s.desc.map { "  " + $0 } ?? ""))
                }
            }
            return 0
        }
    }
}

struct CacheCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "cache", abstract: "Inspect the content-addressed cache.", subcommands: [Verify.self])
    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Rehash every cache object; exit non-zero on corruption.")
        func run() throws {
            guarded {
                let root = try projectRoot()
                let config = try WorkspaceConfig.load(root: root)
                let (n, bad) = try verifyCache(ObjectStore(dir: config.cacheDir))
                for (h, why) in bad { FileHandle.standardError.write(Data("corrupt: \(h): \(why)\n".utf8)) }
                if bad.isEmpty {
                    print("\(n) cache objects verified, all intact.")
                    return 0
                }
                print("\(bad.count) of \(n) cache objects are corrupt.\n  hint: delete them and run 'weft repro --force' on the stages that produce them (or 'weft gc' then 'weft repro').")
                return 1
            }
        }
    }
}

struct GC: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "gc", abstract: "Remove cache objects no lock file in the workspace references.")
    @Flag(help: "Only report what would be removed.") var dry = false
    @Flag(help: "Also keep everything any commit's lock files and any experiment reference.") var allCommits = false
    @Flag(help: "Fail at once if another weft process holds the workspace.") var noWait = false
    func run() throws {
        guarded {
            let ws = try openWorkspace(file: nil)
            let lock = try WorkspaceLock(weftDir: ws.weftDir, noWait: noWait, onWait: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
            defer { lock.release() }
            var keep = Set<String>()
            if allCommits {
                let vp = try VersionedProject(root: ws.root, catalog: try BuiltinRegistry.catalog(), for: "gc --all-commits")
                keep = try objectsReferencedByHistory(vp, store: ws.store)
            }
            let r = try collectGarbage(ws, dry: dry, alsoKeep: keep)
            let mb = String(format: "%.1f MiB", Double(r.bytes) / 1_048_576)
            print((dry ? "Would remove" : "Removed") + " \(r.removedObjects.count) objects (\(mb)), \(r.removedRuns) run-cache entries, \(r.strayTemp) temp files.")
            return 0
        }
    }
}

struct Checkout: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Restore missing or modified outputs from the cache, as the lock files (or those of --rev) record them.")
    @Argument var targets: [String] = []
    @Option(name: .shortAndLong, help: "Use only this pipeline file.") var file: String?
    @Option(help: "Restore the outputs this git revision (or experiment) recorded.") var rev: String?
    @Flag(help: "With --rev: overwrite modified outputs even if their contents are not in the cache.") var force = false
    @Flag(help: "Fail at once if another weft process holds the workspace.") var noWait = false
    func run() throws {
        guarded {
            let ws = try openWorkspace(file: file)
            let lock = try WorkspaceLock(weftDir: ws.weftDir, noWait: noWait, onWait: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
            defer { lock.release() }
            if let rev {
                let vp = try VersionedProject(root: ws.root, catalog: try BuiltinRegistry.catalog(), for: "checkout --rev")
                let n = try checkoutRevision(vp, ws: ws, rev: rev, targets: targets, force: force, console: Console(liveStatus: false))
                print(n == 0 ? "The workspace already has every output of \(rev)." : "Restored \(n) outputs of \(rev).")
                return 0
            }
            let n = try checkoutOutputs(ws, targets: targets, force: true, console: Console(liveStatus: false))
            print(n == 0 ? "Everything is already checked out." : "Restored \(n) outputs.")
            return 0
        }
    }
}

/// The child-process side of a built-in stage (what the engine runs for `uses:`).
struct ExecStage: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "exec-stage", abstract: "Run one built-in stage (the engine calls this).", shouldDisplay: false)
    @Argument var name: String
    @Option var version: Int
    @Option(help: "Resolved parameters as JSON.") var with: String
    func run() throws {
        // A write past a file-size limit must fail as an error the stage reports (EFBIG),
        // not kill the process: a checkpoint that cannot be written leaves the previous one.
        signal(SIGXFSZ, SIG_IGN)
        guarded {
            let value = try DocumentLoader.parse(with, file: "--with").value
            try BuiltinRegistry.run(name: name, version: version, with: value, log: { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) })
            return 0
        }
    }
}

Weft.main()
