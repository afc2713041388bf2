import Foundation
import Testing

/// Built-in stages through the CLI: `uses: concat` with `with:`, its lock entry, and the catalog.
@Suite("built-in stages")
struct BuiltinStageTests {
    static let pipeline = """
        stages:
          join:
            uses: concat
            with:
              inputs: [a.txt, b.txt, c.txt]
              output: joined.txt
              separator: "--\\n"

        """

    @Test("concat joins its inputs; the lock records uses, version and with; an input change reruns it")
    func concatEndToEnd() throws {
        let ws = try TestWorkspace()
        try ws.write("a.txt", "alpha")  // no trailing newline: ensure_newline adds one
        try ws.write("b.txt", "beta\n")
        try ws.write("c.txt", "gamma\n")
        try ws.write("pipelines/c.yaml", Self.pipeline)

        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(r.ran == ["join"], "\(r)")
        #expect(ws.read("joined.txt") == "alpha\n--\nbeta\n--\ngamma\n")
        #expect(r.out.contains("concat: wrote joined.txt"), "\(r)")

        let lock = try #require(ws.read("pipelines/c.lock"))
        let entry = try #require(lockEntry(lock, stage: "join"))
        let text = entry.joined(separator: "\n")
        #expect(entry.contains("    uses: concat"), "\(text)")
        #expect(entry.contains("    version: 1"), "\(text)")
        let with = try #require(entry.first { $0.hasPrefix("    with: ") })
        let withJSON = try #require(parseJSON(String(with.dropFirst(10))) as? [String: Any], "\(with)")
        #expect(withJSON["inputs"] as? [String] == ["a.txt", "b.txt", "c.txt"])
        #expect(withJSON["output"] as? String == "joined.txt")
        #expect(withJSON["separator"] as? String == "--\n")
        #expect(withJSON["ensure_newline"] as? Bool == true, "defaults are recorded too")
        // Path parameters became deps and outs.
        for dep in ["a.txt", "b.txt", "c.txt"] { #expect(text.contains("- path: \(dep)"), "\(text)") }
        #expect(text.contains("outs:\n    - path: joined.txt"), "\(text)")
        #expect(!text.contains("cmd:"))

        #expect(try ws.run("repro").ran.isEmpty)

        try ws.write("b.txt", "BETA\n")
        let st = try ws.run("status")
        #expect(st.out.contains("dep changed: b.txt"), "\(st)")
        let r2 = try ws.run("repro")
        #expect(r2.ran == ["join"], "\(r2)")
        #expect(ws.read("joined.txt") == "alpha\n--\nBETA\n--\ngamma\n")

        // Changing a with: value is a definition change.
        try ws.write("pipelines/c.yaml", Self.pipeline.replacingOccurrences(of: "separator: \"--\\n\"", with: "ensure_newline: false"))
        let st2 = try ws.run("status")
        #expect(st2.out.contains("command changed"), "\(st2)")
        #expect(try ws.run("repro").code == 0)
        #expect(ws.read("joined.txt") == "alphaBETA\ngamma\n")
    }

    @Test("built-in stages start with the OpenBLAS core type and threads the setting picks; doctor shows what loads")
    func blasEnvironment() throws {
        let ws = try TestWorkspace()
        try ws.write("a.txt", "a\n")
        try ws.write("pipelines/c.yaml", """
            stages:
              join:
                uses: concat
                with: {inputs: [a.txt], output: joined.txt}
                cpus: 2

            """)
        try ws.write(".weft/config.yaml", "blas_coretype: HASWELL\n")
        #expect(try ws.run(args: ["repro"], env: ["OPENBLAS_CORETYPE": "Prescott"]).code == 0)
        let log = try #require(ws.read(".weft/logs/join.log"))
        #expect(log.contains("> blas: OPENBLAS_CORETYPE=HASWELL (blas_coretype: HASWELL), 2 thread(s)"), "\(log)")
        let doctor = try ws.run(args: ["doctor", "--json"], env: ["OPENBLAS_CORETYPE": "Prescott"])
        #expect(doctor.code == 0, "\(doctor)")
        let d = try #require(parseJSON(doctor.out) as? [String: String])
        #expect(d["built-in stages get"]?.hasPrefix("HASWELL") == true, "\(d)")
        #expect(d["OpenBLAS kernels loaded by a stage"]?.hasPrefix("Haswell") == true, "\(d)")
        #expect(d["OPENBLAS_CORETYPE in this shell"] == "Prescott")
    }

    @Test("concat runs in the stage's wdir, so its paths are relative to it")
    func concatInWdir() throws {
        let ws = try TestWorkspace()
        try ws.write("work/x.txt", "x\n")
        try ws.write("work/y.txt", "y\n")
        try ws.write("dvc.yaml", """
            stages:
              join:
                wdir: work
                uses: concat
                with:
                  inputs: [x.txt, y.txt]
                  output: xy.txt

            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(ws.read("work/xy.txt") == "x\ny\n")
    }

    @Test("weft stages --builtin lists concat with each parameter's type and default")
    func catalogText() throws {
        let ws = try TestWorkspace()
        let r = try ws.run("stages", "--builtin")
        #expect(r.code == 0, "\(r)")
        #expect(r.out.contains("concat (v1)"), "\(r)")
        #expect(r.out.contains("inputs: list[path], input (required)"), "\(r)")
        #expect(r.out.contains("output: path, output (required)"), "\(r)")
        #expect(r.out.contains("separator: string (default: '')"), "\(r)")
        #expect(r.out.contains("ensure_newline: bool (default: true)"), "\(r)")
    }

    @Test("weft stages --builtin --json and weft stages --json parse")
    func catalogJSON() throws {
        let ws = try TestWorkspace()
        let r = try ws.run("stages", "--builtin", "--json")
        #expect(r.code == 0, "\(r)")
        let cat = try #require(parseJSON(r.out) as? [[String: Any]], "\(r)")
        let concat = try #require(cat.first { $0["name"] as? String == "concat" })
        #expect(concat["version"] as? Int == 1)
        let params = try #require(concat["params"] as? [[String: Any]])
        #expect(params.compactMap { $0["name"] as? String } == ["inputs", "output", "separator", "ensure_newline"])
        let sep = try #require(params.first { $0["name"] as? String == "separator" })
        #expect(sep["type"] as? String == "string")
        #expect(sep["default"] as? String == "")
        #expect(sep["required"] as? Bool == false)
        let inputs = try #require(params.first { $0["name"] as? String == "inputs" })
        #expect(inputs["io"] as? String == "input")
        #expect(inputs["required"] as? Bool == true)

        try ws.write("a.txt", "a\n")
        try ws.write("pipelines/c.yaml", "stages:\n  join:\n    uses: concat\n    with: {inputs: [a.txt], output: o.txt}\n  echo:\n    cmd: echo hi\n")
        let s = try ws.run("stages", "--json")
        #expect(s.code == 0, "\(s)")
        let stages = try #require(parseJSON(s.out) as? [[String: Any]], "\(s)")
        let join = try #require(stages.first { $0["stage"] as? String == "join" })
        #expect(join["uses"] as? String == "concat")
        #expect(join["deps"] as? [String] == ["a.txt"])
        #expect(join["outs"] as? [String] == ["o.txt"])
        let echo = try #require(stages.first { $0["stage"] as? String == "echo" })
        #expect(echo["cmd"] as? [String] == ["echo hi"])
    }
}
