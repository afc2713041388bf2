import Foundation
import Testing

@testable import WeftText

/// GPT-2 byte-level mapping and pre-tokenisation against Hugging Face `tokenizers` 0.23.3
/// (fixtures from Tests/Fixtures/make_text_bpe.py).
@Suite struct ByteLevelTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/text/bpe")

    @Test func byteMappingIsGPT2s() {
        #expect(ByteLevel.byteToScalar.count == 256)
        #expect(Set(ByteLevel.byteToScalar).count == 256)
        #expect(ByteLevel.byteToScalar[0x20] == "Ġ")
        #expect(ByteLevel.byteToScalar[0x0A] == "Ċ")
        #expect(ByteLevel.byteToScalar[0x09] == "ĉ")
        #expect(ByteLevel.byteToScalar[0x00] == "Ā")
        #expect(ByteLevel.byteToScalar[0x41] == "A")
        #expect(ByteLevel.byteToScalar[0xA0] == "ł")
        #expect(ByteLevel.byteToScalar[0xAD] == "Ń")
        #expect(ByteLevel.byteToScalar[0xFF] == "ÿ")
        for b in 0..<256 {
            #expect(ByteLevel.byte(forScalar: ByteLevel.byteToScalar[b].value) == UInt8(b))
            #expect(ByteLevel.byteToUTF8[b] == Array(String(ByteLevel.byteToScalar[b]).utf8))
        }
        #expect(ByteLevel.byte(forScalar: 0x20) == nil)
        #expect(ByteLevel.byte(forScalar: 324) == nil)
        #expect(ByteLevel.byte(forScalar: 0x1F600) == nil)
        #expect(ByteLevel.alphabet.first == "!")
        #expect(ByteLevel.alphabet.last == "Ń")
        #expect(ByteLevel.decode(ByteLevel.encode(Array("héllo 😀".utf8))) == Array("héllo 😀".utf8))
    }

    @Test func splitMatchesTokenizers() throws {
        struct Case: Decodable { var text: String; var pieces: [String] }
        struct File: Decodable { var cases: [Case] }
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("splits.json"))
        let file = try JSONDecoder().decode(File.self, from: data)
        #expect(file.cases.count > 300)
        for c in file.cases {
            var bytes = Array(c.text.utf8)
            var got: [String] = []
            bytes.withUnsafeMutableBufferPointer { m in
                let buf = UnsafeBufferPointer(m)
                ByteLevel.splitGPT2(buf) { r in got.append(ByteLevel.encode(buf[r])) }
            }
            #expect(got == c.pieces, "text: \(c.text.debugDescription)")
        }
    }

    /// Every code point's class equals the reference engine's, by splitting "a"+c+"a" etc.
    /// the way the fixture script asked `tokenizers`.
    @Test func characterClassesMatchTokenizersForAllOfUnicode() throws {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent("hf_char_classes.txt"), encoding: .utf8)
        var expected = [ByteLevel.CharClass](repeating: .other, count: 0x110000)
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            let f = line.split(separator: " ")
            let cls: ByteLevel.CharClass = f[2] == "L" ? .letter : f[2] == "N" ? .number : .space
            for v in Int(f[0], radix: 16)!...Int(f[1], radix: 16)! { expected[v] = cls }
        }
        var mismatches: [String] = []
        var buf = [UInt8](repeating: 0, count: 4)
        for v in 0..<0x110000 {
            guard let s = Unicode.Scalar(UInt32(v)) else { continue }
            var k = 0
            for b in String(s).utf8 { buf[k] = b; k += 1 }
            let got = buf.withUnsafeBufferPointer { ByteLevel.CharClass.at(UnsafeBufferPointer(rebasing: $0[0..<k]), 0) }
            if got.0 != expected[v] || got.1 != k { mismatches.append(String(v, radix: 16)) }
        }
        #expect(mismatches.isEmpty, "code points classified differently: \(mismatches.prefix(20))")
    }

    @Test func invalidUTF8SplitsWithoutGaps() {
        let inputs: [[UInt8]] = [
            [0xFF, 0x41, 0x80, 0x20, 0xC3], [0xE2, 0x82], [0xF0, 0x9F, 0x98], [0xED, 0xA0, 0x80, 0x61],
            [0x20, 0xC0, 0xAF, 0x20, 0x20], [0x27, 0xF4, 0x90, 0x80, 0x80], [0xC3, 0xA9, 0xFE],
        ]
        for bytes in inputs {
            var covered = 0
            bytes.withUnsafeBufferPointer { buf in
                ByteLevel.splitGPT2(buf) { r in
                    #expect(r.lowerBound == covered && !r.isEmpty)
                    covered = r.upperBound
                }
            }
            #expect(covered == bytes.count)
        }
    }
}
