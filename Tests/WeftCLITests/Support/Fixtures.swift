import Foundation

/// A four-stage pipeline used by several tests:
///
/// ```
/// data/raw.txt → prepare → train (params: train.lr) → evaluate
/// data/notes.txt → report
/// ```
enum Fixture {
    static let pipeline = """
        stages:
          prepare:
            cmd: tr a-z A-Z < data/raw.txt > prepared.txt
            deps:
              - data/raw.txt
            outs:
              - prepared.txt
          train:
            cmd: cat prepared.txt > model.txt; grep 'lr:' params.yaml >> model.txt
            deps:
              - prepared.txt
            params:
              - train.lr
            outs:
              - model.txt
          evaluate:
            cmd: wc -c < model.txt | tr -d ' ' > score.txt
            deps:
              - model.txt
            outs:
              - score.txt
          report:
            cmd: cat data/notes.txt > report.txt
            deps:
              - data/notes.txt
            outs:
              - report.txt

        """

    static let params = """
        train:
          lr: 0.1
          epochs: 3

        """

    static let stageNames = ["prepare", "train", "evaluate", "report"]

    /// Writes the fixture into `ws` as `pipelines/x.yaml` (or `file`).
    static func install(in ws: TestWorkspace, file: String = "pipelines/x.yaml") throws {
        try ws.write(file, pipeline)
        try ws.write("params.yaml", params)
        try ws.write("data/raw.txt", "hello world\n")
        try ws.write("data/notes.txt", "some notes\n")
    }

    static func setLR(_ lr: String, in ws: TestWorkspace) throws {
        try ws.write("params.yaml", params.replacingOccurrences(of: "lr: 0.1", with: "lr: \(lr)"))
    }
}

/// SHA-256 of a file as hex, from the system tool (independent of Weft's own hashing).
func systemSHA256(_ path: String) throws -> String {
    let p = Process()
    let pipe = Pipe()
    if FileManager.default.isExecutableFile(atPath: "/usr/bin/sha256sum") {
        p.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
        p.arguments = [path]
    } else {
        p.executableURL = URL(fileURLWithPath: "/usr/bin/shasum")
        p.arguments = ["-a", "256", path]
    }
    p.standardOutput = pipe
    try p.run()
    let data = pipe.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return String(decoding: data, as: UTF8.self).split(separator: " ").first.map(String.init) ?? ""
}

/// The lines of one stage's entry in a lock file's text (from `  name:` to the next stage).
func lockEntry(_ lock: String, stage: String) -> [String]? {
    let all = lock.split(separator: "\n").map(String.init)
    let header = all.firstIndex(where: { $0 == "  \(stage):" || $0 == "  \"\(stage)\":" })
    guard let start = header else { return nil }
    var out: [String] = []
    for l in all[(start + 1)...] {
        if l.hasPrefix("  ") && !l.hasPrefix("   ") { break }
        out.append(l)
    }
    return out
}

/// Stage names listed in a lock file, in order.
func lockStages(_ lock: String) -> [String] {
    lock.split(separator: "\n").compactMap { l -> String? in
        guard l.hasPrefix("  "), !l.hasPrefix("   "), l.hasSuffix(":") else { return nil }
        var name = String(l.dropFirst(2).dropLast())
        if name.hasPrefix("\"") { name = String(name.dropFirst().dropLast()) }
        return name
    }
}
