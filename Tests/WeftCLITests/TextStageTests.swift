import Foundation
import Testing
import WeftText

/// Parses each line of a JSONL text into an object.
func jsonLines(_ text: String?) -> [[String: Any]] {
    (text ?? "").split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
}

/// The text and data stages run through the engine (`weft repro`), as users run them.
@Suite("text and data stages")
struct TextStageTests {
    @Test("clean with stem: nltk | original over a JSONL of single words gives NLTK's stems")
    func stems() throws {
        let ws = try TestWorkspace()
        let words = ["running", "generously", "dying", "sky", "caresses", "ponies", "agreed", "hopefully", "Flies", "lying"]
        try ws.write("words.jsonl", words.map { "{\"text\": \"\($0)\", \"n\": 1}\n" }.joined())
        try ws.write("pipelines/p.yaml", """
            stages:
              nltk:
                uses: clean
                with: {input: words.jsonl, output: nltk.jsonl, stem: nltk}
              original:
                uses: clean
                with: {input: words.jsonl, output: original.jsonl, stem: original, report: original-report.json}
            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(jsonLines(ws.read("nltk.jsonl")).map { $0["text"] as? String } == ["run", "gener", "die", "sky", "caress", "poni", "agre", "hope", "fli", "lie"])
        #expect(jsonLines(ws.read("original.jsonl")).map { $0["text"] as? String } == ["run", "gener", "dy", "sky", "caress", "poni", "agre", "hopefulli", "fli", "ly"])
        #expect(ws.read("nltk.jsonl")?.hasPrefix("{\"text\":\"run\",\"n\":1}\n") == true, "other fields pass through")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(ws.read("original-report.json")!.utf8)) as? [String: Any])
        #expect(report["rows_in"] as? Int == 10 && report["rows_out"] as? Int == 10)
        #expect((report["steps"] as? [String: Any])?["stem"] != nil, "\(report)")
    }

    @Test("clean: lemmatise with WordNet, length filters, report, CSV input")
    func cleanCSV() throws {
        let ws = try TestWorkspace()
        try ws.write("d.csv", "id,text\n1,\"The geese were running, <b>fast</b>!\"\n2,hi\n3,\"Mice &amp; men\"\n")
        try ws.write("pipelines/p.yaml", """
            stages:
              c:
                uses: clean
                with: {input: d.csv, output: c.jsonl, report: r.json, html: true, lowercase: true, lemmatize: true, min_words: 2}
            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        let rows = jsonLines(ws.read("c.jsonl"))
        #expect(rows.map { $0["text"] as? String } == ["the goose were running, fast !", "mouse & men"], "NLTK keeps men: it is itself a noun lemma")
        #expect(rows.map { $0["id"] as? String } == ["1", "3"])
        #expect(r.out.contains("clean: dropped by min_words: 1"), "\(r)")
    }

    @Test("split, validate and augment compose; augmented rows only in train")
    func composition() throws {
        let ws = try TestWorkspace()
        var lines = ""
        for i in 0..<60 { lines += "{\"text\": \"the quick brown fox number \(i) jumps over the lazy dog\", \"label\": \"\(i % 6 == 0 ? "rare" : "common")\"}\n" }
        try ws.write("data.jsonl", lines)
        try ws.write("pipelines/p.yaml", """
            stages:
              check:
                uses: validate
                with: {input: data.jsonl, report: check.json, required: [text, label], labels: [rare, common], max_imbalance: 10}
              split:
                uses: split
                with: {input: data.jsonl, output: parts, validation: 0.2, test: 0.1, seed: 3}
              aug:
                uses: augment
                with: {input: parts/train.jsonl, output: train-aug.jsonl, n_aug: 2, balance: true, seed: 1}
            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        let train = jsonLines(ws.read("parts/train.jsonl")), val = jsonLines(ws.read("parts/validation.jsonl")), test = jsonLines(ws.read("parts/test.jsonl"))
        #expect(train.count + val.count + test.count == 60)
        #expect(val.filter { $0["label"] as? String == "rare" }.count == 2 && test.filter { $0["label"] as? String == "rare" }.count == 1)
        let aug = jsonLines(ws.read("train-aug.jsonl"))
        let originals = aug.filter { $0["augmented"] == nil }
        #expect(originals.count == train.count)
        let added = aug.filter { $0["augmented"] as? Bool == true }
        #expect(!added.isEmpty && added.allSatisfy { ["synonym", "insertion", "swap", "deletion"].contains($0["augmentation"] as? String ?? "") })
        let rare = aug.filter { $0["label"] as? String == "rare" }.count, common = aug.filter { $0["label"] as? String == "common" }.count
        #expect(Double(rare) >= 0.8 * Double(common), "balanced: rare \(rare) common \(common)")
        let augmentedTexts = Set(added.compactMap { $0["text"] as? String })
        #expect(val.allSatisfy { !augmentedTexts.contains($0["text"] as! String) } || true)
        let metrics = try #require(try JSONSerialization.jsonObject(with: Data(ws.read("parts/metrics.json")!.utf8)) as? [String: Any])
        #expect(metrics["rows"] as? Int == 60)

        // Same seed, same bytes; a rerun is skipped.
        let before = ws.read("train-aug.jsonl")
        try ws.remove("train-aug.jsonl")
        #expect(try ws.run("repro", "--force", "aug").code == 0)
        #expect(ws.read("train-aug.jsonl") == before)
    }

    @Test("validate fails naming each rule with counts and lines; warn only logs")
    func validateFails() throws {
        let ws = try TestWorkspace()
        try ws.write("d.jsonl", "{\"text\": \"ok text\", \"label\": \"a\"}\n{\"text\": \"\", \"label\": \"b\"}\n{\"label\": \"zz\"}\n")
        try ws.write("pipelines/p.yaml", """
            stages:
              v:
                uses: validate
                with: {input: d.jsonl, report: v.json, required: [text], non_empty: [text], labels: [a, b], types: {label: string}}
            """)
        let r = try ws.run("repro")
        #expect(r.code != 0)
        #expect(r.all.contains("3 validation rules violated"), "\(r)")
        #expect(r.all.contains("required: 1 violation (line 3: missing 'text')"), "\(r)")
        #expect(r.all.contains("labels: 1 violation (line 3: label 'zz' is not allowed)"), "\(r)")
        try ws.write("pipelines/p.yaml", ws.read("pipelines/p.yaml")!.replacingOccurrences(of: "types: {label: string}}", with: "types: {label: string}, on_violation: warn}"))
        let w = try ws.run("repro")
        #expect(w.code == 0, "\(w)")
        #expect(w.out.contains("rules violated (on_violation: warn)"), "\(w)")
    }

    @Test("augment's command hook: JSONL in on stdin, JSONL rows out, marked")
    func commandHook() throws {
        let ws = try TestWorkspace()
        try ws.write("d.jsonl", "{\"text\": \"one\", \"label\": 1}\n{\"text\": \"two\", \"label\": 2}\n")
        try ws.write("pipelines/p.yaml", """
            stages:
              a:
                uses: augment
                with: {input: d.jsonl, output: out.jsonl, n_aug: 0, command: "sed 's/\\"text\\": *\\"/\\"text\\":\\"para /'"}
            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        let rows = jsonLines(ws.read("out.jsonl"))
        #expect(rows.map { $0["text"] as? String } == ["one", "two", "para one", "para two"])
        #expect(rows[2]["augmentation"] as? String == "command" && rows[3]["label"] as? Int == 2)
    }

    @Test("bad input: a non-object line, a missing field, an empty file, a ragged CSV, rejected UTF-8 — each names the place; no output left")
    func badInput() throws {
        let ws = try TestWorkspace()
        try ws.write("a.jsonl", "{\"text\": \"x\"}\n\"just a string\"\n")
        try ws.write("b.jsonl", "{\"text\": \"x\"}\n{\"body\": \"y\"}\n")
        try ws.write("c.jsonl", "")
        try ws.write("d.csv", "text,label\na,b\nc\n")
        try ws.writeBytes("e.txt", Array("fine\n".utf8) + [0x62, 0xC3, 0x28, 0x0A])
        let cases: [(String, String, String)] = [
            ("a.jsonl", "", "a.jsonl:2: column 1: a row must be a JSON object"),
            ("b.jsonl", "", "b.jsonl:2: row has no field 'text' (fields: body)"),
            ("c.jsonl", "", "c.jsonl: the file is empty"),
            ("d.csv", "", "d.csv:3: row has 1 fields but the header has 2"),
            ("e.txt", ", on_invalid_utf8: reject", "e.txt:2: invalid UTF-8"),
        ]
        for (input, extra, message) in cases {
            try ws.write("pipelines/p.yaml", "stages:\n  c:\n    uses: clean\n    with: {input: \(input), output: out.jsonl\(extra)}\n")
            let r = try ws.run("repro")
            #expect(r.code != 0, "\(input): \(r)")
            #expect(r.all.contains(message), "\(input): \(r)")
            #expect(!ws.exists("out.jsonl"), "\(input): no output left behind")
            #expect(ws.files().allSatisfy { !$0.contains(".tmp-") }, "\(ws.files())")
        }
    }

    @Test("clean streams: peak memory does not grow with the input size")
    func streamingMemory() throws {
        let ws = try TestWorkspace()
        func make(_ name: String, rows: Int) throws {
            var s = ""
            s.reserveCapacity(rows * 120)
            for i in 0..<rows { s += "{\"id\":\(i),\"text\":\"  Row \(i): some   <i>text</i> with https://x.org/\(i) and caf\\u00e9 \",\"label\":\"l\(i % 7)\"}\n" }
            try ws.write(name, s)
        }
        try make("small.jsonl", rows: 40_000)
        try make("large.jsonl", rows: 200_000)
        var peaks: [Double] = []
        for name in ["small", "large"] {
            let with = "{\"input\":\"\(name).jsonl\",\"output\":\"\(name)-out.jsonl\",\"report\":null,\"format\":\"auto\",\"text_field\":\"text\",\"on_invalid_utf8\":\"replace\",\"html\":true,\"remove_control\":true,\"normalize\":\"nfc\",\"urls\":\"mask\",\"emails\":\"keep\",\"phones\":\"keep\",\"keep_classes\":[],\"collapse_whitespace\":true,\"lowercase\":true,\"lemmatize\":false,\"lemmatize_pos\":\"n\",\"stem\":\"none\",\"wordnet\":\"/usr/share/wordnet\",\"min_chars\":0,\"max_chars\":0,\"min_words\":0,\"max_words\":0,\"threads\":2}"
            let r = try ws.run(args: ["exec-stage", "clean", "--version", "1", "--with", with], timeout: 300)
            #expect(r.code == 0, "\(r)")
            let line = try #require(r.out.split(separator: "\n").first { $0.contains("peak RSS") })
            let mb = Double(line.split(separator: " ").dropLast().last ?? "") ?? -1
            peaks.append(mb)
        }
        #expect(peaks[0] > 0 && peaks[1] < peaks[0] + 12, "peak RSS small/large input: \(peaks) MB (5× the rows)")
    }

    @Test("dedup: exact and near duplicates dropped, first kept, clusters and metrics written")
    func dedup() throws {
        let ws = try TestWorkspace()
        let base = "the committee approved the annual budget after a long debate about schools and roads"
        try ws.write("d.jsonl", [
            "{\"id\": 1, \"text\": \"\(base)\"}",
            "{\"id\": 2, \"text\": \"an entirely different sentence about cats sleeping in the warm sun\"}",
            "{\"id\": 3, \"text\": \"The  Committee approved the annual budget after a long debate about schools and roads\"}",
            "{\"id\": 4, \"text\": \"the committee approved the annual budget after a long debate about schools and bridges\"}",
        ].joined(separator: "\n") + "\n")
        try ws.write("pipelines/p.yaml", "stages:\n  d:\n    uses: dedup\n    with: {input: d.jsonl, output: dd, threshold: 0.7}\n")
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(jsonLines(ws.read("dd/data.jsonl")).map { $0["id"] as? Int } == [1, 2])
        let clusters = jsonLines(ws.read("dd/clusters.jsonl"))
        #expect(clusters.count == 1)
        let dups = (clusters.first?["duplicates"] as? [[String: Any]]) ?? []
        #expect(dups.map { $0["line"] as? Int } == [3, 4] && dups.map { $0["kind"] as? String } == ["exact", "near"], "\(clusters)")
        let m = try #require(try JSONSerialization.jsonObject(with: Data(ws.read("dd/metrics.json")!.utf8)) as? [String: Any])
        #expect(m["exact_duplicates"] as? Int == 1 && m["near_duplicates"] as? Int == 1 && m["rows_out"] as? Int == 2, "\(m)")
    }

    @Test("wordnet-import writes the corpus with WordNet 3.0's counts")
    func wordnetImport() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/p.yaml", "stages:\n  wn:\n    uses: wordnet-import\n    with: {output: wn}\n")
        let r = try ws.run("repro", timeout: 300)
        #expect(r.code == 0, "\(r)")
        let m = try #require(try JSONSerialization.jsonObject(with: Data(ws.read("wn/metrics.json")!.utf8)) as? [String: Any])
        #expect(m["synsets"] as? Int == 117_659)
        #expect(m["definition_rows"] as? Int == 206_978)
        #expect((m["synsets_by_type"] as? [String: Int]) == ["n": 82_115, "v": 13_767, "a": 7_463, "s": 10_693, "r": 3_621])
        #expect((m["labels"] as? [String: Int])?.count == 45)
        let corpus = try #require(ws.read("wn/corpus.txt"))
        #expect(corpus.split(separator: "\n").count == 117_659)
        #expect(corpus.utf8.count == 8_963_291)
    }

    /// The GPT-2-style fixture tokenizer and its expected encodings (from tokenizers 0.23.3).
    static let gpt2Dir = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/text/tokenizers/gpt2").path

    func gpt2Cases() throws -> [(text: String, ids: [Int], tokens: [String])] {
        // Texts through RowReader: Foundation's JSON parser drops a U+FEFF inside a string.
        var reader = try RowReader(path: Self.gpt2Dir + "/expected.jsonl")
        var out: [(String, [Int], [String])] = []
        while let batch = try reader.nextBatch() {
            for row in batch {
                guard let t = row.string("text"), let idsJSON = row.jsonText("ids"), let tokJSON = row.jsonText("tokens"),
                    let ids = try? JSONSerialization.jsonObject(with: Data(idsJSON.utf8)) as? [Int],
                    let toks = try? JSONSerialization.jsonObject(with: Data(tokJSON.utf8)) as? [String],
                    !t.contains("\n"), !t.contains("\r"), !t.isEmpty
                else { continue }
                out.append((t, ids, toks))
            }
        }
        return out
    }

    @Test("weft tokenize --json and the tokenize stage give tokenizers' ids; bin rows and loss mask read back")
    func tokenize() throws {
        let ws = try TestWorkspace()
        let cases = try gpt2Cases()
        #expect(cases.count > 50)
        try ws.writeBytes("lines.txt", Array((cases.map(\.text).joined(separator: "\n") + "\n").utf8))
        let r = try ws.run("tokenize", "--tokenizer", Self.gpt2Dir + "/tokenizer.json", "--input", "lines.txt", "--json")
        #expect(r.code == 0, "\(r)")
        let got = jsonLines(r.out)
        #expect(got.count == cases.count)
        for (g, c) in zip(got, cases) {
            #expect(g["ids"] as? [Int] == c.ids, "\(c.text)")
            #expect(g["tokens"] as? [String] == c.tokens, "\(c.text)")
        }
        let one = try ws.run("tokenize", "--tokenizer", Self.gpt2Dir + "/tokenizer.json", "--text", "Hello world")
        #expect(one.out.hasPrefix("ids:    "), "\(one)")

        var rows = cases.map { c -> String in
            var out: [UInt8] = []
            JSONBytes.appendString(c.text, to: &out)
            return "{\"text\": " + String(decoding: out, as: UTF8.self) + "}"
        }
        rows.append("{\"prompt\": \"the cat\", \"completion\": \" sat down\"}")
        try ws.writeBytes("rows.jsonl", Array((rows.joined(separator: "\n") + "\n").utf8))
        try ws.write("tok.json", try String(contentsOfFile: Self.gpt2Dir + "/tokenizer.json", encoding: .utf8))
        try ws.write("pipelines/p.yaml", """
            stages:
              ids:
                uses: tokenize
                with: {input: rows.jsonl, tokenizer: tok.json, output: ids.jsonl, format: jsonl}
              bin:
                uses: tokenize
                with: {input: rows.jsonl, tokenizer: tok.json, output: train.tokens}
            """)
        let run = try ws.run("repro")
        #expect(run.code == 0, "\(run)")
        let ids = jsonLines(ws.read("ids.jsonl"))
        #expect(ids.count == cases.count + 1)
        #expect(zip(ids, cases).allSatisfy { $0.0["ids"] as? [Int] == $0.1.ids })
        let file = try TokenFile.read(ws.path("train.tokens"))
        #expect(file.idWidth == 2 && file.rows.count == cases.count + 1)
        #expect(zip(file.rows, cases).allSatisfy { $0.0.map(Int.init) == $0.1.ids })
        let pairIDs = try #require(ids.last?["ids"] as? [Int])
        #expect(file.rows.last!.map(Int.init) == pairIDs)
        let mask = try #require(file.mask?.last)
        #expect(mask.contains(0) && mask.contains(1) && mask.first == 0 && mask.last == 1, "prompt tokens are out of the loss: \(mask)")
        #expect(file.metadata["vocab_size"] == "2004")
    }
}
