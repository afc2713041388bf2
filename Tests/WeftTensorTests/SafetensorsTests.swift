import Foundation
import Testing
@testable import WeftTensor

/// `Tests/Fixtures/<rel>`, found from this source file.
func fixture(_ rel: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/" + rel).path
}

/// A temporary folder removed when the value goes away.
final class Scratch {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("weft-tensor-" + UUID().uuidString.prefix(12)).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func write(_ name: String, _ bytes: [UInt8]) -> String {
        let p = path + "/" + name
        _ = FileManager.default.createFile(atPath: p, contents: Data(bytes))
        return p
    }
}

@Suite("safetensors")
struct SafetensorsTests {
    struct Expected: Decodable { var dtype: String; var shape: [Int]; var values: [Double] }

    func reference() throws -> [String: Expected] {
        try JSONDecoder().decode([String: Expected].self, from: Data(contentsOf: URL(fileURLWithPath: fixture("safetensors/reference.json"))))
    }

    @Test("reads what the safetensors library writes: F32 (mapped), F16, F64, I64, empty tensors, metadata")
    func readsReference() throws {
        let f = try SafetensorsFile(path: fixture("safetensors/reference.safetensors"))
        #expect(f.metadata == ["format": "pt", "note": "weft fixture"])
        for (name, want) in try reference() {
            let e = try f.entry(name)
            #expect(e.shape == want.shape, "\(name)")
            if e.dtype == .I64 {
                let raw = try f.rawBytes(name)
                let ints = (0..<e.count).map { raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self) }
                #expect(ints.map(Double.init) == want.values)
                #expect(throws: TensorError.self) { try f.floats(name) }
                continue
            }
            let got = try f.floats(name)
            // F64 narrows to fp32; the others are exact.
            for (g, w) in zip(got, want.values) { #expect(g == Float(w), "\(name): \(g) vs \(w)") }
            #expect(got.count == want.values.count)
        }
        // F32 is read in place from the mapping when aligned.
        let mapped = try f.withFloats("model.embed.weight") { $0.baseAddress.map { UnsafeRawPointer($0) } }
        let raw = try f.rawBytes("model.embed.weight").baseAddress
        #expect(mapped == raw)
    }

    @Test("writes exactly the bytes the safetensors library writes for the same tensors")
    func writesIdenticalBytes() throws {
        let f = try SafetensorsFile(path: fixture("safetensors/reference.safetensors"))
        let tensors = try f.names.map { n in
            SafetensorsTensor(name: n, dtype: try f.entry(n).dtype, shape: try f.entry(n).shape, bytes: Array(try f.rawBytes(n)))
        }
        let ours = try Safetensors.encode(tensors)
        let theirs = [UInt8](try Data(contentsOf: URL(fileURLWithPath: fixture("safetensors/nometa.safetensors"))))
        #expect(ours == theirs)
    }

    @Test("fp32 → BF16/F16 rounds to nearest even and reads back; a sharded checkpoint round-trips")
    func roundTrips() throws {
        #expect(HalfFloat.floatToBF16(1.0) == 0x3F80)
        #expect(HalfFloat.floatToBF16(Float(bitPattern: 0x3F80_8000)) == 0x3F80, "tie to even (down)")
        #expect(HalfFloat.floatToBF16(Float(bitPattern: 0x3F81_8000)) == 0x3F82, "tie to even (up)")
        #expect(HalfFloat.floatToBF16(Float(bitPattern: 0x3F80_8001)) == 0x3F81)
        #expect(HalfFloat.bf16ToFloat(HalfFloat.floatToBF16(.nan)).isNaN)
        #expect(HalfFloat.floatToBF16(.infinity) == 0x7F80)
        #expect(HalfFloat.f16ToFloat(HalfFloat.floatToF16(0.1)) == Float(Float16(0.1)))

        let s = try Scratch()
        let a = try Tensor(shape: [2, 3], data: [1, -2, 3.5, 0.1, 1e-3, 65504])
        let tensors = [try SafetensorsTensor(name: "a32", a), try SafetensorsTensor(name: "a16", a, as: .F16),
                       try SafetensorsTensor(name: "abf", a, as: .BF16)]
        let files = try Safetensors.writeCheckpoint(tensors, directory: s.path, maxShardBytes: 30)
        #expect(files == ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors", "model.safetensors.index.json"])
        let ck = try SafetensorsCheckpoint(directory: s.path)
        #expect(ck.names == ["a16", "a32", "abf"])
        #expect(try ck.tensor("a32") == a)
        #expect(try ck.tensor("a16").data == a.data.map { Float(Float16($0)) })
        #expect(try ck.tensor("abf").data == a.data.map { HalfFloat.bf16ToFloat(HalfFloat.floatToBF16($0)) })
        let index = try String(contentsOfFile: s.path + "/model.safetensors.index.json", encoding: .utf8)
        #expect(index.contains("\"total_size\": \(24 + 12 + 12)"))
        // Every tensor lands aligned to its element size.
        for file in files.dropLast() {
            let f = try SafetensorsFile(path: s.path + "/" + file)
            for n in f.names { #expect(Int(bitPattern: try f.rawBytes(n).baseAddress!) % (try f.entry(n).dtype.size) == 0) }
        }
    }

    @Test("truncated, oversized or inconsistent files are clear errors, never a crash")
    func badFiles() throws {
        let s = try Scratch()
        let good = try Safetensors.encode([try SafetensorsTensor(name: "w", try Tensor(shape: [2, 2], data: [1, 2, 3, 4]))])
        func message(_ bytes: [UInt8], _ name: String) -> String {
            do { _ = try SafetensorsFile(path: s.write(name, bytes)); return "" } catch { return "\(error)" }
        }
        #expect(message([1, 2, 3], "short.safetensors").contains("too short"))
        #expect(message(Array(good.prefix(20)), "cut-header.safetensors").contains("truncated"))
        #expect(message(Array(good.dropLast(4)), "cut-data.safetensors").contains("'w'"))
        var huge = good
        huge.replaceSubrange(0..<8, with: [0xFF, 0xFF, 0xFF, 0xFF, 0, 0, 0, 0])
        #expect(message(huge, "huge.safetensors").contains("header length"))
        var garbage = good
        garbage[9] = 0x7B
        garbage[10] = 0x7B
        #expect(message(garbage, "garbage.safetensors").contains("not a JSON object"))
        let wrongShape = Array(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "[2,2]", with: "[2,3]").utf8)
        #expect(message(wrongShape, "shape.safetensors").contains("'w' of shape [2, 3]"))
        let f = try SafetensorsFile(path: s.write("ok.safetensors", good))
        #expect(throws: TensorError.self) { try f.tensor("w", expect: [4]) }
        do { _ = try f.tensor("w", expect: [4]) } catch { #expect("\(error)".contains("'w' has shape [2, 2], the config implies [4]")) }
        #expect(throws: TensorError.self) { try f.floats("nope") }
    }
}

@Suite("BLAS")
struct BLASTests {
    @Test("gemm matches a plain triple loop for every transpose, alpha and beta (one row: the split matrix-vector path)",
          arguments: [(1, 1, 1), (3, 5, 7), (64, 33, 129), (1, 300, 257)])
    func gemm(m: Int, n: Int, k: Int) throws {
        var rng = SystemRandomNumberGenerator()
        let a = (0..<(m * k)).map { _ in Float.random(in: -1...1, using: &rng) }
        let b = (0..<(k * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        let c0 = (0..<(m * n)).map { _ in Float.random(in: -1...1, using: &rng) }
        for (ta, tb) in [(false, false), (true, false), (false, true), (true, true)] {
            // a is [m,k] or, transposed, stored [k,m]; b is [k,n] or stored [n,k].
            func A(_ i: Int, _ p: Int) -> Double { Double(ta ? a[p * m + i] : a[i * k + p]) }
            func B(_ p: Int, _ j: Int) -> Double { Double(tb ? b[j * k + p] : b[p * n + j]) }
            var c = c0
            BLAS.gemm(a, b, &c, m: m, n: n, k: k, transA: ta, transB: tb, alpha: 0.5, beta: 2)
            for i in 0..<m {
                for j in 0..<n {
                    var s = 0.0
                    for p in 0..<k { s += A(i, p) * B(p, j) }
                    let want = 0.5 * s + 2 * Double(c0[i * n + j])
                    #expect(abs(Double(c[i * n + j]) - want) <= 1e-5 * max(1, abs(want)), "\(ta) \(tb) [\(i),\(j)]")
                }
            }
        }
        let t = try Tensor.matmul(try Tensor(shape: [m, k], data: a), try Tensor(shape: [k, n], data: b))
        #expect(t.shape == [m, n])
        #expect(throws: TensorError.self) { try Tensor.matmul(try Tensor(shape: [m, k], data: a), Tensor(zeros: [k + 1, n])) }
    }
}
