import Foundation
import Testing
import WeftCore
import WeftStages

/// The built-in catalog embedded in the binary, and the `concat` implementation.
@Suite("built-in registry")
struct BuiltinRegistryTests {
    /// A temporary folder removed when the value goes away. Paths given to the stage are
    /// absolute, so no test changes the process's working directory.
    final class TempDir {
        let path: String
        init() throws {
            path = FileManager.default.temporaryDirectory.appendingPathComponent("weft-stages-" + UUID().uuidString.prefix(13).lowercased()).path
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        func write(_ name: String, _ text: String) throws -> String {
            let p = path + "/" + name
            try text.write(toFile: p, atomically: false, encoding: .utf8)
            return p
        }
        func read(_ name: String) -> String? { try? String(contentsOfFile: path + "/" + name, encoding: .utf8) }
    }

    /// Collects log lines from the stage (called from any thread).
    final class Log: @unchecked Sendable {
        private let lock = NSLock()
        private var lines: [String] = []
        func add(_ s: String) { lock.lock(); lines.append(s); lock.unlock() }
        var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
    }

    /// Resolves `with` through the manifest exactly as the engine does, then runs concat.
    func runConcat(_ with: String, log: Log = Log()) throws {
        let cat = try BuiltinRegistry.catalog()
        let man = try #require(cat.manifests["concat"])
        let resolved = try man.resolve(with: DocumentLoader.parse(with, file: "with"), stage: "t")
        try BuiltinRegistry.run(name: "concat", version: man.version, with: resolved, log: { log.add($0) })
    }

    @Test("the catalog holds concat v1 with its parameters, types, io and defaults")
    func catalog() throws {
        let cat = try BuiltinRegistry.catalog()
        #expect(cat.names.contains("concat"))
        let m = try #require(cat.manifests["concat"])
        #expect(m.version == 1)
        #expect(!m.summary.isEmpty)
        #expect(m.params.map(\.name) == ["inputs", "output", "separator", "ensure_newline"])
        #expect(m.params.map(\.type) == [.listOfPath, .path, .string, .bool])
        #expect(m.params.map(\.io) == [.input, .output, .none, .none])
        #expect(m.params[0].required && m.params[1].required)
        #expect(m.params[2].defaultValue == .string(""))
        #expect(m.params[3].defaultValue == .bool(true))
        #expect(m.params.allSatisfy { !$0.doc.isEmpty }, "every parameter is documented")
    }

    @Test("every manifest has an implementation and every implementation a manifest")
    func manifestsMatchImplementations() throws {
        let cat = try BuiltinRegistry.catalog()
        #expect(Set(cat.names) == Set(BuiltinRegistry.implementations.keys))
        for (name, impl) in BuiltinRegistry.implementations { #expect(impl.name == name) }
    }

    @Test("concat joins inputs in order with the separator, adding missing final newlines")
    func concatDefaults() throws {
        let d = try TempDir()
        let a = try d.write("a.txt", "alpha")
        let b = try d.write("b.txt", "beta\n")
        let c = try d.write("c.txt", "")
        let log = Log()
        try runConcat("inputs: [\(a), \(b), \(c)]\noutput: \(d.path)/out.txt\nseparator: \"|\"\n", log: log)
        #expect(d.read("out.txt") == "alpha\n|beta\n|")
        #expect(log.all.count == 1)
        #expect(log.all.first?.contains("3 files") == true, "\(log.all)")
    }

    @Test("ensure_newline: false keeps inputs byte for byte")
    func concatRaw() throws {
        let d = try TempDir()
        let a = try d.write("a.txt", "alpha")
        let b = try d.write("b.txt", "beta")
        try runConcat("inputs: [\(a), \(b)]\noutput: \(d.path)/out.txt\nensure_newline: false\n")
        #expect(d.read("out.txt") == "alphabeta")
        try runConcat("inputs: [\(a), \(b)]\noutput: \(d.path)/out2.txt\nensure_newline: false\nseparator: \"\\n--\\n\"\n")
        #expect(d.read("out2.txt") == "alpha\n--\nbeta")
    }

    @Test("a single input path and an existing output are fine")
    func concatSingle() throws {
        let d = try TempDir()
        let a = try d.write("a.txt", "only\n")
        _ = try d.write("out.txt", "old content that must be replaced entirely\n")
        try runConcat("inputs: \(a)\noutput: \(d.path)/out.txt\n")
        #expect(d.read("out.txt") == "only\n")
    }

    @Test("a missing input is an error naming it, and no output or temp file is left")
    func concatMissingInput() throws {
        let d = try TempDir()
        let a = try d.write("a.txt", "a\n")
        var err = ""
        do {
            try runConcat("inputs: [\(a), \(d.path)/missing.txt]\noutput: \(d.path)/out.txt\n")
        } catch {
            err = (error as? WeftError)?.description ?? "\(error)"
        }
        #expect(err.contains("missing.txt"), "\(err)")
        #expect(err.contains("cannot read input"), "\(err)")
        #expect(d.read("out.txt") == nil)
        #expect(try FileManager.default.contentsOfDirectory(atPath: d.path).sorted() == ["a.txt"])
    }

    @Test("unknown stages and version mismatches are refused")
    func refusals() throws {
        #expect(throws: BuiltinError.self) {
            try BuiltinRegistry.run(name: "nope", version: 1, with: .dict([]), log: { _ in })
        }
        do {
            try BuiltinRegistry.run(name: "concat", version: 99, with: .dict([]), log: { _ in })
            Issue.record("version 99 was accepted")
        } catch let e as BuiltinError {
            #expect(e.description.contains("version 99 was requested but this weft binary implements version 1"), "\(e)")
        }
        // A value of the wrong type (the engine validates first, but the stage checks too).
        do {
            try BuiltinRegistry.run(name: "concat", version: 1, with: .dict([("inputs", .string("x")), ("output", .string("y")),
                                                                            ("separator", .string("")), ("ensure_newline", .bool(true))]), log: { _ in })
            Issue.record("inputs as a string was accepted")
        } catch let e as BuiltinError {
            #expect(e.description == "parameter 'inputs' must be a list")
        }
    }
}
