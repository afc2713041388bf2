import Foundation

/// Splits per-file work on large folders across the machine's cores.
enum Parallel {
    /// Below this many items one thread is faster than handing work out.
    static let minItems = 256
    /// Read once: `activeProcessorCount` reads cgroup files on every call.
    static let cores = ProcessInfo.processInfo.activeProcessorCount

    /// Calls `body` on disjoint, contiguous slices of `0..<count`, in parallel when
    /// `count` is large enough; rethrows the first error any slice threw.
    static func forEachSlice(_ count: Int, _ body: @Sendable (Range<Int>) throws -> Void) throws {
        let workers = min(cores, count / minItems)
        if workers <= 1 {
            try body(0..<count)
            return
        }
        let firstError = Locked<Error?>(nil)
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let lo = count * w / workers, hi = count * (w + 1) / workers
            do { try body(lo..<hi) } catch { firstError.update { if $0 == nil { $0 = error } } }
        }
        if let e = firstError.value { throw e }
    }
}

/// A value guarded by a lock.
final class Locked<T>: @unchecked Sendable {
    private var v: T
    private let lock = NSLock()
    init(_ v: T) { self.v = v }
    var value: T { lock.lock(); defer { lock.unlock() }; return v }
    func update(_ f: (inout T) -> Void) { lock.lock(); f(&v); lock.unlock() }
    /// Runs `f` on the value under the lock and returns what it returns.
    func withLock<R>(_ f: (inout T) -> R) -> R { lock.lock(); defer { lock.unlock() }; return f(&v) }
}

/// A buffer that parallel workers write at disjoint indices.
struct UnsafeMutableSendableBuffer<T>: @unchecked Sendable {
    let base: UnsafeMutableBufferPointer<T>
    init(_ base: UnsafeMutableBufferPointer<T>) { self.base = base }
    subscript(i: Int) -> T {
        get { base[i] }
        nonmutating set { base[i] = newValue }
    }
}
