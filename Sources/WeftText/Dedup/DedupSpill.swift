import Foundation

/// A hidden temporary file written sequentially and read back sequentially, so the
/// clusters file can be built from data that does not fit in memory. It lives next to
/// the output it serves (same disk, same permissions) and is deleted by `remove()`.
struct SpillFile {
    let path: String
    let fd: Int32
    var pending: [UInt8] = []
    /// Bytes appended so far (flushed or not).
    private(set) var size = 0

    init(directory: String, name: String) throws {
        path = (directory.isEmpty ? "." : directory) + "/.\(name)-\(getpid())-\(UInt32.random(in: 0...UInt32.max)).tmp"
        fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw TextError.io(path: path, message: "cannot create a temporary file: \(String(cString: strerror(errno)))",
                               hint: "check that the output folder is writable")
        }
        pending.reserveCapacity(1 << 20)
    }

    /// Closes and deletes the file.
    func remove() {
        _ = Glibc.close(fd)
        unlink(path)
    }

    mutating func append<C: Collection<UInt8>>(_ bytes: C) throws {
        pending.append(contentsOf: bytes)
        size += bytes.count
        if pending.count >= 1 << 20 { try flush() }
    }

    /// Appends a little-endian integer.
    mutating func append<I: FixedWidthInteger>(integer: I) throws {
        try withUnsafeBytes(of: integer.littleEndian) { try append($0) }
    }

    mutating func flush() throws {
        try AtomicWriter.writeAll(fd, pending, path: path)
        pending.removeAll(keepingCapacity: true)
    }

    /// A reader from the start (call `flush()` first).
    func reader() -> SpillReader { SpillReader(fd: fd, path: path, size: size) }
}

/// Sequential reads of a flushed `SpillFile` through a 1 MiB buffer (`pread`, so several
/// readers of one file do not disturb each other).
struct SpillReader {
    let fd: Int32
    let path: String
    let size: Int
    var buffer: [UInt8] = []
    var start = 0
    var fileOffset = 0

    init(fd: Int32, path: String, size: Int) {
        self.fd = fd
        self.path = path
        self.size = size
    }

    /// Whether everything has been read.
    var atEnd: Bool { start >= buffer.count && fileOffset >= size }

    /// Makes `n` bytes available at `buffer[start...]`.
    mutating func want(_ n: Int) throws {
        if buffer.count - start >= n { return }
        buffer.removeSubrange(0..<start)
        start = 0
        let chunk = max(n - buffer.count, 1 << 20)
        let old = buffer.count
        buffer.append(contentsOf: repeatElement(0, count: chunk))
        var got = 0
        while got < chunk && fileOffset < size {
            let r = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress! + old + got, chunk - got, off_t(fileOffset)) }
            if r < 0 && errno == EINTR { continue }
            guard r > 0 else { break }
            got += r
            fileOffset += r
        }
        buffer.removeSubrange((old + got)...)
        guard buffer.count >= n else {
            throw TextError.io(path: path, message: "temporary file ended early", hint: "check free disk space, then run again")
        }
    }

    /// Reads a little-endian integer.
    mutating func integer<I: FixedWidthInteger>(_: I.Type) throws -> I {
        try want(MemoryLayout<I>.size)
        let v = buffer.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: start, as: I.self) }
        start += MemoryLayout<I>.size
        return I(littleEndian: v)
    }

    /// Appends the next `n` bytes to `out`.
    mutating func bytes(_ n: Int, into out: inout [UInt8]) throws {
        try want(n)
        out.append(contentsOf: buffer[start..<(start + n)])
        start += n
    }

    /// Skips `n` bytes.
    mutating func skip(_ n: Int) throws {
        let inBuffer = min(n, buffer.count - start)
        start += inBuffer
        let rest = n - inBuffer
        guard rest > 0 else { return }
        guard fileOffset + rest <= size else {
            throw TextError.io(path: path, message: "temporary file ended early", hint: "check free disk space, then run again")
        }
        fileOffset += rest
    }
}
