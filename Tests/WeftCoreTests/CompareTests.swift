import Testing
@testable import WeftCore

/// `params diff` / `metrics diff`: changed keys, and bootstrap intervals beside their metric.
@Suite("compare")
struct CompareTests {
    @Test("a <key>_ci interval rides with its key; disjoint intervals are called out")
    func intervals() {
        let a: [(String, Value)] = [("bleu", .double(30)), ("bleu_ci", .list([.double(28), .double(32)])), ("rows", .int(10)),
                                    ("chrf", .double(50)), ("chrf_ci", .list([.double(49), .double(51)]))]
        let b: [(String, Value)] = [("bleu", .double(31)), ("bleu_ci", .list([.double(29), .double(33)])), ("rows", .int(10)),
                                    ("chrf", .double(55)), ("chrf_ci", .list([.double(54), .double(56)]))]
        let changes = diffValues(a, b)
        #expect(changes.map(\.key) == ["bleu", "chrf"], "the _ci keys are not rows of their own")
        #expect(changes[0].separated == false && changes[1].separated == true)
        let text = renderDiff(changes, from: "HEAD", to: "workspace", kind: "metrics", format: .text)
        #expect(text.contains("30 [28, 32]") && text.contains("overlap") && text.contains("disjoint"), "\(text)")
        let json = renderDiff(changes, from: "HEAD", to: "workspace", kind: "metrics", format: .json)
        #expect(json.contains("\"significant\":true") || json.contains("\"significant\": true"), "\(json)")
        #expect(diffValues([("x", .int(1))], [("x", .int(2))]).first?.separated == nil)
    }
}
