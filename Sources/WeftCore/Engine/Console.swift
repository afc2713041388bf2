import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Serialised terminal output. On a TTY it keeps one live status line at the bottom
/// (running stages, done, skipped, elapsed), redrawn under every printed line; when
/// stdout is not a terminal it prints plain lines only.
public final class Console: @unchecked Sendable {
    /// One lock for every console in the process: runs side by side never interleave a line.
    private static let shared = NSLock()
    private var mutex: NSLock { Self.shared }
    public let isTTY: Bool
    /// Put before every line (`[exp-name] ` when experiments run side by side).
    public let prefix: String
    private var statusText = ""
    private var statusShown = false
    public var quiet = false

    public init(liveStatus: Bool = true, prefix: String = "") {
        isTTY = prefix.isEmpty && liveStatus && isatty(1) == 1 && ProcessInfo.processInfo.environment["TERM"] != "dumb"
        self.prefix = prefix
    }

    private func prefixed(_ s: String) -> String {
        prefix.isEmpty ? s : s.split(separator: "\n", omittingEmptySubsequences: false).map { prefix + $0 }.joined(separator: "\n")
    }

    /// Prints one line (or several) to stdout.
    public func line(_ s: String) {
        mutex.lock()
        defer { mutex.unlock() }
        clearStatusLocked()
        write(1, prefixed(s) + "\n")
        drawStatusLocked()
    }

    /// Prints to stderr.
    public func error(_ s: String) {
        mutex.lock()
        defer { mutex.unlock() }
        clearStatusLocked()
        write(2, prefixed(s) + "\n")
        drawStatusLocked()
    }

    /// Writes raw bytes of a stage's output, each line prefixed.
    public func stream(prefix stagePrefix: String, _ text: Substring) {
        mutex.lock()
        defer { mutex.unlock() }
        clearStatusLocked()
        var out = ""
        for l in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0) {
            out += prefix + stagePrefix + l + "\n"
        }
        write(1, out)
        drawStatusLocked()
    }

    public func setStatus(_ s: String) {
        guard isTTY else { return }
        mutex.lock()
        defer { mutex.unlock() }
        clearStatusLocked()
        statusText = s
        drawStatusLocked()
    }

    public func clearStatus() {
        guard isTTY else { return }
        mutex.lock()
        defer { mutex.unlock() }
        clearStatusLocked()
        statusText = ""
    }

    private func clearStatusLocked() {
        if statusShown { write(1, "\r\u{1B}[K"); statusShown = false }
    }

    private func drawStatusLocked() {
        guard isTTY, !statusText.isEmpty else { return }
        var cols = winsize()
        let width = ioctl(1, UInt(TIOCGWINSZ), &cols) == 0 && cols.ws_col > 10 ? Int(cols.ws_col) - 1 : 100
        write(1, "\u{1B}[2m" + String(statusText.prefix(width)) + "\u{1B}[0m")
        statusShown = true
    }

    private func write(_ fd: Int32, _ s: String) {
        var s = s
        s.withUTF8 { b in
            var off = 0
            while off < b.count {
                let n = Glibc.write(fd, b.baseAddress! + off, b.count - off)
                if n <= 0 { if errno == EINTR { continue }; return }
                off += n
            }
        }
    }
}
