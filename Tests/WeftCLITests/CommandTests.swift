import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The other commands: `dag`, `cache verify`, `gc`, `init`.
@Suite("dag, cache, gc, init")
struct CommandTests {
    @Test("weft dag draws the graph as ASCII, Graphviz dot and Mermaid")
    func dag() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)

        let ascii = try ws.run("dag")
        #expect(ascii.code == 0, "\(ascii)")
        for s in Fixture.stageNames { #expect(ascii.out.contains(s), "\(ascii)") }
        let lines = ascii.outLines.filter { !$0.isEmpty }
        #expect(lines.count == 4)
        // Upstream before downstream, downstream indented under it.
        let idx = { (n: String) in lines.firstIndex { $0.hasSuffix(" " + n) }! }
        #expect(idx("prepare") < idx("train") && idx("train") < idx("evaluate"))
        #expect(lines[idx("train")].hasPrefix("  "), "\(lines)")

        let dot = try ws.run("dag", "--dot")
        #expect(dot.code == 0, "\(dot)")
        #expect(dot.out.contains("digraph"))
        #expect(dot.out.contains("\"prepare\" -> \"train\""), "\(dot)")
        #expect(dot.out.contains("\"train\" -> \"evaluate\""), "\(dot)")
        #expect(dot.out.components(separatedBy: "->").count - 1 == 2, "exactly two edges: \(dot)")
        #expect(dot.out.contains("\"report\""))

        let mermaid = try ws.run("dag", "--mermaid")
        #expect(mermaid.code == 0, "\(mermaid)")
        #expect(mermaid.out.hasPrefix("flowchart"), "\(mermaid)")
        #expect(mermaid.out.components(separatedBy: "-->").count - 1 == 2, "\(mermaid)")
        for s in Fixture.stageNames { #expect(mermaid.out.contains("\"\(s)\""), "\(mermaid)") }
    }

    @Test("cache verify passes on a good cache and names a corrupted object")
    func cacheVerify() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)

        let ok = try ws.run("cache", "verify")
        #expect(ok.code == 0, "\(ok)")
        #expect(ok.out.contains("all intact"), "\(ok)")

        let report = try systemSHA256(ws.path("report.txt"))
        let obj = "cache/files/sha256/\(report.prefix(2))/\(report.dropFirst(2))"
        #expect(ws.exists(obj), "object \(obj) missing; cache: \(ws.cacheObjects)")
        #expect(chmod(ws.path(obj), 0o644) == 0)
        let fd = open(ws.path(obj), O_WRONLY)
        #expect(fd >= 0)
        _ = "XX".withCString { write(fd, $0, 2) }  // overwrite the first bytes in place
        close(fd)

        let bad = try ws.run("cache", "verify")
        #expect(bad.code != 0, "\(bad)")
        #expect(bad.err.contains(report), "the corrupt object is named: \(bad)")
        #expect(bad.out.contains("1 of"), "\(bad)")
        let corruptLines = lines(bad.err, containing: "corrupt")
        #expect(corruptLines.count == 1, "only the damaged object: \(bad)")
    }

    @Test("gc --dry removes nothing; gc removes objects of a deleted stage and keeps referenced ones")
    func gc() throws {
        let ws = try TestWorkspace()
        let both = "stages:\n  keep:\n    cmd: echo keep-me > keep.txt\n    outs: [keep.txt]\n  drop:\n    cmd: echo drop-me > drop.txt\n    outs: [drop.txt]\n"
        try ws.write("pipelines/x.yaml", both)
        #expect(try ws.run("repro").code == 0)
        let keepHash = try systemSHA256(ws.path("keep.txt"))
        let dropHash = try systemSHA256(ws.path("drop.txt"))
        func object(_ h: String) -> String { "cache/files/sha256/\(h.prefix(2))/\(h.dropFirst(2))" }
        #expect(ws.exists(object(keepHash)) && ws.exists(object(dropHash)))

        let nothing = try ws.run("gc")
        #expect(nothing.code == 0, "\(nothing)")
        #expect(nothing.out.contains("Removed 0 objects"), "\(nothing)")

        try ws.write("pipelines/x.yaml", "stages:\n  keep:\n    cmd: echo keep-me > keep.txt\n    outs: [keep.txt]\n")
        #expect(try ws.run("repro").code == 0)
        let before = ws.files(under: "cache")

        let dry = try ws.run("gc", "--dry")
        #expect(dry.code == 0, "\(dry)")
        #expect(dry.out.contains("Would remove 1 objects"), "\(dry)")
        #expect(ws.files(under: "cache") == before, "--dry removed something")

        let r = try ws.run("gc")
        #expect(r.code == 0, "\(r)")
        #expect(r.out.contains("Removed 1 objects"), "\(r)")
        #expect(r.out.contains("1 run-cache entries"), "\(r)")
        #expect(!ws.exists(object(dropHash)))
        #expect(ws.exists(object(keepHash)))
        #expect(try ws.run("cache", "verify").code == 0)
        #expect(ws.read("keep.txt") == "keep-me\n")
        // The kept stage is still up to date and restorable.
        try ws.remove("keep.txt")
        #expect(try ws.run("checkout").code == 0)
        #expect(ws.read("keep.txt") == "keep-me\n")
    }

    @Test("gc removes leftover temp files of killed runs")
    func gcStrayTemp() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", "stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n")
        #expect(try ws.run("repro").code == 0)
        let shard = try #require(ws.cacheObjects.first.map { ($0 as NSString).deletingLastPathComponent })
        try ws.write(shard + "/abc.weft-tmp-1-2", "half-written")
        let r = try ws.run("gc")
        #expect(r.code == 0, "\(r)")
        #expect(r.out.contains("1 temp files"), "\(r)")
        #expect(ws.strayTempFiles.isEmpty)
        #expect(try ws.run("cache", "verify").code == 0)
    }

    @Test("weft init creates .weft/, cache/, params.yaml and .gitignore; a second init changes nothing")
    func initProject() throws {
        let ws = try TestWorkspace()
        let r = try ws.run("init")
        #expect(r.code == 0, "\(r)")
        var isDir: ObjCBool = false
        #expect(FileManager.default.fileExists(atPath: ws.path(".weft"), isDirectory: &isDir) && isDir.boolValue)
        #expect(FileManager.default.fileExists(atPath: ws.path("cache"), isDirectory: &isDir) && isDir.boolValue)
        #expect(ws.exists("params.yaml"))
        let gi = try #require(ws.read(".gitignore"))
        #expect(gi.split(separator: "\n").contains("/.weft/"), "\(gi)")
        #expect(gi.split(separator: "\n").contains("/cache/"), "\(gi)")

        let again = try ws.run("init")
        #expect(again.code == 0)
        #expect(again.out.contains("Already initialised."), "\(again)")
        #expect(ws.read(".gitignore") == gi)

        // An existing .gitignore is extended, not replaced.
        let ws2 = try TestWorkspace()
        try ws2.write(".gitignore", "*.pyc")
        #expect(try ws2.run("init").code == 0)
        let gi2 = try #require(ws2.read(".gitignore"))
        #expect(gi2.hasPrefix("*.pyc\n"), "\(gi2)")
        #expect(gi2.contains("/.weft/"))
    }

    @Test("outside any project, commands say how to start one")
    func noProject() throws {
        let ws = try TestWorkspace()
        let r = try ws.run("repro")
        #expect(r.code != 0)
        #expect(r.err.contains("weft init"), "\(r)")
    }
}
