/// Which parts of a rendered conversation are the assistant's, for the loss mask.
///
/// A template with `{% generation %}` blocks marks them itself (what transformers'
/// `return_assistant_tokens_mask` uses). Any other template is probed by rendering
/// prefixes of the conversation, so no template needs to be understood:
/// - the span of assistant message i starts where the rendering of messages[..<i] with
///   `add_generation_prompt=true` ends (that text must be a prefix of the full rendering);
/// - it ends where the rendering of messages[...i] stops agreeing with the full rendering
///   (for a final message: with the rendering followed by a probe user message), so the
///   message's content and whatever the template closes the turn with (`<|im_end|>`,
///   `<|eot_id|>`, `</s>`) are in the span, and what belongs to the next turn or to the end
///   of the conversation (Phi-3's final `<|endoftext|>`) is not;
/// - whitespace at the end of the span (the newline after `<|im_end|>`) is left out: the
///   model stops at the end-of-turn token and never generates it; so is the start of a tag
///   both continuations happen to share (see `trimmedEnd`).
/// A template that renders earlier turns differently depending on later ones (a prompt
/// that is not a prefix of the whole) cannot be probed and is reported as such.
extension ChatTemplate {
    /// The content of the probe message appended after a final assistant message.
    static let probe: ChatValue = .message(role: "user", content: "\u{2063}probe")

    /// The full rendering and the assistant spans in Unicode scalar offsets, in order.
    func assistantSpans(_ messages: [ChatValue]) throws(JinjaError) -> (text: [Unicode.Scalar], spans: [Range<Int>]) {
        let (rendered, generation) = try renderTracked(messages, addGenerationPrompt: false)
        let full = Array(rendered.unicodeScalars)
        if hasGenerationBlocks {
            var spans: [Range<Int>] = []
            for r in generation.sorted(by: { $0.lowerBound < $1.lowerBound }) where !r.isEmpty {
                if let last = spans.last, r.lowerBound < last.upperBound {
                    spans[spans.count - 1] = last.lowerBound..<max(last.upperBound, r.upperBound)
                } else {
                    spans.append(r)
                }
            }
            return (full, spans)
        }
        var spans: [Range<Int>] = []
        for (i, m) in messages.enumerated() where m["role"]?.string == "assistant" {
            let prompt = i > 0 ? Array(try renderTracked(Array(messages[..<i]), addGenerationPrompt: true).text.unicodeScalars) : []
            guard prompt.count <= full.count, full.starts(with: prompt) else {
                throw .runtime("the template renders the messages before message \(i + 1) differently once later messages follow, so the assistant tokens cannot be found by prefix rendering; use train_on_inputs: true, a template with {% generation %} blocks, or template: chatml", 0)
            }
            let upto = Array(try renderTracked(Array(messages[...i]), addGenerationPrompt: false).text.unicodeScalars)
            let other: [Unicode.Scalar]
            if i + 1 < messages.count {
                other = full
            } else if let probed = try? renderTracked(messages + [Self.probe], addGenerationPrompt: false) {
                other = Array(probed.text.unicodeScalars)
            } else {
                other = upto
            }
            var end = 0
            let limit = min(upto.count, other.count, full.count)
            while end < limit, upto[end] == other[end], upto[end] == full[end] { end += 1 }
            let start = prompt.count
            end = Self.trimmedEnd(full, start, end, content: m["content"]?.string)
            guard end >= start, start >= (spans.last?.upperBound ?? 0) else {
                throw .runtime("the assistant message \(i + 1) could not be located in the rendering by prefix rendering; use train_on_inputs: true or template: chatml", 0)
            }
            if end > start { spans.append(start..<end) }
        }
        return (full, spans)
    }

    /// The end of a span with trailing whitespace left out, and cut before a tag the span
    /// only begins (`<|` of Phi-3's `<|endoftext|>` vs the next turn's `<|user|>`: two
    /// continuations can share the first characters of different special tokens). Only an
    /// opening `<` or `[` after the message's content with no `>`/`]` after it is cut.
    static func trimmedEnd(_ full: [Unicode.Scalar], _ start: Int, _ end: Int, content: String?) -> Int {
        func trim(_ e: Int) -> Int {
            var e = e
            while e > start, [" ", "\t", "\n", "\r"].contains(full[e - 1]) { e -= 1 }
            return e
        }
        let e = trim(end)
        var contentEnd = start
        let c = Array(JinjaRenderer.strip(content ?? "", nil, leading: true, trailing: true).unicodeScalars)
        if !c.isEmpty, e - start >= c.count {
            var k = e - c.count
            while k >= start { if Array(full[k..<(k + c.count)]) == c { contentEnd = k + c.count; break }; k -= 1 }
        }
        var k = e - 1
        while k >= contentEnd {
            if full[k] == ">" || full[k] == "]" { return e }
            if full[k] == "<" || full[k] == "[" { return trim(k) }
            k -= 1
        }
        return e
    }

    /// The rendering cut into (text, is assistant) segments whose concatenation is exactly
    /// the rendering; each assistant span is its own segment.
    func segments(_ messages: [ChatValue]) throws(JinjaError) -> [(String, Bool)] {
        let (full, spans) = try assistantSpans(messages)
        func text(_ a: Int, _ b: Int) -> String { String(String.UnicodeScalarView(full[a..<b])) }
        var out: [(String, Bool)] = []
        var at = 0
        for s in spans {
            if s.lowerBound > at { out.append((text(at, s.lowerBound), false)) }
            out.append((text(s.lowerBound, s.upperBound), true))
            at = s.upperBound
        }
        if at < full.count || out.isEmpty { out.append((text(at, full.count), false)) }
        return out
    }
}
