import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A tensor to write: name, element type, shape and its little-endian bytes.
public struct SafetensorsTensor: Sendable {
    public var name: String
    public var dtype: SafetensorsDType
    public var shape: [Int]
    public var bytes: [UInt8]

    public init(name: String, dtype: SafetensorsDType, shape: [Int], bytes: [UInt8]) {
        self.name = name
        self.dtype = dtype
        self.shape = shape
        self.bytes = bytes
    }

    /// An fp32 tensor stored as F32, F16 or BF16 (rounded to nearest even).
    public init(name: String, _ t: Tensor, as dtype: SafetensorsDType = .F32) throws {
        self.name = name
        self.dtype = dtype
        shape = t.shape
        switch dtype {
        case .F32:
            bytes = t.data.withUnsafeBytes { Array($0) }
        case .F16, .BF16:
            let halves = t.data.map { dtype == .F16 ? HalfFloat.floatToF16($0) : HalfFloat.floatToBF16($0) }
            bytes = halves.withUnsafeBytes { Array($0) }
        default:
            throw TensorError("tensor '\(name)': fp32 values can be written as F32, F16 or BF16, not \(dtype.rawValue)")
        }
    }
}

/// Writing safetensors files and sharded checkpoints (`model.safetensors.index.json`).
public enum Safetensors {
    /// The file's bytes: 8-byte header length, JSON header padded with spaces to a multiple
    /// of 8, then the tensors. Larger element types come first, so every tensor is aligned to
    /// its element size.
    public static func encode(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:]) throws -> [UInt8] {
        var seen = Set<String>()
        for t in tensors {
            guard seen.insert(t.name).inserted else { throw TensorError("two tensors named '\(t.name)'") }
            guard t.name != "__metadata__" else { throw TensorError("'__metadata__' cannot name a tensor") }
            guard t.shape.reduce(1, *) * t.dtype.size == t.bytes.count else {
                throw TensorError("tensor '\(t.name)': shape \(t.shape) of \(t.dtype.rawValue) needs \(t.shape.reduce(1, *) * t.dtype.size) bytes, got \(t.bytes.count)")
            }
        }
        let ordered = tensors.sorted { ($0.dtype.size, $1.name) > ($1.dtype.size, $0.name) }
        var header = "{"
        var parts: [String] = []
        if !metadata.isEmpty {
            parts.append(jsonString("__metadata__") + ":{" + metadata.sorted { $0.key < $1.key }
                .map { jsonString($0.key) + ":" + jsonString($0.value) }.joined(separator: ",") + "}")
        }
        var offset = 0
        for t in ordered {
            parts.append(jsonString(t.name) + ":{\"dtype\":\"\(t.dtype.rawValue)\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + t.bytes.count)]}")
            offset += t.bytes.count
        }
        header += parts.joined(separator: ",") + "}"
        var h = Array(header.utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        var out: [UInt8] = []
        out.reserveCapacity(8 + h.count + offset)
        withUnsafeBytes(of: UInt64(h.count).littleEndian) { out.append(contentsOf: $0) }
        out += h
        for t in ordered { out += t.bytes }
        return out
    }

    /// Writes a file atomically (temp + fsync + rename): a reader never sees half of it.
    public static func write(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:], to path: String) throws {
        try writeAtomically(try encode(tensors, metadata: metadata), to: path)
    }

    /// Splits tensors into shards of at most `maxShardBytes` (a tensor never splits) named
    /// `model-00001-of-0000N.safetensors`, plus `model.safetensors.index.json`; one shard is
    /// written as plain `model.safetensors`. Returns the files written.
    @discardableResult
    public static func writeCheckpoint(_ tensors: [SafetensorsTensor], metadata: [String: String] = [:], directory: String,
                                       maxShardBytes: Int = 5 << 30) throws -> [String] {
        var shards: [[SafetensorsTensor]] = [[]]
        var used = 0
        for t in tensors {
            if used + t.bytes.count > maxShardBytes && !shards[shards.count - 1].isEmpty {
                shards.append([])
                used = 0
            }
            shards[shards.count - 1].append(t)
            used += t.bytes.count
        }
        if shards.count == 1 {
            try write(tensors, metadata: metadata, to: directory + "/model.safetensors")
            return ["model.safetensors"]
        }
        var names: [String] = []
        var weightMap: [(String, String)] = []
        for (i, shard) in shards.enumerated() {
            let name = String(format: "model-%05d-of-%05d.safetensors", i + 1, shards.count)
            try write(shard, metadata: metadata, to: directory + "/" + name)
            names.append(name)
            for t in shard { weightMap.append((t.name, name)) }
        }
        let total = tensors.reduce(0) { $0 + $1.bytes.count }
        var json = "{\n  \"metadata\": {\n    \"total_size\": \(total)\n  },\n  \"weight_map\": {\n"
        json += weightMap.sorted { $0.0 < $1.0 }.map { "    \(jsonString($0.0)): \(jsonString($0.1))" }.joined(separator: ",\n")
        json += "\n  }\n}\n"
        try writeAtomically(Array(json.utf8), to: directory + "/model.safetensors.index.json")
        return names + ["model.safetensors.index.json"]
    }

    static func jsonString(_ s: String) -> String {
        var o = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": o += "\\\""
            case "\\": o += "\\\\"
            case "\n": o += "\\n"
            case "\r": o += "\\r"
            case "\t": o += "\\t"
            default:
                if u.value < 0x20 { o += String(format: "\\u%04x", u.value) } else { o.unicodeScalars.append(u) }
            }
        }
        return o + "\""
    }

    /// Writes bytes to a file atomically (temp in the same folder, fsync, rename).
    public static func writeAtomically(_ bytes: [UInt8], to path: String) throws {
        let tmp = path + ".weft-tmp-\(getpid())"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw TensorError("\(path): cannot write: \(String(cString: strerror(errno)))") }
        var off = 0
        let ok = bytes.withUnsafeBytes { b -> Bool in
            while off < b.count {
                let n = Glibc.write(fd, b.baseAddress! + off, b.count - off)
                if n < 0 { if errno == EINTR { continue }; return false }
                off += n
            }
            return fsync(fd) == 0
        }
        close(fd)
        guard ok, rename(tmp, path) == 0 else {
            unlink(tmp)
            throw TensorError("\(path): cannot write: \(String(cString: strerror(errno)))")
        }
    }
}

/// The weights of a Hugging Face model folder: `model.safetensors`, or the shards that
/// `model.safetensors.index.json` lists.
public final class SafetensorsCheckpoint: @unchecked Sendable {
    public let directory: String
    private var files: [String: SafetensorsFile] = [:]
    private var owner: [String: String] = [:]

    public init(directory: String) throws {
        self.directory = directory
        let index = directory + "/model.safetensors.index.json"
        if FileManager.default.fileExists(atPath: index) {
            guard let data = FileManager.default.contents(atPath: index),
                  let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = obj["weight_map"] as? [String: String] else {
                throw TensorError("\(index): not a safetensors index (needs a 'weight_map' of tensor → file)")
            }
            for file in Set(map.values) { files[file] = try SafetensorsFile(path: directory + "/" + file) }
            for (name, file) in map {
                guard files[file]?.entries[name] != nil else { throw TensorError("\(index): '\(name)' is mapped to \(file), which does not contain it") }
                owner[name] = file
            }
        } else if FileManager.default.fileExists(atPath: directory + "/model.safetensors") {
            let f = try SafetensorsFile(path: directory + "/model.safetensors")
            files["model.safetensors"] = f
            for name in f.entries.keys { owner[name] = "model.safetensors" }
        } else {
            throw TensorError("\(directory): no model.safetensors or model.safetensors.index.json")
        }
    }

    /// Every tensor name, sorted.
    public var names: [String] { owner.keys.sorted() }

    /// The file holding a tensor.
    public func file(for name: String) throws -> SafetensorsFile {
        guard let f = owner[name].flatMap({ files[$0] }) else {
            throw TensorError("\(directory): the checkpoint has no tensor named '\(name)'")
        }
        return f
    }

    public func entry(_ name: String) throws -> SafetensorsFile.Entry { try file(for: name).entry(name) }
    public func tensor(_ name: String, expect: [Int]? = nil) throws -> Tensor { try file(for: name).tensor(name, expect: expect) }
}
