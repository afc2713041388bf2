/// Renders parsed template nodes: one instance per rendering (it holds the variable frames,
/// the output and the `{% generation %}` ranges, in Unicode scalar offsets).
/// Scoping follows Jinja: each loop iteration (and a generation block, which transformers
/// runs as a macro call) has its own frame, so `set` inside a loop does not leak out;
/// `namespace()` objects are shared by reference.
final class JinjaRenderer {
    private var frames: [[String: JinjaValue]]
    private(set) var output = ""
    private var scalars = 0
    private(set) var generation: [Range<Int>] = []
    var line = 0

    enum Flow { case normal, breakLoop, continueLoop }

    init(variables: [String: JinjaValue]) {
        var globals: [String: JinjaValue] = [:]
        for f in ["raise_exception", "namespace", "dict", "range", "strftime_now"] { globals[f] = .function(f) }
        frames = [globals.merging(variables) { $1 }]
    }

    private func emit(_ s: String) {
        output += s
        scalars += s.unicodeScalars.count
    }

    func lookup(_ name: String) -> JinjaValue {
        for f in frames.reversed() { if let v = f[name] { return v } }
        return .undefined("'\(name)' is undefined")
    }

    @discardableResult
    func render(_ nodes: [JinjaNode]) throws(JinjaError) -> Flow {
        for node in nodes {
            switch node {
            case .text(let s): emit(s)
            case .output(let e, let l):
                line = l
                emit(try eval(e).text)
            case .conditional(let branches, let otherwise, let l):
                line = l
                var taken = false
                for (cond, body) in branches {
                    guard try eval(cond).truthy else { continue }
                    taken = true
                    let f = try render(body)
                    if f != .normal { return f }
                    break
                }
                if !taken {
                    let f = try render(otherwise)
                    if f != .normal { return f }
                }
            case .loop(let targets, let iterable, let filter, let body, let otherwise, let l):
                line = l
                try loop(targets, try eval(iterable), filter, body, otherwise)
            case .set(let target, let e, let l):
                line = l
                try assign(target, try eval(e))
            case .setBlock(let name, let body, let l):
                line = l
                let (saved, savedCount) = (output, scalars)
                output = ""
                try render(body)
                let value = output
                (output, scalars) = (saved, savedCount)
                frames[frames.count - 1][name] = .string(value)
            case .generation(let body, _):
                let start = scalars
                frames.append([:])
                defer { frames.removeLast() }
                let f = try render(body)
                generation.append(start..<scalars)
                if f != .normal { return f }
            case .breakLoop(let l):
                line = l
                return .breakLoop
            case .continueLoop(let l):
                line = l
                return .continueLoop
            }
        }
        return .normal
    }

    private func assign(_ target: JinjaSetTarget, _ value: JinjaValue) throws(JinjaError) {
        switch target {
        case .names(let names):
            if names.count == 1 { frames[frames.count - 1][names[0]] = value; return }
            let items = try iterate(value)
            guard items.count == names.count else { throw .runtime("cannot unpack \(items.count) values into \(names.count) names", line) }
            for (n, v) in zip(names, items) { frames[frames.count - 1][n] = v }
        case .attribute(let name, let attr):
            guard case .namespace(let ns) = lookup(name) else {
                throw .runtime("cannot set '\(name).\(attr)': '\(name)' is not a namespace() object", line)
            }
            ns.attributes[attr] = value
        }
    }

    private func loop(_ targets: [String], _ iterable: JinjaValue, _ filter: JinjaExpr?, _ body: [JinjaNode], _ otherwise: [JinjaNode]) throws(JinjaError) {
        var items = try iterate(iterable)
        func bind(_ item: JinjaValue, into frame: inout [String: JinjaValue]) throws(JinjaError) {
            if targets.count == 1 { frame[targets[0]] = item; return }
            let parts = try iterate(item)
            guard parts.count == targets.count else { throw .runtime("cannot unpack \(parts.count) values into \(targets.count) loop variables", line) }
            for (n, v) in zip(targets, parts) { frame[n] = v }
        }
        if let filter {
            var kept: [JinjaValue] = []
            for item in items {
                var frame: [String: JinjaValue] = [:]
                try bind(item, into: &frame)
                frames.append(frame)
                defer { frames.removeLast() }
                if try eval(filter).truthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty { try render(otherwise); return }
        let n = items.count
        for (i, item) in items.enumerated() {
            var frame: [String: JinjaValue] = [:]
            try bind(item, into: &frame)
            frame["loop"] = .dict(JinjaDict([
                ("index", .int(i + 1)), ("index0", .int(i)), ("revindex", .int(n - i)), ("revindex0", .int(n - i - 1)),
                ("first", .bool(i == 0)), ("last", .bool(i == n - 1)), ("length", .int(n)), ("depth", .int(1)), ("depth0", .int(0)),
                ("previtem", i > 0 ? items[i - 1] : .undefined("'loop.previtem' is undefined on the first item")),
                ("nextitem", i + 1 < n ? items[i + 1] : .undefined("'loop.nextitem' is undefined on the last item")),
            ]))
            frames.append(frame)
            let flow = try render(body)
            frames.removeLast()
            if flow == .breakLoop { break }
        }
    }

    /// The items a `for` loop visits: list items, dict keys, string characters; nothing for undefined.
    func iterate(_ v: JinjaValue) throws(JinjaError) -> [JinjaValue] {
        switch v {
        case .undefined: return []
        case .list(let l): return l
        case .dict(let d): return d.keys.map { .string($0) }
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        default: throw .runtime("a \(v.typeName) value is not iterable", line)
        }
    }

    // MARK: expressions

    func eval(_ e: JinjaExpr) throws(JinjaError) -> JinjaValue {
        switch e {
        case .none: return .none
        case .bool(let b): return .bool(b)
        case .int(let v): return .int(v)
        case .double(let v): return .double(v)
        case .string(let s): return .string(s)
        case .name(let n): return lookup(n)
        case .list(let items):
            var out: [JinjaValue] = []
            for item in items { out.append(try eval(item)) }
            return .list(out)
        case .dict(let pairs):
            var d = JinjaDict()
            for (k, v) in pairs {
                guard case .string(let key) = try eval(k) else { throw .unsupported("dict literals with non-string keys", line) }
                d[key] = try eval(v)
            }
            return .dict(d)
        case .attr(let base, let name): return try attribute(try eval(base), name)
        case .index(let base, let key): return try subscriptValue(try eval(base), try eval(key))
        case .slice(let base, let lo, let hi, let step):
            return try slice(try eval(base), try lo.map { e throws(JinjaError) in try eval(e) }, try hi.map { e throws(JinjaError) in try eval(e) },
                             try step.map { e throws(JinjaError) in try eval(e) })
        case .call(let callee, let args, let kwargs):
            var a: [JinjaValue] = [], k: [(String, JinjaValue)] = []
            for x in args { a.append(try eval(x)) }
            for (n, x) in kwargs { k.append((n, try eval(x))) }
            if case .attr(let objExpr, let name) = callee {
                let obj = try eval(objExpr)
                if case .undefined(let m) = obj { throw .runtime(m, line) }
                if case .dict(let d) = obj, let f = d[name], case .function = f { return try callFunction(f, a, k) }
                if case .namespace = obj {} else { return try method(obj, name, a, k) }
            }
            return try callFunction(try eval(callee), a, k)
        case .filter(let base, let name, let args, let kwargs):
            var a: [JinjaValue] = [], k: [(String, JinjaValue)] = []
            for x in args { a.append(try eval(x)) }
            for (n, x) in kwargs { k.append((n, try eval(x))) }
            return try filter(name, try eval(base), a, k)
        case .test(let base, let name, let args, let negated):
            var a: [JinjaValue] = []
            for x in args { a.append(try eval(x)) }
            let r = try test(name, try eval(base), a)
            return .bool(negated ? !r : r)
        case .unary(let op, let x):
            let v = try eval(x)
            switch op {
            case "not": return .bool(!v.truthy)
            case "-":
                switch v {
                case .int(let i): return .int(-i)
                case .double(let d): return .double(-d)
                case .bool(let b): return .int(b ? -1 : 0)
                default: throw operandError("unary -", v, nil)
                }
            default:
                guard v.number != nil else { throw operandError("unary +", v, nil) }
                return v
            }
        case .binary(let op, let l, let r):
            let a = try eval(l)
            if op == "and" { return a.truthy ? try eval(r) : a }
            if op == "or" { return a.truthy ? a : try eval(r) }
            return try binary(op, a, try eval(r))
        case .conditional(let then, let cond, let otherwise):
            if try eval(cond).truthy { return try eval(then) }
            return try otherwise.map { e throws(JinjaError) in try eval(e) } ?? .undefined("the conditional expression has no else branch")
        }
    }

    func operandError(_ op: String, _ a: JinjaValue, _ b: JinjaValue?) -> JinjaError {
        if case .undefined(let m) = a { return .runtime(m, line) }
        if let b, case .undefined(let m) = b { return .runtime(m, line) }
        return .runtime("unsupported operand type(s) for \(op): \(a.typeName)" + (b.map { " and \($0.typeName)" } ?? ""), line)
    }

    func attribute(_ v: JinjaValue, _ name: String) throws(JinjaError) -> JinjaValue {
        switch v {
        case .undefined(let m): throw .runtime(m, line)
        case .dict(let d): return d[name] ?? .undefined("'dict object' has no attribute '\(name)'")
        case .namespace(let ns): return ns.attributes[name] ?? .undefined("'namespace' has no attribute '\(name)'")
        default: return .undefined("'\(v.typeName) object' has no attribute '\(name)'")
        }
    }

    func subscriptValue(_ v: JinjaValue, _ key: JinjaValue) throws(JinjaError) -> JinjaValue {
        switch (v, key) {
        case (.undefined(let m), _): throw .runtime(m, line)
        case (.dict(let d), .string(let k)): return d[k] ?? .undefined("'dict object' has no attribute '\(k)'")
        case (.namespace, .string(let k)): return try attribute(v, k)
        case (.list(let l), _):
            guard let i = key.integer else { throw .runtime("list indices must be integers, not \(key.typeName)", line) }
            let j = i < 0 ? i + l.count : i
            return l.indices.contains(j) ? l[j] : .undefined("list index \(i) out of range")
        case (.string(let s), _):
            guard let i = key.integer else { throw .runtime("string indices must be integers, not \(key.typeName)", line) }
            let u = Array(s.unicodeScalars)
            let j = i < 0 ? i + u.count : i
            return u.indices.contains(j) ? .string(String(u[j])) : .undefined("string index \(i) out of range")
        default: return .undefined("'\(v.typeName) object' has no item \(key.repr)")
        }
    }

    /// Python slicing of lists and strings (negative bounds count from the end).
    func slice(_ v: JinjaValue, _ lo: JinjaValue?, _ hi: JinjaValue?, _ step: JinjaValue?) throws(JinjaError) -> JinjaValue {
        func bound(_ x: JinjaValue?) throws(JinjaError) -> Int? {
            guard let x, !(x.isUndefined), x.truthy || x.integer == 0 else { return nil }
            if case .none = x { return nil }
            guard let i = x.integer else { throw .runtime("slice bounds must be integers, not \(x.typeName)", line) }
            return i
        }
        let st = try bound(step) ?? 1
        guard st != 0 else { throw .runtime("slice step cannot be zero", line) }
        func indices(_ n: Int) throws(JinjaError) -> [Int] {
            func clamp(_ i: Int?, _ dflt: Int) -> Int {
                guard var i else { return dflt }
                if i < 0 { i += n }
                return st > 0 ? min(max(i, 0), n) : min(max(i, -1), n - 1)
            }
            let a = clamp(try bound(lo), st > 0 ? 0 : n - 1), b = clamp(try bound(hi), st > 0 ? n : -1)
            return Array(stride(from: a, to: b, by: st))
        }
        switch v {
        case .undefined(let m): throw .runtime(m, line)
        case .list(let l): return .list(try indices(l.count).map { l[$0] })
        case .string(let s):
            let u = Array(s.unicodeScalars)
            return .string(String(String.UnicodeScalarView(try indices(u.count).map { u[$0] })))
        default: throw .runtime("a \(v.typeName) value cannot be sliced", line)
        }
    }
}
