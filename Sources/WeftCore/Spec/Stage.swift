/// One stage after templating: everything the engine needs to hash, run and cache it.
public struct Stage: Sendable {
    /// What a stage runs.
    public enum Command: Sendable {
        /// Shell commands run one after another with `/bin/sh -c`.
        case shell([String])
        /// A built-in stage with its fully resolved parameters.
        case builtin(name: String, version: Int, with: Value)
    }

    /// A path the stage reads.
    public struct Dep: Sendable {
        /// As written, relative to the stage's `wdir` (how the lock records it).
        public var path: String
        /// Relative to the project root, or absolute for a file outside the project.
        public var key: String
        public var loc: SourceLoc
    }

    /// A path the stage writes.
    public struct Out: Sendable {
        public enum Kind: String, Sendable { case out = "outs", metrics, plots }
        public var path: String
        public var key: String
        public var cache: Bool
        public var persist: Bool
        public var kind: Kind
        public var loc: SourceLoc
        /// How to draw it, for `plots` outputs.
        public var plot: PlotOptions? = nil
        /// Metrics and plots files inside an output folder (a built-in's `metrics.json`),
        /// known to `metrics`/`plots`/`exp show` without being separate outputs.
        public var reports: [Report] = []
    }

    /// A metrics or plots file inside an output folder, relative to that folder.
    public struct Report: Sendable {
        public var path: String
        public var kind: Out.Kind
        public var plot: PlotOptions?
        public init(path: String, kind: Out.Kind, plot: PlotOptions? = nil) {
            self.path = path
            self.kind = kind
            self.plot = plot
        }
    }

    /// Parameter values the stage depends on: some keys of one params file.
    public struct Params: Sendable {
        /// The file as written (relative to `wdir`), e.g. `params.yaml`.
        public var file: String
        public var key: String
        /// Dotted keys; empty means the whole file.
        public var keys: [String]
        public var loc: SourceLoc
    }

    /// Name within its pipeline file (`train`, `train@lr-0.1`).
    public var name: String
    /// Unique address across the project: the name, or `stem:name` when two files share it.
    public var id: String
    /// Root-relative path of the pipeline file that defines it.
    public var pipelineFile: String
    public var loc: SourceLoc
    /// Root-relative working directory.
    public var wdir: String
    public var command: Command
    public var deps: [Dep]
    public var outs: [Out]
    public var params: [Params]
    public var frozen: Bool
    public var alwaysChanged: Bool
    public var desc: String?
    public var meta: Value?
    /// Scheduler slots the stage holds while it runs.
    public var cpus: Int
    /// Stages sharing a mutex group never run at the same time.
    public var mutex: [String]
    public var env: [(String, String)]

    /// The name a foreach/matrix group is addressed by (`train` for `train@a`).
    public var groupName: String { String(name.prefix(while: { $0 != "@" })) }
}

/// How a plots file is drawn (DVC's plot properties): which columns, which chart.
public struct PlotOptions: Sendable, Equatable {
    /// Column for the x axis; nil draws against the row index (`step`).
    public var x: String?
    /// Columns for the y axis; empty means the last numeric column.
    public var y: [String]
    /// `linear` (default), `simple`, `scatter`, `smooth`, `confusion`, `confusion_normalized`.
    public var template: String
    public var title: String?
    public var xLabel: String?
    public var yLabel: String?

    public init(x: String? = nil, y: [String] = [], template: String = "linear", title: String? = nil,
                xLabel: String? = nil, yLabel: String? = nil) {
        self.x = x
        self.y = y
        self.template = template
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
    }

    /// The templates `plots show` can draw.
    public static let templates = ["linear", "simple", "scatter", "smooth", "confusion", "confusion_normalized"]
}
