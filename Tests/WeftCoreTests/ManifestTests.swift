import Foundation
import Testing
@testable import WeftCore

/// Built-in stage manifests: parsing, and checking a stage's `with:` against them.
@Suite("stage manifests")
struct ManifestTests {
    static let text = """
        name: demo
        version: 3
        summary: every parameter type
        params:
          - name: input
            type: path
            io: input
          - name: outputs
            type: list[path]
            io: output
            default: []
          - name: tags
            type: list[string]
            default: []
          - name: lr
            type: float
            default: 0.001
          - name: epochs
            type: int
            default: 1
          - name: fast
            type: bool
            default: false
          - name: mode
            type: choice
            values: [train, eval]
            default: train
          - name: note
            type: string
            default: null
          - name: title
            type: string

        """

    func manifest() throws -> StageManifest {
        try StageManifest(node: DocumentLoader.parse(Self.text, file: "stages/demo.yaml"))
    }

    func resolve(_ with: String) throws -> Value {
        try manifest().resolve(with: DocumentLoader.parse(with, file: "p.yaml"), stage: "s")
    }

    func error(_ with: String) -> String {
        message { _ = try resolve(with) } ?? "no error"
    }

    @Test("a manifest parses with types, io and defaults")
    func parse() throws {
        let m = try manifest()
        #expect(m.name == "demo" && m.version == 3)
        #expect(m.params.map(\.name) == ["input", "outputs", "tags", "lr", "epochs", "fast", "mode", "note", "title"])
        #expect(m.params.map(\.type.description) == ["path", "list[path]", "list[string]", "float", "int", "bool", "one of train, eval", "string", "string"])
        #expect(m.params[0].required && m.params[8].required)
        #expect(!m.params[3].required)
        #expect(m.params[0].io == .input && m.params[1].io == .output && m.params[2].io == .none)
    }

    @Test("resolve fills defaults in declaration order and widens ints to floats")
    func resolveDefaults() throws {
        let v = try resolve("title: t\ninput: in.txt\nlr: 1\n")
        guard case .dict(let d) = v else { Issue.record("not a mapping"); return }
        #expect(d.map(\.0) == ["input", "outputs", "tags", "lr", "epochs", "fast", "mode", "note", "title"])
        guard case .double(1.0)? = v["lr"] else { Issue.record("lr must be widened to a float: \(String(describing: v["lr"]))"); return }
        #expect(v["epochs"] == .int(1))
        #expect(v["mode"] == .string("train"))
        #expect(v["note"] == .null)
        // A single path where a list is expected becomes a one-element list.
        #expect(try resolve("title: t\ninput: a\noutputs: o.txt\n")["outputs"] == .list([.string("o.txt")]))
        #expect(try resolve("title: t\ninput: a\nnote: null\n")["note"] == .null)
    }

    @Test("type errors name the parameter, the expected type and what was given", arguments: [
        ("title: t\ninput: a\nepochs: two\n", "with.epochs: expected int, got string two"),
        ("title: t\ninput: a\nepochs: 1.5\n", "with.epochs: expected int, got float 1.5"),
        ("title: t\ninput: a\nlr: fast\n", "with.lr: expected float, got string fast"),
        ("title: t\ninput: a\nfast: yes\n", "with.fast: expected bool, got string yes"),
        ("title: t\ninput: [a]\n", "with.input: expected path, got list"),
        ("title: t\ninput: a\ntags: [1, 2]\n", "with.tags: expected list[string], got list"),
        ("title: [x]\ninput: a\n", "with.title: expected string, got list"),
        ("title: 5\ninput: a\n", "with.title: expected string, got int 5"),
        ("title: t\ninput: a\nmode: predict\n", "allowed values: train, eval"),
        ("title: t\ninput: a\nfast: null\n", "with.fast: expected bool, got null"),
    ])
    func typeErrors(with: String, expected: String) {
        let m = error(with)
        #expect(m.contains(expected), "\(m)")
        #expect(m.contains("stage 's'"), "\(m)")
        #expect(m.hasPrefix("p.yaml:"), "the position of the bad value: \(m)")
    }

    @Test("unknown and missing parameters")
    func unknownAndMissing() {
        let unknown = error("title: t\ninput: a\nepoch: 2\n")
        #expect(unknown.contains("p.yaml:3:1"), "\(unknown)")
        #expect(unknown.contains("built-in 'demo' has no parameter 'epoch'"), "\(unknown)")
        #expect(unknown.contains("did you mean 'epochs'?"), "\(unknown)")
        #expect(unknown.contains("parameters: input, outputs, tags, lr, epochs, fast, mode, note, title"), "\(unknown)")
        let missing = error("input: a\n")
        #expect(missing.contains("built-in 'demo' needs parameter 'title' (string)"), "\(missing)")
        let notMapping = message { _ = try manifest().resolve(with: DocumentLoader.parse("[1]", file: "p.yaml"), stage: "s") } ?? ""
        #expect(notMapping.contains("'with' must be a mapping"), "\(notMapping)")
    }

    @Test("bad manifests are refused with the reason")
    func badManifests() {
        func err(_ t: String) -> String {
            message { _ = try StageManifest(node: DocumentLoader.parse(t, file: "stages/bad.yaml")) } ?? "no error"
        }
        #expect(err("name: x\nversion: 1\nparams:\n  - name: p\n    type: tensor\n").contains("unknown parameter type 'tensor'"))
        #expect(err("name: x\nversion: 1\nparams:\n  - name: p\n    type: int\n    io: input\n").contains("has io 'input' but type int"))
        #expect(err("name: x\nversion: 0\n").contains("needs an integer 'version'"))
        #expect(err("name: x\nversion: 1\nsumary: s\n").contains("did you mean 'summary'?"))
        #expect(err("name: x\nversion: 1\nparams:\n  - name: p\n    type: choice\n").contains("needs 'values'"))
        #expect(err("version: 1\n").contains("needs 'name'"))
    }

    @Test("a catalog is keyed by manifest name, sorted")
    func catalog() throws {
        let c = try StageCatalog(texts: ["demo": Self.text, "concat": testManifestText])
        #expect(c.names == ["concat", "demo"])
        #expect(c.manifests["demo"]?.version == 3)
    }
}
