/// Renders a training row into text segments, each marked as counting in the loss or
/// not, for the `tokenize` stage's loss mask.
///
/// Row shapes (first match wins): `{"messages": [{"role","content"}, …]}` (chat),
/// `{"prompt", "completion"}` (pair), otherwise the text field (plain; every token counts).
/// Templates: `none` (pair: prompt then completion, as written; chat needs a template),
/// `chatml` (`<|im_start|>ROLE\nCONTENT<|im_end|>\n` per message) and `model` (the model's
/// own Jinja `chat_template`, see `ChatTemplate`); under a chat template a pair is a user
/// then an assistant message. Only assistant contents with their end-of-turn marker
/// (`<|im_end|>`, or what `ChatTemplate.assistantSpans` finds) and completions count unless
/// `trainOnInputs`. Segments are tokenised separately and concatenated, so a mask boundary
/// never falls inside a token; the segments are the same with or without `trainOnInputs`.
public struct SFTRenderer: Sendable {
    /// A chat template.
    public enum Template: String, Sendable, CaseIterable { case none, chatml, model }

    public let template: Template
    public let trainOnInputs: Bool
    public let textField: String
    /// The model's template, for `template == .model`.
    public let chatTemplate: ChatTemplate?
    /// When set, every row is a pair whose prompt and completion are these formats with
    /// `{field}` replaced by the row's field (`{{` and `}}` are literal braces), e.g.
    /// `("define {word}:", " {definition}")`.
    public var pairFormat: (prompt: String, completion: String)?

    public init(template: Template, trainOnInputs: Bool, textField: String, chatTemplate: ChatTemplate? = nil) {
        self.template = template
        self.trainOnInputs = trainOnInputs
        self.textField = textField
        self.chatTemplate = chatTemplate
    }

    /// A renderer whose `model` template is the chat template beside `tokenizerPath`
    /// (a tokenizer.json or its folder; see `ChatTemplate.load(besideTokenizer:)`).
    public init(template: Template, trainOnInputs: Bool, textField: String, tokenizerPath: String) throws {
        self.init(template: template, trainOnInputs: trainOnInputs, textField: textField,
                  chatTemplate: template == .model ? try ChatTemplate.load(besideTokenizer: tokenizerPath) : nil)
    }

    /// The messages of a chat row as template input, checked for a string `role` each.
    private func messages(_ row: Row, path: String) throws -> [ChatValue] {
        guard let text = row.jsonText("messages"), case .array(let list)? = ChatValue.parse(json: text) else {
            throw TextError.data(path: path, line: row.line, message: "'messages' must be a list of {\"role\", \"content\"} objects", hint: "")
        }
        for (i, m) in list.enumerated() {
            guard case .object = m, m["role"]?.string != nil else {
                throw TextError.data(path: path, line: row.line, message: "messages[\(i)] needs a string 'role'", hint: "")
            }
        }
        guard !list.isEmpty else { throw TextError.data(path: path, line: row.line, message: "'messages' is empty", hint: "give at least one message") }
        return list
    }

    /// A conversation rendered with the model template, cut at the assistant spans.
    private func modelSegments(_ messages: [ChatValue], _ row: Row, path: String) throws -> [(String, Bool)] {
        guard let chat = chatTemplate else {
            throw TextError.config(key: "template", message: "template: model needs the model's chat template", hint: "load the renderer with the tokenizer path")
        }
        let result: Result<[(String, Bool)], JinjaError> = Result { () throws(JinjaError) in try chat.segments(messages) }
        switch result {
        case .success(let segments): return segments.map { ($0.0, trainOnInputs || $0.1) }
        case .failure(let e): throw chat.renderError(e, row: (path, row.line))
        }
    }

    /// The kind of a rendered row.
    public enum Kind: String, Sendable { case plain, pair, chat }

    /// Segments of `row` (text, counts in the loss), or an error naming the line.
    public func segments(_ row: Row, path: String) throws -> (Kind, [(String, Bool)]) {
        func fail(_ m: String, _ hint: String) -> TextError { .data(path: path, line: row.line, message: m, hint: hint) }
        if row.has("messages") {
            guard template != .none else {
                throw fail("a chat row ('messages') needs a chat template", "set template: chatml or template: model")
            }
            if template == .model { return (.chat, try modelSegments(try messages(row, path: path), row, path: path)) }
            guard let list = row.objects("messages") else {
                throw fail("'messages' must be a list of {\"role\", \"content\"} objects", "")
            }
            var out: [(String, Bool)] = []
            for (i, m) in list.enumerated() {
                guard let role = m.string("role"), let content = m.string("content") else {
                    throw fail("messages[\(i)] needs string 'role' and 'content'", "")
                }
                let learn = trainOnInputs || role == "assistant"
                out.append(("<|im_start|>\(role)\n", trainOnInputs))
                out.append((content + "<|im_end|>", learn))
                out.append(("\n", trainOnInputs))
            }
            return (.chat, out)
        }
        if pairFormat != nil || row.has("prompt") || row.has("completion") {
            let (p, c): (String, String)
            if let f = pairFormat {
                (p, c) = (try Self.fill(f.prompt, row, path: path), try Self.fill(f.completion, row, path: path))
            } else {
                guard let rp = row.string("prompt"), let rc = row.string("completion") else {
                    throw fail("a pair row needs string 'prompt' and 'completion'", "")
                }
                (p, c) = (rp, rc)
            }
            switch template {
            case .none: return (.pair, [(p, trainOnInputs), (c, true)])
            case .model:
                return (.pair, try modelSegments([.message(role: "user", content: p), .message(role: "assistant", content: c)], row, path: path))
            case .chatml:
                return (.pair, [("<|im_start|>user\n", trainOnInputs), (p + "<|im_end|>", trainOnInputs), ("\n<|im_start|>assistant\n", trainOnInputs),
                                (c + "<|im_end|>", true), ("\n", trainOnInputs)])
            }
        }
        guard let t = row.string(textField) else {
            throw fail("row has no string '\(textField)', 'prompt'/'completion' or 'messages'", "set text_field, or write SFT rows as prompt/completion or messages")
        }
        return (.plain, [(t, true)])
    }

    /// What a model is asked to continue when it is evaluated on `row`, rendered the way
    /// training rendered it, and the text it should produce (nil when the row has none):
    /// a chat row's messages before its last assistant message plus the assistant header
    /// (that message is the reference), a pair's prompt (its completion is the reference;
    /// `prompt` alone is allowed), or the text field with no reference.
    public func generationPrompt(_ row: Row, path: String) throws -> (prompt: String, reference: String?) {
        func fail(_ m: String, _ hint: String) -> TextError { .data(path: path, line: row.line, message: m, hint: hint) }
        if row.has("messages") {
            guard template != .none else { throw fail("a chat row ('messages') needs a chat template", "set template: chatml or template: model") }
            if template == .model {
                var list = try messages(row, path: path)
                var reference: String? = nil
                if let last = list.last, last["role"]?.string == "assistant" {
                    reference = last["content"]?.string ?? ""
                    list.removeLast()
                }
                guard !list.isEmpty else { throw fail("there are no messages before the assistant message to prompt with", "") }
                return (try modelPrompt(list, row, path: path), reference)
            }
            guard let list = row.objects("messages") else { throw fail("'messages' must be a list of {\"role\", \"content\"} objects", "") }
            var messages: [(String, String)] = []
            for (i, m) in list.enumerated() {
                guard let role = m.string("role"), let content = m.string("content") else { throw fail("messages[\(i)] needs string 'role' and 'content'", "") }
                messages.append((role, content))
            }
            var reference: String? = nil
            if let last = messages.last, last.0 == "assistant" {
                reference = last.1
                messages.removeLast()
            }
            let prompt = messages.map { "<|im_start|>\($0.0)\n\($0.1)<|im_end|>\n" }.joined() + "<|im_start|>assistant\n"
            return (prompt, reference)
        }
        if pairFormat != nil || row.has("prompt") {
            let p: String, completion: String?
            if let f = pairFormat {
                (p, completion) = (try Self.fill(f.prompt, row, path: path), try Self.fill(f.completion, row, path: path))
            } else {
                guard let rp = row.string("prompt") else { throw fail("'prompt' must be a string", "") }
                if row.has("completion"), row.string("completion") == nil { throw fail("'completion' must be a string", "") }
                (p, completion) = (rp, row.string("completion"))
            }
            let rendered: String
            switch template {
            case .none: rendered = p
            case .chatml: rendered = "<|im_start|>user\n\(p)<|im_end|>\n<|im_start|>assistant\n"
            case .model: rendered = try modelPrompt([.message(role: "user", content: p)], row, path: path)
            }
            return (rendered, completion)
        }
        guard let t = row.string(textField) else {
            throw fail("row has no string 'prompt', 'messages' or '\(textField)'", "write evaluation rows as prompt/completion or messages")
        }
        return (t, nil)
    }

    /// `format` with each `{field}` replaced by the row's value of that field (a string, or a
    /// number or boolean as written); `{{`/`}}` are literal braces.
    static func fill(_ format: String, _ row: Row, path: String) throws -> String {
        var out = "", name = "", inField = false
        var chars = format.makeIterator()
        var pending: Character? = nil
        while let c = pending ?? chars.next() {
            pending = nil
            if inField {
                if c == "}" {
                    guard let v = row.string(name) ?? row.scalarText(name) else {
                        throw TextError.data(path: path, line: row.line, message: "the row has no field '\(name)' for the prompt/completion format",
                                             hint: "fields: " + row.keys.joined(separator: ", "))
                    }
                    out += v
                    inField = false
                    name = ""
                } else {
                    name.append(c)
                }
                continue
            }
            if c == "{" || c == "}" {
                let next = chars.next()
                if next == c { out.append(c); continue }
                guard c == "{" else {
                    throw TextError.config(key: "prompt_format", message: "unmatched '}' in \"\(format)\"", hint: "write }} for a literal brace")
                }
                inField = true
                pending = next
                continue
            }
            out.append(c)
        }
        if inField { throw TextError.config(key: "prompt_format", message: "unclosed '{' in \"\(format)\"", hint: "write {{ for a literal brace") }
        return out
    }

    /// Messages rendered with the model template and `add_generation_prompt=true`.
    private func modelPrompt(_ messages: [ChatValue], _ row: Row, path: String) throws -> String {
        guard let chat = chatTemplate else {
            throw TextError.config(key: "template", message: "template: model needs the model's chat template", hint: "load the renderer with the tokenizer path")
        }
        let result: Result<String, JinjaError> = Result { () throws(JinjaError) in try chat.renderTracked(messages, addGenerationPrompt: true).text }
        switch result {
        case .success(let text): return text
        case .failure(let e): throw chat.renderError(e, row: (path, row.line))
        }
    }
}
