import Foundation
import Testing
import WeftCore

/// A pipeline mixing shell stages and the `concat` built-in, with params and a metrics file.
enum VersionedFixture {
    static let pipeline = #"""
        stages:
          prepare:
            cmd: tr a-z A-Z < data/raw.txt > prepared.txt
            deps: [data/raw.txt]
            outs: [prepared.txt]
          join:
            uses: concat
            with:
              inputs: [prepared.txt, data/notes.txt]
              output: joined.txt
              separator: "--\n"
          train:
            cmd: >-
              [ -z "$SWEEP_LOG" ] || echo "start $(date +%s%N)" >> "$SWEEP_LOG";
              [ -z "$SWEEP_LOG" ] || sleep 0.5;
              awk -v lr=${train.lr} -v n=$(wc -c < joined.txt) 'BEGIN { printf "{\"loss\": %.6f, \"size\": %d}\n", 1/(lr*n), n }' > metrics.json;
              [ -z "$SWEEP_LOG" ] || echo "end $(date +%s%N)" >> "$SWEEP_LOG"
            deps: [joined.txt]
            params: [train.lr]
            metrics: [metrics.json]
          model:
            cmd: cat joined.txt metrics.json > model.txt
            deps: [joined.txt, metrics.json]
            outs: [model.txt]

        """#

    static func install(in ws: TestWorkspace, lr: String = "0.1") throws {
        try ws.write("pipelines/main.yaml", pipeline)
        try ws.write("params.yaml", "# knobs\ntrain:\n  lr: \(lr)   # learning rate\n  epochs: 3\n")
        try ws.write("data/raw.txt", "hello world\n")
        try ws.write("data/notes.txt", "notes\n")
    }

    /// The loss the train stage writes for a learning rate and the joined file's size.
    static func loss(lr: Double, size: Int) -> Double { (1 / (lr * Double(size)) * 1e6).rounded() / 1e6 }
}

func json(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

@Suite("versioning: repro --rev, checkout --rev, gc --all-commits")
struct RevisionTests {
    @Test("a three-commit history reproduces bit for bit from each commit, in a temporary checkout")
    func threeCommitHistory() throws {
        let ws = try TestWorkspace()
        let repo = try ws.gitInit()
        try VersionedFixture.install(in: ws)
        #expect(try ws.run("init").code == 0)
        #expect(try ws.run("repro").code == 0)
        try ws.commit("one")
        try ws.write("data/raw.txt", "hello again\n")
        #expect(try ws.run("repro").code == 0)
        try ws.commit("two")
        try ws.write("params.yaml", "# knobs\ntrain:\n  lr: 0.2   # learning rate\n  epochs: 3\n")
        #expect(try ws.run("repro").code == 0)
        let head = try ws.commit("three")

        let before = ws.files().filter { !$0.hasPrefix(".weft/") && !$0.hasPrefix("cache/") }.map { ($0, ws.bytes($0)) }
        for rev in ["HEAD~2", "HEAD~1", "HEAD"] {
            let r = try ws.run("repro", "--rev", rev, "--verify")
            #expect(r.code == 0, "\(rev): \(r)")
            #expect(r.out.contains("4 of 4 recorded outputs of \(rev)"), "\(r)")
            #expect(!r.out.contains(" NO"), "\(r)")
            for stage in ["prepare", "join", "train", "model"] { #expect(r.count("Running stage '\(stage)'") == 1, "\(r)") }
        }
        // The user's working tree, HEAD and branch are untouched; no temporary folder is left.
        #expect(try repo.head() == head)
        for (path, bytes) in before { #expect(ws.bytes(path) == bytes, "\(path) changed") }
        #expect((try? FileManager.default.contentsOfDirectory(atPath: ws.path(".weft/tmp")))?.isEmpty ?? true)
        #expect(ws.strayTempFiles.isEmpty)
    }

    @Test("a non-deterministic stage is named by repro --rev --verify")
    func nondeterministicStageNamed() throws {
        let ws = try TestWorkspace()
        try ws.gitInit()
        try VersionedFixture.install(in: ws)
        try ws.write("pipelines/stamp.yaml", """
            stages:
              stamp:
                cmd: cat joined.txt > stamped.txt; date +%s%N >> stamped.txt
                deps: [joined.txt]
                outs: [stamped.txt]
              after:
                cmd: wc -c < stamped.txt > after.txt
                deps: [stamped.txt]
                outs: [after.txt]

            """)
        #expect(try ws.run("repro").code == 0)
        try ws.commit("with a clock")
        let r = try ws.run("repro", "--rev", "HEAD", "--verify")
        #expect(r.code != 0, "\(r)")
        #expect(r.err.contains("first non-deterministic stage: 'stamp'"), "\(r)")
        #expect(r.out.contains("Stage 'stamp' is not deterministic"), "\(r)")
        // Its downstream differs too, but its inputs did not match, so it is not the one named.
        #expect(!r.out.contains("Stage 'after' is not deterministic"), "\(r)")
        // Without --verify the table is printed and the exit code is 0.
        #expect(try ws.run("repro", "--rev", "HEAD").code == 0)
    }

    @Test("checkout --rev restores old outputs; missing objects are named with the repro --rev hint")
    func checkoutRevisionAndGC() throws {
        let ws = try TestWorkspace()
        try ws.gitInit()
        try VersionedFixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)
        try ws.commit("one")
        let oldModel = ws.read("model.txt")
        try ws.write("data/raw.txt", "something else\n")
        #expect(try ws.run("repro").code == 0)
        try ws.commit("two")
        let newModel = ws.read("model.txt")
        #expect(oldModel != newModel)

        // gc --all-commits keeps the first commit's outputs; plain gc would remove them.
        let dry = try ws.run("gc", "--all-commits", "--dry")
        #expect(dry.out.contains("Would remove 0 objects"), "\(dry)")
        #expect(try ws.run("gc", "--dry").out.contains("Would remove 4 objects"))

        let co = try ws.run("checkout", "--rev", "HEAD~1")
        #expect(co.code == 0, "\(co)")
        #expect(ws.read("model.txt") == oldModel)
        #expect(try ws.run("checkout", "--rev", "HEAD").code == 0)
        #expect(ws.read("model.txt") == newModel)

        // A modified output whose bytes are nowhere else is not overwritten without --force.
        try ws.remove("model.txt")
        try ws.write("model.txt", "my precious edit\n")
        let refused = try ws.run("checkout", "--rev", "HEAD~1")
        #expect(refused.code != 0)
        #expect(refused.err.contains("model.txt") && refused.err.contains("--force"), "\(refused)")
        #expect(ws.read("model.txt") == "my precious edit\n")
        #expect(try ws.run("checkout", "--rev", "HEAD~1", "--force").code == 0)
        #expect(ws.read("model.txt") == oldModel)
        #expect(try ws.run("checkout", "--rev", "HEAD").code == 0)

        // After a plain gc the old commit's objects are gone: named, with the way back.
        #expect(try ws.run("gc").code == 0)
        let missing = try ws.run("checkout", "--rev", "HEAD~1")
        #expect(missing.code != 0)
        #expect(missing.err.contains("outputs whose objects are not in the cache") && missing.err.contains("prepared.txt"), "\(missing)")
        #expect(missing.err.contains("weft repro --rev HEAD~1"), "\(missing)")
        #expect(try ws.run("repro", "--rev", "HEAD~1", "--verify").code == 0)
        #expect(try ws.run("checkout", "--rev", "HEAD~1").code == 0)
        #expect(ws.read("model.txt") == oldModel)
    }

    @Test("an unknown revision is named with a hint; outside git the git commands say so and the rest works")
    func badRevisionsAndNoGit() throws {
        let ws = try TestWorkspace()
        try VersionedFixture.install(in: ws)
        let outside = try ws.run("exp", "show")
        #expect(outside.code != 0)
        #expect(outside.err.contains("exp show needs a git repository"), "\(outside)")
        #expect(try ws.run("repro").code == 0, "commands that need no git keep working")
        #expect(try ws.run("metrics", "show").out.contains("loss"))

        try ws.gitInit()
        let unborn = try ws.run("repro", "--rev", "HEAD")
        #expect(unborn.code != 0)
        #expect(unborn.err.contains("unknown revision 'HEAD'") && unborn.err.contains("no commits yet"), "\(unborn)")
        let noBase = try ws.run("exp", "run", "-S", "train.lr=0.3")
        #expect(noBase.code != 0 && noBase.err.contains("has none yet"), "\(noBase)")
        #expect(try ws.run("status").code == 0)
        try ws.commit("one")
        let bad = try ws.run("repro", "--rev", "no-such-branch")
        #expect(bad.code != 0)
        #expect(bad.err.contains("unknown revision 'no-such-branch'") && bad.err.contains("hint:"), "\(bad)")
        #expect(try ws.run("checkout", "--rev", "nope").err.contains("unknown revision 'nope'"))
    }
}
