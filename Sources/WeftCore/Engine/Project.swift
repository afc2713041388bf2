import Foundation

/// A Weft project: its root folder, its pipeline files and the stage graph they form.
public struct Project: Sendable {
    public var root: String
    public var files: [PipelineFile]
    public var graph: StageGraph

    public var stages: [Stage] { graph.stages }

    /// The folder holding `pipelines/`, `weft.yaml`, `dvc.yaml` or `.weft/`, searching upward from `start`.
    public static func findRoot(from start: String) -> String? {
        var dir = URL(fileURLWithPath: start).standardizedFileURL.path
        while true {
            for marker in ["pipelines", "weft.yaml", "dvc.yaml", ".weft"] {
                if FileManager.default.fileExists(atPath: dir + "/" + marker) { return dir }
            }
            if dir == "/" || dir.isEmpty { return nil }
            dir = (dir as NSString).deletingLastPathComponent
        }
    }

    /// Root-relative paths of every pipeline file in the project, in a stable order.
    public static func pipelineFiles(root: String) -> [String] {
        var out: [String] = []
        for name in ["dvc.yaml", "weft.yaml"] where FileManager.default.fileExists(atPath: root + "/" + name) {
            out.append(name)
        }
        let names = (try? FileManager.default.contentsOfDirectory(atPath: root + "/pipelines")) ?? []
        for n in names.sorted() where n.hasSuffix(".yaml") || n.hasSuffix(".yml") || n.hasSuffix(".json") {
            out.append("pipelines/" + n)
        }
        return out
    }

    /// Loads the project's pipelines (or just `file`, root-relative) and builds the graph.
    public static func load(root: String, file: String? = nil, catalog: StageCatalog) throws -> Project {
        let loader = PipelineLoader(root: root, catalog: catalog)
        let paths = file.map { [$0] } ?? pipelineFiles(root: root)
        if paths.isEmpty {
            throw WeftError.usage(message: "no pipeline found in \(root)\n  hint: add pipelines/<name>.yaml, weft.yaml or dvc.yaml (see README 'Pipeline files')")
        }
        var files = try paths.map { try loader.load(path: $0) }
        // A name used in two files is addressed as `stem:name` in both.
        var count: [String: Int] = [:]
        for f in files { for s in f.stages { count[s.name, default: 0] += 1 } }
        for i in files.indices {
            for j in files[i].stages.indices where count[files[i].stages[j].name]! > 1 {
                files[i].stages[j].id = files[i].stem + ":" + files[i].stages[j].name
            }
        }
        let graph = try StageGraph(stages: files.flatMap(\.stages), root: root)
        return Project(root: root, files: files, graph: graph)
    }

    /// The pipeline file a stage belongs to.
    public func file(of stage: Stage) -> PipelineFile {
        files.first(where: { $0.path == stage.pipelineFile })!
    }

    /// Resolves command-line targets to stage indices. A target is a stage id, a plain
    /// name, `file:name`, a foreach/matrix group name, or a pipeline file (all its stages).
    public func resolve(targets: [String]) throws -> [Int] {
        var result: [Int] = []
        for t in targets {
            let matches = match(t)
            if matches.isEmpty {
                let ids = stages.map(\.id)
                throw WeftError.usage(message: "unknown stage '\(t)'" + (suggestion(for: t, among: ids).map { "; did you mean '\($0)'?" } ?? "")
                                      + "\n  hint: 'weft stages' lists the stages")
            }
            let names = Set(matches.map { stages[$0].pipelineFile })
            if matches.count > 1, names.count > 1, !t.contains(":"), !stages[matches[0]].name.hasPrefix(t + "@") {
                throw WeftError.usage(message: "stage name '\(t)' is ambiguous: " + matches.map { stages[$0].id }.joined(separator: ", ")
                                      + "\n  hint: address it as file-stem:stage")
            }
            for m in matches where !result.contains(m) { result.append(m) }
        }
        return result
    }

    func match(_ t: String) -> [Int] {
        let idx = Array(stages.indices)
        if let i = idx.first(where: { stages[$0].id == t }) { return [i] }
        let byName = idx.filter { stages[$0].name == t }
        if !byName.isEmpty { return byName }
        if let colon = t.lastIndex(of: ":") {
            let filePart = String(t[..<colon]), name = String(t[t.index(after: colon)...])
            let inFile = idx.filter {
                let f = stages[$0].pipelineFile
                let stem = (f as NSString).lastPathComponent.split(separator: ".").first.map(String.init)
                return f == filePart || stem == filePart || RelPath.join(".", filePart) == f
            }
            if name.isEmpty { return inFile }
            let exact = inFile.filter { stages[$0].name == name }
            if !exact.isEmpty { return exact }
            return inFile.filter { stages[$0].groupName == name }
        }
        let group = idx.filter { stages[$0].groupName == t }
        if !group.isEmpty { return group }
        return idx.filter { stages[$0].pipelineFile == t || RelPath.join(".", t) == stages[$0].pipelineFile }
    }
}
