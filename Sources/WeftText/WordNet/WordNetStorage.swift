import Foundation

/// A read-only file mapped into memory: WordNet's data files (22 MB) are only paged in
/// where synsets are read, so opening WordNet for lemmatisation costs nothing for them.
final class MappedFile: @unchecked Sendable {
    // @unchecked: the mapping is never written after init and is unmapped only in deinit.
    let path: String
    let base: UnsafePointer<UInt8>?
    let count: Int

    /// Maps `path`; a missing or unreadable file throws with an installation hint.
    init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw TextError.io(
                path: path, message: "cannot open: \(String(cString: strerror(errno)))",
                hint: "WordNet 3.0 database files are expected here (Debian/Ubuntu: apt-get install wordnet-base)")
        }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            throw TextError.io(path: path, message: "cannot stat: \(String(cString: strerror(errno)))", hint: "")
        }
        count = Int(st.st_size)
        if count == 0 {
            base = nil
            return
        }
        guard let p = mmap(nil, count, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw TextError.io(path: path, message: "cannot map: \(String(cString: strerror(errno)))", hint: "")
        }
        base = UnsafePointer(p.assumingMemoryBound(to: UInt8.self))
    }

    deinit {
        if let base { munmap(UnsafeMutableRawPointer(mutating: base), count) }
    }

    /// The whole file.
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base, count: count) }
}

/// An open-addressing hash table from byte strings to dense indices 0..<count, with the
/// keys copied into one arena: WordNet's 147,306 lemmas load in milliseconds and are
/// looked up without creating Strings.
struct ByteKeyTable: Sendable {
    private(set) var arena: [UInt8] = []
    /// Entry i's key is arena[keyStarts[i]..<keyStarts[i + 1]].
    private(set) var keyStarts: [Int32] = [0]
    private var slots: [Int32]
    private var mask: Int

    /// An empty table sized for about `expected` keys.
    init(expected: Int) {
        var size = 16
        while size < expected * 2 { size <<= 1 }
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        arena.reserveCapacity(expected * 12)
        keyStarts.reserveCapacity(expected + 1)
    }

    /// Number of keys.
    var count: Int { keyStarts.count - 1 }

    @inline(__always) static func hash(_ key: UnsafeBufferPointer<UInt8>) -> Int {
        // FNV-1a 64, then a final mix so the low bits used for the slot are spread.
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key { h = (h ^ UInt64(b)) &* 0x0000_0100_0000_01b3 }
        h ^= h >> 29
        return Int(truncatingIfNeeded: h)
    }

    @inline(__always) func keyEquals(_ i: Int, _ key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = Int(keyStarts[i])
        let end = Int(keyStarts[i + 1])
        guard end - start == key.count else { return false }
        return arena.withUnsafeBufferPointer { a in
            for j in 0..<key.count where a[start + j] != key[j] { return false }
            return true
        }
    }

    /// The index of `key`, or nil.
    @inline(__always) func find(_ key: UnsafeBufferPointer<UInt8>) -> Int? {
        var slot = Self.hash(key) & mask
        while true {
            let e = slots[slot]
            if e < 0 { return nil }
            if keyEquals(Int(e), key) { return Int(e) }
            slot = (slot + 1) & mask
        }
    }

    /// The index of `key`, adding it when new.
    mutating func insert(_ key: UnsafeBufferPointer<UInt8>) -> (index: Int, inserted: Bool) {
        if count * 2 >= slots.count { grow() }
        var slot = Self.hash(key) & mask
        while true {
            let e = slots[slot]
            if e < 0 { break }
            if keyEquals(Int(e), key) { return (Int(e), false) }
            slot = (slot + 1) & mask
        }
        let index = count
        arena.append(contentsOf: key)
        keyStarts.append(Int32(arena.count))
        slots[slot] = Int32(index)
        return (index, true)
    }

    /// The key of entry `i`.
    func key(_ i: Int) -> ArraySlice<UInt8> { arena[Int(keyStarts[i])..<Int(keyStarts[i + 1])] }

    private mutating func grow() {
        let size = slots.count * 2
        slots = [Int32](repeating: -1, count: size)
        mask = size - 1
        arena.withUnsafeBufferPointer { a in
            for i in 0..<count {
                let key = UnsafeBufferPointer(rebasing: a[Int(keyStarts[i])..<Int(keyStarts[i + 1])])
                var slot = Self.hash(key) & mask
                while slots[slot] >= 0 { slot = (slot + 1) & mask }
                slots[slot] = Int32(i)
            }
        }
    }
}

/// Splits a line into whitespace-separated tokens (Python's `str.split()` on ASCII).
@inline(__always) func asciiTokens(_ line: UnsafeBufferPointer<UInt8>) -> [Range<Int>] {
    var out: [Range<Int>] = []
    var i = 0
    let n = line.count
    while i < n {
        while i < n, isASCIISpace(line[i]) { i += 1 }
        if i >= n { break }
        let start = i
        while i < n, !isASCIISpace(line[i]) { i += 1 }
        out.append(start..<i)
    }
    return out
}

/// Python's `str.isspace()` for one ASCII byte: space, \t \n \v \f \r and \x1c-\x1f.
@inline(__always) func isASCIISpace(_ b: UInt8) -> Bool {
    b == 0x20 || (b >= 0x09 && b <= 0x0D) || (b >= 0x1C && b <= 0x1F)
}

/// Parses an unsigned decimal (or hex) integer token.
@inline(__always) func parseUInt(_ s: UnsafeBufferPointer<UInt8>, _ r: Range<Int>, hex: Bool = false) -> Int? {
    guard !r.isEmpty, r.count <= 18 else { return nil }
    var v = 0
    for i in r {
        let b = s[i]
        let d: Int
        switch b {
        case 0x30...0x39: d = Int(b - 0x30)
        case 0x61...0x66 where hex: d = Int(b - 0x61 + 10)
        case 0x41...0x46 where hex: d = Int(b - 0x41 + 10)
        default: return nil
        }
        v = v * (hex ? 16 : 10) + d
    }
    return v
}
