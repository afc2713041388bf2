import CWeftSys
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The process groups of running stages, so a signal to `weft` reaches every child.
public final class ChildRegistry: @unchecked Sendable {
    private let mutex = NSLock()
    private var groups: Set<pid_t> = []
    public private(set) var interrupted = false

    public init() {}

    func add(_ pgid: pid_t) -> Bool {
        mutex.lock()
        defer { mutex.unlock() }
        if interrupted { kill(-pgid, SIGTERM); return false }
        groups.insert(pgid)
        return true
    }

    func remove(_ pgid: pid_t) {
        mutex.lock()
        groups.remove(pgid)
        mutex.unlock()
    }

    public var isInterrupted: Bool {
        mutex.lock()
        defer { mutex.unlock() }
        return interrupted
    }

    /// Terminates every running stage's process group: SIGTERM, then SIGKILL after `grace`.
    public func terminateAll(grace: Double = 3) {
        mutex.lock()
        interrupted = true
        let gs = groups
        mutex.unlock()
        for g in gs { kill(-g, SIGTERM) }
        DispatchQueue.global().asyncAfter(deadline: .now() + grace) { [weak self] in
            guard let self else { return }
            self.mutex.lock()
            let left = self.groups
            self.mutex.unlock()
            for g in left { kill(-g, SIGKILL) }
        }
    }
}

/// Runs one command of a stage: its own process group, stdout+stderr merged into
/// one pipe that goes whole to the stage's log and, line by line, to the console.
public struct ProcessRunner: Sendable {
    public var console: Console
    public var children: ChildRegistry

    public init(console: Console, children: ChildRegistry) {
        self.console = console
        self.children = children
    }

    /// Exit status (or 128+signal) of `argv`, run in `cwd` with `env`.
    public func run(argv: [String], env: [String: String], cwd: String, logFD: Int32, prefix: String?, echo: Bool) throws -> Int32 {
        var fds: [Int32] = [0, 0]
        guard weft_pipe_cloexec(&fds) == 0 else {
            throw WeftError.io(path: cwd, message: "cannot create pipe: \(FS.errorText())", hint: "")
        }
        let envStrings = env.map { "\($0.key)=\($0.value)" }
        let pid: Int32 = withCStrings(argv) { a in
            withCStrings(envStrings) { e in
                cwd.withCString { weft_spawn(a, e, $0, fds[1]) }
            }
        }
        close(fds[1])
        if pid < 0 {
            close(fds[0])
            throw WeftError.io(path: argv[0], message: "cannot start: \(FS.errorText(-pid))", hint: "")
        }
        // The child is its own group leader (pgid == pid).
        _ = children.add(pid)
        defer { children.remove(pid) }

        var buf = [UInt8](repeating: 0, count: 65536)
        var pending: [UInt8] = []
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fds[0], $0.baseAddress, 65536) }
            if n < 0 { if errno == EINTR { continue }; break }
            if n == 0 { break }
            buf.withUnsafeBytes { b in _ = Glibc.write(logFD, b.baseAddress, n) }
            guard echo else { continue }
            if let prefix {
                pending.append(contentsOf: buf[0..<n])
                if let lastNL = pending.lastIndex(of: 10) {
                    console.stream(prefix: prefix, Substring(String(decoding: pending[...lastNL], as: UTF8.self)))
                    pending.removeSubrange(...lastNL)
                }
            } else {
                console.stream(prefix: "", Substring(String(decoding: buf[0..<n], as: UTF8.self)))
            }
        }
        if echo, let prefix, !pending.isEmpty {
            console.stream(prefix: prefix, Substring(String(decoding: pending, as: UTF8.self) + "\n"))
        }
        close(fds[0])
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        // Anything the command left running in its group goes with it.
        kill(-pid, SIGKILL)
        if status & 0x7f == 0 { return (status >> 8) & 0xff }
        return 128 + (status & 0x7f)
    }
}

/// Calls `body` with a NULL-terminated C array of the strings.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    var ptrs: [UnsafeMutablePointer<CChar>?] = strings.map { strdup($0) }
    ptrs.append(nil)
    defer { for p in ptrs { free(p) } }
    return ptrs.withUnsafeBufferPointer { b in
        b.baseAddress!.withMemoryRebound(to: UnsafePointer<CChar>?.self, capacity: b.count) { body($0) }
    }
}
