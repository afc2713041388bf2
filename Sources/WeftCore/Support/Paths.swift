import Foundation

/// Pure string operations on relative, '/'-separated project paths.
public enum RelPath {
    /// Joins and normalises (`a/./b/../c` → `a/c`); returns nil if it climbs above the root.
    public static func join(_ base: String, _ rel: String) -> String? {
        if rel.hasPrefix("/") { return nil }
        var parts: [Substring] = []
        for p in (base.isEmpty || base == "." ? [] : base.split(separator: "/")) + rel.split(separator: "/") {
            if p == "." || p.isEmpty { continue }
            if p == ".." {
                if parts.isEmpty { return nil }
                parts.removeLast()
            } else {
                parts.append(p)
            }
        }
        return parts.isEmpty ? "." : parts.joined(separator: "/")
    }

    /// `a/b/c` → [`a`, `a/b`]: the folders that contain a path.
    public static func ancestors(_ p: String) -> [String] {
        var out: [String] = []
        var idx = p.startIndex
        while let slash = p[idx...].firstIndex(of: "/") {
            out.append(String(p[..<slash]))
            idx = p.index(after: slash)
        }
        return out
    }

    /// True if `inner` equals `outer` or lies inside it.
    public static func isWithin(_ inner: String, _ outer: String) -> Bool {
        outer == "." || inner == outer || inner.hasPrefix(outer + "/")
    }

    /// The parent folder of a relative path (`.` for a top-level name).
    public static func parent(_ p: String) -> String {
        guard let slash = p.lastIndex(of: "/") else { return "." }
        return String(p[..<slash])
    }

    /// `to` expressed relative to the folder `from` (both root-relative).
    public static func relative(_ to: String, from: String) -> String {
        if from == "." { return to }
        let a = from.split(separator: "/"), b = to == "." ? [] : to.split(separator: "/")
        var i = 0
        while i < a.count, i < b.count, a[i] == b[i] { i += 1 }
        let ups = Array(repeating: "..", count: a.count - i)
        let rest = b[i...].map(String.init)
        let all = ups + rest
        return all.isEmpty ? "." : all.joined(separator: "/")
    }
}
