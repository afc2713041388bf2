import Foundation

/// Writes a file through a hidden temporary in the same folder, renamed into place only
/// by `commit()` after an fsync: a crash or error at any moment leaves either the old
/// file or none, never a partial file that looks complete.
public final class AtomicWriter {
    public let path: String
    let tempPath: String
    var fd: Int32
    var pending: [UInt8] = []
    var committed = false
    /// Bytes written so far.
    public private(set) var byteCount = 0

    /// Creates the temporary next to `path` (creating missing parent folders).
    public init(path: String) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try AtomicWriter.makeDirs(dir) }
        let name = (path as NSString).lastPathComponent
        tempPath = (dir.isEmpty ? "" : dir + "/") + ".\(name).tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        fd = open(tempPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw TextError.io(path: path, message: "cannot create: \(String(cString: strerror(errno)))", hint: "check that the folder is writable")
        }
        pending.reserveCapacity(1 << 20)
    }

    deinit {
        if !committed {
            if fd >= 0 { Glibc.close(fd) }
            unlink(tempPath)
        }
    }

    /// `mkdir -p`.
    public static func makeDirs(_ dir: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        } catch {
            throw TextError.io(path: dir, message: "cannot create folder", hint: "check permissions")
        }
    }

    /// Appends bytes (buffered).
    public func write<C: Collection<UInt8>>(_ bytes: C) throws {
        pending.append(contentsOf: bytes)
        if pending.count >= 1 << 20 { try flush() }
    }

    /// Appends a string's UTF-8.
    public func write(_ s: String) throws {
        var s = s
        try s.withUTF8 { try write($0) }
    }

    /// Appends `row` as one JSON line.
    public func write(row: Row) throws {
        row.appendJSON(to: &pending)
        pending.append(0x0A)
        if pending.count >= 1 << 20 { try flush() }
    }

    func flush() throws {
        try AtomicWriter.writeAll(fd, pending, path: path)
        byteCount += pending.count
        pending.removeAll(keepingCapacity: true)
    }

    /// Writes every byte to `fd` (retrying short writes and EINTR); errors name `path`.
    static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var off = 0
        while off < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + off, bytes.count - off) }
            if n < 0 {
                if errno == EINTR { continue }
                throw TextError.io(path: path, message: "write failed: \(String(cString: strerror(errno)))", hint: "check free disk space")
            }
            off += n
        }
    }

    /// Flushes, syncs and renames the temporary onto `path`.
    public func commit() throws {
        try flush()
        guard fsync(fd) == 0, Glibc.close(fd) == 0 else {
            throw TextError.io(path: path, message: "cannot sync: \(String(cString: strerror(errno)))", hint: "check free disk space")
        }
        fd = -1
        guard rename(tempPath, path) == 0 else {
            throw TextError.io(path: path, message: "cannot move into place: \(String(cString: strerror(errno)))", hint: "")
        }
        committed = true
    }

    /// Abandons the file: closes and deletes the temporary (also what `deinit` does).
    public func discard() {
        guard !committed else { return }
        if fd >= 0 { Glibc.close(fd); fd = -1 }
        unlink(tempPath)
        committed = true
    }

    /// Writes a whole file atomically.
    public static func write(_ path: String, _ bytes: [UInt8]) throws {
        let w = try AtomicWriter(path: path)
        try w.write(bytes)
        try w.commit()
    }

    /// Writes a whole text file atomically.
    public static func write(_ path: String, text: String) throws {
        try write(path, Array(text.utf8))
    }
}
