import Foundation
import Testing
@testable import WeftText

/// A temporary folder removed when the value goes away.
final class TextTempDir {
    let path: String
    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("weft-text-" + UUID().uuidString.prefix(13).lowercased()).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    func write(_ name: String, _ bytes: [UInt8]) throws -> String {
        let p = path + "/" + name
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }
    func write(_ name: String, _ text: String) throws -> String { try write(name, Array(text.utf8)) }
    func read(_ name: String) -> String? { try? String(contentsOfFile: path + "/" + name, encoding: .utf8) }
}

/// Reads every row of a file (small test files only).
func readAllRows(_ path: String, _ options: RowReader.Options = .init()) throws -> [Row] {
    var r = try RowReader(path: path, options: options)
    var rows: [Row] = []
    while let b = try r.nextBatch(maxBytes: 64) { rows += b }
    return rows
}

@Suite("row files")
struct RowFileTests {
    @Test("JSONL rows keep every other field byte for byte when the text changes")
    func jsonlPassThrough() throws {
        let d = try TextTempDir()
        let line = #"{"id": 7, "text": "caf\u00e9 \"q\"", "meta": {"a": [1, 2.50e3]}, "ok": true, "n": null}"#
        let p = try d.write("a.jsonl", line + "\n\n")
        let rows = try readAllRows(p)
        #expect(rows.count == 1)
        var row = rows[0]
        #expect(row.line == 1)
        #expect(row.string("text") == "café \"q\"")
        #expect(row.kind("meta") == .object && row.kind("ok") == .bool && row.kind("n") == .null && row.kind("id") == .number)
        #expect(row.scalarText("id") == "7")
        row.set("text", "new\ttext")
        #expect(row.json == #"{"id":7,"text":"new\ttext","meta":{"a": [1, 2.50e3]},"ok":true,"n":null}"#)
    }

    @Test("a line that is not an object is reported with file, line and column")
    func notAnObject() throws {
        let d = try TextTempDir()
        let p = try d.write("b.jsonl", "{\"text\": \"a\"}\n[1, 2]\n")
        #expect {
            _ = try readAllRows(p)
        } throws: { e in
            "\(e)".contains("b.jsonl:2: column 1") && "\(e)".contains("JSON object")
        }
        let q = try d.write("c.jsonl", "{\"text\": \"a\",}\n")
        #expect(throws: TextError.self) { _ = try readAllRows(q) }
    }

    @Test("invalid UTF-8 is replaced and counted, or rejected with the line")
    func invalidUTF8() throws {
        let d = try TextTempDir()
        let p = try d.write("u.txt", Array("ok\n".utf8) + [0x61, 0xFF, 0x62, 0x0A] + Array("last".utf8))
        var r = try RowReader(path: p)
        let rows = try r.nextBatch()!
        #expect(rows.map { $0.string("text")! } == ["ok", "a\u{FFFD}b", "last"])
        #expect(r.invalidUTF8Lines == 1)
        #expect {
            _ = try readAllRows(p, .init(invalidUTF8: .reject))
        } throws: { e in "\(e)".contains("u.txt:2: invalid UTF-8") }
        #expect(!UTF8Check.isValid([0xED, 0xA0, 0x80]))  // a surrogate
        #expect(!UTF8Check.isValid([0xC0, 0xAF]))  // overlong
        #expect(UTF8Check.isValid(Array("ascii and ünïcödé 🎉 ok".utf8)))
    }

    @Test("CSV: header, quoted fields with commas, quotes and line breaks; ragged rows fail")
    func csv() throws {
        let d = try TextTempDir()
        let p = try d.write("d.csv", "text,label\r\n\"a, b\",x\n\"say \"\"hi\"\"\nthere\",y\nplain,z")
        let rows = try readAllRows(p)
        #expect(rows.map { $0.string("text")! } == ["a, b", "say \"hi\"\nthere", "plain"])
        #expect(rows.map(\.line) == [2, 3, 5])
        #expect(rows[2].json == #"{"text":"plain","label":"z"}"#)
        let q = try d.write("e.csv", "text,label\na,b\nc\n")
        #expect {
            _ = try readAllRows(q)
        } throws: { e in "\(e)".contains("e.csv:3: row has 1 fields but the header has 2") }
    }

    @Test("an empty file and a header-only CSV are errors that name the file")
    func empty() throws {
        let d = try TextTempDir()
        let p = try d.write("empty.jsonl", "")
        #expect { _ = try readAllRows(p) } throws: { e in "\(e)".contains("empty.jsonl: the file is empty") }
        let q = try d.write("h.csv", "text,label\n")
        #expect { _ = try readAllRows(q) } throws: { e in "\(e)".contains("header but no rows") }
    }

    @Test("batches split a large file without losing or repeating rows")
    func batches() throws {
        let d = try TextTempDir()
        var text = ""
        for i in 0..<5000 { text += "{\"i\":\(i),\"text\":\"row \(i) " + String(repeating: "x", count: i % 300) + "\"}\n" }
        let p = try d.write("big.jsonl", text)
        var r = try RowReader(path: p)
        var seen: [Int] = []
        var batches = 0
        while let b = try r.nextBatch(maxBytes: 10_000) {
            batches += 1
            seen += b.map { Int($0.scalarText("i")!)! }
        }
        #expect(seen == Array(0..<5000))
        #expect(batches > 50)
    }

    @Test("AtomicWriter leaves nothing behind unless committed")
    func atomic() throws {
        let d = try TextTempDir()
        do {
            let w = try AtomicWriter(path: d.path + "/out/x.jsonl")
            try w.write("partial")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.path + "/out").isEmpty)
        let w = try AtomicWriter(path: d.path + "/out/x.jsonl")
        try w.write(row: Row(fields: [("text", "a\"b")]))
        try w.commit()
        #expect(d.read("out/x.jsonl") == "{\"text\":\"a\\\"b\"}\n")
    }
}
