import Foundation
@testable import WeftCore

/// A temporary folder removed when the value goes away.
final class TempDir {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("weft-core-" + UUID().uuidString.prefix(13).lowercased()).path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    func file(_ rel: String) -> String { path + "/" + rel }

    @discardableResult
    func write(_ rel: String, _ text: String) throws -> String {
        try write(rel, Array(text.utf8))
    }

    @discardableResult
    func write(_ rel: String, _ bytes: [UInt8]) throws -> String {
        let p = file(rel)
        try FileManager.default.createDirectory(atPath: (p as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        if FileManager.default.fileExists(atPath: p) { try FileManager.default.removeItem(atPath: p) }
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }

    func read(_ rel: String) -> [UInt8]? { (try? Data(contentsOf: URL(fileURLWithPath: file(rel)))).map { [UInt8]($0) } }
}

/// A stand-in for the `concat` manifest, so these tests do not depend on WeftStages.
let testManifestText = """
    name: concat
    version: 1
    summary: test copy
    params:
      - name: inputs
        type: list[path]
        io: input
      - name: output
        type: path
        io: output
      - name: separator
        type: string
        default: ""
      - name: ensure_newline
        type: bool
        default: true

    """

func testCatalog() throws -> StageCatalog { try StageCatalog(texts: ["concat": testManifestText]) }

/// Loads `yaml` as `pipelines/x.yaml` of a fresh project (plus `files`) and returns its stages.
func loadStages(_ yaml: String, files: [String: String] = [:], in dir: TempDir? = nil) throws -> [Stage] {
    let d = try dir ?? TempDir()
    try d.write("pipelines/x.yaml", yaml)
    for (f, t) in files { try d.write(f, t) }
    return try PipelineLoader(root: d.path, catalog: testCatalog()).load(path: "pipelines/x.yaml").stages
}

/// Runs `sha256sum` (the system's, not Weft's) on a file.
func systemSHA256(_ path: String) throws -> String {
    let p = Process()
    let pipe = Pipe()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
    p.arguments = [path]
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
}

/// The message of an error as a user sees it.
func message(_ body: () throws -> Void) -> String? {
    do {
        try body()
        return nil
    } catch let e as WeftError {
        return e.description
    } catch {
        return "\(error)"
    }
}
