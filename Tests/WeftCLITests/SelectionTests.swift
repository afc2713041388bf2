import Foundation
import Testing

/// Choosing what `weft repro` works on: targets, `--force`, `-s`, `--downstream`,
/// `--dry`, `-f FILE`, and `file-stem:stage` addresses.
@Suite("stage selection")
struct SelectionTests {
    @Test("--force reruns unchanged stages: a target and its upstream, or everything")
    func force() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)

        let t = try ws.run("repro", "--force", "train")
        #expect(t.code == 0, "\(t)")
        #expect(Set(t.ran) == ["prepare", "train"], "\(t)")
        #expect(t.restored.isEmpty, "--force must not use the run cache: \(t)")

        let all = try ws.run("repro", "--force")
        #expect(Set(all.ran) == Set(Fixture.stageNames), "\(all)")
    }

    @Test("a target alone brings up to date only it and its upstream")
    func targetByName() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        let r = try ws.run("repro", "train")
        #expect(r.code == 0, "\(r)")
        #expect(r.ran == ["prepare", "train"], "\(r)")
        #expect(!ws.exists("score.txt"))
        #expect(!ws.exists("report.txt"))
        let lock = try #require(ws.read("pipelines/x.lock"))
        #expect(lockStages(lock) == ["prepare", "train"])

        let unknown = try ws.run("repro", "trian")
        #expect(unknown.code != 0)
        #expect(unknown.err.contains("unknown stage 'trian'"), "\(unknown)")
        #expect(unknown.err.contains("did you mean 'train'"), "\(unknown)")
    }

    @Test("-s/--single-item runs only the target, not its upstream")
    func singleItem() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)

        let r = try ws.run("repro", "--force", "-s", "train")
        #expect(r.code == 0, "\(r)")
        #expect(r.ran == ["train"], "\(r)")
        let long = try ws.run("repro", "--force", "--single-item", "evaluate")
        #expect(long.ran == ["evaluate"], "\(long)")
    }

    @Test("--downstream runs the target and what depends on it, not its upstream")
    func downstream() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        #expect(try ws.run("repro").code == 0)

        let r = try ws.run("repro", "--force", "--downstream", "train")
        #expect(r.code == 0, "\(r)")
        #expect(Set(r.ran) == ["train", "evaluate"], "\(r)")

        // Without --force, a change upstream of the target is not picked up.
        try ws.write("data/raw.txt", "changed\n")
        let r2 = try ws.run("repro", "--downstream", "train")
        #expect(!r2.ran.contains("prepare"), "\(r2)")
    }

    @Test("--dry prints what would run but writes no outputs, no lock and no cache")
    func dry() throws {
        let ws = try TestWorkspace()
        try Fixture.install(in: ws)
        let r = try ws.run("repro", "--dry")
        #expect(r.code == 0, "\(r)")
        #expect(Set(r.ran) == Set(Fixture.stageNames), "\(r)")
        #expect(r.out.contains("> tr a-z A-Z < data/raw.txt > prepared.txt"))
        for f in ["prepared.txt", "model.txt", "score.txt", "report.txt", "pipelines/x.lock"] {
            #expect(!ws.exists(f), "\(f) was written by --dry")
        }
        #expect(ws.cacheObjects.isEmpty)

        // After a real run, --dry on a change names only the stages that would run.
        #expect(try ws.run("repro").code == 0)
        let lock = ws.read("pipelines/x.lock")
        try ws.write("data/notes.txt", "new\n")
        let d = try ws.run("repro", "--dry")
        #expect(d.ran == ["report"], "\(d)")
        #expect(ws.read("report.txt") == "some notes\n")
        #expect(ws.read("pipelines/x.lock") == lock)
    }

    @Test("-f FILE uses only that pipeline file")
    func fileOption() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/one.yaml", "stages:\n  first:\n    cmd: echo 1 > one.txt\n    outs: [one.txt]\n")
        try ws.write("pipelines/two.yaml", "stages:\n  second:\n    cmd: echo 2 > two.txt\n    outs: [two.txt]\n")

        let r = try ws.run("repro", "-f", "pipelines/two.yaml")
        #expect(r.code == 0, "\(r)")
        #expect(r.ran == ["second"], "\(r)")
        #expect(ws.exists("two.txt"))
        #expect(!ws.exists("one.txt"))
        #expect(ws.exists("pipelines/two.lock"))
        #expect(!ws.exists("pipelines/one.lock"))

        let all = try ws.run("repro")
        #expect(all.ran == ["first"], "\(all)")

        let missing = try ws.run("repro", "-f", "pipelines/three.yaml")
        #expect(missing.code != 0)
        #expect(missing.err.contains("pipelines/three.yaml"), "\(missing)")
    }

    @Test("a stage name defined in two files is addressed as file-stem:stage; the plain name is ambiguous")
    func stemAddressing() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/one.yaml", "stages:\n  prep:\n    cmd: echo one > one.txt\n    outs: [one.txt]\n")
        try ws.write("pipelines/two.yaml", "stages:\n  prep:\n    cmd: echo two > two.txt\n    outs: [two.txt]\n")

        let amb = try ws.run("repro", "prep")
        #expect(amb.code != 0, "\(amb)")
        #expect(amb.err.contains("ambiguous"), "\(amb)")
        #expect(amb.err.contains("one:prep") && amb.err.contains("two:prep"), "\(amb)")
        #expect(!ws.exists("one.txt") && !ws.exists("two.txt"))

        let r = try ws.run("repro", "two:prep")
        #expect(r.code == 0, "\(r)")
        #expect(r.ran == ["two:prep"], "\(r)")
        #expect(ws.read("two.txt") == "two\n")
        #expect(!ws.exists("one.txt"))
        // The lock of each file names the stage by its plain name.
        #expect(lockStages(ws.read("pipelines/two.lock") ?? "") == ["prep"])

        let all = try ws.run("repro")
        #expect(all.ran == ["one:prep"], "\(all)")
        #expect(all.skipped == ["two:prep"], "\(all)")
    }

    @Test("a pipeline file as target selects all its stages")
    func fileAsTarget() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/one.yaml", "stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n  b:\n    cmd: echo b > b.txt\n    outs: [b.txt]\n")
        try ws.write("pipelines/two.yaml", "stages:\n  c:\n    cmd: echo c > c.txt\n    outs: [c.txt]\n")
        let r = try ws.run("repro", "pipelines/one.yaml")
        #expect(r.code == 0, "\(r)")
        #expect(Set(r.ran) == ["a", "b"], "\(r)")
        #expect(!ws.exists("c.txt"))
    }
}
