import Foundation

/// Draws plots as self-contained SVG (no scripts, no external references) and pages of them.
/// Templates as DVC names them: `linear`/`simple` (lines), `scatter` (points), `smooth`
/// (the raw line faint, under a centred moving average over 5 points), `confusion` and
/// `confusion_normalized` (a heatmap per revision, rows = actual, columns = predicted).
public enum PlotRenderer {
    static let palette = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"]

    /// A self-contained HTML page: a heading and an inline SVG per plot.
    public static func page(_ plots: [PlotInput], title: String) -> String {
        var h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(xml(title))</title>\n"
        h += "<style>body{font-family:system-ui,sans-serif;margin:24px;color:#222}section{margin-bottom:32px}"
        h += "h2{font-size:16px;font-weight:600;margin:0 0 8px}svg{max-width:100%;height:auto}</style></head>\n"
        h += "<body><h1 style=\"font-size:20px\">\(xml(title))</h1>\n"
        for p in plots { h += "<section><h2>\(xml(p.options.title ?? p.path))</h2>\n\(svg(p))\n</section>\n" }
        return h + "</body></html>\n"
    }

    /// One chart for a plot.
    public static func svg(_ p: PlotInput) -> String {
        p.options.template.hasPrefix("confusion") ? confusion(p) : lines(p)
    }

    // MARK: line and scatter charts

    struct Series {
        var revision: String, column: String, label: String, points: [(Double, Double)]
    }

    static func series(_ p: PlotInput) -> (series: [Series], xName: String, yNames: [String]) {
        let xName = p.options.x ?? "step"
        var yNames = p.options.y
        if yNames.isEmpty, let rows = p.revisions.first(where: { !$0.rows.isEmpty })?.rows, let first = rows.first {
            // DVC's default: the last column that holds numbers.
            if let c = first.reversed().first(where: { col in col.0 != p.options.x && rows.contains { r in number(r.first { $0.0 == col.0 }?.1) != nil } }) {
                yNames = [c.0]
            }
        }
        var out: [Series] = []
        for (rev, rows) in p.revisions {
            for y in yNames {
                var pts: [(Double, Double)] = []
                for (i, r) in rows.enumerated() {
                    let x = p.options.x == nil ? Double(i) : number(r.first { $0.0 == xName }?.1)
                    guard let x, let v = number(r.first { $0.0 == y }?.1), x.isFinite, v.isFinite else { continue }
                    pts.append((x, v))
                }
                out.append(Series(revision: rev, column: y, label: yNames.count > 1 ? "\(rev): \(y)" : rev, points: pts))
            }
        }
        return (out, xName, yNames)
    }

    /// About five round tick values (1, 2 or 5 × 10^k apart) covering lo...hi.
    static func ticks(_ lo: Double, _ hi: Double) -> [Double] {
        guard hi > lo else { return [lo] }
        let raw = (hi - lo) / 5
        let e = floor(log10(raw))
        let mag = pow(10, e)
        let m = [1.0, 2, 5, 10].first { $0 * mag >= raw } ?? 10
        let step = m * mag
        // Tick k is k·m·10^e, computed as one division for negative e, so 0.6 prints as 0.6.
        func tick(_ k: Double) -> Double { e < 0 ? k * m / pow(10, -e) : k * m * mag }
        var k = (lo / step).rounded(.up)
        var out: [Double] = []
        while tick(k) <= hi + step * 1e-9 {
            out.append(k == 0 ? 0 : tick(k))
            k += 1
        }
        return out
    }

    /// Padded axis range; a flat or single value gets a unit-wide band around it.
    static func range(_ v: [Double]) -> (Double, Double) {
        guard let lo = v.min(), let hi = v.max() else { return (0, 1) }
        if hi == lo { let pad = lo == 0 ? 1 : abs(lo) * 0.1; return (lo - pad, hi + pad) }
        let pad = (hi - lo) * 0.05
        return (lo - pad, hi + pad)
    }

    static func lines(_ p: PlotInput) -> String {
        let (all, xName, yNames) = series(p)
        let w = 680.0, plotH = 300.0, left = 70.0, right = 20.0, top = 20.0
        let legendTop = top + plotH + 50
        let height = legendTop + 18 * Double(max(all.count, 1)) + 10
        let (x0, x1) = range(all.flatMap { $0.points.map(\.0) })
        let (y0, y1) = range(all.flatMap { $0.points.map(\.1) })
        func px(_ x: Double) -> Double { left + (x - x0) / (x1 - x0) * (w - left - right) }
        func py(_ y: Double) -> Double { top + plotH - (y - y0) / (y1 - y0) * plotH }
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(w))\" height=\"\(fmt(height))\" viewBox=\"0 0 \(fmt(w)) \(fmt(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(top))\" width=\"\(fmt(w - left - right))\" height=\"\(fmt(plotH))\" fill=\"#fff\" stroke=\"#999\"/>\n"
        for t in ticks(x0, x1) {
            s += "<line x1=\"\(fmt(px(t)))\" y1=\"\(fmt(top))\" x2=\"\(fmt(px(t)))\" y2=\"\(fmt(top + plotH))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(fmt(px(t)))\" y=\"\(fmt(top + plotH + 14))\" text-anchor=\"middle\">\(fmtLabel(t))</text>\n"
        }
        for t in ticks(y0, y1) {
            s += "<line x1=\"\(fmt(left))\" y1=\"\(fmt(py(t)))\" x2=\"\(fmt(w - right))\" y2=\"\(fmt(py(t)))\" stroke=\"#eee\"/>"
            s += "<text x=\"\(fmt(left - 6))\" y=\"\(fmt(py(t) + 4))\" text-anchor=\"end\">\(fmtLabel(t))</text>\n"
        }
        let xTitle = p.options.xLabel ?? xName, yTitle = p.options.yLabel ?? yNames.joined(separator: ", ")
        s += "<text x=\"\(fmt(left + (w - left - right) / 2))\" y=\"\(fmt(top + plotH + 34))\" text-anchor=\"middle\" font-size=\"12\">\(xml(xTitle))</text>\n"
        s += "<text transform=\"translate(16 \(fmt(top + plotH / 2))) rotate(-90)\" text-anchor=\"middle\" font-size=\"12\">\(xml(yTitle))</text>\n"
        if all.allSatisfy({ $0.points.isEmpty }) {
            s += "<text x=\"\(fmt(left + 12))\" y=\"\(fmt(top + 20))\" fill=\"#900\">no numeric data for \(xml(yTitle))</text>\n"
        }
        for (k, se) in all.enumerated() {
            let color = palette[k % palette.count]
            let attrs = "class=\"series\" data-revision=\"\(xml(se.revision))\" data-column=\"\(xml(se.column))\" data-points=\"\(se.points.count)\""
            let coords = se.points.map { "\(fmt(px($0.0))),\(fmt(py($0.1)))" }.joined(separator: " ")
            switch p.options.template {
            case "scatter":
                s += "<g \(attrs) fill=\"\(color)\">"
                for (x, y) in se.points { s += "<circle cx=\"\(fmt(px(x)))\" cy=\"\(fmt(py(y)))\" r=\"3\"/>" }
                s += "</g>\n"
            case "smooth":
                s += "<polyline points=\"\(coords)\" fill=\"none\" stroke=\"\(color)\" stroke-opacity=\"0.3\" stroke-width=\"1\"/>\n"
                let avg = movingAverage(se.points.map(\.1), window: 5)
                let smooth = zip(se.points, avg).map { "\(fmt(px($0.0.0))),\(fmt(py($0.1)))" }.joined(separator: " ")
                s += "<polyline \(attrs) points=\"\(smooth)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
            default:
                s += "<polyline \(attrs) points=\"\(coords)\" fill=\"none\" stroke=\"\(color)\" stroke-width=\"2\"/>\n"
                if se.points.count == 1 { s += "<circle cx=\"\(fmt(px(se.points[0].0)))\" cy=\"\(fmt(py(se.points[0].1)))\" r=\"3\" fill=\"\(color)\"/>\n" }
            }
            let ly = legendTop + 18 * Double(k)
            s += "<rect x=\"\(fmt(left))\" y=\"\(fmt(ly - 9))\" width=\"14\" height=\"4\" fill=\"\(color)\"/>"
            s += "<text x=\"\(fmt(left + 20))\" y=\"\(fmt(ly - 4))\">\(xml(se.label))</text>\n"
        }
        return s + "</svg>"
    }

    /// Centred moving average (shorter windows at the ends).
    static func movingAverage(_ v: [Double], window: Int) -> [Double] {
        let h = window / 2
        return v.indices.map { i in
            let lo = max(0, i - h), hi = min(v.count - 1, i + h)
            return v[lo...hi].reduce(0, +) / Double(hi - lo + 1)
        }
    }

    // MARK: confusion matrices

    static func confusion(_ p: PlotInput) -> String {
        let actual = p.options.x ?? "actual", predicted = p.options.y.first ?? "predicted"
        let normalized = p.options.template == "confusion_normalized"
        func label(_ v: Value?) -> String? { v.map { x in if case .double(let d) = x { return fmtLabel(d) }; return x.display } }
        var labels = Set<String>()
        for (_, rows) in p.revisions {
            for r in rows {
                if let a = label(r.first { $0.0 == actual }?.1) { labels.insert(a) }
                if let b = label(r.first { $0.0 == predicted }?.1) { labels.insert(b) }
            }
        }
        let names = labels.sorted()
        let n = max(names.count, 1)
        let cellSize = max(16.0, min(44.0, 440.0 / Double(n)))
        let labelW = 90.0, gap = 40.0, head = 40.0
        let gridW = cellSize * Double(n)
        let blockW = labelW + gridW + gap
        let width = blockW * Double(max(p.revisions.count, 1)) + 10
        let height = head + gridW + 50
        var s = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"\(fmt(width))\" height=\"\(fmt(height))\" viewBox=\"0 0 \(fmt(width)) \(fmt(height))\" font-family=\"sans-serif\" font-size=\"11\">\n"
        for (k, (rev, rows)) in p.revisions.enumerated() {
            var counts = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
            for r in rows {
                guard let a = label(r.first { $0.0 == actual }?.1), let b = label(r.first { $0.0 == predicted }?.1),
                      let i = names.firstIndex(of: a), let j = names.firstIndex(of: b) else { continue }
                counts[i][j] += 1
            }
            if normalized {
                for i in 0..<n {
                    let t = counts[i].reduce(0, +)
                    if t > 0 { counts[i] = counts[i].map { $0 / t } }
                }
            }
            let peak = max(counts.flatMap { $0 }.max() ?? 0, 1e-12)
            let ox = 10 + blockW * Double(k) + labelW
            s += "<g class=\"matrix\" data-revision=\"\(xml(rev))\">\n"
            s += "<text x=\"\(fmt(ox + gridW / 2))\" y=\"14\" text-anchor=\"middle\" font-size=\"12\" font-weight=\"600\">\(xml(rev))</text>\n"
            s += "<text x=\"\(fmt(ox + gridW / 2))\" y=\"\(fmt(head - 6))\" text-anchor=\"middle\">\(xml(predicted)) →</text>\n"
            s += "<text x=\"\(fmt(ox - 4))\" y=\"\(fmt(head - 6))\" text-anchor=\"end\">\(xml(actual)) ↓</text>\n"
            for (i, a) in names.enumerated() {
                let y = head + cellSize * Double(i)
                s += "<text x=\"\(fmt(ox - 4))\" y=\"\(fmt(y + cellSize / 2 + 4))\" text-anchor=\"end\">\(xml(a))</text>\n"
                for (j, b) in names.enumerated() {
                    let x = ox + cellSize * Double(j)
                    let v = counts[i][j]
                    let shade = Int((1 - v / peak) * 215) + 40
                    let text = normalized ? String(format: "%.2f", v) : fmt(v)
                    s += "<rect class=\"cell\" data-revision=\"\(xml(rev))\" data-actual=\"\(xml(a))\" data-predicted=\"\(xml(b))\" data-value=\"\(text)\" "
                    s += "x=\"\(fmt(x))\" y=\"\(fmt(y))\" width=\"\(fmt(cellSize))\" height=\"\(fmt(cellSize))\" fill=\"rgb(\(shade),\(shade),255)\" stroke=\"#fff\"/>"
                    s += "<text x=\"\(fmt(x + cellSize / 2))\" y=\"\(fmt(y + cellSize / 2 + 4))\" text-anchor=\"middle\" fill=\"\(shade < 140 ? "#fff" : "#000")\">\(text)</text>\n"
                }
            }
            for (j, b) in names.enumerated() {
                s += "<text x=\"\(fmt(ox + cellSize * (Double(j) + 0.5)))\" y=\"\(fmt(head + gridW + 14))\" text-anchor=\"middle\">\(xml(b))</text>\n"
            }
            s += "</g>\n"
        }
        return s + "</svg>"
    }

    // MARK: text

    /// Coordinates: at most 2 decimals, no trailing zeros, "." as the decimal point.
    static func fmt(_ d: Double) -> String {
        let r = (d * 100).rounded() / 100
        if r == r.rounded() { return String(Int64(r)) }
        var s = String(format: "%.2f", r)
        while s.hasSuffix("0") { s.removeLast() }
        return s
    }

    /// Tick and axis labels: compact, exponent form for very large or small values.
    static func fmtLabel(_ d: Double) -> String {
        if d == 0 { return "0" }
        if abs(d) >= 1e6 || abs(d) < 1e-3 { return String(format: "%.2g", d) }
        return formatNumber((d * 1e4).rounded() / 1e4)
    }

    static func xml(_ s: String) -> String {
        var o = ""
        for c in s {
            switch c {
            case "&": o += "&amp;"
            case "<": o += "&lt;"
            case ">": o += "&gt;"
            case "\"": o += "&quot;"
            case "'": o += "&apos;"
            default: o.append(c)
            }
        }
        return o
    }
}
