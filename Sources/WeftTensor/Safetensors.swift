import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Element types of the safetensors format (reference: huggingface/safetensors, format spec).
public enum SafetensorsDType: String, Sendable, CaseIterable {
    case F64, F32, F16, BF16, I64, I32, I16, I8, U8, BOOL

    public var size: Int {
        switch self {
        case .F64, .I64: return 8
        case .F32, .I32: return 4
        case .F16, .BF16, .I16: return 2
        case .I8, .U8, .BOOL: return 1
        }
    }

    /// Floating-point types this library reads as fp32.
    public var isFloat: Bool { self == .F64 || self == .F32 || self == .F16 || self == .BF16 }
}

/// fp32 ⇄ bf16/f16 conversions (bf16 = the upper half of an fp32, rounded to nearest even).
public enum HalfFloat {
    @inline(__always) public static func bf16ToFloat(_ b: UInt16) -> Float { Float(bitPattern: UInt32(b) << 16) }

    @inline(__always) public static func floatToBF16(_ f: Float) -> UInt16 {
        let bits = f.bitPattern
        if f.isNaN { return UInt16(truncatingIfNeeded: (bits >> 16) | 0x40) }
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    @inline(__always) public static func f16ToFloat(_ h: UInt16) -> Float { Float(Float16(bitPattern: h)) }
    @inline(__always) public static func floatToF16(_ f: Float) -> UInt16 { Float16(f).bitPattern }
}

/// One `.safetensors` file, memory-mapped: its header is parsed and validated when opened;
/// tensor bytes are read from the mapping (fp32 without a copy where aligned).
public final class SafetensorsFile: @unchecked Sendable {
    /// Where one tensor lives in the file.
    public struct Entry: Sendable {
        public var dtype: SafetensorsDType
        public var shape: [Int]
        /// Byte range within the data section.
        public var range: Range<Int>
        public var count: Int { shape.reduce(1, *) }
    }

    public let path: String
    public private(set) var entries: [String: Entry] = [:]
    public private(set) var metadata: [String: String] = [:]
    private let base: UnsafeMutableRawPointer?
    private let size: Int
    private let dataStart: Int

    /// Tensor names in file order.
    public var names: [String] { entries.sorted { $0.value.range.lowerBound < $1.value.range.lowerBound }.map(\.key) }

    public init(path: String) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw TensorError("\(path): cannot open: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw TensorError("\(path): cannot stat: \(String(cString: strerror(errno)))") }
        size = Int(st.st_size)
        guard size >= 8 else { throw TensorError("\(path): not a safetensors file: \(size) bytes, too short for the 8-byte header length") }
        let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0)
        guard let p, p != MAP_FAILED else { throw TensorError("\(path): cannot map: \(String(cString: strerror(errno)))") }
        base = p
        let headerLen = Int(UInt64(littleEndian: p.loadUnaligned(as: UInt64.self)))
        guard headerLen > 0, headerLen <= size - 8, headerLen <= 100 << 20 else {
            munmap(p, size)
            throw TensorError("\(path): truncated or not a safetensors file: header length \(headerLen) but the file has \(size - 8) bytes after it")
        }
        dataStart = 8 + headerLen
        do {
            try parseHeader(Data(bytes: p + 8, count: headerLen))
        } catch {
            munmap(p, size)
            throw error
        }
    }

    deinit { if let base { munmap(base, size) } }

    private func parseHeader(_ data: Data) throws {
        guard let obj = try? JSONSerialization.jsonObject(with: data), let header = obj as? [String: Any] else {
            throw TensorError("\(path): the header is not a JSON object (truncated or corrupt file)")
        }
        let dataSize = size - dataStart
        var spans: [(Range<Int>, String)] = []
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else { throw TensorError("\(path): __metadata__ must map strings to strings") }
                for (k, v) in m {
                    guard let s = v as? String else { throw TensorError("\(path): __metadata__ value of '\(k)' is not a string") }
                    metadata[k] = s
                }
                continue
            }
            guard let t = value as? [String: Any], let ds = t["dtype"] as? String, let shape = t["shape"] as? [Int],
                  let offs = t["data_offsets"] as? [Int], offs.count == 2 else {
                throw TensorError("\(path): tensor '\(name)' needs dtype, shape and data_offsets [begin, end]")
            }
            guard let dtype = SafetensorsDType(rawValue: ds) else {
                throw TensorError("\(path): tensor '\(name)' has unsupported dtype \(ds) (supported: \(SafetensorsDType.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            guard shape.allSatisfy({ $0 >= 0 }), offs[0] >= 0, offs[0] <= offs[1], offs[1] <= dataSize else {
                throw TensorError("\(path): tensor '\(name)' has data_offsets \(offs) outside the \(dataSize)-byte data section (truncated file?)")
            }
            let entry = Entry(dtype: dtype, shape: shape, range: offs[0]..<offs[1])
            guard entry.count * dtype.size == offs[1] - offs[0] else {
                throw TensorError("\(path): tensor '\(name)' of shape \(shape) (\(dtype.rawValue)) needs \(entry.count * dtype.size) bytes, its offsets give \(offs[1] - offs[0])")
            }
            entries[name] = entry
            if !entry.range.isEmpty { spans.append((entry.range, name)) }
        }
        spans.sort { $0.0.lowerBound < $1.0.lowerBound }
        for (a, b) in zip(spans, spans.dropFirst()) where a.0.upperBound > b.0.lowerBound {
            throw TensorError("\(path): tensors '\(a.1)' and '\(b.1)' overlap in the data section")
        }
    }

    /// A tensor's entry, or an error naming the tensor and what the file has.
    public func entry(_ name: String) throws -> Entry {
        guard let e = entries[name] else {
            let near = entries.keys.sorted().filter { $0.hasSuffix(name.split(separator: ".").last.map(String.init) ?? name) }.prefix(5)
            throw TensorError("\(path): no tensor named '\(name)'" + (near.isEmpty ? "" : " (similar: \(near.joined(separator: ", ")))"))
        }
        return e
    }

    /// Raw bytes of a tensor (a view of the mapping, valid while this object lives).
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        let e = try entry(name)
        return UnsafeRawBufferPointer(start: base! + dataStart + e.range.lowerBound, count: e.range.count)
    }

    /// A floating-point tensor as fp32 values (converted from F16/BF16/F64).
    public func floats(_ name: String) throws -> [Float] {
        let e = try entry(name)
        guard e.dtype.isFloat else { throw TensorError("\(path): tensor '\(name)' is \(e.dtype.rawValue), not a floating-point type") }
        let raw = try rawBytes(name)
        var out = [Float](repeating: 0, count: e.count)
        out.withUnsafeMutableBufferPointer { o in
            switch e.dtype {
            case .F32: _ = memcpy(o.baseAddress!, raw.baseAddress!, raw.count)
            case .F16: for i in 0..<e.count { o[i] = HalfFloat.f16ToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case .BF16: for i in 0..<e.count { o[i] = HalfFloat.bf16ToFloat(raw.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self)) }
            case .F64: for i in 0..<e.count { o[i] = Float(raw.loadUnaligned(fromByteOffset: 8 * i, as: Double.self)) }
            default: break
            }
        }
        return out
    }

    /// Calls `body` with a tensor's fp32 values: straight from the mapping when it is F32 and
    /// 4-byte aligned (no copy), converted otherwise.
    public func withFloats<R>(_ name: String, _ body: (UnsafeBufferPointer<Float>) throws -> R) throws -> R {
        let e = try entry(name)
        if e.dtype == .F32 {
            let raw = try rawBytes(name)
            if let start = raw.baseAddress, Int(bitPattern: start) % 4 == 0 {
                return try body(UnsafeBufferPointer(start: start.assumingMemoryBound(to: Float.self), count: e.count))
            }
        }
        return try floats(name).withUnsafeBufferPointer(body)
    }

    /// A floating-point tensor as a `Tensor`, checking its shape when `expect` is given.
    public func tensor(_ name: String, expect: [Int]? = nil) throws -> Tensor {
        let e = try entry(name)
        if let expect, expect != e.shape {
            throw TensorError("\(path): tensor '\(name)' has shape \(e.shape), the config implies \(expect)")
        }
        return try Tensor(shape: e.shape, data: floats(name))
    }
}
