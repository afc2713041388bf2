import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Keeps freed activation memory in the heap instead of returning it to the kernel: training
/// allocates and frees the same large buffers every step, and fresh pages cost a fault and a
/// zeroing each (about a tenth of a llama-tiny LoRA step before this).
let heapTuned: Bool = {
    // glibc's mallopt (malloc.h is not in the Glibc module): M_TRIM_THRESHOLD = -1,
    // M_MMAP_THRESHOLD = -3 (at most 32 MiB on 64-bit).
    typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
    if let f = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "mallopt") {
        let mallopt = unsafeBitCast(f, to: Mallopt.self)
        _ = mallopt(-3, 32 << 20)
        _ = mallopt(-1, 1 << 30)
    }
    return true
}()

/// A zero-initialised fp32 buffer that owns its memory: what activations and gradients live
/// in, passed to kernels as a pointer without `withUnsafe…` nesting.
public final class FloatBuffer: @unchecked Sendable {
    public let count: Int
    public let ptr: UnsafeMutablePointer<Float>
    /// The loss's gradient with respect to this buffer, for trainable weights only: frozen
    /// weights and activations have none, and backward passes skip what they would add to it.
    public var grad: FloatBuffer?

    public init(count: Int) {
        _ = heapTuned
        self.count = count
        ptr = .allocate(capacity: max(count, 1))
        ptr.initialize(repeating: 0, count: max(count, 1))
    }

    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { ptr.update(from: $0.baseAddress!, count: values.count) }
    }

    deinit { ptr.deallocate() }

    public var array: [Float] { Array(UnsafeBufferPointer(start: ptr, count: count)) }
    public func zero() { ptr.update(repeating: 0, count: count) }
    /// Makes the buffer trainable (allocates a zero gradient) or frozen (drops it).
    public func setTrainable(_ on: Bool) {
        if on { if grad == nil { grad = FloatBuffer(count: count) } } else { grad = nil }
    }
    public subscript(i: Int) -> Float {
        get { ptr[i] }
        set { ptr[i] = newValue }
    }
}
