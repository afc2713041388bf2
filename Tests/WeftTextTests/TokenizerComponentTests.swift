import Foundation
import Testing
@testable import WeftText

/// Normalizers, pre-tokenizers and Unicode tables checked on their own against the
/// reference (`normalize_str`, `pre_tokenize_str`, per-code-point digests).
@Suite struct TokenizerComponentTests {
    static func components() throws -> [String: Any] {
        try TokenizerFixtures.json("components.json") as! [String: Any]
    }

    static func jsonBytes(_ v: Any) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: v))
    }

    @Test func normalizersMatchReference() throws {
        let c = try Self.components()
        let strings = c["strings"] as! [String]
        let loader = TokenizerLoader(path: "components.json")
        let cases = c["normalizers"] as! [[String: Any]]
        #expect(cases.count >= 20)
        for item in cases {
            let n = try loader.normalizer(json: try Self.jsonBytes(item["json"]!))
            let want = item["out"] as! [String]
            var failures = 0
            for (s, w) in zip(strings, want) where failures < 3 {
                let got = n.normalize(s)
                if !got.utf8.elementsEqual(w.utf8) {
                    failures += 1
                    Issue.record("\(item["json"]!) on \(s.debugDescription): \(got.debugDescription) != \(w.debugDescription)")
                }
            }
        }
    }

    @Test func preTokenizersMatchReference() throws {
        let c = try Self.components()
        let strings = c["strings"] as! [String]
        let loader = TokenizerLoader(path: "components.json")
        let cases = c["pre_tokenizers"] as! [[String: Any]]
        #expect(cases.count >= 30)
        for item in cases {
            let p = try loader.preTokenizer(json: try Self.jsonBytes(item["json"]!))
            let want = item["out"] as! [[String]]
            var failures = 0
            for (s, w) in zip(strings, want) where failures < 3 {
                let got = p.pieces(s)
                if bytesOf(got) != bytesOf(w) {
                    failures += 1
                    Issue.record("\(item["json"]!) on \(s.debugDescription):\n  \(got)\n  \(w)")
                }
            }
        }
    }

    /// FNV-1a 64, as the fixture script computes it.
    static func fnv(_ bytes: [UInt8], _ h0: UInt64) -> UInt64 {
        var h = h0
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
        return h
    }

    /// Every code point through NFD, NFKD, NFC, NFKC and Lowercase, compared by digests
    /// per block of 4096 code points with the reference's results.
    @Test func unicodeTablesMatchReferenceForEveryCodePoint() throws {
        let digests = try TokenizerFixtures.json("unicode_digests.json") as! [String: [String: Any]]
        let scalars = (0..<UInt32(0x110000)).filter { !(0xD800...0xDFFF).contains($0) }
        var interleaved: [UInt32] = []
        interleaved.reserveCapacity(scalars.count * 2)
        for v in scalars { interleaved.append(v == 1 ? 0x7A : v); interleaved.append(1) }
        func perScalar(_ f: (UInt32) -> [UInt32]) -> [[UInt32]] { scalars.map(f) }
        func split(_ out: [UInt32]) -> [[UInt32]] {
            var r = out.split(separator: 1, omittingEmptySubsequences: false).map(Array.init)
            r.removeLast()
            return r
        }
        var results: [String: [[UInt32]]] = [:]
        for (name, form) in [("nfd", UnicodeForms.Form.nfd), ("nfkd", .nfkd), ("nfc", .nfc), ("nfkc", .nfkc)] {
            var r = split(UnicodeForms.normalize(interleaved, form))
            r[1] = UnicodeForms.normalize([1], form)  // the separator itself
            results[name] = r
        }
        // Combining classes: U+0334 (class 1) around each code point.
        var wrapped: [UInt32] = []
        for v in scalars { wrapped += v == 1 ? [0x7A] : [0x334, v, 0x334]; wrapped.append(1) }
        let reordered = split(UnicodeForms.normalize(wrapped, .nfd))
        results["nfd_ccc"] = scalars.enumerated().map { k, v in
            v == 1 || reordered[k] == [0x334, v, 0x334] ? [v] : reordered[k]
        }
        results["lowercase"] = perScalar { v in
            var o: [UInt32] = []
            UnicodeForms.appendLowercase(v, to: &o)
            return o
        }
        for (name, mapped) in results {
            #expect(mapped.count == scalars.count, "\(name)")
            var blocks: [Int: UInt64] = [:]
            var count = 0
            for (k, v) in scalars.enumerated() where mapped[k] != [v] {
                count += 1
                var bytes: [UInt8] = withUnsafeBytes(of: v.littleEndian) { Array($0) }
                for m in mapped[k] { UTF8Scalar.append(m, to: &bytes) }
                bytes.append(0xFF)
                let blk = Int(v >> 12)
                blocks[blk] = Self.fnv(bytes, blocks[blk] ?? 0xCBF2_9CE4_8422_2325)
            }
            let want = digests[name]!
            #expect(count == (want["count"] as! NSNumber).intValue, "\(name): number of changed code points")
            let wantBlocks = want["blocks"] as! [String: String]
            for (blk, h) in blocks {
                let hex = String(h, radix: 16)
                let padded = String(repeating: "0", count: 16 - hex.count) + hex
                #expect(wantBlocks[String(blk)] == padded, "\(name): block U+\(String(blk << 12, radix: 16)) differs")
            }
            #expect(blocks.count == wantBlocks.count, "\(name): blocks with changes")
        }
    }

    @Test func knownRegexPatternsAreRecognised() throws {
        for src in [KnownSplitPattern.gpt2Source, KnownSplitPattern.cl100kSource, KnownSplitPattern.qwen2Source,
                    KnownSplitPattern.o200kSource] {
            #expect(try RegexPattern(src).known != nil)
        }
        #expect(try RegexPattern("[aeiou]+").known == nil)
    }
}
