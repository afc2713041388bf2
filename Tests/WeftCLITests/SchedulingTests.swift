import Foundation
import Testing

/// Parallel execution: `-j`, `mutex`, `cpus`, and how parallel output is labelled and logged.
/// The timings are behaviour checks with wide margins, not benchmarks.
@Suite("scheduling")
struct SchedulingTests {
    /// Reads the start/end times a stage wrote with `date +%s.%N`.
    static func interval(_ ws: TestWorkspace, _ name: String) throws -> (Double, Double) {
        let s = try #require(ws.read("\(name).start").flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        let e = try #require(ws.read("\(name).end").flatMap { Double($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        return (s, e)
    }

    static func timedStage(_ name: String, extra: String = "") -> String {
        """
          \(name):
            cmd: date +%s.%N > \(name).start; sleep 1; date +%s.%N > \(name).end
            outs: [\(name).start, \(name).end]
        \(extra)
        """
    }

    @Test("four independent 1 s stages with -j 4 run side by side")
    func parallelStages() throws {
        let ws = try TestWorkspace()
        let names = ["p1", "p2", "p3", "p4"]
        try ws.write("pipelines/x.yaml", "stages:\n" + names.map { Self.timedStage($0) }.joined())
        let r = try ws.run("repro", "-j", "4")
        #expect(r.code == 0, "\(r)")
        #expect(Set(r.ran) == Set(names))
        let spans = try names.map { try Self.interval(ws, $0) }
        let latestStart = spans.map(\.0).max()!, earliestEnd = spans.map(\.1).min()!
        #expect(latestStart < earliestEnd, "the four stages never all ran at once: \(spans)")
    }

    @Test("stages sharing a mutex group never overlap, even with free slots")
    func mutexGroups() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", "stages:\n" + Self.timedStage("m1", extra: "    mutex: [gpu]\n") + Self.timedStage("m2", extra: "    mutex: [gpu]\n"))
        let r = try ws.run("repro", "-j", "2")
        #expect(r.code == 0, "\(r)")
        #expect(r.seconds >= 2.0, "took \(r.seconds) s")
        let a = try Self.interval(ws, "m1"), b = try Self.interval(ws, "m2")
        #expect(a.1 <= b.0 || b.1 <= a.0, "m1 \(a) and m2 \(b) overlap")
    }

    @Test("a stage with cpus: 2 holds both of -j 2's slots")
    func cpusSlots() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", "stages:\n" + Self.timedStage("big", extra: "    cpus: 2\n") + Self.timedStage("small"))
        let r = try ws.run("repro", "-j", "2")
        #expect(r.code == 0, "\(r)")
        #expect(r.seconds >= 2.0, "took \(r.seconds) s")
        let a = try Self.interval(ws, "big"), b = try Self.interval(ws, "small")
        #expect(a.1 <= b.0 || b.1 <= a.0, "big \(a) and small \(b) overlap")

        // Without the cpus claim they do overlap.
        let ws2 = try TestWorkspace()
        try ws2.write("pipelines/x.yaml", "stages:\n" + Self.timedStage("big") + Self.timedStage("small"))
        let r2 = try ws2.run("repro", "-j", "2")
        #expect(r2.code == 0, "\(r2)")
        // Judged by the stages' own start/end times, not wall time, which a loaded machine stretches.
        let c = try Self.interval(ws2, "big"), d = try Self.interval(ws2, "small")
        #expect(c.0 < d.1 && d.0 < c.1, "big \(c) and small \(d) should overlap")
    }

    @Test("-j 1 runs stages one at a time, in file order")
    func serial() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", "stages:\n" + Self.timedStage("s1") + Self.timedStage("s2"))
        let r = try ws.run("repro", "-j", "1")
        #expect(r.code == 0, "\(r)")
        #expect(r.ran == ["s1", "s2"])
        let a = try Self.interval(ws, "s1"), b = try Self.interval(ws, "s2")
        #expect(a.1 <= b.0)
        #expect(!r.out.contains("[s1] "), "no prefixes when one stage runs at a time")
    }

    @Test("output of parallel stages is prefixed [name] and kept whole in .weft/logs/<name>.log")
    func prefixedOutputAndLogs() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", """
            stages:
              left:
                cmd: for i in 1 2 3; do echo left line $i; sleep 0.1; done; echo to-stderr >&2
              right:
                cmd: for i in 1 2 3; do echo right line $i; sleep 0.1; done

            """)
        let r = try ws.run("repro", "-j", "2")
        #expect(r.code == 0, "\(r)")
        for i in 1...3 {
            #expect(r.outLines.contains("[left] left line \(i)"), "\(r)")
            #expect(r.outLines.contains("[right] right line \(i)"), "\(r)")
        }
        #expect(r.outLines.contains("[left] to-stderr"), "stderr of a stage is merged: \(r)")
        // No line of one stage is glued to another's.
        for l in r.outLines where (l.contains("left line") || l.contains("right line")) && !l.hasPrefix("> ") {
            #expect(l.hasPrefix("[left] left line") || l.hasPrefix("[right] right line"), "mixed line: \(l)")
        }
        let log = try #require(ws.read(".weft/logs/left.log"))
        #expect(log.contains("left line 1\nleft line 2\nleft line 3\nto-stderr\n"), "\(log)")
        #expect(!log.contains("[left]"))
        #expect(!log.contains("right line"))
        #expect(ws.read(".weft/logs/right.log")?.contains("right line 3\n") == true)
    }
}
