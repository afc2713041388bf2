import Foundation

/// One parsed pipeline file and its stages.
public struct PipelineFile: Sendable {
    /// Root-relative path (`dvc.yaml`, `pipelines/train.yaml`).
    public var path: String
    /// File name without extension; prefixes stage ids when names collide.
    public var stem: String
    /// Root-relative path of its lock file (`dvc.lock`, `pipelines/train.lock`).
    public var lockPath: String
    /// Root-relative folder that relative paths in the file start from.
    public var baseDir: String
    public var stages: [Stage]
    /// Top-level `metrics:` and `plots:` (root-relative), for `metrics`/`plots` commands.
    public var metrics: [String]
    public var plots: [(path: String, options: PlotOptions)]

    /// `dvc.yaml` → `dvc.lock`, `pipelines/x.json` → `pipelines/x.lock`.
    public static func lockPath(for path: String) -> String {
        (path as NSString).deletingPathExtension + ".lock"
    }
}

/// Turns a pipeline file (dvc.yaml superset, YAML or JSON) into stages:
/// loads params.yaml and `vars`, expands `foreach`/`matrix`, substitutes `${...}`,
/// validates every key, resolves `uses:` against the built-in catalog.
public struct PipelineLoader {
    public var root: String
    public var catalog: StageCatalog

    static let topKeys = ["stages", "vars", "params", "metrics", "plots", "artifacts", "datasets"]
    static let stageKeys = [
        "cmd", "wdir", "deps", "outs", "params", "metrics", "plots", "frozen", "always_changed", "desc", "meta",
        "vars", "uses", "with", "cpus", "mutex", "env", "foreach", "do", "matrix",
    ]
    static let outKeys = ["cache", "persist", "desc", "remote", "push", "type", "labels", "meta"]
    static let plotKeys = outKeys + ["x", "y", "template", "title", "x_label", "y_label", "header"]

    public init(root: String, catalog: StageCatalog) {
        self.root = root
        self.catalog = catalog
    }

    /// Loads the pipeline file at root-relative `path`.
    public func load(path: String) throws -> PipelineFile {
        let doc = try DocumentLoader.load(path: root + "/" + path, displayPath: path)
        let stem = String((path as NSString).lastPathComponent.split(separator: ".").first ?? "")
        let inPipelinesDir = RelPath.parent(path) == "pipelines"
        // Files in pipelines/ speak in project-root paths; dvc.yaml/weft.yaml in their folder's.
        let baseDir = inPipelinesDir ? "." : RelPath.parent(path)
        let lockPath = PipelineFile.lockPath(for: path)

        guard let top = doc.entries else {
            throw WeftError.spec(loc: doc.loc, message: "a pipeline file must be a mapping with a 'stages:' key", hint: "start the file with 'stages:'")
        }
        for e in top where !Self.topKeys.contains(e.key) {
            throw WeftError.spec(loc: e.keyLoc, message: "unknown top-level key '\(e.key)'",
                                 hint: [didYouMean(e.key, Self.topKeys), "allowed: " + Self.topKeys.joined(separator: ", ")].filter { !$0.isEmpty }.joined(separator: "; "))
        }
        var context = Value.dict([])
        let defaultParams = RelPath.join(baseDir, "params.yaml")!
        if FileManager.default.fileExists(atPath: root + "/" + defaultParams) {
            context = try DocumentLoader.load(path: root + "/" + defaultParams, displayPath: defaultParams).value
            if case .dict = context {} else { context = .dict([]) }
        }
        if let vars = doc["vars"] { context = try loadVars(vars, into: context, baseDir: baseDir) }

        var stages: [Stage] = []
        var seen: [String: SourceLoc] = [:]
        if let stagesNode = doc["stages"] {
            guard let entries = stagesNode.entries else {
                throw WeftError.spec(loc: stagesNode.loc, message: "'stages' must be a mapping of stage name to definition", hint: "")
            }
            for e in entries {
                try Self.validateName(e.key, at: e.keyLoc)
                for (name, body, ctx) in try expand(name: e.key, body: e.value, context: context, baseDir: baseDir) {
                    if let prev = seen[name] {
                        throw WeftError.spec(loc: e.keyLoc, message: "stage '\(name)' is defined twice (first at \(prev))", hint: "rename one of them")
                    }
                    seen[name] = e.keyLoc
                    stages.append(try parseStage(name: name, body: body, context: ctx, file: path, baseDir: baseDir, keyLoc: e.keyLoc))
                }
            }
        }
        let interp = Interpolator(context: context)
        func topPaths(_ key: String) throws -> [(String, PlotOptions)] {
            guard let n = doc[key] else { return [] }
            let node = try interp.apply(n)
            return try (node.items ?? []).compactMap { item in
                if let p = item.string { return RelPath.join(baseDir, p).map { ($0, PlotOptions()) } }
                guard let e = item.entries?.first else { return nil }
                let options = key == "plots" ? try Self.plotOptions(e.value.entries ?? [], of: e.key, context: "plots") : PlotOptions()
                return RelPath.join(baseDir, e.key).map { ($0, options) }
            }
        }
        return PipelineFile(path: path, stem: stem, lockPath: lockPath, baseDir: baseDir, stages: stages,
                            metrics: try topPaths("metrics").map(\.0), plots: try topPaths("plots"))
    }

    /// Reads `x`, `y`, `template`, `title`, `x_label`, `y_label` of a plots entry.
    static func plotOptions(_ entries: [Node.Entry], of path: String, context: String) throws -> PlotOptions {
        var o = PlotOptions()
        func text(_ e: Node.Entry) throws -> String {
            guard let t = e.value.value.interpolationText, case .scalar = e.value.kind else {
                throw WeftError.spec(loc: e.value.loc, message: "\(context): '\(e.key)' of plot '\(path)' must be a string", hint: "")
            }
            return t
        }
        for e in entries {
            switch e.key {
            case "x": o.x = try text(e)
            case "y":
                if let items = e.value.items {
                    o.y = try items.map { i in
                        guard let t = i.value.interpolationText, case .scalar = i.kind else {
                            throw WeftError.spec(loc: i.loc, message: "\(context): each 'y' column of plot '\(path)' must be a string", hint: "")
                        }
                        return t
                    }
                } else {
                    o.y = [try text(e)]
                }
            case "template":
                let t = try text(e)
                guard PlotOptions.templates.contains(t) else {
                    throw WeftError.spec(loc: e.value.loc, message: "\(context): unknown plot template '\(t)' for '\(path)'",
                                         hint: [didYouMean(t, PlotOptions.templates), "allowed: " + PlotOptions.templates.joined(separator: ", ")]
                                            .filter { !$0.isEmpty }.joined(separator: "; "))
                }
                o.template = t
            case "title": o.title = try text(e)
            case "x_label": o.xLabel = try text(e)
            case "y_label": o.yLabel = try text(e)
            default: break
            }
        }
        return o
    }

    static func validateName(_ name: String, at loc: SourceLoc) throws {
        let bad = name.isEmpty || name.contains(where: { ":/@\\ \t".contains($0) })
        if bad {
            throw WeftError.spec(loc: loc, message: "invalid stage name '\(name)'", hint: "names may not be empty or contain ':', '/', '@', '\\' or spaces")
        }
    }

    /// `vars:` entries are files (`file.yaml` or `file.yaml:key1,key2`) or inline mappings.
    func loadVars(_ node: Node, into context: Value, baseDir: String) throws -> Value {
        var ctx = context
        let items = node.items ?? [node]
        for item in items {
            if let s = item.string {
                let parts = s.split(separator: ":", maxSplits: 1).map(String.init)
                guard let rel = RelPath.join(baseDir, parts[0]) else {
                    throw WeftError.spec(loc: item.loc, message: "vars file '\(parts[0])' is outside the project", hint: "")
                }
                guard FileManager.default.fileExists(atPath: root + "/" + rel) else {
                    throw WeftError.spec(loc: item.loc, message: "vars file '\(parts[0])' does not exist", hint: "create it or remove it from 'vars:'")
                }
                if rel == RelPath.join(baseDir, "params.yaml") && parts.count == 1 { continue }
                var v = try DocumentLoader.load(path: root + "/" + rel, displayPath: rel).value
                if parts.count == 2 {
                    var picked: [(String, Value)] = []
                    for k in parts[1].split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) {
                        guard let got = v.lookup(k) else {
                            throw WeftError.spec(loc: item.loc, message: "key '\(k)' not found in vars file '\(parts[0])'", hint: "")
                        }
                        picked.append((k, got))
                    }
                    v = .dict(picked)
                }
                ctx = try Interpolator.merge(ctx, v, source: item.loc)
            } else if item.entries != nil {
                ctx = try Interpolator.merge(ctx, try Interpolator(context: ctx).apply(item).value, source: item.loc)
            } else {
                throw WeftError.spec(loc: item.loc, message: "each 'vars' entry must be a file name or a mapping", hint: "")
            }
        }
        return ctx
    }

    /// Expands `foreach`/`do` and `matrix` into concrete (name, body, context) triples.
    func expand(name: String, body: Node, context: Value, baseDir: String) throws -> [(String, Node, Value)] {
        guard let entries = body.entries else {
            throw WeftError.spec(loc: body.loc, message: "stage '\(name)' must be a mapping", hint: "give it at least 'cmd:'")
        }
        var context = context
        if let v = body["vars"] { context = try loadVars(v, into: context, baseDir: baseDir) }
        let interp = Interpolator(context: context)
        if let fe = body["foreach"] {
            guard let doNode = body["do"] else {
                throw WeftError.spec(loc: fe.loc, message: "stage '\(name)': 'foreach' needs a 'do' block", hint: "")
            }
            if let extra = entries.first(where: { !["foreach", "do", "vars"].contains($0.key) }) {
                throw WeftError.spec(loc: extra.keyLoc, message: "stage '\(name)': '\(extra.key)' belongs inside 'do:' when 'foreach' is used", hint: "")
            }
            let items = try interp.apply(fe)
            var out: [(String, Node, Value)] = []
            switch items.kind {
            case .list(let list):
                let scalars = list.allSatisfy { if case .scalar = $0.kind { return true } else { return false } }
                for (i, it) in list.enumerated() {
                    let key = scalars ? (it.value.interpolationText ?? "\(i)") : "\(i)"
                    let ctx = try Interpolator.merge(context, .dict([("item", it.value), ("key", .int(i))]), source: fe.loc)
                    out.append(("\(name)@\(key)", doNode, ctx))
                }
            case .dict(let d):
                for e in d {
                    let ctx = try Interpolator.merge(context, .dict([("item", e.value.value), ("key", .string(e.key))]), source: fe.loc)
                    out.append(("\(name)@\(e.key)", doNode, ctx))
                }
            case .scalar:
                throw WeftError.spec(loc: fe.loc, message: "stage '\(name)': 'foreach' must be a list or mapping, got \(items.typeName)", hint: "")
            }
            return out
        }
        if let m = body["matrix"] {
            guard let dims = try interp.apply(m).entries, !dims.isEmpty else {
                throw WeftError.spec(loc: m.loc, message: "stage '\(name)': 'matrix' must map names to lists", hint: "e.g. matrix: {model: [a, b], seed: [1, 2]}")
            }
            var combos: [([(String, Value)], [String])] = [([], [])]
            for d in dims {
                guard let values = d.value.items else {
                    throw WeftError.spec(loc: d.value.loc, message: "stage '\(name)': matrix.\(d.key) must be a list", hint: "")
                }
                var next: [([(String, Value)], [String])] = []
                for (vals, keys) in combos {
                    for (i, v) in values.enumerated() {
                        let label: String
                        if case .scalar(let s) = v.kind, let t = s.interpolationText { label = t } else { label = "\(d.key)\(i)" }
                        next.append((vals + [(d.key, v.value)], keys + [label]))
                    }
                }
                combos = next
            }
            var stripped = body
            stripped.kind = .dict(entries.filter { $0.key != "matrix" && $0.key != "vars" })
            return try combos.map { vals, keys in
                (name + "@" + keys.joined(separator: "-"), stripped, try Interpolator.merge(context, .dict([("item", .dict(vals))]), source: m.loc))
            }
        }
        if let d = body["do"] {
            throw WeftError.spec(loc: d.loc, message: "stage '\(name)': 'do' needs a 'foreach'", hint: "")
        }
        var stripped = body
        stripped.kind = .dict(entries.filter { $0.key != "vars" })
        return [(name, stripped, context)]
    }

    func parseStage(name: String, body raw: Node, context: Value, file: String, baseDir: String, keyLoc: SourceLoc) throws -> Stage {
        guard let rawEntries = raw.entries else {
            throw WeftError.spec(loc: raw.loc, message: "stage '\(name)' must be a mapping", hint: "")
        }
        for e in rawEntries where !Self.stageKeys.contains(e.key) {
            throw WeftError.spec(loc: e.keyLoc, message: "stage '\(name)': unknown key '\(e.key)'",
                                 hint: [didYouMean(e.key, Self.stageKeys), "allowed: " + Self.stageKeys.joined(separator: ", ")].filter { !$0.isEmpty }.joined(separator: "; "))
        }
        // A foreach `do:` block may carry its own vars.
        var inner = raw
        inner.kind = .dict(rawEntries.filter { $0.key != "vars" })
        let ctx = try raw["vars"].map { try loadVars($0, into: context, baseDir: baseDir) } ?? context
        let body = try Interpolator(context: ctx).apply(inner)

        func string(_ key: String) throws -> String? {
            guard let n = body[key] else { return nil }
            if case .scalar(.null) = n.kind { return nil }
            guard let s = n.value.interpolationText, !(n.value == .null) else {
                throw WeftError.spec(loc: n.loc, message: "stage '\(name)': '\(key)' must be a string, got \(n.typeName)", hint: "")
            }
            return s
        }
        func bool(_ key: String) throws -> Bool {
            guard let n = body[key] else { return false }
            guard case .scalar(.bool(let b)) = n.kind else {
                throw WeftError.spec(loc: n.loc, message: "stage '\(name)': '\(key)' must be true or false, got \(n.value.display)", hint: "")
            }
            return b
        }
        func list(_ key: String) throws -> [Node] {
            guard let n = body[key] else { return [] }
            if case .scalar(.null) = n.kind { return [] }
            if let items = n.items { return items }
            if case .scalar = n.kind { return [n] }
            throw WeftError.spec(loc: n.loc, message: "stage '\(name)': '\(key)' must be a list", hint: "")
        }

        let wdirWritten = try string("wdir") ?? "."
        guard let wdir = RelPath.join(baseDir, wdirWritten) else {
            throw WeftError.spec(loc: body["wdir"]!.loc, message: "stage '\(name)': wdir '\(wdirWritten)' is outside the project", hint: "")
        }
        func key(for path: String, at loc: SourceLoc, output: Bool) throws -> String {
            if path.hasPrefix("/") {
                if output {
                    throw WeftError.spec(loc: loc, message: "stage '\(name)': output '\(path)' is outside the project", hint: "write outputs inside the project; Weft caches them")
                }
                return path
            }
            var trimmed = path
            while trimmed.count > 1 && trimmed.hasSuffix("/") { trimmed.removeLast() }
            guard let k = RelPath.join(wdir, trimmed), k != "." else {
                if output || RelPath.join(wdir, trimmed) == "." {
                    throw WeftError.spec(loc: loc, message: "stage '\(name)': path '\(path)' is outside the project or is the project itself", hint: "")
                }
                return path
            }
            return k
        }

        // Command: shell or built-in.
        let command: Stage.Command
        var deps: [Stage.Dep] = []
        var outs: [Stage.Out] = []
        if let usesNode = body["uses"] {
            if let c = body["cmd"] {
                throw WeftError.spec(loc: c.loc, message: "stage '\(name)' has both 'cmd' and 'uses'", hint: "a stage runs either a shell command or a built-in")
            }
            guard let uses = usesNode.string else {
                throw WeftError.spec(loc: usesNode.loc, message: "stage '\(name)': 'uses' must name a built-in stage", hint: "")
            }
            guard let man = catalog.manifests[uses] else {
                throw WeftError.spec(loc: usesNode.loc, message: "stage '\(name)': unknown built-in '\(uses)'",
                                     hint: [didYouMean(uses, catalog.names), "available: " + catalog.names.joined(separator: ", "), "see 'weft stages --builtin'"].filter { !$0.isEmpty }.joined(separator: "; "))
            }
            let with = try man.resolve(with: body["with"], stage: name)
            command = .builtin(name: man.name, version: man.version, with: with)
            let at = body["with"]?.loc ?? usesNode.loc
            for p in man.params where p.io != .none {
                let paths: [String]
                switch with[p.name] {
                case .string(let s)?: paths = [s]
                case .list(let l)?: paths = l.compactMap { $0.interpolationText }
                default: paths = []
                }
                for path in paths {
                    if p.io == .input {
                        deps.append(.init(path: path, key: try key(for: path, at: at, output: false), loc: at))
                    } else {
                        let kind: Stage.Out.Kind = p.io == .metrics ? .metrics : p.io == .plots ? .plots : .out
                        outs.append(.init(path: path, key: try key(for: path, at: at, output: true), cache: true, persist: p.persist, kind: kind, loc: at,
                                          reports: p.reports))
                    }
                }
            }
        } else if let c = body["cmd"] {
            if let w = body["with"] {
                throw WeftError.spec(loc: w.loc, message: "stage '\(name)': 'with' is only for built-in stages ('uses:')", hint: "")
            }
            var cmds: [String] = []
            for item in c.items ?? [c] {
                guard let t = item.value.interpolationText, !(item.value == .null) else {
                    throw WeftError.spec(loc: item.loc, message: "stage '\(name)': 'cmd' must be a string or a list of strings", hint: "")
                }
                cmds.append(t)
            }
            guard !cmds.isEmpty else {
                throw WeftError.spec(loc: c.loc, message: "stage '\(name)': 'cmd' is empty", hint: "")
            }
            command = .shell(cmds)
        } else {
            throw WeftError.spec(loc: keyLoc, message: "stage '\(name)' has neither 'cmd' nor 'uses'", hint: "add 'cmd: <shell command>' or 'uses: <built-in>' (see 'weft stages --builtin')")
        }

        for d in try list("deps") {
            guard let p = d.string, !p.isEmpty else {
                throw WeftError.spec(loc: d.loc, message: "stage '\(name)': each dep must be a path string", hint: "")
            }
            deps.append(.init(path: p, key: try key(for: p, at: d.loc, output: false), loc: d.loc))
        }
        for (field, kind) in [("outs", Stage.Out.Kind.out), ("metrics", .metrics), ("plots", .plots)] {
            for o in try list(field) {
                var path: String
                var cache = true, persist = false
                var plot: PlotOptions? = kind == .plots ? PlotOptions() : nil
                if let p = o.string {
                    path = p
                } else if let e = o.entries, e.count == 1 {
                    path = e[0].key
                    if kind == .plots { plot = try Self.plotOptions(e[0].value.entries ?? [], of: path, context: "stage '\(name)'") }
                    for opt in e[0].value.entries ?? [] {
                        let allowed = kind == .plots ? Self.plotKeys : Self.outKeys
                        guard allowed.contains(opt.key) else {
                            throw WeftError.spec(loc: opt.keyLoc, message: "stage '\(name)': unknown option '\(opt.key)' for output '\(path)'",
                                                 hint: [didYouMean(opt.key, allowed), "allowed: " + allowed.joined(separator: ", ")].filter { !$0.isEmpty }.joined(separator: "; "))
                        }
                        if opt.key == "cache" || opt.key == "persist" {
                            guard case .scalar(.bool(let b)) = opt.value.kind else {
                                throw WeftError.spec(loc: opt.value.loc, message: "stage '\(name)': '\(opt.key)' of '\(path)' must be true or false", hint: "")
                            }
                            if opt.key == "cache" { cache = b } else { persist = b }
                        }
                    }
                } else {
                    throw WeftError.spec(loc: o.loc, message: "stage '\(name)': each entry of '\(field)' must be a path or '{path: {options}}'", hint: "")
                }
                if path.isEmpty {
                    throw WeftError.spec(loc: o.loc, message: "stage '\(name)': empty path in '\(field)'", hint: "")
                }
                let k = try key(for: path, at: o.loc, output: true)
                while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
                outs.append(.init(path: path, key: k, cache: cache, persist: persist, kind: kind, loc: o.loc, plot: plot))
            }
        }

        var params: [Stage.Params] = []
        let defaultParamsFile = "params.yaml"
        var defaultKeys: [String] = []
        var defaultLoc = keyLoc
        for p in try list("params") {
            if let s = p.value.interpolationText, case .scalar = p.kind {
                defaultKeys.append(s)
                defaultLoc = p.loc
            } else if let e = p.entries {
                for f in e {
                    let keys = (f.value.items ?? []).compactMap { $0.value.interpolationText }
                    guard let k = RelPath.join(wdir, f.key) else {
                        throw WeftError.spec(loc: f.keyLoc, message: "stage '\(name)': params file '\(f.key)' is outside the project", hint: "")
                    }
                    params.append(.init(file: f.key, key: k, keys: keys, loc: f.keyLoc))
                }
            } else {
                throw WeftError.spec(loc: p.loc, message: "stage '\(name)': each 'params' entry must be a key or '{file: [keys]}'", hint: "")
            }
        }
        if !defaultKeys.isEmpty {
            if let i = params.firstIndex(where: { $0.file == defaultParamsFile }) {
                params[i].keys += defaultKeys
            } else {
                params.insert(.init(file: defaultParamsFile, key: RelPath.join(wdir, defaultParamsFile)!, keys: defaultKeys, loc: defaultLoc), at: 0)
            }
        }

        var cpus = 1
        if let c = body["cpus"] {
            guard case .scalar(.int(let n)) = c.kind, n >= 1 else {
                throw WeftError.spec(loc: c.loc, message: "stage '\(name)': 'cpus' must be an integer ≥ 1, got \(c.value.display)", hint: "")
            }
            cpus = n
        }
        var mutex: [String] = []
        for m in try list("mutex") {
            guard let s = m.value.interpolationText, case .scalar = m.kind else {
                throw WeftError.spec(loc: m.loc, message: "stage '\(name)': 'mutex' entries must be group names", hint: "")
            }
            mutex.append(s)
        }
        var env: [(String, String)] = []
        if let e = body["env"] {
            guard let entries = e.entries else {
                throw WeftError.spec(loc: e.loc, message: "stage '\(name)': 'env' must be a mapping of NAME: value", hint: "")
            }
            for x in entries {
                guard let v = x.value.value.interpolationText, case .scalar = x.value.kind else {
                    throw WeftError.spec(loc: x.value.loc, message: "stage '\(name)': env.\(x.key) must be a scalar", hint: "")
                }
                env.append((x.key, v))
            }
        }
        return Stage(
            name: name, id: name, pipelineFile: file, loc: keyLoc, wdir: wdir, command: command, deps: deps, outs: outs,
            params: params, frozen: try bool("frozen"), alwaysChanged: try bool("always_changed"), desc: try string("desc"),
            meta: body["meta"]?.value, cpus: cpus, mutex: mutex, env: env)
    }
}
