import Foundation

/// This process's memory, for stage logs and benchmarks.
public enum ProcessMemory {
    /// Peak resident memory in MiB: VmHWM, which (unlike getrusage's ru_maxrss) does not
    /// include what the parent held when it forked us (a Python harness with torch loaded).
    public static func peakMiB() -> Double {
        if let s = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = s.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
            let kb = Double(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        {
            return kb / 1024
        }
        var u = rusage()
        getrusage(RUSAGE_SELF.rawValue, &u)
        return Double(u.ru_maxrss) / 1024
    }
}
