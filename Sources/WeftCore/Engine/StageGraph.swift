import Foundation

/// The stage DAG: an edge runs from the stage that writes a path to each stage that reads it
/// (the same path, a file inside an output folder, or a folder holding an output).
public struct StageGraph: Sendable {
    public var stages: [Stage]
    /// upstream[i]: stages whose outputs stage i reads.
    public var upstream: [[Int]]
    /// downstream[i]: stages that read stage i's outputs.
    public var downstream: [[Int]]
    /// Stage indices in a topological order that keeps file order where it can.
    public var order: [Int]
    /// Output key → (stage index, output index).
    public var producers: [String: (Int, Int)]

    public init(stages: [Stage], root: String) throws {
        self.stages = stages
        var producers: [String: (Int, Int)] = [:]
        for (si, s) in stages.enumerated() {
            for (oi, o) in s.outs.enumerated() {
                if let (other, _) = producers[o.key] {
                    throw WeftError.graph(
                        message: "output '\(o.key)' is declared by two stages: '\(stages[other].id)' (\(stages[other].loc)) and '\(s.id)' (\(s.loc))",
                        hint: "each path may be written by one stage only")
                }
                producers[o.key] = (si, oi)
            }
        }
        // One output inside another: look up each output's ancestors.
        for (si, s) in stages.enumerated() {
            for o in s.outs {
                for a in RelPath.ancestors(o.key) {
                    if let (other, _) = producers[a] {
                        throw WeftError.graph(
                            message: "output '\(o.key)' of stage '\(s.id)' lies inside output '\(a)' of stage '\(stages[other].id)'" + (other == si ? " (the same stage)" : ""),
                            hint: "outputs may not overlap; declare only the folder, or move one of them")
                    }
                }
            }
        }
        // A stage may not read what it writes (DVC refuses this too).
        for s in stages {
            for d in s.deps {
                if let o = s.outs.first(where: { RelPath.isWithin(d.key, $0.key) || RelPath.isWithin($0.key, d.key) }) {
                    throw WeftError.spec(loc: d.loc, message: "stage '\(s.id)': '\(d.path)' is both a dependency and (inside) its output '\(o.path)'",
                                         hint: "write the result to a new path; a stage that rewrites its own input can never be up to date")
                }
            }
        }
        let sortedOuts = producers.keys.sorted()
        var up = Array(repeating: [Int](), count: stages.count)
        var down = Array(repeating: [Int](), count: stages.count)
        for (si, s) in stages.enumerated() {
            var ups = Set<Int>()
            for d in s.deps {
                if let (p, _) = producers[d.key] { ups.insert(p) }
                for a in RelPath.ancestors(d.key) { if let (p, _) = producers[a] { ups.insert(p) } }
                // A dep folder that contains outputs of other stages.
                let prefix = d.key + "/"
                var lo = 0, hi = sortedOuts.count
                while lo < hi { let mid = (lo + hi) / 2; if sortedOuts[mid] < prefix { lo = mid + 1 } else { hi = mid } }
                while lo < sortedOuts.count, sortedOuts[lo].hasPrefix(prefix) {
                    ups.insert(producers[sortedOuts[lo]]!.0)
                    lo += 1
                }
            }
            for p in s.params {
                if let (prod, _) = producers[p.key] { ups.insert(prod) }
            }
            ups.remove(si)
            up[si] = ups.sorted()
            for u in up[si] { down[u].append(si) }
        }
        self.upstream = up
        self.downstream = down
        self.producers = producers
        self.order = try Self.topoSort(stages: stages, upstream: up, downstream: down)
    }

    /// Kahn's algorithm, always taking the lowest-index ready stage so the order
    /// follows the files; on a cycle, reports the cycle's stage path.
    static func topoSort(stages: [Stage], upstream: [[Int]], downstream: [[Int]]) throws -> [Int] {
        var indeg = upstream.map(\.count)
        var ready = indeg.indices.filter { indeg[$0] == 0 }.reversed() as [Int]
        var order: [Int] = []
        order.reserveCapacity(stages.count)
        // `ready` is kept sorted descending; popLast takes the smallest.
        while let s = ready.popLast() {
            order.append(s)
            var added = false
            for d in downstream[s] {
                indeg[d] -= 1
                if indeg[d] == 0 { ready.append(d); added = true }
            }
            if added { ready.sort(by: >) }
        }
        if order.count < stages.count {
            let remaining = Set(indeg.indices.filter { indeg[$0] > 0 })
            // Walk upstream edges inside the remainder until a stage repeats.
            var path: [Int] = []
            var seen: [Int: Int] = [:]
            var cur = remaining.min()!
            while seen[cur] == nil {
                seen[cur] = path.count
                path.append(cur)
                cur = upstream[cur].first(where: { remaining.contains($0) })!
            }
            // `path` follows upstream edges; reversed it runs with the data, and closes on its own start.
            let loop = Array(path[seen[cur]!...].reversed())
            let cycle = loop + [loop[0]]
            let names = cycle.map { stages[$0].id }
            throw WeftError.graph(message: "pipeline has a cycle: " + names.joined(separator: " -> "),
                                  hint: "a stage may not depend, directly or indirectly, on its own outputs")
        }
        return order
    }

    /// The given stages plus everything upstream of them, in topological order.
    public func closure(of targets: [Int], downstreamToo: Bool = false, upstreamToo: Bool = true) -> [Int] {
        var keep = Set<Int>()
        var stack = targets
        while let s = stack.popLast() {
            guard keep.insert(s).inserted else { continue }
            if upstreamToo { stack += upstream[s] }
        }
        if downstreamToo {
            stack = Array(keep)
            var seen = Set<Int>()
            while let s = stack.popLast() {
                guard seen.insert(s).inserted else { continue }
                keep.insert(s)
                stack += downstream[s]
            }
        }
        return order.filter { keep.contains($0) }
    }
}
