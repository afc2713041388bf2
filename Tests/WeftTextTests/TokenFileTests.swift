import Foundation
import Testing
@testable import WeftText

@Suite("token files and SFT rendering")
struct TokenFileTests {
    @Test("token files round-trip ids, offsets, masks and metadata at both id widths")
    func roundTrip() throws {
        let d = try TextTempDir()
        for (vocab, width) in [(50_000, 2), (128_256, 4)] {
            let path = d.path + "/t\(vocab).tokens"
            let w = try TokenFile.Writer(path: path, vocabSize: vocab, withMask: true)
            let rows: [[UInt32]] = [[1, 2, 3], [], [UInt32(vocab - 1), 0], Array(0..<1000).map { UInt32($0 * 7 % vocab) }]
            for (i, r) in rows.enumerated() { try w.append(r, mask: r.map { UInt8(($0 + UInt32(i)) % 2) }) }
            try w.finish(metadata: ["tokenizer": "x.json"])
            let f = try TokenFile.read(path)
            #expect(f.idWidth == width)
            #expect(f.rows == rows)
            #expect(f.mask! == rows.enumerated().map { i, r in r.map { UInt8(($0 + UInt32(i)) % 2) } })
            #expect(f.metadata["tokenizer"] == "x.json" && f.metadata["rows"] == "4")
            #expect(try FileManager.default.contentsOfDirectory(atPath: d.path).allSatisfy { !$0.hasPrefix(".") }, "no side files left")
        }
        _ = try d.write("bad.tokens", "not a token file at all, but long enough to have a header........")
        #expect(throws: TextError.self) { _ = try TokenFile.read(d.path + "/bad.tokens") }
    }

    @Test("chat rows render as ChatML with only assistant turns in the loss; pairs and plain rows too")
    func sft() throws {
        let d = try TextTempDir()
        let p = try d.write("sft.jsonl", """
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "\u{FEFF}Hi"}, {"role": "assistant", "content": "Hello."}]}
            {"prompt": "2+2=", "completion": "4"}
            {"text": "plain"}
            """)
        let rows = try readAllRows(p)
        let chat = SFTRenderer(template: .chatml, trainOnInputs: false, textField: "text")
        let (k0, s0) = try chat.segments(rows[0], path: p)
        #expect(k0 == .chat)
        #expect(s0.map(\.0).joined() == "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\n\u{FEFF}Hi<|im_end|>\n<|im_start|>assistant\nHello.<|im_end|>\n")
        #expect(s0.filter(\.1).map(\.0) == ["Hello.<|im_end|>"])
        let (k1, s1) = try SFTRenderer(template: .none, trainOnInputs: false, textField: "text").segments(rows[1], path: p)
        #expect(k1 == .pair && s1.map(\.0) == ["2+2=", "4"] && s1.map(\.1) == [false, true])
        let (k2, s2) = try chat.segments(rows[2], path: p)
        #expect(k2 == .plain && s2.map(\.0) == ["plain"])
        #expect {
            _ = try SFTRenderer(template: .none, trainOnInputs: false, textField: "text").segments(rows[0], path: p)
        } throws: { e in "\(e)".contains("sft.jsonl:1: a chat row ('messages') needs a chat template") }
    }
}
