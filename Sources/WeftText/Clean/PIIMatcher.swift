/// Finds URLs, e-mail addresses and phone numbers in UTF-8 text for masking or removal.
///
/// The rules are deliberately conservative (a false mask damages training text):
/// - URL: `http://`, `https://`, `ftp://` or `www.` at a word start, up to the next
///   whitespace or `<>"`, without trailing `.,;:!?'` and without a closing bracket
///   that has no opening one inside the URL.
/// - E-mail: `local@domain.tld` with local part `[A-Za-z0-9._%+-]`, dot-separated
///   domain labels `[A-Za-z0-9-]` and a final label of at least two letters.
/// - Phone: 7 to 15 digits in groups joined by single `-`, `.` or spaces, where the
///   number starts with `+`, or with a parenthesised area code, or its groups are
///   joined by `-`/`.` and the last group has 3 or 4 digits (so dates like 2024 or
///   decimals like 3.14 are left alone; a bare run of digits is never a phone).
enum PIIMatcher {
    enum Kind: Int { case url, email, phone }

    @inline(__always) static func isAlnum(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7A) || b >= 0x80
    }
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inline(__always) static func isSpace(_ b: UInt8) -> Bool { b == 0x20 || (b >= 0x09 && b <= 0x0D) }

    static func hasPrefix(_ s: [UInt8], _ i: Int, _ p: StaticString) -> Bool {
        let n = p.utf8CodeUnitCount
        guard i + n <= s.count else { return false }
        for k in 0..<n where (s[i + k] | (isAlnum(p.utf8Start[k]) && !isDigit(p.utf8Start[k]) ? 0x20 : 0)) != p.utf8Start[k] { return false }
        return true
    }

    /// The end of a URL starting at `i`, or nil.
    static func url(_ s: [UInt8], _ i: Int) -> Int? {
        if i > 0, isAlnum(s[i - 1]) { return nil }
        guard hasPrefix(s, i, "http://") || hasPrefix(s, i, "https://") || hasPrefix(s, i, "ftp://") || hasPrefix(s, i, "www.") else {
            return nil
        }
        var j = i
        while j < s.count, !isSpace(s[j]), s[j] != UInt8(ascii: "<"), s[j] != UInt8(ascii: ">"), s[j] != UInt8(ascii: "\"") { j += 1 }
        while j > i {
            let b = s[j - 1]
            if isTrailingPunctuation(b) { j -= 1; continue }
            if b == UInt8(ascii: ")") || b == UInt8(ascii: "]") || b == UInt8(ascii: "}") {
                let open: UInt8 = b == UInt8(ascii: ")") ? UInt8(ascii: "(") : b == UInt8(ascii: "]") ? UInt8(ascii: "[") : UInt8(ascii: "{")
                let opens = s[i..<j].filter { $0 == open }.count, closes = s[i..<j].filter { $0 == b }.count
                if closes > opens { j -= 1; continue }
            }
            break
        }
        let minLength = hasPrefix(s, i, "www.") ? 5 : 8
        return j - i > minLength ? j : nil
    }

    @inline(__always) static func isLocal(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
            UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "%"), UInt8(ascii: "+"), UInt8(ascii: "-"):
            return true
        default: return false
        }
    }

    @inline(__always) static func isTrailingPunctuation(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "!"), UInt8(ascii: "?"), UInt8(ascii: "'"):
            return true
        default: return false
        }
    }

    /// An e-mail around the `@` at `at`: its range, or nil.
    static func email(_ s: [UInt8], at: Int) -> Range<Int>? {
        var a = at
        while a > 0, isLocal(s[a - 1]) { a -= 1 }
        while a < at, s[a] == UInt8(ascii: ".") { a += 1 }
        guard a < at else { return nil }
        var j = at + 1
        var lastDot = -1
        while j < s.count, (isAlnum(s[j]) && s[j] < 0x80) || s[j] == UInt8(ascii: "-") || s[j] == UInt8(ascii: ".") {
            if s[j] == UInt8(ascii: ".") {
                if s[j - 1] == UInt8(ascii: ".") || s[j - 1] == UInt8(ascii: "@") { break }
                lastDot = j
            }
            j += 1
        }
        while j > at + 1, s[j - 1] == UInt8(ascii: ".") || s[j - 1] == UInt8(ascii: "-") { j -= 1 }
        lastDot = -1
        for k in (at + 1)..<j where s[k] == UInt8(ascii: ".") { lastDot = k }
        guard lastDot > at + 1, j - lastDot - 1 >= 2 else { return nil }
        for k in (lastDot + 1)..<j where !((s[k] | 0x20) >= 0x61 && (s[k] | 0x20) <= 0x7A) { return nil }
        return a..<j
    }

    /// The end of a phone number starting at `i`, or nil.
    static func phone(_ s: [UInt8], _ i: Int) -> Int? {
        if i > 0, isAlnum(s[i - 1]) || s[i - 1] == UInt8(ascii: "+") { return nil }
        var j = i
        var plus = false, paren = false
        if s[j] == UInt8(ascii: "+") { plus = true; j += 1 }
        var groups: [Int] = []
        var seps: [UInt8] = []
        while j < s.count {
            if s[j] == UInt8(ascii: "("), !paren, groups.isEmpty || plus {
                var k = j + 1
                while k < s.count, isDigit(s[k]) { k += 1 }
                guard k < s.count, s[k] == UInt8(ascii: ")"), (1...5).contains(k - j - 1) else { break }
                groups.append(k - j - 1)
                paren = true
                j = k + 1
                if j < s.count, s[j] == 0x20 || s[j] == UInt8(ascii: "-") { seps.append(s[j]); j += 1 }
                continue
            }
            var k = j
            while k < s.count, isDigit(s[k]) { k += 1 }
            guard k > j else { break }
            groups.append(k - j)
            j = k
            guard j + 1 < s.count, s[j] == UInt8(ascii: "-") || s[j] == UInt8(ascii: ".") || s[j] == 0x20, isDigit(s[j + 1]) || s[j + 1] == UInt8(ascii: "(") else {
                break
            }
            seps.append(s[j])
            j += 1
        }
        let digits = groups.reduce(0, +)
        guard (7...15).contains(digits), groups.count >= 2 || plus else { return nil }
        if j < s.count, isAlnum(s[j]) { return nil }
        if !plus && !paren {
            guard let last = groups.last, (3...4).contains(last), !seps.contains(0x20), Set(seps).count == 1 else { return nil }
        }
        // A trailing separator was not consumed; the number ends at the last digit.
        return j
    }

    /// Every match, left to right, non-overlapping, for the enabled kinds.
    static func matches(_ s: [UInt8], urls: Bool, emails: Bool, phones: Bool) -> [(Range<Int>, Kind)] {
        // Cheap pre-checks: no '@' means no e-mail, no "://" or "www." no URL, no digit no phone.
        var hasAt = false, hasURL = false, hasDigit = false
        s.withUnsafeBufferPointer { buf in
            let n = buf.count
            for i in 0..<n {
                switch buf[i] {
                case UInt8(ascii: "@"): hasAt = true
                case UInt8(ascii: ":"):
                    if i + 2 < n, buf[i + 1] == UInt8(ascii: "/"), buf[i + 2] == UInt8(ascii: "/") { hasURL = true }
                case UInt8(ascii: "."):
                    if i >= 3, buf[i - 1] | 0x20 == UInt8(ascii: "w"), buf[i - 2] | 0x20 == UInt8(ascii: "w"), buf[i - 3] | 0x20 == UInt8(ascii: "w") { hasURL = true }
                case UInt8(ascii: "0")...UInt8(ascii: "9"): hasDigit = true
                default: break
                }
            }
        }
        let wantURL = urls && hasURL, wantEmail = emails && hasAt, wantPhone = phones && hasDigit
        guard wantURL || wantEmail || wantPhone else { return [] }
        var out: [(Range<Int>, Kind)] = []
        var i = 0
        var emailSearchFrom = 0
        while i < s.count {
            let b = s[i]
            if wantURL, b == UInt8(ascii: "h") || b == UInt8(ascii: "H") || b == UInt8(ascii: "w") || b == UInt8(ascii: "W") || b == UInt8(ascii: "f") || b == UInt8(ascii: "F"),
                let e = url(s, i)
            {
                out.append((i..<e, .url)); i = e; continue
            }
            if wantEmail, isLocal(b), i >= emailSearchFrom {
                // Look ahead to the next '@' in this run of local-part characters.
                var k = i
                while k < s.count, isLocal(s[k]) { k += 1 }
                if k < s.count, s[k] == UInt8(ascii: "@"), let r = email(s, at: k), r.lowerBound >= i {
                    out.append((r, .email)); i = r.upperBound; continue
                }
                emailSearchFrom = k
            }
            if wantPhone, isDigit(b) || b == UInt8(ascii: "+") || b == UInt8(ascii: "("), let e = phone(s, i) {
                out.append((i..<e, .phone)); i = e; continue
            }
            i += 1
        }
        return out
    }
}
