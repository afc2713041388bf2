import Foundation
import Testing
@testable import WeftCore

/// The stage DAG: edges from outputs to deps (folders included), order, cycles, overlaps.
@Suite("stage graph")
struct GraphTests {
    func graph(_ yaml: String) throws -> StageGraph {
        let d = try TempDir()
        return try StageGraph(stages: loadStages(yaml, in: d), root: d.path)
    }

    func names(_ g: StageGraph, _ idx: [Int]) -> [String] { idx.map { g.stages[$0].id } }
    func index(_ g: StageGraph, _ name: String) -> Int { g.stages.firstIndex { $0.id == name }! }

    @Test("edges run through a folder output: to a file inside it and from a folder containing it")
    func folderEdges() throws {
        let g = try graph("""
            stages:
              make:
                cmd: x
                outs: [data/features]
              one_file:
                cmd: x
                deps: [data/features/part-0.csv]
                outs: [a.txt]
              whole_tree:
                cmd: x
                deps: [data]
                outs: [b.txt]
              unrelated:
                cmd: x
                deps: [data2]
                outs: [c.txt]
              both:
                cmd: x
                deps: [a.txt, b.txt]
                outs: [d.txt]

            """)
        #expect(names(g, g.upstream[index(g, "one_file")]) == ["make"])
        #expect(names(g, g.upstream[index(g, "whole_tree")]) == ["make"])
        #expect(g.upstream[index(g, "unrelated")].isEmpty)
        #expect(Set(names(g, g.downstream[index(g, "make")])) == ["one_file", "whole_tree"])
        #expect(names(g, g.upstream[index(g, "both")]) == ["one_file", "whole_tree"])
        #expect(g.producers["data/features"]?.0 == index(g, "make"))
    }

    @Test("a params file written by a stage makes an edge")
    func paramsEdge() throws {
        let d = try TempDir()
        let stages = try loadStages("""
            stages:
              tune:
                cmd: x
                outs: [best.yaml]
              train:
                cmd: x
                params:
                  - best.yaml: [lr]

            """, in: d)
        let g = try StageGraph(stages: stages, root: d.path)
        #expect(names(g, g.upstream[1]) == ["tune"])
    }

    @Test("topological order puts producers first and otherwise keeps file order")
    func order() throws {
        let g = try graph("""
            stages:
              report:
                cmd: x
                deps: [model.bin]
              independent:
                cmd: x
              train:
                cmd: x
                deps: [clean.txt]
                outs: [model.bin]
              clean:
                cmd: x
                outs: [clean.txt]

            """)
        #expect(names(g, g.order) == ["independent", "clean", "train", "report"])
        #expect(names(g, g.closure(of: [index(g, "report")])) == ["clean", "train", "report"])
        #expect(names(g, g.closure(of: [index(g, "train")], downstreamToo: true, upstreamToo: false)) == ["train", "report"])
        #expect(names(g, g.closure(of: [index(g, "independent")])) == ["independent"])
    }

    @Test("a cycle is reported as the path around it, closing on its first stage")
    func cycleMessage() throws {
        let m = message {
            _ = try graph("""
                stages:
                  a:
                    cmd: x
                    deps: [b.txt]
                    outs: [a.txt]
                  b:
                    cmd: x
                    deps: [a.txt]
                    outs: [b.txt]

                """)
        }
        let text = try #require(m)
        #expect(text.contains("pipeline has a cycle: a -> b -> a") || text.contains("pipeline has a cycle: b -> a -> b"), "\(text)")

        let m3 = message {
            _ = try graph("""
                stages:
                  start:
                    cmd: x
                    outs: [s.txt]
                  one:
                    cmd: x
                    deps: [s.txt, three.txt]
                    outs: [one.txt]
                  two:
                    cmd: x
                    deps: [one.txt]
                    outs: [two.txt]
                  three:
                    cmd: x
                    deps: [two.txt]
                    outs: [three.txt]

                """)
        }
        let t3 = try #require(m3)
        let ok = ["one -> two -> three -> one", "two -> three -> one -> two", "three -> one -> two -> three"]
        #expect(ok.contains { t3.contains($0) }, "\(t3)")
        #expect(!t3.contains("start"), "a stage feeding the cycle is not on it: \(t3)")
    }

    @Test("duplicate and nested outputs are refused with both stages named")
    func outputConflicts() throws {
        let dup = message { _ = try graph("stages:\n  a:\n    cmd: x\n    outs: [o]\n  b:\n    cmd: x\n    outs: [o]\n") }
        #expect(dup?.contains("output 'o' is declared by two stages: 'a'") == true, "\(dup ?? "")")
        #expect(dup?.contains("and 'b'") == true)
        let nested = message { _ = try graph("stages:\n  a:\n    cmd: x\n    outs: [o/x]\n  b:\n    cmd: x\n    outs: [o]\n") }
        #expect(nested?.contains("output 'o/x' of stage 'a' lies inside output 'o' of stage 'b'") == true, "\(nested ?? "")")
        let same = message { _ = try graph("stages:\n  a:\n    cmd: x\n    outs: [o, o/x]\n") }
        #expect(same?.contains("(the same stage)") == true, "\(same ?? "")")
    }
}
