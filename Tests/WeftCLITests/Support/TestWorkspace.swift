import Foundation
import Testing
import WeftCore

#if canImport(Glibc)
import Glibc
#endif

/// The `weft` executable SwiftPM built next to this test bundle.
///
/// SwiftPM puts every product of one build in the same folder, so the folder of the
/// running test binary (`…/.build/<triple>/debug/WeftPackageTests.xctest`) holds `weft`
/// too. Falls back to `<package>/.build/debug/weft`, found from this source file.
let weftExecutable: String = {
    let fm = FileManager.default
    var candidates: [String] = []
    for arg in [CommandLine.arguments.first, Bundle.main.executablePath, Bundle.main.bundlePath].compactMap({ $0 }) {
        var dir = URL(fileURLWithPath: arg).deletingLastPathComponent()
        // Inside an .xctest bundle (macOS layout) walk up to the build folder.
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("weft").path)
            dir = dir.deletingLastPathComponent()
        }
    }
    let package = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    candidates.append(package.appendingPathComponent(".build/debug/weft").path)
    for c in candidates {
        var isDir: ObjCBool = false
        if fm.fileExists(atPath: c, isDirectory: &isDir), !isDir.boolValue, fm.isExecutableFile(atPath: c) { return c }
    }
    return candidates.last!
}()

/// What one `weft` invocation did.
struct RunResult: CustomStringConvertible {
    var code: Int32
    /// True when the process ended by a signal rather than `exit`.
    var signalled: Bool
    var out: String
    var err: String
    var seconds: Double

    /// stdout and stderr together.
    var all: String { out + err }
    var outLines: [String] { out.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) }

    /// How many lines of stdout+stderr contain `text`.
    func count(_ text: String) -> Int {
        all.split(separator: "\n").filter { $0.contains(text) }.count
    }

    /// Names of the stages that printed `Running stage '<name>'`.
    var ran: [String] { stageNames(after: "Running stage '") }
    var skipped: [String] { stageNames(after: "Stage '", suffix: "' didn't change, skipping") }
    var restored: [String] { stageNames(after: "Stage '", suffix: "' is cached - skipping run, checking out outputs") }

    private func stageNames(after prefix: String, suffix: String? = nil) -> [String] {
        var names: [String] = []
        for line in all.split(separator: "\n") {
            guard let r = line.range(of: prefix) else { continue }
            let rest = line[r.upperBound...]
            if let suffix {
                guard rest.hasSuffix(suffix) else { continue }
                names.append(String(rest.dropLast(suffix.count)))
            } else if let q = rest.firstIndex(of: "'") {
                names.append(String(rest[..<q]))
            }
        }
        return names
    }

    var description: String { "exit \(code)\(signalled ? " (signal)" : "") after \(String(format: "%.2f", seconds)) s\n--- stdout\n\(out)--- stderr\n\(err)" }
}

/// A `weft` process started in the background (for interrupt and lock tests).
final class RunningWeft {
    let process: Process
    let outPath: String
    let errPath: String
    let started = Date()

    init(process: Process, outPath: String, errPath: String) {
        self.process = process
        self.outPath = outPath
        self.errPath = errPath
    }

    var pid: Int32 { process.processIdentifier }
    var isRunning: Bool { process.isRunning }

    func signal(_ sig: Int32) { kill(process.processIdentifier, sig) }

    /// Waits up to `timeout` seconds; kills the process (and fails the test) if it is still running.
    @discardableResult
    func wait(timeout: Double = 60, sourceLocation: SourceLocation = #_sourceLocation) -> RunResult {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            Issue.record("weft did not finish within \(timeout) s; killing it", sourceLocation: sourceLocation)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        let seconds = Date().timeIntervalSince(started)
        let out = (try? String(contentsOfFile: outPath, encoding: .utf8)) ?? ""
        let err = (try? String(contentsOfFile: errPath, encoding: .utf8)) ?? ""
        return RunResult(code: process.terminationStatus, signalled: process.terminationReason == .uncaughtSignal,
                         out: out, err: err, seconds: seconds)
    }
}

/// A throwaway project folder: write pipeline files and data, run `weft` in it, read results.
/// Removed when the value goes away, so every test gets a fresh, independent one.
final class TestWorkspace {
    /// The project root (where `weft` runs).
    let root: String
    private let base: String
    private var captures = 0

    init() throws {
        let name = "weft-test-" + UUID().uuidString.prefix(13).lowercased()
        base = FileManager.default.temporaryDirectory.appendingPathComponent(name).path
        root = base + "/project"
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: base + "/io", withIntermediateDirectories: true)
    }

    deinit {
        // Cache objects are read-only; their folders are not, so removal works, but make sure.
        _ = try? FileManager.default.removeItem(atPath: base)
        if FileManager.default.fileExists(atPath: base) {
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/bin/rm")
            p.arguments = ["-rf", base]
            try? p.run()
            p.waitUntilExit()
        }
    }

    func path(_ rel: String) -> String { root + "/" + rel }

    /// Writes `text` to the root-relative `rel`, creating folders.
    func write(_ rel: String, _ text: String) throws {
        let p = path(rel)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: p) { try FileManager.default.removeItem(atPath: p) }
        try text.write(toFile: p, atomically: false, encoding: .utf8)
    }

    func writeBytes(_ rel: String, _ bytes: [UInt8]) throws {
        let p = path(rel)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: p) { try FileManager.default.removeItem(atPath: p) }
        try Data(bytes).write(to: URL(fileURLWithPath: p))
    }

    func read(_ rel: String) -> String? { try? String(contentsOfFile: path(rel), encoding: .utf8) }
    func bytes(_ rel: String) -> [UInt8]? { (try? Data(contentsOf: URL(fileURLWithPath: path(rel)))).map { [UInt8]($0) } }
    func exists(_ rel: String) -> Bool { FileManager.default.fileExists(atPath: path(rel)) }
    func remove(_ rel: String) throws { try FileManager.default.removeItem(atPath: path(rel)) }

    /// Every regular file under `rel` (root-relative paths, sorted).
    func files(under rel: String = ".") -> [String] {
        let start = rel == "." ? root : path(rel)
        guard let e = FileManager.default.enumerator(atPath: start) else { return [] }
        var out: [String] = []
        while let f = e.nextObject() as? String {
            var isDir: ObjCBool = false
            if FileManager.default.fileExists(atPath: start + "/" + f, isDirectory: &isDir), !isDir.boolValue {
                out.append(rel == "." ? f : rel + "/" + f)
            }
        }
        return out.sorted()
    }

    /// Leftover `*.weft-tmp-*` files anywhere in the project (cache included).
    var strayTempFiles: [String] { files().filter { $0.contains(".weft-tmp-") } }

    /// Paths of the file objects in the cache.
    var cacheObjects: [String] { files(under: "cache/files") }

    struct MissingExecutable: Error, CustomStringConvertible {
        var description: String { "no weft executable at \(weftExecutable); build it first ('swift build --build-tests')" }
    }

    private func makeProcess(_ args: [String], env: [String: String]) throws -> (Process, String, String) {
        guard FileManager.default.isExecutableFile(atPath: weftExecutable) else { throw MissingExecutable() }
        captures += 1
        let outPath = base + "/io/\(captures).out", errPath = base + "/io/\(captures).err"
        _ = FileManager.default.createFile(atPath: outPath, contents: nil)
        _ = FileManager.default.createFile(atPath: errPath, contents: nil)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: weftExecutable)
        p.arguments = args
        p.currentDirectoryURL = URL(fileURLWithPath: root)
        var environment = ProcessInfo.processInfo.environment
        environment["WEFT_CACHE_TYPE"] = nil
        environment["TERM"] = "dumb"
        for (k, v) in env { environment[k] = v }
        p.environment = environment
        p.standardInput = FileHandle.nullDevice
        p.standardOutput = FileHandle(forWritingAtPath: outPath)
        p.standardError = FileHandle(forWritingAtPath: errPath)
        return (p, outPath, errPath)
    }

    /// Runs `weft ARGS` in the root and waits for it.
    @discardableResult
    func run(_ args: String..., env: [String: String] = [:], timeout: Double = 60,
             sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        try run(args: args, env: env, timeout: timeout, sourceLocation: sourceLocation)
    }

    @discardableResult
    func run(args: [String], env: [String: String] = [:], timeout: Double = 60,
             sourceLocation: SourceLocation = #_sourceLocation) throws -> RunResult {
        try start(args: args, env: env).wait(timeout: timeout, sourceLocation: sourceLocation)
    }

    /// Starts `weft ARGS` without waiting.
    func start(args: [String], env: [String: String] = [:]) throws -> RunningWeft {
        let (p, o, e) = try makeProcess(args, env: env)
        let r = RunningWeft(process: p, outPath: o, errPath: e)
        try p.run()
        return r
    }

    /// Polls until `rel` exists (true) or `timeout` passes (false).
    func waitFor(_ rel: String, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if exists(rel) { return true }
            usleep(10_000)
        }
        return exists(rel)
    }

    /// A snapshot of what a failed command must leave alone: lock files, the named outputs, the cache listing.
    func snapshot(outputs: [String]) -> Snapshot {
        var saved: [String: [UInt8]?] = [:]
        for f in files() where f.hasSuffix(".lock") { saved[f] = .some(bytes(f)) }
        for o in outputs { saved[o] = .some(bytes(o)) }
        return Snapshot(files: saved, cache: files(under: "cache"))
    }

    /// Expects that nothing a snapshot recorded changed and no temp file was left behind.
    func expectUnchanged(since s: Snapshot, sourceLocation: SourceLocation = #_sourceLocation) {
        for (f, b) in s.files.sorted(by: { $0.key < $1.key }) {
            #expect(bytes(f) == b, "\(f) changed or disappeared", sourceLocation: sourceLocation)
        }
        let locksNow = files().filter { $0.hasSuffix(".lock") }
        #expect(Set(locksNow) == Set(s.files.keys.filter { $0.hasSuffix(".lock") }), "lock files appeared or vanished", sourceLocation: sourceLocation)
        #expect(files(under: "cache") == s.cache, "cache contents changed", sourceLocation: sourceLocation)
        #expect(strayTempFiles.isEmpty, "temp files left: \(strayTempFiles)", sourceLocation: sourceLocation)
    }

    struct Snapshot {
        var files: [String: [UInt8]?]
        var cache: [String]
    }
}

/// Lines of `text` that contain `needle`.
func lines(_ text: String, containing needle: String) -> [String] {
    text.split(separator: "\n").map(String.init).filter { $0.contains(needle) }
}

/// Parses JSON text into Foundation objects (nil if it is not JSON).
func parseJSON(_ text: String) -> Any? {
    try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
}

/// `/proc/<pid>/stat` state letter, or nil if the process is gone.
func processState(_ pid: Int32) -> Character? {
    guard let s = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = s.lastIndex(of: ")") else { return nil }
    return s[s.index(close, offsetBy: 2)...].first
}

/// True when `pid` no longer runs (gone, or a zombie nobody reaped yet).
func processGone(_ pid: Int32, within timeout: Double = 5) -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    repeat {
        let st = processState(pid)
        if st == nil || st == "Z" || st == "X" { return true }
        usleep(20_000)
    } while Date() < deadline
    return false
}

extension TestWorkspace {
    /// Makes the project a git repository (through libgit2, as the engine uses it). With
    /// `atParent`, the repository is the folder above, so the project is a subfolder of it.
    @discardableResult
    func gitInit(atParent: Bool = false) throws -> GitRepo {
        try GitRepo.create(at: atParent ? (root as NSString).deletingLastPathComponent : root)
    }

    /// `git add -A && git commit -m message` in the project's repository.
    @discardableResult
    func commit(_ message: String) throws -> GitOID {
        guard let repo = try GitRepo.discover(from: root) else { throw WeftError.git(message: "no repository at \(root)", hint: "") }
        return try repo.commitWorkingTree(message: message)
    }

    var repo: GitRepo? { try? GitRepo.discover(from: root) }
}
