/// Renders a training row into text segments, each marked as counting in the loss or
/// not, for the `tokenize` stage's loss mask.
///
/// Row shapes (first match wins): `{"messages": [{"role","content"}, …]}` (chat),
/// `{"prompt", "completion"}` (pair), otherwise the text field (plain; every token counts).
/// Templates: `none` (pair: prompt then completion, as written; chat needs a template)
/// and `chatml` (`<|im_start|>ROLE\nCONTENT<|im_end|>\n` per message; a pair is a user
/// then an assistant message). Only assistant contents (with their `<|im_end|>`) and
/// completions count unless `trainOnInputs`. Segments are tokenised separately and
/// concatenated, so a mask boundary never falls inside a token.
public struct SFTRenderer: Sendable {
    /// A chat template.
    public enum Template: String, Sendable, CaseIterable { case none, chatml }

    public let template: Template
    public let trainOnInputs: Bool
    public let textField: String

    public init(template: Template, trainOnInputs: Bool, textField: String) {
        self.template = template
        self.trainOnInputs = trainOnInputs
        self.textField = textField
    }

    /// The kind of a rendered row.
    public enum Kind: String, Sendable { case plain, pair, chat }

    /// Segments of `row` (text, counts in the loss), or an error naming the line.
    public func segments(_ row: Row, path: String) throws -> (Kind, [(String, Bool)]) {
        func fail(_ m: String, _ hint: String) -> TextError { .data(path: path, line: row.line, message: m, hint: hint) }
        if row.has("messages") {
            guard template == .chatml else {
                throw fail("a chat row ('messages') needs a chat template", "set template: chatml")
            }
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
        if row.has("prompt") || row.has("completion") {
            guard let p = row.string("prompt"), let c = row.string("completion") else {
                throw fail("a pair row needs string 'prompt' and 'completion'", "")
            }
            switch template {
            case .none: return (.pair, [(p, trainOnInputs), (c, true)])
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
            guard template == .chatml else { throw fail("a chat row ('messages') needs a chat template", "set template: chatml") }
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
        if row.has("prompt") {
            guard let p = row.string("prompt") else { throw fail("'prompt' must be a string", "") }
            if row.has("completion"), row.string("completion") == nil { throw fail("'completion' must be a string", "") }
            let rendered = template == .chatml ? "<|im_start|>user\n\(p)<|im_end|>\n<|im_start|>assistant\n" : p
            return (rendered, row.string("completion"))
        }
        guard let t = row.string(textField) else {
            throw fail("row has no string 'prompt', 'messages' or '\(textField)'", "write evaluation rows as prompt/completion or messages")
        }
        return (t, nil)
    }
}
