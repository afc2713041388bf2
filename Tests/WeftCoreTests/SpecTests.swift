import Foundation
import Testing
@testable import WeftCore

/// Reading YAML/JSON, values, `${...}` templating, suggestions and relative paths.
@Suite("spec: documents, values, templating")
struct SpecTests {
    @Test("plain scalars resolve by YAML 1.2 core-schema rules")
    func yaml12Scalars() throws {
        let doc = try DocumentLoader.parse("""
            a: yes
            b: no
            c: on
            d: true
            e: 1.0
            f: "1"
            g: 1
            h: 0x1F
            i: 1e3
            j: ~
            k: null
            l: .inf
            m: '2.5'
            n: -7
            o: 1_000
            p: False

            """, file: "t.yaml")
        let v = doc.value
        #expect(v["a"] == .string("yes"))
        #expect(v["b"] == .string("no"))
        #expect(v["c"] == .string("on"))
        #expect(v["d"] == .bool(true))
        guard case .double(let e)? = v["e"] else { Issue.record("1.0 is not a double: \(String(describing: v["e"]))"); return }
        #expect(e == 1.0)
        guard case .string("1")? = v["f"] else { Issue.record("quoted \"1\" must stay a string"); return }
        guard case .int(1)? = v["g"] else { Issue.record("1 must be an int"); return }
        #expect(v["h"] == .int(31))
        guard case .double(1000)? = v["i"] else { Issue.record("1e3 must be a double"); return }
        #expect(v["j"] == .null)
        #expect(v["k"] == .null)
        #expect(v["l"] == .double(.infinity))
        guard case .string("2.5")? = v["m"] else { Issue.record("single-quoted stays a string"); return }
        #expect(v["n"] == .int(-7))
        #expect(v["o"] == .string("1_000"), "YAML 1.2 has no digit separators")
        #expect(v["p"] == .bool(false))
        #expect(doc["f"]?.quoted == true)
        #expect(doc["g"]?.quoted == false)
    }

    @Test("resolvePlain agrees with the core schema on edge cases")
    func resolvePlain() {
        #expect(DocumentLoader.resolvePlain("") == .null)
        #expect(DocumentLoader.resolvePlain("Null") == .null)
        #expect(DocumentLoader.resolvePlain("+12") == .int(12))
        #expect(DocumentLoader.resolvePlain(".5") == .double(0.5))
        #expect(DocumentLoader.resolvePlain("1.") == .double(1))
        #expect(DocumentLoader.resolvePlain("1.2.3") == .string("1.2.3"))
        #expect(DocumentLoader.resolvePlain("0o17") == .int(15))
        #expect(DocumentLoader.resolvePlain("1e") == .string("1e"))
        #expect(DocumentLoader.resolvePlain("-") == .string("-"))
        #expect(DocumentLoader.resolvePlain("Yes") == .string("Yes"))
        if case .double(let d) = DocumentLoader.resolvePlain(".NaN") { #expect(d.isNaN) } else { Issue.record(".NaN") }
    }

    @Test("JSON parses to the same tree as YAML, keeping key order")
    func jsonSameAsYAML() throws {
        let y = try DocumentLoader.parse("stages:\n  b:\n    cmd: x\n    n: 1.5\n  a:\n    cmd: [p, q]\n", file: "y.yaml").value
        let j = try DocumentLoader.parse("{\"stages\": {\"b\": {\"cmd\": \"x\", \"n\": 1.5}, \"a\": {\"cmd\": [\"p\", \"q\"]}}}", file: "j.json").value
        #expect(y == j)
        guard case .dict(let stages)? = j["stages"] else { Issue.record("no stages"); return }
        #expect(stages.map(\.0) == ["b", "a"])
    }

    @Test("a duplicate key is an error at the second key's position")
    func duplicateKey() {
        let m = message { _ = try DocumentLoader.parse("a: 1\nb:\n  c: 1\n  c: 2\n", file: "d.yaml") }
        #expect(m?.contains("d.yaml:4:3") == true, "\(m ?? "no error")")
        #expect(m?.contains("duplicate key 'c'") == true)
    }

    @Test("syntax errors carry file:line:column and the parser's message")
    func syntaxError() {
        let m = message { _ = try DocumentLoader.parse("a:\n  b: [1, 2\n  c: 3\n", file: "s.yaml") }
        #expect(m?.hasPrefix("s.yaml:3:") == true, "\(m ?? "no error")")
        #expect(m?.contains("syntax error") == true)
        #expect(m?.contains("did not find expected") == true)
    }

    @Test("node positions are 1-based line and column")
    func positions() throws {
        let doc = try DocumentLoader.parse("top:\n  inner:\n    - x\n    - y\n", file: "p.yaml")
        let inner = try #require(doc["top"]?.entries?.first)
        #expect(inner.key == "inner")
        #expect(inner.keyLoc.description == "p.yaml:2:3")
        let y = try #require(inner.value.items?[1])
        #expect(y.loc.line == 4 && y.loc.column == 7)
    }

    @Test("an empty document is an empty mapping")
    func emptyDocument() throws {
        let doc = try DocumentLoader.parse("", file: "e.yaml")
        #expect(doc.value == .dict([]))
        let comments = try DocumentLoader.parse("# only a comment\n", file: "e.yaml")
        #expect(comments.entries?.isEmpty == true)
    }

    @Test("Value.lookup follows dotted and indexed paths")
    func lookup() throws {
        let v = try DocumentLoader.parse("a:\n  b: [10, 20, {c: deep}]\n  'x.y': no\nlist: [[1, 2], [3]]\n", file: "v.yaml").value
        #expect(v.lookup("a.b[0]") == .int(10))
        #expect(v.lookup("a.b[1]") == .int(20))
        #expect(v.lookup("a.b[2].c") == .string("deep"))
        #expect(v.lookup("list[1][0]") == .int(3))
        #expect(v.lookup("a.b[3]") == nil)
        #expect(v.lookup("a.b[-1]") == nil)
        #expect(v.lookup("a.missing") == nil)
        #expect(v.lookup("a.b.c") == nil, "a list has no keys")
        #expect(v.lookup("a")?.lookup("b[2]") == .dict([("c", .string("deep"))]))
    }

    @Test("Value equality, canonical JSON and display forms")
    func valueForms() {
        #expect(Value.int(1) == .double(1.0))
        #expect(Value.string("1") != .int(1))
        #expect(Value.dict([("a", .int(1)), ("b", .int(2))]) == .dict([("b", .int(2)), ("a", .int(1))]))
        let v = Value.dict([("z", .list([.bool(true), .null])), ("a", .string("q\"\n\u{1}"))])
        #expect(v.canonicalJSON == "{\"a\":\"q\\\"\\n\\u0001\",\"z\":[true,null]}")
        #expect(v.orderedJSON == "{\"z\":[true,null],\"a\":\"q\\\"\\n\\u0001\"}")
        #expect(Value.bool(false).interpolationText == "false")
        #expect(Value.double(0.1).interpolationText == "0.1")
        #expect(Value.list([]).interpolationText == nil)
        #expect(Value.string("").display == "''")
        #expect(Value.double(.infinity).canonicalJSON == "\".inf\"")
    }

    @Test("a lone ${x} keeps x's type; inside text it becomes text")
    func interpolationTypes() throws {
        let ctx = try DocumentLoader.parse("train: {epochs: 3, lr: 0.1, layers: [8, 16], on: true}\nname: run\n", file: "p.yaml").value
        let i = Interpolator(context: ctx)
        let loc = SourceLoc(file: "x.yaml", line: 5, column: 7)
        #expect(try i.substitute("${train.epochs}", at: loc).value == .int(3))
        #expect(try i.substitute("${train.layers}", at: loc).value == .list([.int(8), .int(16)]))
        #expect(try i.substitute("${ train.lr }", at: loc).value == .double(0.1))
        #expect(try i.substitute("lr=${train.lr} n=${name}", at: loc).value == .string("lr=0.1 n=run"))
        #expect(try i.substitute("${train.layers[1]}x", at: loc).value == .string("16x"))
        #expect(try i.substitute("${train.on}", at: loc).value == .bool(true))
        #expect(try i.substitute("flag=${train.on}", at: loc).value == .string("flag=true"))
    }

    @Test("\\${ is a literal ${")
    func interpolationEscape() throws {
        let i = Interpolator(context: .dict([("a", .int(1))]))
        let loc = SourceLoc(file: "x.yaml", line: 1, column: 1)
        #expect(try i.substitute("\\${a} and ${a}", at: loc).value == .string("${a} and 1"))
        #expect(try i.substitute("cost: \\${HOME}", at: loc).value == .string("cost: ${HOME}"))
    }

    @Test("interpolation errors: unknown, unterminated, empty, a list inside text")
    func interpolationErrors() {
        let i = Interpolator(context: .dict([("train", .dict([("lr", .double(0.1)), ("layers", .list([.int(1)]))]))]))
        let loc = SourceLoc(file: "x.yaml", line: 3, column: 10)
        let unknown = message { _ = try i.substitute("${trian.lr}", at: loc) }
        #expect(unknown?.contains("x.yaml:3:10") == true, "\(unknown ?? "")")
        #expect(unknown?.contains("unknown variable '${trian.lr}'") == true)
        #expect(unknown?.contains("did you mean '${train.lr}'") == true, "\(unknown ?? "")")
        let open = message { _ = try i.substitute("a ${train.lr", at: loc) }
        #expect(open?.contains("unterminated") == true, "\(open ?? "")")
        let empty = message { _ = try i.substitute("a ${ }", at: loc) }
        #expect(empty?.contains("empty '${}'") == true, "\(empty ?? "")")
        let list = message { _ = try i.substitute("n=${train.layers}", at: loc) }
        #expect(list?.contains("is a list and cannot be placed inside the string") == true, "\(list ?? "")")
    }

    @Test("apply substitutes through a whole tree, keys included, keeping positions")
    func interpolationTree() throws {
        let node = try DocumentLoader.parse("cmd: run ${m}\nouts:\n  - ${m}.bin\n${m}_key: ${n}\n", file: "t.yaml")
        let out = try Interpolator(context: .dict([("m", .string("bert")), ("n", .int(2))])).apply(node)
        #expect(out.value == .dict([("cmd", .string("run bert")), ("outs", .list([.string("bert.bin")])), ("bert_key", .int(2))]))
        #expect(out["cmd"]?.loc.line == 1)
        #expect(out["outs"]?.items?.first?.loc.line == 3)
    }

    @Test("merge refuses the same variable with two values")
    func mergeConflict() throws {
        let a = Value.dict([("x", .int(1)), ("d", .dict([("p", .int(1))]))])
        let merged = try Interpolator.merge(a, .dict([("y", .int(2)), ("d", .dict([("q", .int(3))])), ("x", .int(1))]), source: SourceLoc(file: "v"))
        #expect(merged.lookup("d.q") == .int(3) && merged.lookup("d.p") == .int(1) && merged["y"] == .int(2))
        let m = message { _ = try Interpolator.merge(a, .dict([("x", .int(2))]), source: SourceLoc(file: "v.yaml", line: 2, column: 3)) }
        #expect(m?.contains("variable 'x' is defined twice") == true, "\(m ?? "")")
    }

    @Test("editDistance is Levenshtein distance")
    func editDistanceValues() {
        #expect(editDistance("kitten", "sitting") == 3)
        #expect(editDistance("", "abc") == 3)
        #expect(editDistance("abc", "") == 3)
        #expect(editDistance("same", "same") == 0)
        #expect(editDistance("dep", "deps") == 1)
        #expect(editDistance("flaw", "lawn") == 2)
    }

    @Test("suggestion picks the closest candidate, or nothing when none is close")
    func suggestions() {
        let keys = ["cmd", "wdir", "deps", "outs", "params", "metrics", "plots", "frozen", "desc", "vars", "uses", "with"]
        #expect(suggestion(for: "dep", among: keys) == "deps")
        #expect(suggestion(for: "out", among: keys) == "outs")
        #expect(suggestion(for: "Params", among: keys) == "params")
        #expect(suggestion(for: "metric", among: keys) == "metrics")
        #expect(suggestion(for: "comand", among: keys) == "cmd")
        #expect(suggestion(for: "command", among: keys) == "cmd")
        #expect(suggestion(for: "dependencies", among: keys) == "deps")
        #expect(suggestion(for: "parameters", among: keys) == "params")
        #expect(suggestion(for: "zzzzzz", among: keys) == nil)
        #expect(suggestion(for: "x", among: []) == nil)
        #expect(suggestion(for: "concatt", among: ["concat"]) == "concat")
    }

    @Test("RelPath normalises, refuses to climb out, and relates paths")
    func relPath() {
        #expect(RelPath.join("a/b", "../c") == "a/c")
        #expect(RelPath.join(".", "x/./y//z") == "x/y/z")
        #expect(RelPath.join("", "x") == "x")
        #expect(RelPath.join("a", "..") == ".")
        #expect(RelPath.join("a", "../..") == nil)
        #expect(RelPath.join(".", "/abs/path") == nil)
        #expect(RelPath.ancestors("a/b/c.txt") == ["a", "a/b"])
        #expect(RelPath.ancestors("top") == [])
        #expect(RelPath.isWithin("a/b", "a"))
        #expect(RelPath.isWithin("a", "a"))
        #expect(!RelPath.isWithin("ab", "a"))
        #expect(RelPath.isWithin("anything", "."))
        #expect(RelPath.parent("a/b/c") == "a/b")
        #expect(RelPath.parent("c") == ".")
        #expect(RelPath.relative("a/b/c", from: "a/x") == "../b/c")
        #expect(RelPath.relative("a/b", from: ".") == "a/b")
        #expect(RelPath.relative("a", from: "a") == ".")
    }
}
