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
              awk -v lr=${train.lr} 'BEGIN { exit !(lr > 0) }' || { echo "lr must be positive" >&2; exit 3; };
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

    @Test("data kept out of git: used when it still has the recorded hash, named when it does not")
    func ignoredData() throws {
        let ws = try TestWorkspace()
        try ws.gitInit()
        try VersionedFixture.install(in: ws)
        try ws.write(".gitignore", "/data/\n")
        #expect(try ws.run("repro").code == 0)
        try ws.commit("data outside git")
        let head = try #require(try ws.repo?.head())
        #expect(try ws.repo?.file("data/raw.txt", at: head) == nil)
        let ok = try ws.run("repro", "--rev", "HEAD", "--verify")
        #expect(ok.code == 0, "\(ok)")
        let e = try ws.run("exp", "run", "-S", "train.lr=0.3", "-n", "ignored-data")
        #expect(e.code == 0, "\(e)")

        try ws.write("data/raw.txt", "edited since\n")
        let bad = try ws.run("repro", "--rev", "HEAD")
        #expect(bad.code != 0)
        #expect(bad.err.contains("data/raw.txt (input of stage 'prepare'") && bad.err.contains("hint:"), "\(bad)")
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

@Suite("versioning: experiments")
struct ExperimentTests {
    /// A committed project with the fixture run once.
    static func project(atParent: Bool = false) throws -> (TestWorkspace, GitRepo) {
        let ws = try TestWorkspace()
        let repo = try ws.gitInit(atParent: atParent)
        try VersionedFixture.install(in: ws)
        #expect(try ws.run("init").code == 0)
        #expect(try ws.run("repro").code == 0)
        try ws.commit("baseline")
        return (ws, repo)
    }

    @Test("a sweep of 4 queued experiments runs with -j 2: two at a time, never more stage slots, user's tree untouched")
    func queuedSweep() throws {
        let (ws, repo) = try Self.project()
        let head = try repo.head()
        let before = ws.files().filter { !$0.hasPrefix(".weft/") && !$0.hasPrefix("cache/") }.map { ($0, ws.bytes($0)) }
        let lrs = ["0.2", "0.4", "0.5", "0.8"]
        for (i, lr) in lrs.enumerated() {
            let q = try ws.run("exp", "run", "--queue", "-S", "train.lr=\(lr)", "-n", "lr\(i)")
            #expect(q.code == 0, "\(q)")
        }
        let queued = try #require(try json(try ws.run("exp", "show", "--json").out) as? [[String: Any]])
        #expect(queued.filter { $0["state"] as? String == "queued" }.map { $0["name"] as? String } == ["lr0", "lr1", "lr2", "lr3"])

        let log = ws.path("../sweep.log")
        let r = try ws.run(args: ["exp", "run", "--run-all", "-j", "2"], env: ["SWEEP_LOG": log])
        #expect(r.code == 0, "\(r)")
        #expect(r.out.contains("Ran 4 queued experiment(s): 4 succeeded, 0 failed."), "\(r)")
        // Stage slots across the experiments: at most 2 at once, and 2 did overlap.
        var events: [(Int, Int)] = []
        for line in (try String(contentsOfFile: log, encoding: .utf8)).split(separator: "\n") {
            let f = line.split(separator: " ")
            if f.count == 2, let t = Int(f[1]) { events.append((t, f[0] == "start" ? 1 : -1)) }
        }
        #expect(events.count == 8)
        var running = 0, peak = 0
        for (_, d) in events.sorted(by: { $0.0 < $1.0 || ($0.0 == $1.0 && $0.1 < $1.1) }) {
            running += d
            peak = max(peak, running)
        }
        #expect(peak == 2, "stage overlap across experiments: \(peak)")

        // The user's branch, HEAD and working tree are as they were; only refs/exps/* are new.
        #expect(try repo.head() == head)
        for (path, bytes) in before { #expect(ws.bytes(path) == bytes, "\(path) changed") }
        #expect(try repo.refNames(matching: "refs/exps/*") == ["refs/exps/lr0", "refs/exps/lr1", "refs/exps/lr2", "refs/exps/lr3"])
        #expect(try repo.refNames(matching: "refs/exps-queue/*").isEmpty)

        // exp show lists all 4 with their params and metrics.
        let shown = try #require(try json(try ws.run("exp", "show", "--json").out) as? [[String: Any]])
        #expect(shown.map { $0["name"] as? String } == ["workspace", "master", "lr0", "lr1", "lr2", "lr3"])
        let size = Int(try #require(ws.read("metrics.json")).split(separator: ":").last!.filter(\.isNumber))!
        for (i, lr) in lrs.enumerated() {
            let row = shown[i + 2]
            #expect(row["state"] as? String == "succeeded")
            let params = try #require(row["params"] as? [String: Any])
            #expect((params["train.lr"] as? NSNumber)?.doubleValue == Double(lr))
            let metrics = try #require(row["metrics"] as? [String: Any])
            #expect((metrics["loss"] as? NSNumber)?.doubleValue == VersionedFixture.loss(lr: Double(lr)!, size: size))
        }
        let md = try ws.run("exp", "show", "--md", "--sort-by", "loss", "--sort-order", "desc", "--only-changed").out
        #expect(md.contains("| Experiment | rev | state | train.lr | loss |"), "\(md)")
        let order = md.split(separator: "\n").compactMap { l in ["lr0", "lr1", "lr2", "lr3"].first { l.hasPrefix("| \($0) ") } }
        #expect(order == ["lr0", "lr1", "lr2", "lr3"], "highest loss (lowest lr) first: \(md)")
        let csv = try ws.run("exp", "show", "--csv").out
        #expect(csv.hasPrefix("Experiment,rev,state,train.lr,train.epochs,loss,size"), "\(csv)")
    }

    @Test("exp apply writes the experiment's params and lock and restores its outputs; status is then clean")
    func applyRestores() throws {
        let (ws, _) = try Self.project()
        #expect(try ws.run("exp", "run", "-S", "train.lr=0.5", "-n", "half").code == 0)
        let a = try ws.run("exp", "apply", "half")
        #expect(a.code == 0, "\(a)")
        #expect(ws.read("params.yaml") == "# knobs\ntrain:\n  lr: 0.5   # learning rate\n  epochs: 3\n", "comments and layout kept")
        let size = Int(try #require(ws.read("metrics.json")).split(separator: ":").last!.filter(\.isNumber))!
        #expect(ws.read("metrics.json")?.contains(String(format: "%.6f", VersionedFixture.loss(lr: 0.5, size: size))) == true)
        #expect(ws.read("model.txt")?.contains("\"loss\"") == true)
        let st = try ws.run("status")
        #expect(st.out.contains("Data and pipelines are up to date."), "\(st)")
        let diff = try ws.run("params", "diff")
        #expect(diff.out.contains("train.lr") && diff.out.contains("+0.4"), "\(diff)")
        let mdiff = try ws.run("metrics", "diff", "HEAD", "half", "--json")
        let m = try #require(try json(mdiff.out) as? [String: [String: Any]])
        #expect(m["loss"]?["diff"] != nil && m["size"] == nil, "\(mdiff)")
        #expect(try ws.run("exp", "diff", "master", "half").out.contains("train.lr"))
        #expect(try ws.run("exp", "branch", "half", "half-branch").code == 0)
        #expect(ws.repo?.refTarget("refs/heads/half-branch") == ws.repo?.refTarget("refs/exps/half"))
        #expect(try ws.run("exp", "remove", "half").code == 0)
        #expect(try ws.repo?.refNames(matching: "refs/exps/*").isEmpty == true)
    }

    @Test("exp apply over uncommitted changes to the same files refuses, lists them and changes nothing")
    func applyRefusesOverUncommitted() throws {
        let (ws, _) = try Self.project()
        #expect(try ws.run("exp", "run", "-S", "train.lr=0.5", "-n", "half").code == 0)
        try ws.write("params.yaml", "# knobs\ntrain:\n  lr: 0.7   # mine\n  epochs: 3\n")
        let lockBefore = ws.read("pipelines/main.lock")
        let r = try ws.run("exp", "apply", "half")
        #expect(r.code != 0)
        #expect(r.err.contains("uncommitted changes") && r.err.contains("  params.yaml"), "\(r)")
        #expect(ws.read("params.yaml") == "# knobs\ntrain:\n  lr: 0.7   # mine\n  epochs: 3\n")
        #expect(ws.read("pipelines/main.lock") == lockBefore)
    }

    @Test("-S with an unknown key names it; +key adds it; a failed experiment is recorded as failed")
    func overridesAndFailures() throws {
        let (ws, _) = try Self.project()
        let bad = try ws.run("exp", "run", "-S", "train.lrr=0.3")
        #expect(bad.code != 0)
        #expect(bad.err.contains("'train.lrr' is not a key of params.yaml") && bad.err.contains("did you mean 'train.lr'"), "\(bad)")
        #expect(bad.err.contains("-S +train.lrr=0.3"), "\(bad)")
        #expect(try ws.repo?.refNames(matching: "refs/exps*").isEmpty == true, "nothing recorded")
        let add = try ws.run("exp", "run", "-S", "+train.warmup=5", "-n", "warm")
        #expect(add.code == 0, "\(add)")
        let rows = try #require(try json(try ws.run("exp", "show", "--json").out) as? [[String: Any]])
        #expect(((rows.last?["params"] as? [String: Any])?["train.warmup"] as? NSNumber)?.intValue == 5)

        // lr = 0 is rejected by the train stage's command: it fails.
        let failed = try ws.run("exp", "run", "-S", "train.lr=0", "-n", "zero")
        #expect(failed.code != 0)
        #expect(failed.out.contains("FAILED at stage 'train'"), "\(failed)")
        let shown = try ws.run("exp", "show")
        #expect(shown.out.contains("failed (train)"), "\(shown)")
        let apply = try ws.run("exp", "apply", "zero")
        #expect(apply.code != 0 && apply.err.contains("failed at stage 'train'"), "\(apply)")
        #expect(ws.read("params.yaml")?.contains("lr: 0.1") == true)
    }

    @Test("temporary checkouts of a killed weft are cleaned up; -m is kept with the experiment")
    func staleTempAndMessage() throws {
        let (ws, repo) = try Self.project()
        // A dead process's checkout (pid 4194303 is above Linux's default pid range).
        try ws.write(".weft/tmp/exp-old-run-4194303-17/project/params.yaml", "x: 1\n")
        #expect(try ws.run("exp", "run", "-S", "train.lr=0.3", "-n", "noted", "-m", "try a higher rate").code == 0)
        #expect(!ws.exists(".weft/tmp/exp-old-run-4194303-17"))
        #expect(try repo.commitInfo(try #require(repo.refTarget("refs/exps/noted"))).message.contains("try a higher rate"))
    }

    @Test("experiments work in a subfolder of a repository and in a linked worktree")
    func subfolderAndWorktree() throws {
        let (ws, repo) = try Self.project(atParent: true)
        #expect(repo.relative(ws.root) == "project")
        let r = try ws.run("exp", "run", "-S", "train.lr=0.25", "-n", "sub")
        #expect(r.code == 0, "\(r)")
        #expect(try ws.run("repro", "--rev", "HEAD", "--verify").code == 0)
        let files = try repo.files(at: try #require(repo.refTarget("refs/exps/sub"))).map(\.path)
        #expect(files.contains("project/params.yaml") && files.contains("project/pipelines/main.lock"))
        #expect(try repo.file("project/params.yaml", at: try #require(repo.refTarget("refs/exps/sub")))
                    .map { String(decoding: $0, as: UTF8.self) }?.contains("lr: 0.25") == true)

        // A linked worktree of the same repository: its own HEAD, shared refs.
        let wtPath = (ws.root as NSString).deletingLastPathComponent + "/../wt-" + UUID().uuidString.prefix(8)
        try repo.addWorktree(name: "side", at: wtPath)
        defer { try? FileManager.default.removeItem(atPath: wtPath) }
        let wt = try #require(try GitRepo.discover(from: wtPath + "/project"))
        #expect(wt.workdir == GitRepo.canonical(wtPath))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: weftExecutable)
        p.arguments = ["exp", "show", "--json"]
        p.currentDirectoryURL = URL(fileURLWithPath: wtPath + "/project")
        let pipe = Pipe()
        p.standardOutput = pipe
        try p.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let rows = try #require(try JSONSerialization.jsonObject(with: out) as? [[String: Any]])
        #expect(rows.map { $0["name"] as? String }.contains("sub"), "experiments are shared refs")
        #expect(rows.map { $0["name"] as? String }.contains("side"), "the worktree's own branch")
    }
}

@Suite("versioning: plots across revisions")
struct PlotsAcrossRevisionsTests {
    @Test("plots show draws one series per revision from committed and experiment results, offline")
    func plotsShow() throws {
        let ws = try TestWorkspace()
        try ws.gitInit()
        try ws.write("params.yaml", "train:\n  lr: 0.1\n")
        try ws.write("pipelines/p.yaml", #"""
            stages:
              train:
                cmd: >-
                  awk -v lr=${train.lr} 'BEGIN { print "step,loss"; for (i = 0; i < 10; i++) printf "%d,%.4f\n", i, 2 - lr * i;
                  print "actual,predicted" > "confusion.csv"; print "a,a" > "confusion.csv"; print "a,b" > "confusion.csv"; print "b,b" > "confusion.csv" }' > loss.csv
                params: [train.lr]
                plots:
                  - loss.csv:
                      x: step
                      y: loss
                  - confusion.csv:
                      template: confusion

            """#)
        #expect(try ws.run("plots", "show").err.contains("no plots to show"))
        #expect(try ws.run("repro").code == 0)
        try ws.commit("one")
        #expect(try ws.run("exp", "run", "-S", "train.lr=0.2", "-n", "steeper").code == 0)
        let r = try ws.run("plots", "show", "--rev", "HEAD", "--rev", "steeper", "--rev", "workspace", "-o", "report")
        #expect(r.code == 0, "\(r)")
        let html = try #require(ws.read("report/index.html"))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
        #expect(html.components(separatedBy: "class=\"series\"").count - 1 == 3)
        for rev in ["HEAD", "steeper", "workspace"] {
            #expect(html.contains("class=\"series\" data-revision=\"\(rev)\" data-column=\"loss\" data-points=\"10\""), "\(rev)")
            #expect(html.contains("class=\"cell\" data-revision=\"\(rev)\" data-actual=\"a\" data-predicted=\"b\" data-value=\"1\""), "\(rev)")
        }
    }
}
