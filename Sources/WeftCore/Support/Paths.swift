import Foundation

/// Pure string operations on relative, '/'-separated project paths.
public enum RelPath {
    /// Joins and normalises (`a/./b/../c` → `a/c`); returns nil if it climbs above the root.
    public static func join(_ base: String, _ rel: String) -> String? {
        if rel.hasPrefix("/") { return nil }
        if (base == "." || base.isEmpty) && isNormal(rel) { return rel }
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

    /// True for a non-empty relative path with no empty, `.` or `..` component.
    static func isNormal(_ p: String) -> Bool {
        var compLen = 0, dots = 0
        for b in p.utf8 {
            if b == 0x2F {
                if compLen == 0 || compLen == dots && dots <= 2 { return false }
                compLen = 0
                dots = 0
            } else {
                compLen += 1
                if b == 0x2E { dots += 1 }
            }
        }
        return compLen > 0 && !(compLen == dots && dots <= 2)
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

extension StringProtocol {
    /// Byte-wise substring test (Foundation's `contains` goes through locale-aware search).
    func containsBytes(_ needle: StaticString) -> Bool {
        needle.withUTF8Buffer { n in
            let h = Array(self.utf8)
            guard n.count <= h.count else { return false }
            if n.isEmpty { return true }
            var i = 0
            while i + n.count <= h.count {
                if h[i] == n[0] {
                    var j = 1
                    while j < n.count && h[i + j] == n[j] { j += 1 }
                    if j == n.count { return true }
                }
                i += 1
            }
            return false
        }
    }
}
