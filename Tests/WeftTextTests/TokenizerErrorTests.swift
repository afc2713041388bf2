import Foundation
import Testing
@testable import WeftText

/// Bad tokenizer.json files: each is refused with a `TextError` that names the file, the
/// field and what is supported.
@Suite struct TokenizerErrorTests {
    static let bpeModel = #"{"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b"]}"#

    static func load(_ json: String, path: String = "bad/tokenizer.json") throws -> Tokenizer {
        try Tokenizer(json: Data(json.utf8), path: path)
    }

    static func error(_ json: String) -> TextError? {
        do {
            _ = try load(json)
            return nil
        } catch let e as TextError {
            return e
        } catch {
            Issue.record("not a TextError: \(error)")
            return nil
        }
    }

    @Test func invalidJSONNamesFileAndLine() {
        guard case let .data(path, line, message, _)? = Self.error("{\n  \"model\": {\n    \"type\": \"BPE\",\n  ") else {
            Issue.record("expected a data error")
            return
        }
        #expect(path == "bad/tokenizer.json")
        #expect(line == 4)
        #expect(message.contains("invalid JSON"))
    }

    @Test func missingFileIsAnIOError() {
        #expect(throws: TextError.self) { try Tokenizer(contentsOf: "/nonexistent/tokenizer.json") }
        do {
            _ = try Tokenizer(contentsOf: "/nonexistent/tokenizer.json")
        } catch let e as TextError {
            guard case .io(let p, _, _) = e else { Issue.record("expected .io, got \(e)"); return }
            #expect(p == "/nonexistent/tokenizer.json")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test(arguments: [
        (#"{"type": "Precompiled", "precompiled_charsmap": null}"#, "normalizer", "normalizer 'Precompiled'", "BertNormalizer"),
        (#"{"type": "UnicodeScripts"}"#, "pre_tokenizer", "pre-tokenizer 'UnicodeScripts'", "Metaspace"),
        (#"{"type": "CTC", "pad_token": "<pad>", "word_delimiter_token": "|", "cleanup": true}"#, "decoder", "decoder 'CTC'", "ByteFallback"),
        (#"{"type": "Fancy"}"#, "post_processor", "post-processor 'Fancy'", "TemplateProcessing"),
    ])
    func unsupportedComponentsAreNamed(component: String, field: String, what: String, listed: String) {
        let json = "{\"\(field)\": \(component), \"model\": \(Self.bpeModel)}"
        guard case let .unsupported(path, w, supported)? = Self.error(json) else {
            Issue.record("expected an unsupported error for \(field)")
            return
        }
        #expect(path == "bad/tokenizer.json")
        #expect(w == what)
        #expect(supported.contains(listed))
        #expect(TextError.unsupported(path: path, what: w, supported: supported).description.contains(what))
    }

    @Test func unsupportedModelIsNamed() {
        let json = #"{"model": {"type": "Unigram", "unk_id": 0, "vocab": [["a", 0.0]]}}"#
        guard case let .unsupported(_, what, supported)? = Self.error(json) else {
            Issue.record("expected an unsupported error")
            return
        }
        #expect(what == "model 'Unigram'")
        #expect(supported == ["BPE", "WordPiece"])
    }

    @Test func bpeDropoutIsRefused() {
        let json = #"{"model": {"type": "BPE", "dropout": 0.1, "vocab": {"a": 0}, "merges": []}}"#
        guard case .unsupported(_, let what, _)? = Self.error(json) else {
            Issue.record("expected an unsupported error")
            return
        }
        #expect(what.contains("dropout"))
    }

    @Test func fieldErrorsNameTheField() {
        let cases: [(String, String)] = [
            (#"{"normalizer": null}"#, "model"),
            (#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}"#, "model.merges"),
            (#"{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1}, "merges": ["a b c"]}}"#, "model.merges[0]"),
            (#"{"model": {"type": "BPE", "vocab": {"a": -1}, "merges": []}}"#, "model.vocab"),
            (#"{"version": "2.0", "model": {"type": "BPE", "vocab": {}, "merges": []}}"#, "version"),
            ("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"Regex\": \"(\"}, \"behavior\": \"Isolated\", \"invert\": false}, \"model\": \(Self.bpeModel)}", "pre_tokenizer.pattern"),
            ("{\"pre_tokenizer\": {\"type\": \"Split\", \"pattern\": {\"String\": \"x\"}, \"behavior\": \"Sideways\", \"invert\": false}, \"model\": \(Self.bpeModel)}", "pre_tokenizer.behavior"),
            ("{\"post_processor\": {\"type\": \"TemplateProcessing\", \"single\": [{\"SpecialToken\": {\"id\": \"[CLS]\", \"type_id\": 0}}], \"pair\": [], \"special_tokens\": {}}, \"model\": \(Self.bpeModel)}", "post_processor.single[0]"),
            ("[1, 2]", "the top level"),
        ]
        for (json, key) in cases {
            guard case let .data(path, _, message, hint)? = Self.error(json) else {
                Issue.record("expected a data error for \(key)")
                continue
            }
            #expect(path == "bad/tokenizer.json")
            #expect(message.hasPrefix(key), "\(message)")
            #expect(!hint.isEmpty)
        }
    }

    @Test func minimalFilesLoadAndEncode() throws {
        let tok = try Self.load("{\"model\": \(Self.bpeModel)}")
        #expect(tok.encode("abba").ids == [2, 1, 0])
        #expect(tok.encode("").ids.isEmpty)
        #expect(tok.vocabSize == 3)
        #expect(tok.decode([2, 1]) == "ab b")
        let wp = try Self.load(###"{"model": {"type": "WordPiece", "unk_token": "[UNK]", "vocab": {"[UNK]": 0, "un": 1, "##aff": 2, "##able": 3}}}"###)
        #expect(wp.encode("unaffable").ids == [1, 2, 3])
        #expect(wp.encode("unknown").tokens == ["[UNK]"])
    }

    @Test func settingsCanBeReplaced() throws {
        let tok = try Self.load("{\"padding\": {\"strategy\": {\"Fixed\": 6}, \"direction\": \"Left\", \"pad_id\": 9, \"pad_type_id\": 0, \"pad_token\": \"<pad>\"}, \"truncation\": {\"max_length\": 2, \"strategy\": \"LongestFirst\", \"stride\": 0, \"direction\": \"Right\"}, \"model\": \(Self.bpeModel)}")
        let e = tok.encode("abababa")
        #expect(e.ids == [9, 9, 9, 9, 2, 2])
        #expect(e.attentionMask == [0, 0, 0, 0, 1, 1])
        #expect(e.tokens == ["<pad>", "<pad>", "<pad>", "<pad>", "ab", "ab"])
        #expect(tok.encodeBatch(["abababa", "b"], threads: 2) == [[9, 9, 9, 9, 2, 2], [9, 9, 9, 9, 9, 1]])
        let plain = tok.with(truncation: nil, padding: nil)
        #expect(plain.encode("abababa").ids == [2, 2, 2, 0])
    }

    /// The packed class tables decode to exactly the reference's ranges.
    @Test func classTablesMatchReference() throws {
        let digests = try TokenizerFixtures.json("unicode_digests.json") as! [String: [String: Any]]
        let table = UnicodeClasses.table
        var checked = 0
        for (name, d) in digests where name.hasPrefix("class_") {
            let bit = UInt32(1) << UInt32((d["bit"] as! NSNumber).intValue)
            var h: UInt64 = 0xCBF2_9CE4_8422_2325
            var count = 0
            var start = -1
            for cp in 0...0x110000 {
                let on = cp < 0x110000 && table.classes(UInt32(cp)) & bit != 0
                if on && start < 0 { start = cp }
                if !on && start >= 0 {
                    var bytes = withUnsafeBytes(of: UInt32(start).littleEndian) { Array($0) }
                    bytes += withUnsafeBytes(of: UInt32(cp).littleEndian) { Array($0) }
                    h = TokenizerComponentTests.fnv(bytes, h)
                    count += 1
                    start = -1
                }
            }
            let hex = String(h, radix: 16)
            #expect(count == (d["count"] as! NSNumber).intValue, "\(name)")
            #expect(String(repeating: "0", count: 16 - hex.count) + hex == d["fnv"] as! String, "\(name)")
            checked += 1
        }
        #expect(checked == 19)
    }
}
