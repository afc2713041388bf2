import Foundation
import Testing
@testable import WeftCore
#if canImport(FoundationXML)
import FoundationXML
#endif

/// Collects elements and their attributes; nil for malformed XML. (On Linux, `XMLParser.parse()`
/// returns true for unbalanced tags, so the probe also checks the errors and the nesting itself.)
final class SVGProbe: NSObject, XMLParserDelegate {
    var elements: [(String, [String: String])] = []
    var open: [String] = []
    var broken = false
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        elements.append((name, attributes))
        open.append(name)
    }
    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if open.popLast() != name { broken = true }
    }
    func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { broken = true }
    static func parse(_ svg: String) -> SVGProbe? {
        let probe = SVGProbe()
        let p = XMLParser(data: Data(svg.utf8))
        p.delegate = probe
        let ok = p.parse() && p.parserError == nil
        return ok && !probe.broken && probe.open.isEmpty && !probe.elements.isEmpty ? probe : nil
    }
    func with(_ attr: String, _ value: String) -> [[String: String]] { elements.map(\.1).filter { $0[attr] == value } }
}

@Suite("plots: tables and SVG")
struct PlotRenderTests {
    func rows(_ text: String, _ path: String) throws -> PlotRows { try PlotTable.parse(Array(text.utf8), path: path) }

    @Test("CSV with quotes, doubled quotes, separators and newlines in fields; numbers typed")
    func csv() throws {
        let r = try rows("step,loss,note\n1,0.5,\"a, b\"\n2,0.25,\"say \"\"hi\"\"\nthere\"\n", "loss.csv")
        #expect(r.count == 2)
        #expect(r[0][0].1 == .int(1) && r[0][1].1 == .double(0.5) && r[0][2].1 == .string("a, b"))
        #expect(r[1][2].1 == .string("say \"hi\"\nthere"))
        let t = try rows("a\tb\n1\tx\n", "t.tsv")
        #expect(t[0][0].1 == .int(1) && t[0][1].1 == .string("x"))
        #expect(throws: WeftError.self) { try rows("a,b\n1\n", "bad.csv") }
        do { _ = try rows("a,b\n1,2\n3\n", "bad.csv") } catch { #expect("\(error)".contains("bad.csv:3"), "\(error)") }
    }

    @Test("JSON lists, JSON objects holding a list, JSONL (errors name the line)")
    func json() throws {
        #expect(try rows("[{\"step\": 0, \"loss\": 1.5}, {\"step\": 1, \"loss\": 1.0}]", "l.json").count == 2)
        #expect(try rows("{\"train\": [{\"step\": 0, \"loss\": 1.5}]}", "l.json")[0][1].1 == .double(1.5))
        #expect(try rows("{\"a\": 1}\n{\"a\": 2}\n", "l.jsonl").map { $0[0].1 } == [.int(1), .int(2)])
        do { _ = try rows("{\"a\": 1}\n[1]\n", "l.jsonl"); Issue.record("no error") } catch { #expect("\(error)".contains("l.jsonl:2"), "\(error)") }
        #expect(throws: WeftError.self) { try rows("{\"a\": 1}", "l.json") }
    }

    @Test("a line chart has one series per revision and column, with every point, as well-formed SVG")
    func lineChart() throws {
        let a = try rows("step,loss,acc\n0,2,0.1\n1,1,0.5\n2,0.5,0.7\n", "m.csv")
        let b = try rows("step,loss,acc\n0,3,0.2\n1,1.5,0.4\n", "m.csv")
        let plot = PlotInput(path: "m.csv", options: PlotOptions(x: "step", y: ["loss", "acc"]), revisions: [("HEAD", a), ("exp-1", b)])
        let svg = PlotRenderer.svg(plot)
        let probe = try #require(SVGProbe.parse(svg), "not well-formed: \(svg)")
        let series = probe.with("class", "series")
        #expect(series.count == 4)
        #expect(series.map { $0["data-revision"]! + "/" + $0["data-column"]! } == ["HEAD/loss", "HEAD/acc", "exp-1/loss", "exp-1/acc"])
        #expect(series.map { $0["data-points"] } == ["3", "3", "2", "2"])
        #expect(series.map { $0["points"]!.split(separator: " ").count } == [3, 3, 2, 2])
        #expect(svg == PlotRenderer.svg(plot), "deterministic")
        // Default y: the last numeric column; x: the row index.
        let d = PlotRenderer.svg(PlotInput(path: "m.csv", options: PlotOptions(), revisions: [("w", a)]))
        #expect(SVGProbe.parse(d)?.with("class", "series").map { $0["data-column"] } == ["acc"])
    }

    @Test("no rows, one point, flat values and odd text do not break the chart")
    func edgeCases() throws {
        for text in ["step,loss\n", "step,loss\n0,1\n", "step,loss\n0,1\n1,1\n2,1\n", "step,loss\n0,x\n1,nan\n"] {
            let svg = PlotRenderer.svg(PlotInput(path: "a<b>&.csv", options: PlotOptions(x: "step", y: ["loss"]),
                                                 revisions: [("rev \"1\" & <2>", try rows(text, "a.csv"))]))
            #expect(SVGProbe.parse(svg) != nil, "\(text): \(svg)")
            #expect(!svg.contains("nan") && !svg.contains("inf"), "\(svg)")
        }
        #expect(PlotRenderer.ticks(0, 1) == [0, 0.2, 0.4, 0.6, 0.8, 1])
        #expect(PlotRenderer.ticks(-3, 27) == [0, 10, 20])
    }

    @Test("confusion matrices count (actual, predicted) pairs; normalised rows sum to 1")
    func confusion() throws {
        let r = try rows("actual,predicted\ncat,cat\ncat,dog\ndog,dog\ndog,dog\nbird,cat\n", "c.csv")
        let svg = PlotRenderer.svg(PlotInput(path: "c.csv", options: PlotOptions(template: "confusion"), revisions: [("HEAD", r)]))
        let cells = try #require(SVGProbe.parse(svg)).with("class", "cell")
        #expect(cells.count == 9)
        func v(_ a: String, _ p: String) -> String? { cells.first { $0["data-actual"] == a && $0["data-predicted"] == p }?["data-value"] }
        #expect(v("cat", "cat") == "1" && v("cat", "dog") == "1" && v("dog", "dog") == "2" && v("bird", "cat") == "1" && v("bird", "bird") == "0")
        let n = PlotRenderer.svg(PlotInput(path: "c.csv", options: PlotOptions(template: "confusion_normalized"), revisions: [("HEAD", r)]))
        let ncells = try #require(SVGProbe.parse(n)).with("class", "cell")
        for a in ["bird", "cat", "dog"] {
            let sum = ncells.filter { $0["data-actual"] == a }.compactMap { Double($0["data-value"]!) }.reduce(0, +)
            #expect(abs(sum - 1) < 0.011, "\(a): \(sum)")
        }
    }

    @Test("the XML probe itself rejects malformed SVG")
    func probeRejects() {
        for bad in ["<a><b></a>", "<a>", "<a x=\"1></a>", "<a></b>", "text"] { #expect(SVGProbe.parse(bad) == nil, "\(bad)") }
        #expect(SVGProbe.parse("<a><b/></a>") != nil)
    }

    @Test("the page embeds every plot's SVG and needs no scripts or network")
    func page() throws {
        let a = try rows("step,loss\n0,1\n1,0.5\n", "l.csv")
        let html = PlotRenderer.page([PlotInput(path: "l.csv", options: PlotOptions(x: "step", y: ["loss"]), revisions: [("HEAD", a)])], title: "t")
        #expect(html.contains("<svg") && html.contains("class=\"series\""))
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("href="))
    }
}
