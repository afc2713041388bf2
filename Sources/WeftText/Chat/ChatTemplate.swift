import Foundation

/// A model's own chat template (the Jinja `chat_template` of its tokenizer_config.json, or
/// its chat_template.jinja), rendered like transformers'
/// `apply_chat_template(messages, tokenize=False, add_generation_prompt=…)` by WeftText's
/// Jinja-subset interpreter. Templates using anything outside the subset fail when loaded
/// (statements, filters, tests) or when rendered (methods), naming the construct.
///
/// Supported: `{{ }}`, `{% %}`, `{# #}`, `-`/`+` whitespace control with transformers'
/// `trim_blocks`/`lstrip_blocks`; for (tuple targets, `if` filter, `else`, `loop.index`,
/// `index0`, `revindex`, `revindex0`, `first`, `last`, `length`, `previtem`, `nextitem`),
/// if/elif/else, set (names, `ns.attr`, block set), break/continue, `{% generation %}`;
/// literals (string, int, float, bool, none, list, tuple, dict), attribute, subscript,
/// slices, `+ - * / // % ** ~`, comparisons, `and or not`, `in`/`not in`, `x if c else y`,
/// calls; the filters, tests, methods and functions `JinjaRenderer` lists.
public struct ChatTemplate: Sendable {
    /// Where the template came from (for messages).
    public let path: String
    /// The template text.
    public let source: String
    /// Special tokens passed to the template as variables (`bos_token`, `eos_token`, …).
    public let specialTokens: [String: String]
    let nodes: [JinjaNode]
    /// Whether the template marks assistant text with `{% generation %}` blocks.
    public let hasGenerationBlocks: Bool

    /// Parses `source`; throws `TextError.unsupported` naming a construct outside the subset.
    public init(source: String, specialTokens: [String: String] = [:], path: String = "chat_template") throws {
        self.path = path
        self.source = source
        self.specialTokens = specialTokens
        do {
            nodes = try JinjaParser.parse(try JinjaLexer.lex(source))
            var generation = false
            try Self.check(nodes, &generation)
            hasGenerationBlocks = generation
        } catch let e as JinjaError {
            throw Self.loadError(e, path)
        }
    }

    /// The template of a tokenizer folder: `chat_template.jinja` there when present (it takes
    /// priority, as in transformers), else `chat_template` of `tokenizer_config.json`, with
    /// the special tokens of tokenizer_config.json. `tokenizerPath` is the tokenizer.json
    /// (its folder is used) or the folder itself.
    public static func load(besideTokenizer tokenizerPath: String) throws -> ChatTemplate {
        var isDir: ObjCBool = false
        let dir = FileManager.default.fileExists(atPath: tokenizerPath, isDirectory: &isDir) && isDir.boolValue
            ? tokenizerPath : (tokenizerPath as NSString).deletingLastPathComponent
        return try load(tokenizerConfig: (dir.isEmpty ? "." : dir) + "/tokenizer_config.json")
    }

    /// The template and special tokens of a tokenizer_config.json (a `chat_template.jinja`
    /// in the same folder overrides its `chat_template`).
    public static func load(tokenizerConfig path: String) throws -> ChatTemplate {
        let dir = (path as NSString).deletingLastPathComponent
        let jinjaPath = (dir.isEmpty ? "." : dir) + "/chat_template.jinja"
        var config: [String: Any] = [:]
        if let data = FileManager.default.contents(atPath: path) {
            guard let obj = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
                throw TextError.data(path: path, line: 0, message: "not a JSON object", hint: "tokenizer_config.json must be a JSON object")
            }
            config = obj
        } else if !FileManager.default.fileExists(atPath: jinjaPath) {
            throw TextError.io(path: path, message: "no tokenizer_config.json (or chat_template.jinja) beside the tokenizer",
                               hint: "template: model reads the model's chat_template from there; copy it from the model, or use template: chatml")
        }
        var tokens: [String: String] = [:]
        for key in ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"] {
            if let s = config[key] as? String { tokens[key] = s } else if let d = config[key] as? [String: Any], let s = d["content"] as? String { tokens[key] = s }
        }
        if let data = FileManager.default.contents(atPath: jinjaPath) {
            return try ChatTemplate(source: String(decoding: data, as: UTF8.self), specialTokens: tokens, path: jinjaPath)
        }
        switch config["chat_template"] {
        case let s as String:
            return try ChatTemplate(source: s, specialTokens: tokens, path: path)
        case let list as [[String: Any]]:
            let named = list.compactMap { e -> (String, String)? in
                guard let n = e["name"] as? String, let t = e["template"] as? String else { return nil }
                return (n, t)
            }
            guard let t = named.first(where: { $0.0 == "default" }) else {
                throw TextError.data(path: path, line: 0, message: "chat_template lists templates \(named.map(\.0)) but none named 'default'",
                                     hint: "name one of them 'default'")
            }
            return try ChatTemplate(source: t.1, specialTokens: tokens, path: path)
        default:
            throw TextError.config(key: "template", message: "template: model needs a chat_template, and \(path) has none",
                                   hint: "use template: chatml, or add the model's chat_template to tokenizer_config.json")
        }
    }

    /// Renders `messages` as `apply_chat_template(..., tokenize=False)` does: message keys
    /// whose value is null are dropped, a message's `reasoning`/`thinking` is also passed as
    /// `reasoning_content`, and the special tokens and `variables` are template variables.
    public func render(_ messages: [ChatValue], addGenerationPrompt: Bool, variables: [String: ChatValue] = [:]) throws -> String {
        do {
            return try renderTracked(messages, addGenerationPrompt: addGenerationPrompt, variables: variables).text
        } catch let e as JinjaError {
            throw renderError(e, row: nil)
        }
    }

    /// The rendering and the `{% generation %}` ranges in Unicode scalar offsets.
    func renderTracked(_ messages: [ChatValue], addGenerationPrompt: Bool, variables: [String: ChatValue] = [:]) throws(JinjaError) -> (text: String, generation: [Range<Int>]) {
        var vars: [String: JinjaValue] = [:]
        for (k, v) in specialTokens { vars[k] = .string(v) }
        for (k, v) in variables { vars[k] = v.jinja }
        vars["messages"] = .list(messages.map { Self.prepared($0).jinja })
        vars["add_generation_prompt"] = .bool(addGenerationPrompt)
        if vars["tools"] == nil { vars["tools"] = .none }
        if vars["documents"] == nil { vars["documents"] = .none }
        let r = JinjaRenderer(variables: vars)
        try r.render(nodes)
        return (r.output, r.generation)
    }

    /// A message as transformers hands it to the template (reference: transformers 5.23
    /// `apply_chat_template` drops None values; `_alias_reasoning_fields`).
    static func prepared(_ m: ChatValue) -> ChatValue {
        guard case .object(let members) = m else { return m }
        let kept = members.filter { $0.1 != .null }
        guard let r = ["reasoning_content", "thinking", "reasoning"].lazy.compactMap({ k in kept.first { $0.0 == k }?.1 }).first else {
            return .object(kept)
        }
        // {"thinking": r, **message, "reasoning_content": r} with Python's dict order
        var out: [(String, ChatValue)] = [("thinking", r)]
        for (k, v) in kept {
            if k == "thinking" { out[0].1 = v } else { out.append((k, v)) }
        }
        if let i = out.firstIndex(where: { $0.0 == "reasoning_content" }) { out[i].1 = r } else { out.append(("reasoning_content", r)) }
        return .object(out)
    }

    /// Fails at load time on filters and tests outside the subset.
    private static func check(_ nodes: [JinjaNode], _ generation: inout Bool) throws(JinjaError) {
        func expr(_ e: JinjaExpr?, _ line: Int) throws(JinjaError) {
            guard let e else { return }
            switch e {
            case .none, .bool, .int, .double, .string, .name: break
            case .list(let l): for x in l { try expr(x, line) }
            case .dict(let p): for (k, v) in p { try expr(k, line); try expr(v, line) }
            case .attr(let b, _): try expr(b, line)
            case .index(let b, let k): try expr(b, line); try expr(k, line)
            case .slice(let b, let x, let y, let z): try expr(b, line); try expr(x, line); try expr(y, line); try expr(z, line)
            case .call(let c, let a, let k):
                try expr(c, line)
                for x in a { try expr(x, line) }
                for (_, x) in k { try expr(x, line) }
            case .filter(let b, let name, let a, let k):
                guard JinjaRenderer.filters.contains(name) else { throw .unsupported("filter '\(name)'", line) }
                try expr(b, line)
                for x in a { try expr(x, line) }
                for (_, x) in k { try expr(x, line) }
            case .test(let b, let name, let a, _):
                guard JinjaRenderer.tests.contains(name) || ["==", "!=", "<", "<=", ">", ">="].contains(name) else { throw .unsupported("test 'is \(name)'", line) }
                try expr(b, line)
                for x in a { try expr(x, line) }
            case .unary(_, let x): try expr(x, line)
            case .binary(_, let x, let y): try expr(x, line); try expr(y, line)
            case .conditional(let t, let c, let o): try expr(t, line); try expr(c, line); try expr(o, line)
            }
        }
        for node in nodes {
            switch node {
            case .text, .breakLoop, .continueLoop: break
            case .output(let e, let l): try expr(e, l)
            case .conditional(let branches, let otherwise, let l):
                for (c, b) in branches { try expr(c, l); try check(b, &generation) }
                try check(otherwise, &generation)
            case .loop(_, let it, let f, let body, let otherwise, let l):
                try expr(it, l); try expr(f, l)
                try check(body, &generation); try check(otherwise, &generation)
            case .set(_, let e, let l): try expr(e, l)
            case .setBlock(_, let body, _): try check(body, &generation)
            case .generation(let body, _):
                generation = true
                try check(body, &generation)
            }
        }
    }

    /// What the subset supports, for `TextError.unsupported`.
    public static let supportedConstructs: [String] = [
        "{{ }} {% %} {# #} with - / + whitespace control (trim_blocks, lstrip_blocks)",
        "for (loop.index/index0/revindex/revindex0/first/last/length/previtem/nextitem, if filter, else), if/elif/else, set (ns.attr, block set), break/continue, generation",
        "filters: " + JinjaRenderer.filters.joined(separator: " "),
        "tests: " + JinjaRenderer.tests.joined(separator: " "),
        "methods: " + JinjaRenderer.methods.joined(separator: "; "),
        "functions: " + JinjaRenderer.functions.joined(separator: " "),
    ]

    static func loadError(_ e: JinjaError, _ path: String) -> TextError {
        let at = e.line > 0 ? " at template line \(e.line)" : ""
        switch e.kind {
        case .unsupported: return .unsupported(path: path, what: "Jinja construct \(e.message)\(at) in chat_template", supported: supportedConstructs)
        default: return .data(path: path, line: 0, message: "chat_template: \(e.message)\(at)", hint: "fix the template, or use template: chatml")
        }
    }

    /// A rendering error, reported at the data row when there is one.
    func renderError(_ e: JinjaError, row: (path: String, line: Int)?) -> TextError {
        let at = e.line > 0 ? " (template line \(e.line))" : ""
        let message: String
        let hint: String
        switch e.kind {
        case .raised:
            message = "the chat template in \(path) rejects this conversation: \(e.message)"
            hint = "change the row to fit the model's chat format, or use template: chatml"
        case .unsupported:
            return .unsupported(path: path, what: "Jinja construct \(e.message)\(at) in chat_template", supported: Self.supportedConstructs)
        default:
            message = "rendering the chat template in \(path) failed\(at): \(e.message)"
            hint = "check the row's messages (role, content), or use template: chatml"
        }
        if let row { return .data(path: row.path, line: row.line, message: message, hint: hint) }
        return .data(path: path, line: 0, message: message, hint: hint)
    }
}
