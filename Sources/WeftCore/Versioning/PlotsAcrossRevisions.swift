import Foundation

extension Snapshot {
    /// Plots files the pipelines declare, with how to draw them: stage `plots:` outputs and
    /// top-level `plots:` entries (the first declaration of a path wins).
    public func plotDefinitions() throws -> [(path: String, options: PlotOptions)] {
        let p = try project()
        var out: [(path: String, options: PlotOptions)] = []
        for s in p.stages {
            for o in s.outs {
                var defs = o.reports.filter { $0.kind == .plots }.map { (path: o.key + "/" + $0.path, options: $0.plot ?? PlotOptions()) }
                if o.kind == .plots { defs.insert((o.key, o.plot ?? PlotOptions()), at: 0) }
                for d in defs where !out.contains(where: { $0.path == d.path }) { out.append(d) }
            }
        }
        for f in p.files {
            for (path, options) in f.plots where !out.contains(where: { $0.path == path }) { out.append((path, options)) }
        }
        return out
    }
}

/// Every declared plot with its rows at each snapshot (a revision without the file is left out
/// of that plot). Files that are folders are skipped.
public func plotInputs(_ snaps: [Snapshot]) throws -> [PlotInput] {
    var defs: [(path: String, options: PlotOptions)] = []
    for s in snaps {
        for d in try s.plotDefinitions() where !defs.contains(where: { $0.path == d.path }) { defs.append(d) }
    }
    var out: [PlotInput] = []
    for d in defs {
        var revisions: [(revision: String, rows: PlotRows)] = []
        for s in snaps {
            guard let bytes = try s.read(d.path) else { continue }
            revisions.append((s.label, try PlotTable.parse(bytes, path: d.path)))
        }
        if !revisions.isEmpty { out.append(PlotInput(path: d.path, options: d.options, revisions: revisions)) }
    }
    return out
}
