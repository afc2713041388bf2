import Foundation
import Testing

/// Every kind of bad pipeline gets a message that says what and where, and damages nothing:
/// no lock written or changed, nothing added to or removed from the cache, no temp files,
/// earlier outputs still in place.
@Suite("bad input")
struct BadInputTests {
    static let valid = """
        stages:
          a:
            cmd: echo a > a.txt
            outs: [a.txt]
          b:
            cmd: cat a.txt > b.txt
            deps: [a.txt]
            outs: [b.txt]

        """

    /// Runs the valid pipeline, swaps in `broken` (at `file`), and checks that `weft repro`
    /// (and `weft status`) fail with every one of `messages` and leave everything as it was.
    ///
    /// A pipeline that loads but cannot run (a missing dep) is still something `status` can
    /// report on: then `statusSays` is what its output must contain, with exit code 0.
    func expectRejected(_ broken: String, file: String = "pipelines/x.yaml", extraFiles: [String: String] = [:],
                        messages: [String], statusSays: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", Self.valid)
        for (f, text) in extraFiles { try ws.write(f, text) }
        let ok = try ws.run("repro")
        #expect(ok.code == 0, "the valid pipeline failed: \(ok)", sourceLocation: sourceLocation)
        let snap = ws.snapshot(outputs: ["a.txt", "b.txt"])
        #expect(snap.files["pipelines/x.lock"] != nil, sourceLocation: sourceLocation)

        if file != "pipelines/x.yaml" { try ws.remove("pipelines/x.yaml") }
        try ws.write(file, broken)
        for command in [["repro"], ["status"], ["repro", "--force"]] {
            let r = try ws.run(args: command)
            if command == ["status"], let statusSays {
                #expect(r.code == 0, "\(r)", sourceLocation: sourceLocation)
                #expect(r.out.contains(statusSays), "\(r)", sourceLocation: sourceLocation)
                continue
            }
            #expect(r.code != 0, "\(command) accepted a bad pipeline: \(r)", sourceLocation: sourceLocation)
            #expect(r.err.hasPrefix("ERROR: "), "\(r)", sourceLocation: sourceLocation)
            for m in messages {
                #expect(r.err.contains(m), "\(command): message lacks '\(m)':\n\(r.err)", sourceLocation: sourceLocation)
            }
            #expect(r.ran.isEmpty, "\(r)", sourceLocation: sourceLocation)
        }
        ws.expectUnchanged(since: snap, sourceLocation: sourceLocation)
        #expect(ws.read("a.txt") == "a\n", sourceLocation: sourceLocation)
        #expect(ws.read("b.txt") == "a\n", sourceLocation: sourceLocation)
    }

    @Test("YAML syntax error: file:line:column and the parser's message")
    func yamlSyntax() throws {
        try expectRejected("stages:\n  a:\n    cmd: echo a: b > a.txt\n    outs: [a.txt]\n",
                           messages: ["pipelines/x.yaml:3:", "syntax error", "mapping values are not allowed"])
    }

    @Test("YAML syntax error in a flow list points at the line after it")
    func yamlUnclosedList() throws {
        try expectRejected("stages:\n  a:\n    cmd: [echo a > a.txt\n    outs: [a.txt]\n",
                           messages: ["pipelines/x.yaml:4:", "syntax error", "did not find expected ',' or ']'", "line 3"])
    }

    @Test("JSON syntax error: file:line:column")
    func jsonSyntax() throws {
        try expectRejected("{\"stages\": {\n  \"a\": {\"cmd\": \"echo a > a.txt\",\n    \"outs\": [\"a.txt\"]\n    \"deps\": []}}}\n",
                           file: "pipelines/p.json", messages: ["pipelines/p.json:4:", "syntax error", "did not find expected ','"])
    }

    @Test("duplicate key in a mapping")
    func duplicateKey() throws {
        try expectRejected("stages:\n  a:\n    cmd: echo a > a.txt\n    cmd: echo b > a.txt\n",
                           messages: ["pipelines/x.yaml:4:", "duplicate key 'cmd'"])
    }

    @Test("unknown stage key 'dep' suggests 'deps'")
    func unknownKeyDep() throws {
        try expectRejected("stages:\n  a:\n    cmd: echo a > a.txt\n    dep: [x]\n",
                           messages: ["pipelines/x.yaml:4:5", "stage 'a': unknown key 'dep'", "did you mean 'deps'?"])
    }

    @Test("unknown stage key 'comand' suggests 'cmd'")
    func unknownKeyComand() throws {
        try expectRejected("stages:\n  a:\n    comand: echo a > a.txt\n    outs: [a.txt]\n",
                           messages: ["pipelines/x.yaml:3:5", "unknown key 'comand'", "did you mean 'cmd'?"])
    }

    @Test("unknown top-level key")
    func unknownTopKey() throws {
        try expectRejected("stage:\n  a:\n    cmd: echo a > a.txt\n",
                           messages: ["pipelines/x.yaml:1:1", "unknown top-level key 'stage'", "did you mean 'stages'?"])
    }

    @Test("a cycle names the stages on it")
    func cycle() throws {
        let text = """
            stages:
              a:
                cmd: cat b.txt > a.txt
                deps: [b.txt]
                outs: [a.txt]
              b:
                cmd: cat a.txt > b.txt
                deps: [a.txt]
                outs: [b.txt]

            """
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", text)
        let r = try ws.run("repro")
        #expect(r.code != 0)
        #expect(r.err.contains("a -> b -> a") || r.err.contains("b -> a -> b"), "\(r)")
        #expect(r.err.contains("cycle"))
        // And in a project that had run before, nothing changes.
        try expectRejected(text, messages: ["cycle"])
    }

    @Test("a longer cycle is reported whole")
    func longCycle() throws {
        let ws = try TestWorkspace()
        try ws.write("pipelines/x.yaml", """
            stages:
              one:
                cmd: cat three.txt > one.txt
                deps: [three.txt]
                outs: [one.txt]
              two:
                cmd: cat one.txt > two.txt
                deps: [one.txt]
                outs: [two.txt]
              three:
                cmd: cat two.txt > three.txt
                deps: [two.txt]
                outs: [three.txt]

            """)
        let r = try ws.run("repro")
        #expect(r.code != 0)
        let ok = ["one -> two -> three -> one", "two -> three -> one -> two", "three -> one -> two -> three"]
        #expect(ok.contains { r.err.contains($0) }, "\(r)")
    }

    @Test("two stages writing the same output are both named")
    func duplicateOutput() throws {
        try expectRejected("stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n  b:\n    cmd: echo b > a.txt\n    outs: [a.txt]\n",
                           messages: ["output 'a.txt' is declared by two stages", "'a'", "'b'", "pipelines/x.yaml:2:3", "pipelines/x.yaml:5:3"])
    }

    @Test("an output inside another stage's output folder names both stages")
    func overlappingOutputs() throws {
        try expectRejected("stages:\n  a:\n    cmd: mkdir -p out\n    outs: [out]\n  b:\n    cmd: echo b > out/x\n    outs: [out/x]\n",
                           messages: ["output 'out/x' of stage 'b' lies inside output 'out' of stage 'a'"])
    }

    @Test("a stage that reads its own output is refused with the stage, path and file:line")
    func depIsOwnOutput() throws {
        try expectRejected("stages:\n  a:\n    cmd: echo a >> a.txt\n    deps: [a.txt]\n    outs: [a.txt]\n",
                           messages: ["pipelines/x.yaml:4:", "stage 'a'", "'a.txt' is both a dependency and (inside) its output 'a.txt'"])
    }

    @Test("a dep that does not exist and that no stage writes names the stage and the path")
    func missingDep() throws {
        try expectRejected("stages:\n  a:\n    cmd: echo a > a.txt\n    outs: [a.txt]\n  c:\n    cmd: cat nowhere.txt\n    deps: [nowhere.txt]\n",
                           messages: ["pipelines/x.yaml:7:12", "stage 'c'", "dependency 'nowhere.txt' does not exist and no stage produces it"],
                           statusSays: "dep missing: nowhere.txt")
    }

    @Test("an unknown ${var} names the expression and file:line")
    func unknownVariable() throws {
        try expectRejected("stages:\n  a:\n    cmd: echo ${train.lrr} > a.txt\n    outs: [a.txt]\n",
                           extraFiles: ["params.yaml": "train:\n  lr: 1\n"],
                           messages: ["pipelines/x.yaml:3:", "unknown variable '${train.lrr}'"])
    }

    @Test("an unknown ${var} with a close match suggests it")
    func unknownVariableSuggestion() throws {
        try expectRejected("stages:\n  a:\n    cmd: echo ${trian.lr} > a.txt\n    outs: [a.txt]\n",
                           extraFiles: ["params.yaml": "train:\n  lr: 1\n"],
                           messages: ["pipelines/x.yaml:3:", "unknown variable '${trian.lr}'", "did you mean '${train.lr}'"])
    }

    @Test("a params key that is not in params.yaml")
    func unknownParamKey() throws {
        try expectRejected("stages:\n  a:\n    cmd: echo a > a.txt\n    params: [train.lrr]\n    outs: [a.txt]\n",
                           extraFiles: ["params.yaml": "train:\n  lr: 1\n"],
                           messages: ["stage 'a'", "parameter 'train.lrr' is not in params.yaml"])
    }

    @Test("an unknown built-in suggests the closest and lists the available ones")
    func unknownBuiltin() throws {
        try expectRejected("stages:\n  a:\n    uses: concatt\n    with: {inputs: [x], output: a.txt}\n",
                           messages: ["pipelines/x.yaml:3:11", "unknown built-in 'concatt'", "did you mean 'concat'?", "available: augment, bpe-train, clean, concat, dedup", "weft stages --builtin"])
    }

    @Test("a with: value of the wrong type names the parameter and the expected type (list for a string)")
    func badWithList() throws {
        try expectRejected("stages:\n  a:\n    uses: concat\n    with:\n      inputs: [x.txt]\n      output: a.txt\n      separator: [1]\n",
                           messages: ["pipelines/x.yaml:7:", "with.separator: expected string, got list"])
    }

    @Test("a with: value of the wrong type names the parameter and the expected type (string for a bool)")
    func badWithBool() throws {
        try expectRejected("stages:\n  a:\n    uses: concat\n    with:\n      inputs: [x.txt]\n      output: a.txt\n      ensure_newline: \"maybe\"\n",
                           messages: ["pipelines/x.yaml:7:", "with.ensure_newline: expected bool, got string maybe"])
    }

    @Test("an unknown with: key is named, with a suggestion and the parameter list")
    func unknownWithKey() throws {
        try expectRejected("stages:\n  a:\n    uses: concat\n    with:\n      inputs: [x.txt]\n      output: a.txt\n      seperator: x\n",
                           messages: ["pipelines/x.yaml:7:7", "built-in 'concat' has no parameter 'seperator'", "did you mean 'separator'?",
                                      "parameters: inputs, output, separator, ensure_newline"])
    }

    @Test("a missing required with: parameter is named with its type")
    func missingWithParam() throws {
        try expectRejected("stages:\n  a:\n    uses: concat\n    with:\n      inputs: [x.txt]\n",
                           messages: ["pipelines/x.yaml:", "built-in 'concat' needs parameter 'output' (path)"])
    }

    @Test("cmd and uses together are refused")
    func cmdAndUses() throws {
        try expectRejected("stages:\n  a:\n    cmd: echo\n    uses: concat\n    with: {inputs: [x], output: a.txt}\n",
                           messages: ["stage 'a' has both 'cmd' and 'uses'"])
    }

    @Test("a stage with neither cmd nor uses")
    func noCommand() throws {
        try expectRejected("stages:\n  a:\n    outs: [a.txt]\n", messages: ["pipelines/x.yaml:2:3", "stage 'a' has neither 'cmd' nor 'uses'"])
    }

    @Test("an output outside the project")
    func outputOutside() throws {
        try expectRejected("stages:\n  a:\n    cmd: echo a > ../a.txt\n    outs: [../a.txt]\n",
                           messages: ["pipelines/x.yaml:4:", "stage 'a'", "outside the project"])
    }
}
