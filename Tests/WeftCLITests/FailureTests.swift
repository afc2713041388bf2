import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// What happens when a stage fails or weft is interrupted: exit codes, messages, which stages
/// still run, and that earlier results, the lock and the cache survive intact.
@Suite("failures and interrupts")
struct FailureTests {
    static let failing = """
        stages:
          bad:
            cmd: echo boom; exit 3
            outs: [bad.txt]
          after:
            cmd: cat bad.txt > after.txt
            deps: [bad.txt]
            outs: [after.txt]
          indep:
            cmd: echo fine > indep.txt
            outs: [indep.txt]

        """

    @Test("a failing command: non-zero exit, exit code and log tail in the message, downstream not run")
    func failingStage() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", Self.failing)
        let r = try ws.run("repro", "-j", "1")
        #expect(r.code != 0, "\(r)")
        #expect(r.all.contains("exited with code 3"), "\(r)")
        #expect(r.err.contains("boom"), "the log tail is part of the error: \(r)")
        #expect(r.err.contains(".weft/logs/bad.log"), "\(r)")
        #expect(!r.ran.contains("after"), "\(r)")
        // -j 1 and no --keep-going: the independent stage after the failure never starts.
        #expect(!r.ran.contains("indep"), "\(r)")
        #expect(!ws.exists("indep.txt"))
        #expect(!ws.exists("after.txt"))
        #expect(!ws.exists("bad.txt"))
        #expect(ws.read(".weft/logs/bad.log")?.contains("boom") == true)
        #expect(!(ws.read("pipelines/x.lock") ?? "").contains("bad:"))
        #expect(ws.strayTempFiles.isEmpty, "\(ws.strayTempFiles)")
    }

    @Test("--keep-going lets independent branches finish; the failed branch stays blocked")
    func keepGoing() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", Self.failing)
        let r = try ws.run("repro", "-j", "1", "--keep-going")
        #expect(r.code != 0, "\(r)")
        #expect(r.ran.contains("indep"), "\(r)")
        #expect(ws.read("indep.txt") == "fine\n")
        #expect(!r.ran.contains("after"), "\(r)")
        #expect(r.err.contains("Stage 'after' not run: upstream stage 'bad' failed"), "\(r)")
        let lock = try #require(ws.read("pipelines/x.lock"))
        #expect(lockStages(lock) == ["indep"])

        let k = try ws.run("repro", "-j", "1", "-k")
        #expect(k.skipped == ["indep"], "\(k)")
    }

    @Test("a stage that fails after writing part of its output leaves the previous output, lock and cache as they were")
    func failureKeepsPreviousOutput() throws {
        let ws = try TestWorkspace()
        let good = "stages:\n  w:\n    cmd: echo good > w.txt\n    outs: [w.txt]\n  d:\n    cmd: cat w.txt > d.txt\n    deps: [w.txt]\n    outs: [d.txt]\n"
        try ws.write("pipelines/x.yaml", good)
        #expect(try ws.run("repro").code == 0)
        let lockBefore = ws.read("pipelines/x.lock")
        let cacheBefore = ws.files(under: "cache")

        try ws.write("pipelines/x.yaml", good.replacingOccurrences(of: "echo good > w.txt", with: "echo partial > w.txt; echo failing; exit 1"))
        let r = try ws.run("repro")
        #expect(r.code != 0, "\(r)")
        #expect(r.all.contains("exited with code 1"), "\(r)")
        #expect(r.err.contains("failing"), "\(r)")
        #expect(!r.ran.contains("d"))
        #expect(ws.read("w.txt") == "good\n", "the previous output must be back")
        #expect(ws.read("d.txt") == "good\n")
        #expect(ws.read("pipelines/x.lock") == lockBefore, "the lock must keep the old entry")
        #expect(ws.files(under: "cache") == cacheBefore)
        #expect(ws.strayTempFiles.isEmpty, "\(ws.strayTempFiles)")
        #expect(!ws.exists(".weft/tmp") || ws.files(under: ".weft/tmp").isEmpty, "\(ws.files(under: ".weft/tmp"))")
        #expect(try ws.run("cache", "verify").code == 0)

        // A stage that exits 0 without writing its declared output also fails and changes nothing.
        try ws.write("pipelines/x.yaml", good.replacingOccurrences(of: "echo good > w.txt", with: "true"))
        let r2 = try ws.run("repro")
        #expect(r2.code != 0, "\(r2)")
        #expect(r2.err.contains("did not write declared output 'w.txt'"), "\(r2)")
        #expect(ws.read("w.txt") == "good\n")
        #expect(ws.read("pipelines/x.lock") == lockBefore)

        // Putting the command back: nothing to do.
        try ws.write("pipelines/x.yaml", good)
        let r3 = try ws.run("repro")
        #expect(r3.code == 0, "\(r3)")
        #expect(r3.ran.isEmpty, "\(r3)")
    }

    static let slowPipeline = """
        stages:
          slow:
            cmd: echo partial > out.txt; if [ -f slow.flag ]; then echo $$ > sh.pid; sleep 30 & echo $! > sleep.pid; wait; fi; echo done > out.txt
            outs: [out.txt]

        """

    @Test("SIGINT or SIGTERM stops weft and its stage's process group; nothing is recorded; the next repro runs it",
          arguments: [SIGINT, SIGTERM])
    func interrupt(signal sig: Int32) throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", Self.slowPipeline)
        try ws.write("slow.flag", "")
        let weft = try ws.start(args: ["repro"])
        #expect(ws.waitFor("sleep.pid"), "the stage never started")
        usleep(200_000)
        let shPid = try #require(ws.read("sh.pid").flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        let sleepPid = try #require(ws.read("sleep.pid").flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
        #expect(!processGone(shPid, within: 0))
        weft.signal(sig)
        let r = weft.wait(timeout: 10)
        #expect(r.seconds < 8, "weft took \(r.seconds) s to stop")
        #expect(r.code == 130, "\(r)")
        #expect(!r.signalled, "weft must exit by itself, not die of the signal: \(r)")
        #expect(r.err.contains("Interrupted"), "\(r)")
        #expect(processGone(shPid), "the stage's shell is still running")
        #expect(processGone(sleepPid), "the stage's child process is still running")
        #expect(!(ws.read("pipelines/x.lock") ?? "").contains("slow:"), "nothing may be recorded")
        #expect(!ws.exists("out.txt"), "the partial output must not stay")
        #expect(ws.strayTempFiles.isEmpty)

        try ws.remove("slow.flag")
        let again = try ws.run("repro")
        #expect(again.code == 0, "\(again)")
        #expect(again.ran == ["slow"], "\(again)")
        #expect(ws.read("out.txt") == "done\n")
        #expect(lockStages(ws.read("pipelines/x.lock") ?? "") == ["slow"])
    }

    @Test("an interrupted rerun puts the previous output back")
    func interruptRestoresPrevious() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", Self.slowPipeline)
        #expect(try ws.run("repro").code == 0)
        let lock = ws.read("pipelines/x.lock")
        try ws.write("pipelines/x.yaml", Self.slowPipeline.replacingOccurrences(of: "echo partial", with: "echo PARTIAL"))
        try ws.write("slow.flag", "")
        let weft = try ws.start(args: ["repro"])
        #expect(ws.waitFor("sleep.pid"))
        usleep(200_000)
        weft.signal(SIGINT)
        let r = weft.wait(timeout: 10)
        #expect(r.code == 130, "\(r)")
        #expect(ws.read("out.txt") == "done\n")
        #expect(ws.read("pipelines/x.lock") == lock)
        #expect(ws.strayTempFiles.isEmpty)
    }

    @Test("a second weft on the same workspace: --no-wait fails naming the holder's PID; otherwise it waits")
    func workspaceLock() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", "stages:\n  hold:\n    cmd: touch started.flag; sleep 3; echo ok > held.txt\n    outs: [held.txt]\n")
        let first = try ws.start(args: ["repro"])
        #expect(ws.waitFor("started.flag"))

        let busy = try ws.run("repro", "--no-wait")
        #expect(busy.code != 0, "\(busy)")
        #expect(busy.err.contains("PID \(first.pid)"), "\(busy)")
        #expect(first.isRunning, "the first run must not be disturbed")

        let queued = try ws.run("repro", timeout: 30)
        #expect(queued.code == 0, "\(queued)")
        #expect(queued.err.contains("PID \(first.pid)") && queued.err.contains("waiting"), "\(queued)")
        #expect(queued.skipped == ["hold"], "the queued run sees the first one's result: \(queued)")

        let r = first.wait(timeout: 30)
        #expect(r.code == 0, "\(r)")
        #expect(r.ran == ["hold"])
        #expect(ws.read("held.txt") == "ok\n")
    }

    @Test("a run queued behind another keeps the lock entries the other one recorded")
    func queuedRunSeesFreshLock() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", """
            stages:
              slow:
                cmd: touch slow.flag; sleep 2; echo a > a.txt
                outs: [a.txt]
              quick:
                cmd: echo b > b.txt
                outs: [b.txt]

            """)
        let first = try ws.start(args: ["repro", "slow"])
        #expect(ws.waitFor("slow.flag"))
        let second = try ws.run("repro", "quick", timeout: 30)
        #expect(second.code == 0, "\(second)")
        #expect(second.ran == ["quick"], "\(second)")
        #expect(first.wait(timeout: 30).code == 0)

        let lock = try #require(ws.read("pipelines/x.lock"))
        #expect(lockStages(lock) == ["slow", "quick"], "an entry was lost:\n\(lock)")
        let st = try ws.run("status")
        #expect(st.out.contains("Data and pipelines are up to date."), "\(st)")
    }

    @Test("after weft is killed with -9 mid-run, the next repro puts the previous outputs back")
    func killNineRecovery() throws {
        let ws = try TestWorkspace()
        let good = "stages:\n  w:\n    cmd: echo good > w.txt\n    outs: [w.txt]\n"
        try ws.write("pipelines/x.yaml", good)
        #expect(try ws.run("repro").code == 0)
        let lock = ws.read("pipelines/x.lock")

        try ws.write("pipelines/x.yaml", good.replacingOccurrences(of: "echo good > w.txt", with: "echo partial > w.txt; echo $$ > sh.pid; sleep 30"))
        let weft = try ws.start(args: ["repro"])
        #expect(ws.waitFor("sh.pid"))
        usleep(200_000)
        weft.signal(SIGKILL)
        // The stage's process group outlives a kill -9 of weft; end it as a user would
        // (before waiting: Foundation sees weft's end only once its descendants are gone).
        if let sh = ws.read("sh.pid").flatMap({ Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }) {
            kill(-sh, SIGKILL)
        }
        let r = weft.wait(timeout: 10)
        #expect(r.signalled, "\(r)")
        #expect(ws.read("w.txt") != "good\n", "the stage was mid-run, so the output was set aside")

        try ws.write("pipelines/x.yaml", good)
        let again = try ws.run("repro")
        #expect(again.code == 0, "\(again)")
        #expect(again.err.contains("Recovered the previous outputs of stage 'w'"), "\(again)")
        #expect(again.skipped == ["w"], "\(again)")
        #expect(ws.read("w.txt") == "good\n")
        #expect(ws.read("pipelines/x.lock") == lock)
        #expect(ws.files(under: ".weft/tmp").isEmpty, "\(ws.files(under: ".weft/tmp"))")
    }
}
