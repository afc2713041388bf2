import Foundation

/// The compact token dataset the `tokenize` stage writes and training reads: one file,
/// little-endian, memory-mappable.
///
///     offset  size            field
///     0       8               magic "WEFTTOK\0"
///     8       4               format version (1)
///     12      4               id width in bytes (2: uint16 when the vocabulary fits, else 4)
///     16      8               rows R
///     24      8               tokens N
///     32      4               flags (bit 0: a loss mask follows the ids)
///     36      4               metadata length M (UTF-8 JSON object)
///     40      M               metadata, then zero padding to a multiple of 8
///     …       8·(R+1)         row offsets into the ids (row r is ids[off[r] ..< off[r+1]])
///     …       width·N         ids, then zero padding to a multiple of 8
///     …       N               loss mask (1 = the token counts in the loss), when flagged
///
/// Metadata records the tokenizer's SHA-256, vocabulary size, special tokens and how
/// rows were rendered, so a reader can refuse a file made with another tokenizer.
public enum TokenFile {
    static let magic: [UInt8] = Array("WEFTTOK\0".utf8)
    static let version: UInt32 = 1

    /// Streams rows of ids into a token file (offsets and the mask are kept in memory:
    /// 8 bytes per row and 1 byte per token; ids go to a side file until `finish`).
    public final class Writer {
        let path: String
        let width: Int
        let withMask: Bool
        var offsets: [UInt64] = [0]
        var mask: [UInt8] = []
        let idsTemp: AtomicWriter
        var idBytes: [UInt8] = []
        public private(set) var tokenCount = 0

        /// `vocabSize` decides the id width; `withMask` adds the per-token loss mask.
        public init(path: String, vocabSize: Int, withMask: Bool) throws {
            self.path = path
            width = vocabSize <= 65_536 ? 2 : 4
            self.withMask = withMask
            idsTemp = try AtomicWriter(path: path + ".ids")
        }

        /// Appends one row; `mask` (same length as `ids`) when the file has one.
        public func append(_ ids: [UInt32], mask rowMask: [UInt8]? = nil) throws {
            idBytes.removeAll(keepingCapacity: true)
            idBytes.reserveCapacity(ids.count * width)
            if width == 2 {
                for id in ids { idBytes.append(UInt8(id & 0xFF)); idBytes.append(UInt8(id >> 8)) }
            } else {
                for id in ids { withUnsafeBytes(of: id.littleEndian) { idBytes.append(contentsOf: $0) } }
            }
            try idsTemp.write(idBytes)
            tokenCount += ids.count
            offsets.append(UInt64(tokenCount))
            if withMask { mask.append(contentsOf: rowMask ?? Array(repeating: 1, count: ids.count)) }
        }

        /// Writes the final file atomically with `metadata` (a JSON object).
        public func finish(metadata: [String: Any]) throws {
            try idsTemp.flush()
            var meta = metadata
            meta["rows"] = offsets.count - 1
            meta["tokens"] = tokenCount
            meta["id_width"] = width
            let json = try JSONSerialization.data(withJSONObject: meta, options: [.sortedKeys])
            let out = try AtomicWriter(path: path)
            var head: [UInt8] = TokenFile.magic
            func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { head.append(contentsOf: $0) } }
            func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { head.append(contentsOf: $0) } }
            u32(TokenFile.version)
            u32(UInt32(width))
            u64(UInt64(offsets.count - 1))
            u64(UInt64(tokenCount))
            u32(withMask ? 1 : 0)
            u32(UInt32(json.count))
            head.append(contentsOf: json)
            while head.count % 8 != 0 { head.append(0) }
            try out.write(head)
            var offBytes: [UInt8] = []
            offBytes.reserveCapacity(offsets.count * 8)
            for o in offsets { withUnsafeBytes(of: o.littleEndian) { offBytes.append(contentsOf: $0) } }
            try out.write(offBytes)
            // Copy the ids from the side file in chunks (it may be large).
            let fd = open(idsTemp.tempPath, O_RDONLY)
            guard fd >= 0 else { throw TextError.io(path: idsTemp.tempPath, message: "cannot reopen the ids", hint: "") }
            defer { Glibc.close(fd) }
            var chunk = [UInt8](repeating: 0, count: 1 << 20)
            var copied = 0
            while true {
                let n = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                guard n > 0 else { break }
                try out.write(chunk[0..<n])
                copied += n
            }
            guard copied == tokenCount * width else {
                throw TextError.io(path: path, message: "ids side file is short (\(copied) of \(tokenCount * width) bytes)", hint: "check free disk space")
            }
            var pad: [UInt8] = []
            while (copied + pad.count) % 8 != 0 { pad.append(0) }
            try out.write(pad)
            if withMask { try out.write(mask) }
            try out.commit()
            idsTemp.discard()
        }
    }

    /// A token file read into memory (for tests and small datasets; training maps it).
    public struct Contents: Sendable {
        public var idWidth: Int
        public var metadata: [String: String]
        public var rows: [[UInt32]]
        public var mask: [[UInt8]]?
    }

    /// Reads and checks a whole token file.
    public static func read(_ path: String) throws -> Contents {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TextError.io(path: path, message: "cannot read", hint: "check the path")
        }
        let b = [UInt8](data)
        func bad(_ m: String) -> TextError { .data(path: path, line: 0, message: "not a valid token file: \(m)", hint: "rebuild it with the tokenize stage") }
        guard b.count >= 40, Array(b[0..<8]) == magic else { throw bad("bad magic") }
        func u32(_ at: Int) -> UInt32 { b[at..<at + 4].reversed().reduce(0) { $0 << 8 | UInt32($1) } }
        func u64(_ at: Int) -> UInt64 { b[at..<at + 8].reversed().reduce(0) { $0 << 8 | UInt64($1) } }
        guard u32(8) == version else { throw bad("format version \(u32(8)), this weft reads \(version)") }
        let width = Int(u32(12)), rows = Int(u64(16)), tokens = Int(u64(24)), flags = u32(32), m = Int(u32(36))
        guard width == 2 || width == 4 else { throw bad("id width \(width)") }
        var at = 40 + m
        at = (at + 7) / 8 * 8
        let idsAt = at + 8 * (rows + 1)
        let maskAt = (idsAt + width * tokens + 7) / 8 * 8
        guard b.count == maskAt + (flags & 1 == 1 ? tokens : 0) else { throw bad("size \(b.count) does not match the header") }
        var meta: [String: String] = [:]
        if let obj = try? JSONSerialization.jsonObject(with: Data(b[40..<40 + m])) as? [String: Any] {
            for (k, v) in obj { meta[k] = "\(v)" }
        }
        var out: [[UInt32]] = []
        var masks: [[UInt8]] = []
        for r in 0..<rows {
            let lo = Int(u64(at + 8 * r)), hi = Int(u64(at + 8 * (r + 1)))
            guard lo <= hi, hi <= tokens else { throw bad("row \(r) offsets") }
            out.append((lo..<hi).map { i in width == 2 ? UInt32(b[idsAt + 2 * i]) | UInt32(b[idsAt + 2 * i + 1]) << 8 : u32(idsAt + 4 * i) })
            if flags & 1 == 1 { masks.append(Array(b[(maskAt + lo)..<(maskAt + hi)])) }
        }
        return Contents(idWidth: width, metadata: meta, rows: out, mask: flags & 1 == 1 ? masks : nil)
    }
}
