import Foundation
import Testing
@testable import WeftTensor

/// bitsandbytes 0.50.2 reference cases written by Tests/Fixtures/make_quant_bnb.py.
private struct BnbCases: Decodable {
    struct NF4Case: Decodable {
        let name: String, shape: [Int], blocksize: Int
        let input: String, packed: String, absmax: String, dequant_plain: String?
        let nested_codes: String, nested_absmax: String, offset: String, dequant: String
        let nested_quant_map: String, quant_map: String
    }
    struct Int8Case: Decodable { let name: String, shape: [Int], input: String, codes: String, stats: String, dequant: String }
    struct MeanCase: Decodable { let n: Int, threads: Int, mean: String }
    let nf4: [NF4Case]
    let int8: [Int8Case]
    let torch_mean: [MeanCase]
}

private let casesURL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/quant/bnb_cases.json")

/// The fixture cases; an unreadable file yields none, which `fixtureIsComplete` reports as a
/// failure (parameterised tests need their arguments before any test runs).
private let cases: BnbCases = (try? JSONDecoder().decode(BnbCases.self, from: Data(contentsOf: casesURL))) ?? BnbCases(nf4: [], int8: [], torch_mean: [])

private func bytes(_ b64: String) -> [UInt8] { [UInt8](Data(base64Encoded: b64)!) }
private func floats(_ b64: String) -> [Float] {
    let b = bytes(b64)
    return (0..<(b.count / 4)).map { i in
        Float(bitPattern: UInt32(b[4 * i]) | UInt32(b[4 * i + 1]) << 8 | UInt32(b[4 * i + 2]) << 16 | UInt32(b[4 * i + 3]) << 24)
    }
}
/// Counts positions where two fp32 arrays differ bit for bit.
private func bitDiffs(_ a: [Float], _ b: [Float]) -> Int {
    guard a.count == b.count else { return max(a.count, b.count) }
    return zip(a, b).filter { $0.bitPattern != $1.bitPattern }.count
}

@Suite struct QuantizeTests {
    @Test func fixtureIsComplete() throws {
        let loaded = try JSONDecoder().decode(BnbCases.self, from: Data(contentsOf: casesURL))
        #expect(loaded.nf4.count == 9 && loaded.int8.count == 2 && cases.nf4.count == 9)
    }

    @Test func codeTablesMatchBitsandbytes() {
        let c = cases.nf4[0]
        #expect(bitDiffs(NF4.code, floats(c.quant_map)) == 0)
        #expect(bitDiffs(DynamicMap.code, floats(c.nested_quant_map)) == 0)
    }

    @Test(arguments: cases.nf4.map(\.name)) func nf4PlainMatchesBitsandbytes(_ name: String) throws {
        let c = cases.nf4.first { $0.name == name }!
        let t = try NF4.quantize(floats(c.input), shape: c.shape, blocksize: c.blocksize, doubleQuant: false)
        #expect(t.packed == bytes(c.packed), "\(name): packed bytes")
        #expect(bitDiffs(t.absmax!, floats(c.absmax)) == 0, "\(name): absmax")
        if let d = c.dequant_plain { #expect(bitDiffs(try NF4.dequantize(t), floats(d)) == 0, "\(name): dequantised") }
    }

    @Test(arguments: cases.nf4.map(\.name)) func nf4DoubleQuantMatchesBitsandbytes(_ name: String) throws {
        let c = cases.nf4.first { $0.name == name }!
        let t = try NF4.quantize(floats(c.input), shape: c.shape, blocksize: c.blocksize, doubleQuant: true)
        let nq = try #require(t.nested)
        #expect(t.packed == bytes(c.packed), "\(name): packed bytes")
        // Bit-exact: the offset is torch's fp32 mean (TorchSum), so every nested code follows.
        #expect(nq.offset.bitPattern == floats(c.offset)[0].bitPattern, "\(name): offset \(nq.offset) vs \(floats(c.offset)[0])")
        #expect(bitDiffs(nq.absmax, floats(c.nested_absmax)) == 0, "\(name): nested absmax")
        let want = bytes(c.nested_codes)
        let bad = zip(nq.codes, want).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(nq.codes.count == want.count && bad.isEmpty,
                "\(name): nested codes differ at \(bad.prefix(5).map { "\($0.offset): \($0.element.0) vs \($0.element.1)" })")
        #expect(bitDiffs(try NF4.dequantize(t), floats(c.dequant)) == 0, "\(name): dequantised")
    }

    /// torch's float32 mean, regenerated from the fixture's formula (see make_quant_bnb.py), for
    /// sizes around the vector, level and thread-split boundaries and 1-3 torch threads.
    @Test func torchMeanIsBitExact() throws {
        #expect(cases.torch_mean.count == 39)
        for c in cases.torch_mean {
            let values = (0..<c.n).map { i -> Float in
                let k = ((UInt64(i) &* 2_654_435_761) % (1 << 32)) >> 12
                return Float(k + 1) * 0x1p-20
            }
            let want = floats(c.mean)[0]
            let got = TorchSum.mean(values, threads: c.threads)
            #expect(got.bitPattern == want.bitPattern, "n \(c.n), \(c.threads) threads: \(got) vs torch \(want)")
        }
    }

    /// The nested absmax quantiser (8-bit dynamic code) on values at code midpoints, near zero and
    /// at random, against bitsandbytes' CPU `quantize_blockwise` (Fixtures/quant/bnb_dynamic.json).
    @Test func dynamicBlockwiseMatchesBitsandbytes() throws {
        struct Dyn: Decodable { let input: String, codes: String, absmax: String }
        let url = casesURL.deletingLastPathComponent().appendingPathComponent("bnb_dynamic.json")
        let d = try JSONDecoder().decode(Dyn.self, from: Data(contentsOf: url))
        let (codes, absmax) = DynamicMap.quantizeBlockwise(floats(d.input), blocksize: 256)
        let want = bytes(d.codes)
        let bad = zip(codes, want).enumerated().filter { $0.element.0 != $0.element.1 }
        #expect(codes.count == want.count && bad.isEmpty, "codes differ at \(bad.prefix(5).map { "\($0.offset): \($0.element.0) vs \($0.element.1)" })")
        #expect(bitDiffs(absmax, floats(d.absmax)) == 0)
    }

    @Test func blockRangeDequantisationEqualsWholeTensor() throws {
        let c = cases.nf4.first { $0.name == "nested_tail_260x32_bs32" }!
        let t = try NF4.quantize(floats(c.input), shape: c.shape, blocksize: c.blocksize)
        let whole = try NF4.dequantize(t)
        var buf = [Float](repeating: .nan, count: 3 * t.blocksize)
        for start in stride(from: 0, to: t.blockCount, by: 3) {
            let r = start..<min(t.blockCount, start + 3)
            try buf.withUnsafeMutableBufferPointer { try NF4.dequantize(t, blocks: r, into: $0) }
            let lo = r.lowerBound * t.blocksize, hi = min(t.count, r.upperBound * t.blocksize)
            #expect(Array(buf[0..<(hi - lo)]) == Array(whole[lo..<hi]))
        }
    }

    @Test(arguments: cases.int8.map(\.name)) func int8MatchesBitsandbytes(_ name: String) throws {
        let c = cases.int8.first { $0.name == name }!
        let t = try Int8Rowwise.quantize(floats(c.input), shape: c.shape)
        #expect(t.codes.map { UInt8(bitPattern: $0) } == bytes(c.codes), "\(name): codes")
        #expect(bitDiffs(t.rowStats, floats(c.stats)) == 0, "\(name): row stats")
        #expect(bitDiffs(try Int8Rowwise.dequantize(t), floats(c.dequant)) == 0, "\(name): dequantised")
    }

    @Test func errorsSayWhatWasWrong() throws {
        #expect(throws: QuantizeError.self) { try NF4.quantize([1, 2], shape: [2], blocksize: 48) }
        #expect(throws: QuantizeError.self) { try NF4.quantize([1, 2, 3], shape: [2, 2]) }
        #expect(throws: QuantizeError.self) { try NF4.quantize([1, .nan], shape: [1, 2]) }
        #expect(throws: QuantizeError.self) { try Int8Rowwise.quantize([], shape: [0, 4]) }
        let t = try NF4.quantize([Float](repeating: 1, count: 128), shape: [2, 64])
        var small = [Float](repeating: 0, count: 10)
        #expect(throws: QuantizeError.self) { try small.withUnsafeMutableBufferPointer { try NF4.dequantize(t, blocks: 0..<1, into: $0) } }
        #expect(throws: QuantizeError.self) { try small.withUnsafeMutableBufferPointer { try NF4.dequantize(t, blocks: 1..<3, into: $0) } }
        do { _ = try NF4.quantize([1], shape: [1], blocksize: 100); Issue.record("no error") } catch let e as QuantizeError {
            #expect(e.description.contains("blocksize 100") && e.description.contains("64"))
        }
    }
}
