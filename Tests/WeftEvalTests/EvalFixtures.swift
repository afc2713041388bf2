import Foundation

/// Reads the reference results committed under Tests/Fixtures/eval/ (made by the
/// Python scripts next to them, once, with the reference packages).
enum EvalFixtures {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/eval")

    static func data(_ name: String) throws -> Data {
        try Data(contentsOf: folder.appendingPathComponent(name))
    }

    static func json<T: Decodable>(_ type: T.Type, _ name: String) throws -> T {
        try JSONDecoder().decode(T.self, from: data(name))
    }

    /// Whether two reference numbers agree to the tolerance DESIGN.md sets for exact metrics.
    static func close(_ a: Double, _ b: Double, _ tol: Double = 1e-9) -> Bool {
        if a.isNaN || b.isNaN { return a.isNaN && b.isNaN }
        return abs(a - b) <= tol
    }
}
