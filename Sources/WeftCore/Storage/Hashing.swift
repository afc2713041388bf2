import Crypto
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// SHA-256 of files and folders, hex-encoded.
public enum ContentHash {
    /// Bumped whenever what goes into a stage signature changes, so old run-cache
    /// entries are never served to a newer engine.
    public static let schemeVersion = 1

    static let hexDigits = Array("0123456789abcdef".utf8)

    public static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        var out = [UInt8]()
        out.reserveCapacity(64)
        for b in digest {
            out.append(hexDigits[Int(b >> 4)])
            out.append(hexDigits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func of(_ bytes: [UInt8]) -> String { hex(SHA256.hash(data: bytes)) }
    public static func of(_ text: String) -> String { of(Array(text.utf8)) }

    /// Streams a file through SHA-256: mmap for large files (no copy through user
    /// space), one read for small ones.
    public static func ofFile(_ path: String) throws -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw WeftError.io(path: path, message: "cannot read: \(String(cString: strerror(errno)))", hint: "")
        }
        defer { close(fd) }
        var st = stat()
        fstat(fd, &st)
        let size = Int(st.st_size)
        var hasher = SHA256()
        if size >= 1 << 20 {
            let chunk = 256 << 20  // map in slices so huge files never need one huge mapping
            var off = 0
            while off < size {
                let len = min(chunk, size - off)
                guard let p = mmap(nil, len, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, off_t(off)), p != MAP_FAILED else {
                    throw WeftError.io(path: path, message: "cannot map: \(String(cString: strerror(errno)))", hint: "")
                }
                madvise(p, len, MADV_SEQUENTIAL)
                hasher.update(bufferPointer: UnsafeRawBufferPointer(start: p, count: len))
                munmap(p, len)
                off += len
            }
        } else {
            var buf = [UInt8](repeating: 0, count: max(size, 1) + 1)
            var total = 0
            while true {
                let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + total, $0.count - total) }
                if n < 0 { if errno == EINTR { continue }; throw WeftError.io(path: path, message: "read failed", hint: "") }
                if n == 0 { break }
                total += n
                if total == buf.count { buf += [UInt8](repeating: 0, count: buf.count) }
            }
            buf.withUnsafeBytes { hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: $0[0..<total])) }
        }
        return hex(hasher.finalize())
    }
}

/// One file of a folder output, as listed in its manifest object.
public struct DirEntry: Sendable, Equatable {
    public var path: String
    public var hash: String
    public var size: Int64
    public var mode: UInt32
}

/// The manifest object of a folder: a sorted JSON list, hashed as a whole.
public enum DirManifest {
    public static func encode(_ entries: [DirEntry]) -> [UInt8] {
        var s = "["
        s.reserveCapacity(entries.count * 140)
        for (i, e) in entries.enumerated() {
            if i > 0 { s += "," }
            s += "{\"path\":"
            Value.writeJSONString(e.path, into: &s)
            s += ",\"sha256\":\"\(e.hash)\",\"size\":\(e.size),\"mode\":\(e.mode)}"
        }
        s += "]"
        return Array(s.utf8)
    }

    public static func decode(_ bytes: [UInt8], origin: String) throws -> [DirEntry] {
        guard let arr = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [[String: Any]] else {
            throw WeftError.cache(message: "folder manifest \(origin) is corrupt", hint: "run 'weft cache verify'")
        }
        return try arr.map { d in
            guard let p = d["path"] as? String, let h = d["sha256"] as? String,
                  let size = (d["size"] as? NSNumber)?.int64Value else {
                throw WeftError.cache(message: "folder manifest \(origin) is corrupt", hint: "run 'weft cache verify'")
            }
            return DirEntry(path: p, hash: h, size: size, mode: (d["mode"] as? NSNumber)?.uint32Value ?? 0o644)
        }
    }

    /// The id of a manifest: its hash with DVC's `.dir` suffix.
    public static func id(_ bytes: [UInt8]) -> String { ContentHash.of(bytes) + ".dir" }
}
