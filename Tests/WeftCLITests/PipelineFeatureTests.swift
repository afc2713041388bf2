import Foundation
import Testing

/// dvc.yaml features: the root `dvc.yaml` + `params.yaml` layout, command lists, `wdir`,
/// output options, `frozen`, `always_changed`, `foreach`/`matrix`, `vars` and `${...}`.
@Suite("pipeline features")
struct PipelineFeatureTests {
    @Test("a dvc.yaml with params.yaml at the root runs as it is and writes dvc.lock")
    func dvcLayout() throws {
        let ws = try TestWorkspace()
        try ws.write("params.yaml", "prepare:\n  split: 0.2\n  seed: 20170428\ntrain:\n  n_est: 50\n")
        try ws.write("data/data.xml", "<posts>one two three</posts>\n")
        try ws.write("dvc.yaml", """
            stages:
              prepare:
                cmd: mkdir -p data/prepared && tr ' ' '\\n' < data/data.xml > data/prepared/train.tsv && echo ${prepare.split} > data/prepared/split.txt
                deps:
                - data/data.xml
                params:
                - prepare.seed
                - prepare.split
                outs:
                - data/prepared
              train:
                cmd: wc -l < data/prepared/train.tsv | tr -d ' ' > model.pkl
                deps:
                - data/prepared
                params:
                - train.n_est
                outs:
                - model.pkl
              evaluate:
                cmd: echo '{"avg_prec":0.9}' > eval.json
                deps:
                - model.pkl
                metrics:
                - eval.json:
                    cache: false

            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(r.ran == ["prepare", "train", "evaluate"], "\(r)")
        #expect(ws.read("data/prepared/split.txt") == "0.2\n")
        #expect(ws.read("model.pkl") == "3\n")
        let lock = try #require(ws.read("dvc.lock"), "dvc.lock not written")
        #expect(lock.hasPrefix("schema: '2.0'\n"))
        #expect(lockStages(lock) == ["prepare", "train", "evaluate"])
        // A folder output is recorded with DVC's `.dir` hash and a file count.
        let prepare = try #require(lockEntry(lock, stage: "prepare")).joined(separator: "\n")
        #expect(prepare.contains("- path: data/prepared\n      hash: sha256\n      sha256: "), "\(prepare)")
        #expect(prepare.contains(".dir\n"), "\(prepare)")
        #expect(prepare.contains("nfiles: 2"), "\(prepare)")
        #expect(prepare.contains("prepare.seed: 20170428"))
        #expect(!ws.exists("pipelines"))

        let again = try ws.run("repro")
        #expect(again.ran.isEmpty, "\(again)")
        // A file inside the folder output changed behind weft's back.
        try ws.remove("data/prepared/split.txt")
        let st = try ws.run("status")
        #expect(st.out.contains("out modified: data/prepared"), "\(st)")
        // checkout puts the whole folder back.
        try ws.remove("data/prepared")
        let co = try ws.run("checkout")
        #expect(co.code == 0, "\(co)")
        #expect(ws.read("data/prepared/split.txt") == "0.2\n")
        #expect(ws.read("data/prepared/train.tsv") == "<posts>one\ntwo\nthree</posts>\n")
        #expect(try ws.run("status").out.contains("Data and pipelines are up to date."))
    }

    @Test("cmd as a list runs each command in order and the lock records the list")
    func commandList() throws {
        let ws = try TestWorkspace()
        try ws.write("dvc.yaml", """
            stages:
              multi:
                cmd:
                  - echo first > out.txt
                  - echo second >> out.txt
                outs: [out.txt]

            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(ws.read("out.txt") == "first\nsecond\n")
        #expect(r.out.contains("> echo first > out.txt\n> echo second >> out.txt"), "\(r)")
        let entry = try #require(lockEntry(ws.read("dvc.lock") ?? "", stage: "multi"))
        #expect(entry.prefix(3) == ["    cmd:", "    - \"echo first > out.txt\"", "    - \"echo second >> out.txt\""] ||
                entry.prefix(3) == ["    cmd:", "    - echo first > out.txt", "    - echo second >> out.txt"], "\(entry)")
        #expect(try ws.run("repro").ran.isEmpty)
    }

    @Test("wdir runs the command in that folder; paths are relative to it")
    func workingDirectory() throws {
        let ws = try TestWorkspace()
        try ws.write("sub/input.txt", "in sub\n")
        try ws.write("dvc.yaml", """
            stages:
              inner:
                wdir: sub
                cmd: pwd > where.txt && cat input.txt > copy.txt
                deps: [input.txt]
                outs: [where.txt, copy.txt]

            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(ws.read("sub/copy.txt") == "in sub\n")
        let where_ = try #require(ws.read("sub/where.txt"))
        #expect(where_.hasSuffix("/sub\n"), "\(where_)")
        #expect(!ws.exists("copy.txt"))
        let entry = try #require(lockEntry(ws.read("dvc.lock") ?? "", stage: "inner")).joined(separator: "\n")
        #expect(entry.contains("- path: input.txt"), "\(entry)")
        #expect(entry.contains("- path: copy.txt"), "\(entry)")

        try ws.write("sub/input.txt", "changed\n")
        let r2 = try ws.run("repro")
        #expect(r2.ran == ["inner"], "\(r2)")
        #expect(ws.read("sub/copy.txt") == "changed\n")
    }

    @Test("an out with cache: false stays out of cache/ but is still in the lock")
    func uncachedOut() throws {
        let ws = try TestWorkspace()
        try ws.write("dvc.yaml", """
            stages:
              s:
                cmd: echo cached > cached.txt && echo loose > loose.txt
                outs:
                  - cached.txt
                  - loose.txt:
                      cache: false

            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        let cachedHash = try systemSHA256(ws.path("cached.txt"))
        let looseHash = try systemSHA256(ws.path("loose.txt"))
        let objects = ws.cacheObjects.map { $0.split(separator: "/").suffix(2).joined() }
        #expect(objects.contains(cachedHash), "\(objects)")
        #expect(!objects.contains(looseHash), "\(objects)")
        let entry = try #require(lockEntry(ws.read("dvc.lock") ?? "", stage: "s")).joined(separator: "\n")
        #expect(entry.contains("- path: loose.txt\n      hash: sha256\n      sha256: \(looseHash)"), "\(entry)")
        // The uncached out stays a plain writable file; it is not listed in .gitignore.
        #expect(FileManager.default.isWritableFile(atPath: ws.path("loose.txt")))
        #expect(ws.read(".gitignore")?.contains("/cached.txt") == true)
        #expect(ws.read(".gitignore")?.contains("/loose.txt") != true)
        #expect(try ws.run("repro").ran.isEmpty)
    }

    @Test("a persist: true out is not deleted before its stage runs; a normal out is")
    func persistentOut() throws {
        let ws = try TestWorkspace()
        try ws.write("tick.txt", "1\n")
        try ws.write("dvc.yaml", """
            stages:
              grow:
                cmd: echo x >> log.txt
                deps: [tick.txt]
                outs:
                  - log.txt:
                      persist: true
              fresh:
                cmd: echo y >> fresh.txt
                deps: [tick.txt]
                outs: [fresh.txt]

            """)
        #expect(try ws.run("repro").code == 0)
        #expect(ws.read("log.txt") == "x\n")
        try ws.write("tick.txt", "2\n")
        let r = try ws.run("repro")
        #expect(Set(r.ran) == ["grow", "fresh"], "\(r)")
        #expect(ws.read("log.txt") == "x\nx\n")
        #expect(ws.read("fresh.txt") == "y\n")
        try ws.write("tick.txt", "3\n")
        #expect(try ws.run("repro").code == 0)
        #expect(ws.read("log.txt") == "x\nx\nx\n")
        // The cached copies of earlier versions were not edited in place.
        #expect(try ws.run("cache", "verify").code == 0)
    }

    @Test("metrics and plots outputs are cached and recorded like outs")
    func metricsAndPlots() throws {
        let ws = try TestWorkspace()
        try ws.write("dvc.yaml", """
            stages:
              eval:
                cmd: printf '{"acc":0.5}\\n' > metrics.json && printf 'step,loss\\n1,0.3\\n' > loss.csv
                metrics: [metrics.json]
                plots:
                  - loss.csv:
                      x: step
                      y: loss

            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(ws.read("metrics.json") == "{\"acc\":0.5}\n")
        let entry = try #require(lockEntry(ws.read("dvc.lock") ?? "", stage: "eval")).joined(separator: "\n")
        #expect(entry.contains("- path: metrics.json"))
        #expect(entry.contains("- path: loss.csv"))
        let objects = ws.cacheObjects.map { $0.split(separator: "/").suffix(2).joined() }
        #expect(objects.contains(try systemSHA256(ws.path("metrics.json"))))
        #expect(objects.contains(try systemSHA256(ws.path("loss.csv"))))
        try ws.remove("metrics.json")
        #expect(try ws.run("status").out.contains("out missing: metrics.json"))
    }

    @Test("frozen: true never runs; always_changed: true runs every time")
    func frozenAndAlwaysChanged() throws {
        let ws = try TestWorkspace()
        try ws.write("dvc.yaml", """
            stages:
              ice:
                cmd: echo ran > ice.txt
                outs: [ice.txt]
                frozen: true
              every:
                cmd: echo run >> every.log
                always_changed: true

            """)
        let r1 = try ws.run("repro")
        #expect(r1.code == 0, "\(r1)")
        #expect(r1.out.contains("Stage 'ice' is frozen, skipping"), "\(r1)")
        #expect(r1.ran == ["every"], "\(r1)")
        #expect(!ws.exists("ice.txt"))

        let r2 = try ws.run("repro")
        #expect(r2.ran == ["every"], "\(r2)")
        let r3 = try ws.run("repro", "--force")
        #expect(r3.ran == ["every"], "\(r3)")
        #expect(!ws.exists("ice.txt"))
        #expect(ws.read("every.log") == "run\nrun\nrun\n")
        #expect(lockStages(ws.read("dvc.lock") ?? "") == ["every"])

        let st = try ws.run("status")
        #expect(st.out.contains("always_changed"), "\(st)")
    }

    @Test("foreach over a list and a mapping, and matrix, generate stage@key stages")
    func foreachAndMatrix() throws {
        let ws = try TestWorkspace()
        try ws.write("params.yaml", "models: [small, big]\n")
        try ws.write("dvc.yaml", """
            stages:
              gen:
                foreach: ${models}
                do:
                  cmd: echo ${item} > gen_${item}.txt
                  outs:
                    - gen_${item}.txt
              lang:
                foreach:
                  us: {code: en}
                  fr: {code: fr}
                do:
                  cmd: echo ${key} ${item.code} > lang_${key}.txt
                  outs:
                    - lang_${key}.txt
              grid:
                matrix:
                  model: [a, b]
                  seed: [1, 2]
                cmd: echo ${item.model} ${item.seed} > grid_${item.model}_${item.seed}.txt
                outs:
                  - grid_${item.model}_${item.seed}.txt

            """)
        let expected = ["gen@small", "gen@big", "lang@us", "lang@fr", "grid@a-1", "grid@a-2", "grid@b-1", "grid@b-2"]
        let listing = try ws.run("stages")
        #expect(listing.code == 0, "\(listing)")
        #expect(listing.outLines.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } == expected, "\(listing)")

        // A group name selects all its members.
        let g = try ws.run("repro", "gen")
        #expect(g.code == 0, "\(g)")
        #expect(Set(g.ran) == ["gen@small", "gen@big"], "\(g)")

        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(Set(r.ran) == Set(expected.dropFirst(2)), "\(r)")
        #expect(ws.read("gen_big.txt") == "big\n")
        #expect(ws.read("lang_fr.txt") == "fr fr\n")
        #expect(ws.read("lang_us.txt") == "us en\n")
        #expect(ws.read("grid_b_2.txt") == "b 2\n")
        #expect(Set(lockStages(ws.read("dvc.lock") ?? "")) == Set(expected))

        let one = try ws.run("repro", "--force", "grid@a-2")
        #expect(one.ran == ["grid@a-2"], "\(one)")
    }

    @Test("vars, ${a.b}, ${a[0]} and the \\${ escape are substituted; desc and meta are accepted")
    func templating() throws {
        let ws = try TestWorkspace()
        try ws.write("params.yaml", "train:\n  lr: 0.01\n  layers: [64, 32]\n  name: base\n")
        try ws.write("config.yaml", "greeting: hello\nlimits:\n  max: 9\n")
        try ws.write("dvc.yaml", """
            vars:
              - config.yaml
              - owner: alice
            stages:
              show:
                desc: shows substitution
                meta:
                  owner: ${owner}
                  anything: [1, 2]
                vars:
                  - suffix: txt
                cmd: "echo ${greeting} ${owner} ${train.lr} ${train.layers[0]} ${train.layers[1]} ${limits.max} '\\\\${literal}' > out.${suffix}"
                outs:
                  - out.${suffix}

            """)
        let r = try ws.run("repro")
        #expect(r.code == 0, "\(r)")
        #expect(ws.read("out.txt") == "hello alice 0.01 64 32 9 ${literal}\n", "\(ws.read("out.txt") ?? "nil")")
        let listing = try ws.run("stages")
        #expect(listing.out.contains("show"))
        #expect(listing.out.contains("shows substitution"))
        let js = try ws.run("stages", "--json")
        let arr = try #require(parseJSON(js.out) as? [[String: Any]], "\(js)")
        #expect(arr.first?["desc"] as? String == "shows substitution")

        // An interpolated value is part of the command: changing it reruns the stage.
        try ws.write("params.yaml", "train:\n  lr: 0.02\n  layers: [64, 32]\n  name: base\n")
        let st = try ws.run("status")
        #expect(st.out.contains("command changed"), "\(st)")
        let r2 = try ws.run("repro")
        #expect(r2.ran == ["show"], "\(r2)")
        #expect(ws.read("out.txt") == "hello alice 0.02 64 32 9 ${literal}\n")
    }

    @Test("the same pipeline in JSON behaves exactly like its YAML form")
    func jsonEqualsYAML() throws {
        let yaml = """
            stages:
              split:
                foreach: [a, b]
                do:
                  cmd: grep ${item} data.txt > part_${item}.txt
                  deps: [data.txt]
                  outs:
                    - part_${item}.txt
              merge:
                cmd:
                  - cat part_a.txt part_b.txt > merged.txt
                  - echo ${train.lr} >> merged.txt; echo {} > m.json
                deps: [part_a.txt, part_b.txt]
                params: [train.lr]
                outs:
                  - merged.txt
                metrics:
                  - m.json:
                      cache: false
                desc: merge the parts

            """
        let json = """
            {
              "stages": {
                "split": {
                  "foreach": ["a", "b"],
                  "do": {
                    "cmd": "grep ${item} data.txt > part_${item}.txt",
                    "deps": ["data.txt"],
                    "outs": ["part_${item}.txt"]
                  }
                },
                "merge": {
                  "cmd": ["cat part_a.txt part_b.txt > merged.txt", "echo ${train.lr} >> merged.txt; echo {} > m.json"],
                  "deps": ["part_a.txt", "part_b.txt"],
                  "params": ["train.lr"],
                  "outs": ["merged.txt"],
                  "metrics": [{"m.json": {"cache": false}}],
                  "desc": "merge the parts"
                }
              }
            }

            """
        var results: [(RunResult, String, [String: [UInt8]])] = []
        for (file, text) in [("pipelines/p.yaml", yaml), ("pipelines/p.json", json)] {
            let ws = try TestWorkspace()
            try ws.write("params.yaml", "train:\n  lr: 0.5\n")
            try ws.write("data.txt", "a1\nb1\na2\n")
            try ws.write(file, text)
            let r = try ws.run("repro", "-j", "1")
            #expect(r.code == 0, "\(file): \(r)")
            let lock = try #require(ws.read("pipelines/p.lock"), "\(file): no lock")
            var outs: [String: [UInt8]] = [:]
            for f in ["part_a.txt", "part_b.txt", "merged.txt", "m.json"] { outs[f] = ws.bytes(f) }
            results.append((r, lock, outs))
            let again = try ws.run("repro")
            #expect(again.ran.isEmpty, "\(file): \(again)")
        }
        let (y, j) = (results[0], results[1])
        #expect(y.0.ran == j.0.ran)
        #expect(y.0.ran == ["split@a", "split@b", "merge"])
        #expect(y.1 == j.1, "lock files differ:\n\(y.1)\n---\n\(j.1)")
        #expect(y.2 == j.2)
        #expect(y.2["merged.txt"].map { String(decoding: $0, as: UTF8.self) } == "a1\na2\nb1\n0.5\n")
    }
}
