import Foundation
import Testing

@testable import WeftText

/// Model chat templates against transformers 5.23 `apply_chat_template` (jinja2 3.1.6)
/// (fixtures from Tests/Fixtures/make_chat_templates.py: ChatML, Qwen2, Qwen2.5, Llama-2,
/// Llama-3, Mistral, Zephyr, Gemma, Phi-3, SmolLM2 (+ a {% generation %} variant) and a
/// template exercising the rest of the subset, each over 6-8 conversations).
@Suite struct ChatTemplateTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("Fixtures/text/chat").path

    static func rows() throws -> [ChatValue] {
        let text = try String(contentsOfFile: fixtures + "/expected.jsonl", encoding: .utf8)
        return try text.split(separator: "\n").map { line in
            guard let v = ChatValue.parse(json: String(line)) else { throw TextError.data(path: "expected.jsonl", line: 0, message: "bad JSON", hint: "") }
            return v
        }
    }

    static func messages(_ row: ChatValue) -> [ChatValue] {
        if case .array(let m)? = row["messages"] { return m }
        return []
    }

    static func ranges(_ v: ChatValue?) -> [Range<Int>] {
        guard case .array(let items)? = v else { return [] }
        return items.compactMap { item in
            guard case .array(let p) = item, p.count == 2, case .int(let a) = p[0], case .int(let b) = p[1] else { return nil }
            return a..<b
        }
    }

    func scalars(_ s: String) -> [UInt32] { s.unicodeScalars.map(\.value) }

    @Test("renderings equal transformers' apply_chat_template for every template and conversation")
    func renderings() throws {
        var templates: [String: ChatTemplate] = [:]
        var checked = 0, errors = 0
        for row in try Self.rows() {
            let name = row["template"]?.string ?? ""
            let conv = row["conversation"]?.string ?? ""
            let template = try templates[name] ?? ChatTemplate.load(tokenizerConfig: Self.fixtures + "/\(name)/tokenizer_config.json")
            templates[name] = template
            let gen = row["add_generation_prompt"] == .bool(true)
            let messages = Self.messages(row)
            if let expectedError = row["error"]?.string {
                #expect {
                    _ = try template.render(messages, addGenerationPrompt: gen)
                } throws: { e in
                    "\(e)".contains("rejects this conversation: \(expectedError)") && "\(e)".contains("\(name)/tokenizer_config.json")
                }
                errors += 1
                continue
            }
            let expected = row["rendered"]?.string ?? ""
            let got = try template.render(messages, addGenerationPrompt: gen)
            #expect(scalars(got) == scalars(expected), "\(name) / \(conv) / gen=\(gen):\n\(got.debugDescription)\nvs\n\(expected.debugDescription)")
            if case .array? = row["generation"] {
                let tracked = try template.renderTracked(messages, addGenerationPrompt: gen)
                #expect(tracked.generation == Self.ranges(row["generation"]), "\(name) / \(conv) generation ranges")
            }
            if case .array? = row["learn"] {
                let spans = try template.assistantSpans(messages).spans
                #expect(spans == Self.ranges(row["learn"]), "\(name) / \(conv) assistant spans")
            }
            checked += 1
        }
        #expect(checked >= 140 && errors >= 10 && templates.count == 12)
    }

    @Test("SFT rows under template: model: segments are the rendering, only assistant turns and their end markers learn")
    func sftSegments() throws {
        let d = try TextTempDir()
        let p = try d.write("sft.jsonl", """
            {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "\u{FEFF}Hi"}, {"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Again"}, {"role": "assistant", "content": "Hello again.", "name": null}]}
            {"prompt": "2+2=", "completion": "4"}
            {"text": "plain"}
            {"messages": [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]}
            """)
        let rows = try readAllRows(p)
        for name in ["llama3", "phi3", "zephyr", "smollm2-generation", "qwen2"] {
            let dir = Self.fixtures + "/" + name
            let r = try SFTRenderer(template: .model, trainOnInputs: false, textField: "text", tokenizerPath: dir + "/tokenizer.json")
            let chat = try #require(r.chatTemplate)
            let (k0, s0) = try r.segments(rows[0], path: p)
            #expect(k0 == .chat)
            let messages: [ChatValue] = [.message(role: "system", content: "Be brief."), .message(role: "user", content: "\u{FEFF}Hi"),
                                         .message(role: "assistant", content: "Hello."), .message(role: "user", content: "Again"),
                                         .message(role: "assistant", content: "Hello again.")]
            #expect(scalars(s0.map(\.0).joined()) == scalars(try chat.render(messages, addGenerationPrompt: false)), "\(name)")
            let learnt = s0.filter(\.1).map(\.0)
            #expect(learnt.count == 2 && learnt[0].hasPrefix("Hello.") && learnt[1].contains("Hello again."), "\(name): \(learnt)")
            #expect(learnt.allSatisfy { !$0.hasSuffix("\n") && !$0.contains("Again") }, "\(name): \(learnt)")
            let eot = ["llama3": "<|eot_id|>", "phi3": "<|end|>", "zephyr": "</s>", "smollm2-generation": "<|im_end|>", "qwen2": "<|im_end|>"][name]!
            #expect(learnt.allSatisfy { $0.hasSuffix(eot) }, "\(name): \(learnt)")
            // train_on_inputs keeps the same cut (same tokens), all learnt
            let all = try SFTRenderer(template: .model, trainOnInputs: true, textField: "text", chatTemplate: chat).segments(rows[0], path: p).1
            #expect(all.map(\.0) == s0.map(\.0) && all.allSatisfy(\.1))
            // a pair is a user and an assistant message
            let (k1, s1) = try r.segments(rows[1], path: p)
            #expect(k1 == .pair && s1.filter(\.1).map(\.0) == ["4" + eot])
            #expect(scalars(s1.map(\.0).joined()) == scalars(try chat.render([.message(role: "user", content: "2+2="), .message(role: "assistant", content: "4")], addGenerationPrompt: false)))
            let (k2, s2) = try r.segments(rows[2], path: p)
            #expect(k2 == .plain && s2.map(\.0) == ["plain"])
            // generation prompts: the messages before the last assistant message + the header
            let (prompt, reference) = try r.generationPrompt(rows[0], path: p)
            #expect(reference == "Hello again.")
            #expect(scalars(prompt) == scalars(try chat.render(Array(messages.prefix(4)), addGenerationPrompt: true)))
            let (pp, pr) = try r.generationPrompt(rows[1], path: p)
            let pairPrompt = try chat.render([.message(role: "user", content: "2+2=")], addGenerationPrompt: true)
            #expect(pr == "4" && scalars(pp) == scalars(pairPrompt))
        }
        // a template's raise_exception reaches the user with the row and the template file
        let gemma = try SFTRenderer(template: .model, trainOnInputs: false, textField: "text", tokenizerPath: Self.fixtures + "/gemma")
        #expect {
            _ = try gemma.segments(rows[0], path: p)
        } throws: { e in "\(e)".contains("sft.jsonl:1: the chat template in") && "\(e)".contains("gemma/tokenizer_config.json rejects this conversation: System role not supported") }
        #expect {
            _ = try gemma.segments(rows[3], path: p)
        } throws: { e in "\(e)".contains("sft.jsonl:4:") && "\(e)".contains("Conversation roles must alternate") }
    }

    @Test("the ChatML template gives the same segments as the built-in chatml renderer")
    func chatmlAgrees() throws {
        let d = try TextTempDir()
        let p = try d.write("c.jsonl", """
            {"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "U"}, {"role": "assistant", "content": "A\\n"}, {"role": "user", "content": "U2"}, {"role": "assistant", "content": ""}]}
            """)
        let row = try readAllRows(p)[0]
        let builtin = try SFTRenderer(template: .chatml, trainOnInputs: false, textField: "text").segments(row, path: p).1
        let model = try SFTRenderer(template: .model, trainOnInputs: false, textField: "text", tokenizerPath: Self.fixtures + "/chatml/tokenizer.json").segments(row, path: p).1
        #expect(builtin.map(\.0).joined() == model.map(\.0).joined())
        #expect(builtin.filter(\.1).map(\.0) == model.filter(\.1).map(\.0))
    }

    @Test("whitespace control follows jinja2 with trim_blocks and lstrip_blocks")
    func whitespace() throws {
        let cases: [(String, String)] = [
            ("a {# c #}\nb", "a b"), ("  {# c #}\nb", "b"), ("x\n  {% if 1 %}\ny{% endif %}", "x\ny"), ("  {% if 1 %}y{% endif %}", "y"),
            ("{{ 1 }}  {% if 1 %}y{% endif %}", "1  y"), ("{% if 1 %}\n  {% if 1 %}z{% endif %}{% endif %}", "z"),
            ("a\n  {{ 1 }}\n  {%+ if 1 %}q{% endif +%}\nr", "a\n  1\n  q\nr"), ("{% if 1 -%}\n\n  a  {%- endif %}", "a"),
            ("{%- if 1 %}  \n x{% endif %}", "  \n x"), ("  {% if 1 %}a\n  {% endif %}\nb", "a\nb"), ("{{ 'a\\x41\\u00e9' }}", "aAé"),
            ("line\r\nnext\n", "line\nnext"), ("{% set x = 1 %}{% for i in [1,2] %}{{ x }}{% set x = x + i %}{{ x }};{% endfor %}{{ x }}", "12;13;1"),
            ("{% for i in range(5) %}{% if i == 3 %}{% break %}{% endif %}{% if i == 1 %}{% continue %}{% endif %}{{ i }}{% endfor %}", "02"),
            ("{% for x in [] %}a{% else %}empty{% endfor %}", "empty"), ("{% set b %}in{{ 1 + 1 }}{% endset %}[{{ b }}]", "[in2]"),
            ("{{ 'a' if none else 'b' }}{{ x if x is defined }}", "b"), ("{{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ 1e3 }} {{ 7 / 7 }}", "-4 2 1024 1000.0 1.0"),
        ]
        for (source, expected) in cases {
            let t = try ChatTemplate(source: source)
            #expect(try t.render([], addGenerationPrompt: false) == expected, "\(source.debugDescription)")
        }
        let year = Calendar.current.component(.year, from: Date())
        #expect(try ChatTemplate(source: "{{ strftime_now('%Y') }}").render([], addGenerationPrompt: false) == String(year))
    }

    @Test("constructs outside the subset and template mistakes fail with the construct, the file and the line")
    func errors() throws {
        let d = try TextTempDir()
        func load(_ template: String) throws -> ChatTemplate {
            var obj: [UInt8] = []
            JSONBytes.appendString(template, to: &obj)
            _ = try d.write("tokenizer_config.json", #"{"eos_token": "</s>", "chat_template": "# + String(decoding: obj, as: UTF8.self) + "}")
            return try ChatTemplate.load(besideTokenizer: d.path + "/tokenizer.json")
        }
        let cases: [(String, String)] = [
            ("{% macro m() %}x{% endmacro %}", "unsupported Jinja construct '{% macro %}' statements at template line 1"),
            ("a\n{{ messages | wordwrap }}", "filter 'wordwrap' at template line 2"),
            ("{{ x is escaped }}", "test 'is escaped'"),
            ("{% for m in messages %}", "the template ends before"),
            ("{{ 'unclosed }}", "string literal is not closed"),
            ("{% include 'x' %}", "'{% include %}' statements"),
        ]
        for (source, message) in cases {
            #expect { _ = try load(source) } throws: { e in "\(e)".contains(message) && "\(e)".contains(d.path + "/tokenizer_config.json") }
        }
        let m: [ChatValue] = [.message(role: "user", content: "x")]
        #expect { _ = try load("{{ bos_token + 'x' }}").render(m, addGenerationPrompt: false) } throws: { e in "\(e)".contains("'bos_token' is undefined") }
        #expect { _ = try load("{{ messages[0].content.zfill(3) }}").render(m, addGenerationPrompt: false) } throws: { e in "\(e)".contains("method 'string.zfill()'") }
        #expect { _ = try load("{{ raise_exception('no ' ~ messages|length) }}").render(m, addGenerationPrompt: false) } throws: { e in "\(e)".contains("rejects this conversation: no 1") }
        // a template that moves the system message into the last user turn cannot be probed by prefixes
        let moving = try ChatTemplate(source: "{% for m in messages %}{% if m.role == 'user' %}[{{ messages[0].content if loop.last or loop.revindex0 == 1 }}{{ m.content }}]"
            + "{% elif m.role == 'assistant' %}{{ m.content }}</s>{% endif %}{% endfor %}")
        let conv: [ChatValue] = [.message(role: "system", content: "S"), .message(role: "user", content: "u1"), .message(role: "assistant", content: "a1"),
                                 .message(role: "user", content: "u2"), .message(role: "assistant", content: "a2")]
        let r = SFTRenderer(template: .model, trainOnInputs: false, textField: "text", chatTemplate: moving)
        _ = try d.write("m.jsonl", #"{"messages": [{"role": "system", "content": "S"}, {"role": "user", "content": "u1"}, {"role": "assistant", "content": "a1"}, {"role": "user", "content": "u2"}, {"role": "assistant", "content": "a2"}]}"#)
        let row = try readAllRows(d.path + "/m.jsonl")[0]
        #expect(try moving.render(conv, addGenerationPrompt: false) == "[u1]a1</s>[Su2]a2</s>")
        #expect { _ = try r.segments(row, path: "m.jsonl") } throws: { e in "\(e)".contains("m.jsonl:1:") && "\(e)".contains("cannot be found by prefix rendering") }
        // chat_template.jinja beside wins over tokenizer_config.json; AddedToken dicts give their content
        _ = try d.write("tokenizer_config.json", #"{"bos_token": {"__type": "AddedToken", "content": "<B>"}, "chat_template": "config"}"#)
        _ = try d.write("chat_template.jinja", "{{ bos_token }}jinja\n")
        #expect(try ChatTemplate.load(besideTokenizer: d.path).render(m, addGenerationPrompt: false) == "<B>jinja")
        try FileManager.default.removeItem(atPath: d.path + "/chat_template.jinja")
        _ = try d.write("tokenizer_config.json", #"{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}"#)
        #expect(try ChatTemplate.load(besideTokenizer: d.path).render(m, addGenerationPrompt: false) == "D")
        _ = try d.write("tokenizer_config.json", #"{"eos_token": "</s>"}"#)
        #expect { _ = try ChatTemplate.load(besideTokenizer: d.path) } throws: { e in "\(e)".contains("needs a chat_template") }
        #expect { _ = try SFTRenderer(template: .model, trainOnInputs: false, textField: "text", tokenizerPath: d.path + "/missing/tokenizer.json") } throws: { e in
            "\(e)".contains("no tokenizer_config.json")
        }
    }
}
