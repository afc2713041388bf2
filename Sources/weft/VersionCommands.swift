import ArgumentParser
import Foundation
import WeftCore
import WeftStages

func versionedProject(for what: String) throws -> VersionedProject {
    try VersionedProject(root: try projectRoot(), catalog: try BuiltinRegistry.catalog(), for: what)
}

/// The output format chosen by `--json`, `--csv` and `--md` (at most one).
struct FormatFlags: ParsableArguments {
    @Flag(help: "JSON output.") var json = false
    @Flag(help: "CSV output.") var csv = false
    @Flag(help: "Markdown table.") var md = false

    func format(csvAllowed: Bool = true) throws -> TableFormat {
        let chosen = [(json, TableFormat.json), (csv, .csv), (md, .md)].filter(\.0)
        if chosen.count > 1 { throw WeftError.usage(message: "choose one of --json, --csv, --md") }
        if csv && !csvAllowed { throw WeftError.usage(message: "--csv is not available here; use --json or --md") }
        return chosen.first?.1 ?? .text
    }
}

struct Exp: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Experiments: pipeline runs with changed params, each in a temporary checkout, stored as git refs.",
        subcommands: [Run.self, Show.self, Diff.self, Apply.self, Branch.self, Remove.self])

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Run (or queue) an experiment from HEAD plus the workspace's changes.")
        @Argument(help: "Stages to bring up to date (default: all).") var targets: [String] = []
        @Option(name: [.customShort("S"), .customLong("set-param")], help: "[file:]key=value (+key=value adds a key).") var set: [String] = []
        @Option(name: .shortAndLong, help: "Experiment name (default: a generated one).") var name: String?
        @Option(name: .shortAndLong, help: "A note stored with the experiment.") var message: String?
        @Flag(help: "Add to the queue instead of running now.") var queue = false
        @Flag(help: "Run every queued experiment.") var runAll = false
        @Option(name: [.customShort("j", allowingJoined: true), .long], help: "Experiments at once with --run-all (and the stage slots they share); default: cores.") var jobs: Int?

        func run() throws {
            guarded {
                if let jobs, jobs < 1 { throw WeftError.usage(message: "--jobs must be at least 1") }
                let vp = try versionedProject(for: "exp run")
                let exps = Experiments(vp, launcher: builtinLauncher)
                let jobs = jobs ?? ProcessInfo.processInfo.activeProcessorCount
                if runAll {
                    if queue || !set.isEmpty || name != nil || !targets.isEmpty {
                        throw WeftError.usage(message: "--run-all runs the queue as it is; queue experiments with 'weft exp run --queue ...' first")
                    }
                    let children = ChildRegistry()
                    let signals = installSignalHandlers(children, console: Console(liveStatus: false))
                    let done = try exps.runQueue(jobs: jobs, console: Console(liveStatus: false), children: children)
                    _ = signals
                    if done.isEmpty { print("The queue is empty.") }
                    let failed = done.filter { $0.state == .failed }
                    print("Ran \(done.count) queued experiment(s): \(done.count - failed.count) succeeded, \(failed.count) failed.")
                    return failed.isEmpty && !children.isInterrupted ? 0 : 1
                }
                var req = ExperimentRequest()
                req.targets = targets
                req.overrides = try set.map { try ParamOverride($0) }
                req.name = name
                req.message = message
                if queue {
                    let n = try exps.queue(req)
                    print("Queued experiment '\(n)'. Run the queue with 'weft exp run --run-all'.")
                    return 0
                }
                let console = Console()
                let children = ChildRegistry()
                let signals = installSignalHandlers(children, console: console)
                let e = try exps.run(req, jobs: jobs, console: console, children: children)
                _ = signals
                return e.state == .succeeded ? 0 : 1
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Table of the workspace, HEAD and every experiment with params and metrics.")
        @OptionGroup var format: FormatFlags
        @Option(help: "Sort experiments by this param or metric.") var sortBy: String?
        @Option(help: "asc or desc.") var sortOrder: String = "asc"
        @Flag(help: "Only columns whose values differ between rows.") var onlyChanged = false
        func run() throws {
            guarded {
                guard ["asc", "desc"].contains(sortOrder) else { throw WeftError.usage(message: "--sort-order must be asc or desc") }
                let vp = try versionedProject(for: "exp show")
                let rows = try Experiments(vp, launcher: builtinLauncher).rows(store: try vp.store())
                print(try renderRows(rows, format: try format.format(), sortBy: sortBy, descending: sortOrder == "desc", onlyChanged: onlyChanged))
                return 0
            }
        }
    }

    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Params and metrics that differ between two experiments or revisions.")
        @Argument(help: "Experiment or revision (default: HEAD).") var a: String = "HEAD"
        @Argument(help: "Experiment or revision (default: workspace).") var b: String = "workspace"
        @OptionGroup var format: FormatFlags
        @Flag(help: "Also unchanged values.") var all = false
        func run() throws {
            guarded {
                let vp = try versionedProject(for: "exp diff")
                let store = try vp.store()
                let f = try format.format(csvAllowed: false)
                let x = try vp.snapshot(a, store: store), y = try vp.snapshot(b, store: store)
                let p = diffValues(try x.params(), try y.params(), all: all)
                let m = diffValues(try x.metrics(), try y.metrics(), all: all)
                if f == .json {
                    print("{\"params\":" + renderDiff(p, from: a, to: b, kind: "params", format: .json)
                          + ",\"metrics\":" + renderDiff(m, from: a, to: b, kind: "metrics", format: .json) + "}")
                } else {
                    print(renderDiff(p, from: a, to: b, kind: "params", format: f) + "\n\n" + renderDiff(m, from: a, to: b, kind: "metrics", format: f))
                }
                return 0
            }
        }
    }

    struct Apply: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write an experiment's params, locks and outputs into the workspace.")
        @Argument var name: String
        @Flag(help: "Fail at once if another weft process holds the workspace.") var noWait = false
        func run() throws {
            guarded {
                let vp = try versionedProject(for: "exp apply")
                let lock = try WorkspaceLock(weftDir: vp.root + "/.weft", noWait: noWait, onWait: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) })
                defer { lock.release() }
                let written = try Experiments(vp, launcher: builtinLauncher).apply(name, store: try vp.store(), console: Console(liveStatus: false))
                print("Applied experiment '\(name)' (\(written.count) file(s) written, outputs restored from the cache).")
                return 0
            }
        }
    }

    struct Branch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a git branch at an experiment's commit.")
        @Argument var name: String
        @Argument var branch: String
        func run() throws {
            guarded {
                let vp = try versionedProject(for: "exp branch")
                let id = try Experiments(vp, launcher: builtinLauncher).branch(name, branch)
                print("Branch '\(branch)' created at \(id.short) (experiment '\(name)').")
                return 0
            }
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete experiments (done or queued).")
        @Argument var names: [String] = []
        @Flag(help: "Every experiment, queued ones too.") var all = false
        func run() throws {
            guarded {
                let vp = try versionedProject(for: "exp remove")
                let exps = Experiments(vp, launcher: builtinLauncher)
                if all == !names.isEmpty { throw WeftError.usage(message: "give experiment names or --all (not both)") }
                let removed = try exps.remove(all ? exps.list().map(\.name) : names)
                print("Removed \(removed.count) experiment(s)" + (removed.isEmpty ? "." : ": " + removed.joined(separator: ", ")))
                return 0
            }
        }
    }
}

/// Two revisions to compare (default: HEAD and the workspace) and how to print them.
struct DiffArguments: ParsableArguments {
    @Argument(help: "Revision or experiment (default: HEAD).") var a: String = "HEAD"
    @Argument(help: "Revision or experiment (default: workspace).") var b: String = "workspace"
    @OptionGroup var format: FormatFlags
    @Flag(help: "Also unchanged values.") var all = false

    /// Prints what differs in `kind` (`params` or `metrics`).
    func run(_ kind: String) -> Never {
        guarded {
            let vp = try versionedProject(for: "\(kind) diff")
            let store = try vp.store()
            let x = try vp.snapshot(a, store: store), y = try vp.snapshot(b, store: store)
            let changes = kind == "params" ? diffValues(try x.params(), try y.params(), all: all)
                                           : diffValues(try x.metrics(), try y.metrics(), all: all)
            print(renderDiff(changes, from: a, to: b, kind: kind, format: try format.format(csvAllowed: false)))
            return 0
        }
    }
}

/// The workspace when `revs` is empty (or just `workspace`), else a snapshot per revision.
func snapshots(_ revs: [String], for what: String) throws -> [Snapshot] {
    let root = try projectRoot()
    let catalog = try BuiltinRegistry.catalog()
    let config = try WorkspaceConfig.load(root: root)
    let store = ObjectStore(dir: config.cacheDir, linkTypes: config.linkTypes)
    if revs.isEmpty || revs == ["workspace"] { return [Snapshot(workspace: root, catalog: catalog, store: store)] }
    let vp = try VersionedProject(root: root, catalog: catalog, for: what)
    return try revs.map { try vp.snapshot($0, store: store) }
}

struct ParamsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "params", abstract: "Params across revisions.", subcommands: [Diff.self])
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Params that differ between two revisions (default: HEAD and the workspace).")
        @OptionGroup var args: DiffArguments
        func run() throws { args.run("params") }
    }
}

struct MetricsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "metrics", abstract: "Metrics across revisions.", subcommands: [Show.self, Diff.self])
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Metrics of the workspace, or of each --rev.")
        @Option(help: "A revision or experiment (repeatable; 'workspace' for the working tree).") var rev: [String] = []
        @OptionGroup var format: FormatFlags
        func run() throws {
            guarded {
                let rows = try snapshots(rev, for: "metrics show --rev").map { snap in
                    RevisionRow(name: snap.label, rev: snap.commit?.short ?? "workspace", metrics: try snap.metrics())
                }
                print(try renderRows(rows, format: try format.format(), withParams: false))
                return 0
            }
        }
    }
    struct Diff: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Metrics that differ between two revisions (default: HEAD and the workspace).")
        @OptionGroup var args: DiffArguments
        func run() throws { args.run("metrics") }
    }
}

struct PlotsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "plots", abstract: "Charts of plots files across revisions.", subcommands: [Show.self])
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write an HTML page of SVG charts (no scripts, no network), one series per revision.")
        @Option(help: "A revision or experiment (repeatable; 'workspace' for the working tree). Default: the workspace.") var rev: [String] = []
        @Option(name: .shortAndLong, help: "Folder to write index.html into.") var out: String = "weft_plots"
        func run() throws {
            guarded {
                let snaps = try snapshots(rev, for: "plots show --rev")
                let plots = try plotInputs(snaps)
                guard !plots.isEmpty else {
                    throw WeftError.usage(message: "no plots to show: no stage declares 'plots:' outputs (and no top-level 'plots:'), or their files do not exist yet\n  hint: declare e.g. 'plots: [loss.csv]' on the stage that writes it, then 'weft repro'")
                }
                let cwd = FileManager.default.currentDirectoryPath
                let dir = out.hasPrefix("/") ? out : cwd + "/" + out
                try FS.makeDirs(dir)
                let title = "weft plots: " + snaps.map(\.label).joined(separator: ", ")
                try FS.writeAtomically(dir + "/index.html", PlotRenderer.page(plots, title: title))
                print("Wrote \(plots.count) plot(s) to file://\(dir)/index.html")
                return 0
            }
        }
    }
}
