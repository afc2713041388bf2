/// A growable buffer of trivial values addressed by pointer, for the metrics' hot loops
/// (Swift arrays would bounds-check and uniqueness-check every write there).
///
/// Only for trivial types (integers, bytes): growing copies memory and nothing is
/// deinitialised. One owner, one thread.
final class SacreBuffer<Element> {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var capacity: Int
    /// The number of valid elements; callers may set it after writing through `base`.
    var count = 0

    init(capacity: Int = 64) {
        self.capacity = max(capacity, 16)
        base = UnsafeMutablePointer<Element>.allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// Makes room for at least `n` elements in total, keeping the first `count`.
    @inline(__always)
    func reserve(_ n: Int) {
        if n > capacity { grow(to: n) }
    }

    private func grow(to n: Int) {
        let newCapacity = max(n, capacity * 2)
        let fresh = UnsafeMutablePointer<Element>.allocate(capacity: newCapacity)
        if count > 0 { fresh.update(from: base, count: count) }
        base.deallocate()
        base = fresh
        capacity = newCapacity
    }

    @inline(__always)
    func append(_ x: Element) {
        if count == capacity { grow(to: count + 1) }
        base[count] = x
        count += 1
    }

    /// Appends `n` elements from `source`.
    @inline(__always)
    func append(_ source: UnsafePointer<Element>, _ n: Int) {
        reserve(count + n)
        (base + count).update(from: source, count: n)
        count += n
    }

    @inline(__always)
    subscript(i: Int) -> Element {
        get { base[i] }
        set { base[i] = newValue }
    }

    /// The valid elements, read-only.
    var buffer: UnsafeBufferPointer<Element> { UnsafeBufferPointer(start: base, count: count) }
}
