import Foundation
import Testing

/// `weft repro` and `weft status` on a multi-stage pipeline: what runs, what is skipped,
/// what the lock records, and why `status` says a stage would run.
@Suite("repro and status")
struct ReproTests {
    @Test("first repro runs every stage; the second runs nothing")
    func fullRunThenNoop() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)

        let first = try ws.run("repro")
        #expect(first.code == 0, "\(first)")
        #expect(Set(first.ran) == Set(Fixture.stageNames), "\(first)")
        #expect(first.ran.count == 4)
        #expect(ws.read("prepared.txt") == "HELLO WORLD\n")
        #expect(ws.read("model.txt") == "HELLO WORLD\n  lr: 0.1\n")
        #expect(ws.read("score.txt") == "22\n")
        #expect(ws.read("report.txt") == "some notes\n")

        let second = try ws.run("repro")
        #expect(second.code == 0, "\(second)")
        #expect(second.ran.isEmpty, "\(second)")
        #expect(Set(second.skipped) == Set(Fixture.stageNames), "\(second)")
        #expect(second.out.contains("Data and pipelines are up to date."))
    }

    @Test("the lock file records schema 2.0 and sha256 hashes and sizes of deps and outs")
    func lockContents() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")

        let lock = try #require(ws.read("pipelines/x.lock"), "pipelines/x.lock was not written")
        #expect(lock.hasPrefix("schema: '2.0'\nstages:\n"))
        #expect(Set(lockStages(lock)) == Set(Fixture.stageNames))

        let train = try #require(lockEntry(lock, stage: "train"))
        let text = train.joined(separator: "\n")
        #expect(text.contains("cmd: "))
        #expect(text.contains("deps:\n    - path: prepared.txt\n      hash: sha256\n"))
        #expect(text.contains("outs:\n    - path: model.txt\n      hash: sha256\n"))
        #expect(text.contains("params:\n      params.yaml:\n        train.lr: 0.1"))

        // Every recorded path carries `hash: sha256`, a 64-hex digest and its size.
        let digests = train.filter { $0.hasPrefix("      sha256: ") }.map { String($0.dropFirst(14)) }
        #expect(digests.count == 2)
        for d in digests {
            #expect(d.count == 64 && d.allSatisfy { "0123456789abcdef".contains($0) }, "bad digest \(d)")
        }
        #expect(train.filter { $0 == "      hash: sha256" }.count == 2)

        // The out's digest and size are those of the file on disk.
        let model = try systemSHA256(ws.path("model.txt"))
        #expect(text.contains("- path: model.txt\n      hash: sha256\n      sha256: \(model)\n      size: \(ws.bytes("model.txt")!.count)"))
        let raw = try systemSHA256(ws.path("data/raw.txt"))
        let prepare = try #require(lockEntry(lock, stage: "prepare")).joined(separator: "\n")
        #expect(prepare.contains("- path: data/raw.txt\n      hash: sha256\n      sha256: \(raw)\n      size: 12"))
    }

    @Test("changing one leaf input reruns only the stages downstream of it")
    func leafInputChange() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)

        try ws.write("data/notes.txt", "other notes\n")
        let r1 = try ws.run("repro")
        #expect(r1.code == 0, "\(r1)")
        #expect(r1.ran == ["report"], "\(r1)")
        #expect(r1.count("Running stage") == 1)
        #expect(ws.read("report.txt") == "other notes\n")

        try ws.write("data/raw.txt", "goodbye\n")
        let r2 = try ws.run("repro")
        #expect(r2.code == 0, "\(r2)")
        #expect(Set(r2.ran) == ["prepare", "train", "evaluate"], "\(r2)")
        #expect(r2.skipped == ["report"], "\(r2)")
        #expect(ws.read("model.txt") == "GOODBYE\n  lr: 0.1\n")
    }

    @Test("changing a param reruns the stage that reads it; an unused param key reruns nothing")
    func paramChange() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)

        // train.epochs is in params.yaml but no stage lists it.
        try ws.write("params.yaml", Fixture.params.replacingOccurrences(of: "epochs: 3", with: "epochs: 4"))
        let r0 = try ws.run("repro")
        #expect(r0.ran.isEmpty, "\(r0)")

        try Fixture.setLR("0.2", in: ws)
        let r1 = try ws.run("repro")
        #expect(r1.code == 0, "\(r1)")
        // train reads the param; evaluate reads train's (now different) output.
        #expect(Set(r1.ran) == ["train", "evaluate"], "\(r1)")
        #expect(Set(r1.skipped) == ["prepare", "report"], "\(r1)")
        #expect(ws.read("model.txt") == "HELLO WORLD\n  lr: 0.2\n")
        let lock = try #require(ws.read("pipelines/x.lock"))
        #expect(lockEntry(lock, stage: "train")!.contains("        train.lr: 0.2"))
    }

    @Test("status explains param and dep changes, in text and JSON, and exits 0")
    func statusReasons() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)

        let clean = try ws.run("status")
        #expect(clean.code == 0)
        #expect(clean.out.trimmingCharacters(in: .whitespacesAndNewlines) == "Data and pipelines are up to date.")

        try Fixture.setLR("0.2", in: ws)
        try ws.write("data/raw.txt", "changed\n")
        let st = try ws.run("status")
        #expect(st.code == 0, "\(st)")
        #expect(st.out.contains("param changed: train.lr 0.1 → 0.2"), "\(st)")
        #expect(st.out.contains("dep changed: data/raw.txt"), "\(st)")
        #expect(st.out.contains("prepare:"))
        #expect(st.out.contains("train:"))
        #expect(!st.out.contains("report:"), "report did not change: \(st)")

        let js = try ws.run("status", "--json")
        #expect(js.code == 0, "\(js)")
        let root = try #require(parseJSON(js.out) as? [String: Any], "not JSON: \(js.out)")
        #expect(root["up_to_date"] as? Bool == false)
        let stages = try #require(root["stages"] as? [[String: Any]])
        var kinds: [String: [String]] = [:]
        for s in stages {
            let name = try #require(s["stage"] as? String)
            let reasons = try #require(s["reasons"] as? [[String: Any]])
            kinds[name] = reasons.compactMap { $0["kind"] as? String }
        }
        #expect(kinds["prepare"] == ["dep_changed"])
        #expect(kinds["train"]?.contains("param_changed") == true)
        #expect(kinds["train"]?.contains("upstream_changed") == true)
        #expect(kinds["report"] == [])
        let trainReasons = try #require(stages.first { $0["stage"] as? String == "train" }?["reasons"] as? [[String: Any]])
        let param = try #require(trainReasons.first { $0["kind"] as? String == "param_changed" })
        #expect(param["key"] as? String == "train.lr")
        #expect(param["old"] as? Double == 0.1)
        #expect(param["new"] as? Double == 0.2)

        // status changes nothing: repro still has the work to do.
        let r = try ws.run("repro")
        #expect(Set(r.ran) == ["prepare", "train", "evaluate"], "\(r)")
        let after = try ws.run("status", "--json")
        let afterRoot = try #require(parseJSON(after.out) as? [String: Any])
        #expect(afterRoot["up_to_date"] as? Bool == true)
    }

    @Test("a stage whose inputs were seen before is restored from the run cache, unless --no-run-cache")
    func runCache() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)
        let original = ws.bytes("model.txt")

        try Fixture.setLR("0.2", in: ws)
        let r1 = try ws.run("repro")
        #expect(Set(r1.ran) == ["train", "evaluate"], "\(r1)")

        try Fixture.setLR("0.1", in: ws)
        let r2 = try ws.run("repro")
        #expect(r2.code == 0, "\(r2)")
        #expect(!r2.all.contains("Running stage"), "\(r2)")
        #expect(r2.out.contains("Stage 'train' is cached - skipping run, checking out outputs"), "\(r2)")
        #expect(Set(r2.restored) == ["train", "evaluate"], "\(r2)")
        #expect(ws.bytes("model.txt") == original)
        #expect(ws.read("score.txt") == "22\n")
        #expect(lockEntry(ws.read("pipelines/x.lock")!, stage: "train")!.contains("        train.lr: 0.1"))
        #expect(try ws.run("status").out.contains("Data and pipelines are up to date."))

        try Fixture.setLR("0.2", in: ws)
        let r3 = try ws.run("repro", "--no-run-cache")
        #expect(r3.code == 0, "\(r3)")
        #expect(r3.ran.contains("train"), "\(r3)")
        #expect(r3.restored.isEmpty, "\(r3)")
    }

    @Test("a deleted output shows as 'out missing' and repro brings it back")
    func outMissing() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)
        let before = ws.bytes("report.txt")

        try ws.remove("report.txt")
        let st = try ws.run("status")
        #expect(st.out.contains("report:"), "\(st)")
        #expect(st.out.contains("out missing: report.txt"), "\(st)")

        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(r.restored == ["report"] || r.ran == ["report"], "\(r)")
        #expect(!r.ran.contains("prepare"))
        #expect(ws.bytes("report.txt") == before)
        #expect(try ws.run("status").out.contains("Data and pipelines are up to date."))

        // Without the run cache it reruns.
        try ws.remove("report.txt")
        let r2 = try ws.run("repro", "--no-run-cache")
        #expect(r2.ran == ["report"], "\(r2)")
        #expect(ws.bytes("report.txt") == before)
    }

    @Test("a replaced output shows as 'out modified' and repro restores the recorded content")
    func outModified() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)
        let before = ws.bytes("model.txt")

        try ws.remove("model.txt")  // outputs are read-only links into the cache: replace, don't edit
        try ws.write("model.txt", "tampered\n")
        let st = try ws.run("status")
        #expect(st.out.contains("out modified: model.txt"), "\(st)")

        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(ws.bytes("model.txt") == before)
        #expect(!r.ran.contains("prepare"))
    }

    @Test("checkout restores deleted outputs from the cache with identical bytes")
    func checkout() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)
        let prepared = ws.bytes("prepared.txt"), score = ws.bytes("score.txt")

        let nothing = try ws.run("checkout")
        #expect(nothing.code == 0, "\(nothing)")
        #expect(nothing.out.contains("Everything is already checked out."))

        try ws.remove("prepared.txt")
        try ws.remove("score.txt")
        let r = try ws.run("checkout")
        #expect(r.code == 0, "\(r)")
        #expect(r.out.contains("Restored 2 outputs."), "\(r)")
        #expect(ws.bytes("prepared.txt") == prepared)
        #expect(ws.bytes("score.txt") == score)
        #expect(r.ran.isEmpty)

        // Only the named target (and what it depends on).
        try ws.remove("prepared.txt")
        try ws.remove("score.txt")
        let one = try ws.run("checkout", "prepare")
        #expect(one.code == 0, "\(one)")
        #expect(one.out.contains("Restored 1 outputs."), "\(one)")
        #expect(ws.bytes("prepared.txt") == prepared)
        #expect(!ws.exists("score.txt"))
        let rest = try ws.run("checkout", "evaluate")
        #expect(rest.code == 0, "\(rest)")
        #expect(ws.bytes("score.txt") == score)
    }
}
