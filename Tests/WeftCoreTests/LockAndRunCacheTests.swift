import Foundation
import Testing
@testable import WeftCore

/// Lock files (render → parse round trips, both through the fast reader and the YAML parser)
/// and run-cache signatures.
@Suite("lock files and run cache")
struct LockAndRunCacheTests {
    static func path(_ p: String, _ fill: Character, size: Int64, nfiles: Int? = nil) -> LockedPath {
        LockedPath(path: p, info: HashInfo(hash: String(repeating: fill, count: 64) + (nfiles == nil ? "" : ".dir"), size: size, nfiles: nfiles))
    }

    /// Entries exercising everything a lock can hold, including strings YAML would misread unquoted.
    static let entries: [(String, LockEntry)] = [
        ("prepare", LockEntry(
            definition: .shell(.string("python prep.py --in \"a: b\" # not a comment")),
            deps: [path("data/raw.csv", "a", size: 10), path("data/images", "b", size: 4096, nfiles: 3)],
            params: [
                ("params.yaml", [
                    ("prepare.split", .double(0.2)), ("prepare.seed", .int(42)), ("flag", .bool(true)),
                    ("yes_word", .string("yes")), ("quoted_number", .string("1.0")), ("empty", .string("")),
                    ("truthy", .string("true")), ("nothing", .null), ("multi", .string("line one\nline two")),
                    ("list", .list([.int(1), .string("two")])), ("nested", .dict([("k", .string("v")), ("n", .double(1.5))])),
                    ("colon", .string("a: b")), ("dash", .string("- item")), ("unicode", .string("naïve ✓")),
                ]),
                ("configs/other.json", [("model.name", .string("bert-base"))]),
            ],
            outs: [path("data/prepared", "c", size: 99, nfiles: 2)],
            env: [("OMP_NUM_THREADS", "4"), ("EMPTY", "")])),
        ("train", LockEntry(
            definition: .shell(.list([.string("echo one"), .string("cat x > y: z")])),
            deps: [], params: [], outs: [path("model.bin", "d", size: 0)], env: [])),
        ("join@a-1", LockEntry(
            definition: .builtin(name: "concat", version: 2, with: .dict([
                ("inputs", .list([.string("a.txt"), .string("b c.txt")])), ("output", .string("o.txt")),
                ("separator", .string("--\n")), ("ensure_newline", .bool(false))])),
            deps: [path("a.txt", "e", size: 1), path("b c.txt", "f", size: 2)], params: [],
            outs: [path("o.txt", "a", size: 3)], env: [], blas: "Cooperlake, 2 threads")),
        ("123", LockEntry(definition: .shell(.string("true")), deps: [], params: [], outs: [], env: [])),
    ]

    func writeAll(root: String, path: String = "pipelines/x.lock") throws {
        let lock = try LockFile(path: path, root: root)
        let order = Self.entries.map(\.0)
        for (name, e) in Self.entries { try lock.record(name, e, order: order) }
    }

    @Test("every entry written is read back equal")
    func roundtrip() throws {
        let d = try TempDir()
        try FileManager.default.createDirectory(atPath: d.file("pipelines"), withIntermediateDirectories: true)
        try writeAll(root: d.path)
        let text = String(decoding: try #require(d.read("pipelines/x.lock")), as: UTF8.self)
        #expect(text.hasPrefix("schema: '2.0'\nstages:\n  prepare:\n"))
        #expect(text.contains("      hash: sha256\n"))

        let back = try LockFile(path: "pipelines/x.lock", root: d.path)
        for (name, e) in Self.entries {
            let got = try #require(back.entry(name), "\(name) missing after reload:\n\(text)")
            #expect(got == e, "\(name) differs after reload:\n\(text)")
        }
        #expect(back.entries.count == Self.entries.count)
    }

    @Test("the lock is valid YAML: the general parser reads the same entries as the fast reader")
    func roundtripThroughYAMLParser() throws {
        let d = try TempDir()
        try writeAll(root: d.path, path: "x.lock")
        let text = String(decoding: try #require(d.read("x.lock")), as: UTF8.self)
        // Independent check: the text parses as YAML with the expected structure.
        let doc = try DocumentLoader.parse(text, file: "x.lock")
        #expect(doc["schema"]?.value == .string("2.0"))
        #expect(doc["stages"]?.entries?.map(\.key) == Self.entries.map(\.0))
        #expect(doc["stages"]?["prepare"]?["params"]?["params.yaml"]?["quoted_number"]?.value == .string("1.0"))
        #expect(doc["stages"]?["prepare"]?["params"]?["params.yaml"]?["yes_word"]?.value == .string("yes"))
        #expect(doc["stages"]?["prepare"]?["cmd"]?.value == .string("python prep.py --in \"a: b\" # not a comment"))
        #expect(doc["stages"]?["train"]?["cmd"]?.value == .list([.string("echo one"), .string("cat x > y: z")]))

        // A hand-edited lock (here: a leading comment) goes through the YAML parser: same entries.
        try d.write("y.lock", "# edited by hand\n" + text)
        let slow = try LockFile(path: "y.lock", root: d.path)
        for (name, e) in Self.entries {
            #expect(slow.entry(name) == e, "\(name) differs when read by the YAML parser")
        }
    }

    @Test("BLAS metadata of a built-in stage is written and read back by both readers, and named when outputs differ")
    func blasMetadata() throws {
        let d = try TempDir()
        try writeAll(root: d.path, path: "x.lock")
        let text = String(decoding: try #require(d.read("x.lock")), as: UTF8.self)
        #expect(text.contains("    blas: Cooperlake, 2 threads\n"))
        #expect(try LockFile(path: "x.lock", root: d.path).entry("join@a-1")?.blas == "Cooperlake, 2 threads")
        try d.write("y.lock", "# edited by hand\n" + text)
        #expect(try LockFile(path: "y.lock", root: d.path).entry("join@a-1")?.blas == "Cooperlake, 2 threads")
        #expect(try LockFile(path: "y.lock", root: d.path).entry("prepare")?.blas == nil)

        let differs = ReproducedOutput(stage: "train", output: "model", recorded: "a", reproduced: "b",
                                       recordedBLAS: "Cooperlake, 2 threads", reproducedBLAS: "Haswell, 2 threads")
        let same = ReproducedOutput(stage: "eval", output: "m", recorded: "c", reproduced: "c",
                                    recordedBLAS: "Haswell, 1 thread", reproducedBLAS: "Haswell, 1 thread")
        let notes = blasNotes([differs, same])
        #expect(notes.contains("Stage 'train': BLAS kernels then: Cooperlake, 2 threads; now: Haswell, 2 threads (different kernels"))
        #expect(!notes.contains("eval"), "matching outputs need no note")
    }

    @Test("a digest of only digits (YAML reads it as a number) is kept verbatim by the YAML parser path")
    func numericDigest() throws {
        let d = try TempDir()
        let digits = String(repeating: "0", count: 63) + "7"
        try d.write("z.lock", "# edited\nschema: '2.0'\nstages:\n  s:\n    cmd: \"true\"\n    outs:\n    - path: o\n      hash: sha256\n      sha256: \(digits)\n      size: 1\n")
        let lock = try LockFile(path: "z.lock", root: d.path)
        #expect(lock.entry("s")?.outs.first?.info.hash == digits)
    }

    @Test("recording a stage drops entries of stages no longer in the pipeline")
    func dropsStaleEntries() throws {
        let d = try TempDir()
        try writeAll(root: d.path, path: "x.lock")
        let lock = try LockFile(path: "x.lock", root: d.path)
        try lock.record("train", Self.entries[1].1, order: ["train", "prepare"])
        let back = try LockFile(path: "x.lock", root: d.path)
        #expect(Set(back.entries.keys) == ["train", "prepare"])
        let text = String(decoding: try #require(d.read("x.lock")), as: UTF8.self)
        #expect(text.range(of: "  train:")!.lowerBound < text.range(of: "  prepare:")!.lowerBound, "stages follow the given order")
    }

    @Test("a DVC lock with md5 hashes is read, but its entries do not count as up to date")
    func dvcMD5Lock() throws {
        let d = try TempDir()
        try d.write("dvc.lock", """
            schema: '2.0'
            stages:
              prepare:
                cmd: python prep.py
                deps:
                - path: data.xml
                  hash: md5
                  md5: a304afb96060aad90176268345e10355
                  size: 37891850
                outs:
                - path: data/prepared
                  hash: md5
                  md5: 153aad06d376b6595932470e459ef42a.dir
                  size: 8437363
                  nfiles: 2

            """)
        let lock = try LockFile(path: "dvc.lock", root: d.path)
        #expect(lock.entry("prepare") == nil)
    }

    @Test("an unreadable lock is an error naming the file, not an empty lock")
    func corruptLock() throws {
        let d = try TempDir()
        try d.write("x.lock", "schema: '2.0'\nstages:\n  a: [unclosed\n")
        let m = message { _ = try LockFile(path: "x.lock", root: d.path) }
        #expect(m?.contains("x.lock:") == true, "\(m ?? "no error")")
        try d.write("y.lock", "schema: '2.0'\nstages:\n  a:\n    deps: []\n")
        let m2 = message { _ = try LockFile(path: "y.lock", root: d.path) }
        #expect(m2?.contains("lock entry for stage 'a'") == true, "\(m2 ?? "no error")")
    }

    // MARK: run cache

    static let stageYAML = """
        stages:
          train:
            cmd: python train.py
            deps: [data.csv]
            params: [lr]
            outs: [model.bin]
            desc: first description
          train_other_cmd:
            cmd: python train.py --fast
            deps: [data.csv]
            params: [lr]
            outs: [model2.bin]
          train_other_out:
            cmd: python train.py
            deps: [data.csv]
            params: [lr]
            outs: [model3.bin]

        """

    @Test("the run signature changes with a dep hash, a param value or the command, and with nothing else")
    func signature() throws {
        let stages = try loadStages(Self.stageYAML, files: ["params.yaml": "lr: 0.1\n"])
        let train = stages[0]
        let deps = [Self.path("data.csv", "a", size: 5)]
        let params: [(String, [(String, Value)])] = [("params.yaml", [("lr", .double(0.1))])]
        let base = RunCache.signature(stage: train, deps: deps, params: params)
        #expect(base.count == 64)
        #expect(RunCache.signature(stage: train, deps: deps, params: params) == base, "deterministic")

        // Not part of the work: desc, size of a dep (its hash is), the stage's name.
        var described = train
        described.desc = "another description"
        described.meta = .dict([("owner", .string("x"))])
        #expect(RunCache.signature(stage: described, deps: deps, params: params) == base)
        var renamed = train
        renamed.name = "renamed"
        renamed.id = "renamed"
        #expect(RunCache.signature(stage: renamed, deps: deps, params: params) == base, "the run cache is shared across stage names")
        #expect(RunCache.signature(stage: train, deps: [Self.path("data.csv", "a", size: 999)], params: params) == base)

        // Part of the work.
        #expect(RunCache.signature(stage: train, deps: [Self.path("data.csv", "b", size: 5)], params: params) != base)
        #expect(RunCache.signature(stage: train, deps: deps, params: [("params.yaml", [("lr", .double(0.2))])]) != base)
        #expect(RunCache.signature(stage: train, deps: deps, params: [("params.yaml", [("lr", .string("0.1"))])]) != base)
        #expect(RunCache.signature(stage: stages[1], deps: deps, params: params) != base, "command")
        var withEnv = train
        withEnv.env = [("SEED", "1")]
        #expect(RunCache.signature(stage: withEnv, deps: deps, params: params) != base, "env")
        var otherWdir = train
        otherWdir.wdir = "sub"
        #expect(RunCache.signature(stage: otherWdir, deps: deps, params: params) != base, "wdir")
        // An out at another path is other work (its result lands elsewhere).
        #expect(RunCache.signature(stage: stages[2], deps: deps, params: params) != base)
    }

    @Test("the order deps are listed in does not change the signature")
    func signatureDepOrder() throws {
        let stages = try loadStages("stages:\n  s:\n    cmd: x\n    deps: [a, b]\n    outs: [o]\n")
        let a = Self.path("a", "1", size: 1), b = Self.path("b", "2", size: 1)
        #expect(RunCache.signature(stage: stages[0], deps: [a, b], params: []) == RunCache.signature(stage: stages[0], deps: [b, a], params: []))
    }

    @Test("a run-cache entry is found again only while its objects are in the cache")
    func runCacheRecordLookup() throws {
        let d = try TempDir()
        let store = ObjectStore(dir: d.file("cache"), linkTypes: [.copy])
        let rc = RunCache(store: store)
        let f = try d.write("out.txt", "result\n")
        let h = try ContentHash.ofFile(f)
        try store.store(file: f, hash: h)
        let sig = String(repeating: "9", count: 64)
        let outs = [LockedPath(path: "out.txt", info: HashInfo(hash: h, size: 7, nfiles: nil))]
        #expect(rc.lookup(sig) == nil)
        try rc.record(sig, outs: outs)
        #expect(rc.lookup(sig) == outs)
        #expect(try rc.entries().map(\.1) == [[h]])
        try store.remove(h)
        #expect(rc.lookup(sig) == nil, "an entry whose object is gone is no hit")
    }
}
