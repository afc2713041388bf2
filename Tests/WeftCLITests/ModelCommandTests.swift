import Foundation
import Testing

/// `Tests/Fixtures/<rel>`, found from this source file.
func modelFixture(_ rel: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Fixtures/" + rel).path
}

@Suite("model commands")
struct ModelCommandTests {
    @Test("model info and model forward (with an adapter and labels) on a fixture model")
    func infoAndForward() throws {
        let ws = try TestWorkspace()
        let dir = modelFixture("models/gpt2-tiny")
        let info = try ws.run("model", "info", dir, "--json")
        #expect(info.code == 0, "\(info)")
        let j = try #require(parseJSON(info.out) as? [String: Any])
        #expect(j["architecture"] as? String == "GPT2LMHeadModel" && j["layers"] as? Int == 2 && j["vocab"] as? Int == 64)
        let inputs = try #require(parseJSON(try String(contentsOfFile: dir + "/inputs.json", encoding: .utf8)) as? [String: Any])
        for key in ["input_ids", "attention_mask", "labels"] {
            try ws.write(key + ".json", String(decoding: try JSONSerialization.data(withJSONObject: inputs[key]!), as: UTF8.self))
        }
        let r = try ws.run("model", "forward", "--model", dir, "--adapter", dir + "/adapter", "--input-ids", "input_ids.json",
                           "--attention-mask", "attention_mask.json", "--labels", "labels.json", "--out", "logits.safetensors")
        #expect(r.code == 0, "\(r)")
        let loss = try #require((parseJSON(r.out) as? [String: Any])?["loss"] as? Double)
        #expect(abs(loss - 4.8171) < 1e-3, "\(loss)")
        let bytes = try #require(ws.bytes("logits.safetensors"))
        #expect(String(decoding: bytes.prefix(120), as: UTF8.self).contains("\"logits\":{\"dtype\":\"F32\",\"shape\":[2,7,64]"))
    }

    @Test("bad model folders: no config.json, unsupported model_type, truncated or mis-shaped weights")
    func badModels() throws {
        let ws = try TestWorkspace()
        try ws.write("empty/readme.txt", "nothing\n")
        let none = try ws.run("model", "info", "empty")
        #expect(none.code != 0 && none.err.contains("no config.json"), "\(none)")
        let dir = modelFixture("models/llama-tiny")
        let cfg = try String(contentsOfFile: dir + "/config.json", encoding: .utf8)
        try ws.write("falcon/config.json", cfg.replacingOccurrences(of: "\"llama\"", with: "\"falcon\""))
        let unsupported = try ws.run("model", "info", "falcon")
        #expect(unsupported.err.contains("model_type 'falcon' is not supported; supported: llama, mistral, qwen2, gpt2, bert"), "\(unsupported)")
        let weights = try #require(FileManager.default.contents(atPath: dir + "/model.safetensors"))
        try ws.write("cut/config.json", cfg)
        try ws.writeBytes("cut/model.safetensors", Array(weights.prefix(100)))
        try ws.write("ids.json", "[[1, 2, 3]]")
        let cut = try ws.run("model", "forward", "--model", "cut", "--input-ids", "ids.json", "--out", "o.safetensors")
        #expect(cut.code != 0 && cut.err.contains("truncated"), "\(cut)")
        #expect(!ws.exists("o.safetensors"))
        try ws.write("shape/config.json", cfg.replacingOccurrences(of: "\"vocab_size\": 64", with: "\"vocab_size\": 65"))
        try ws.writeBytes("shape/model.safetensors", [UInt8](weights))
        let shape = try ws.run("model", "forward", "--model", "shape", "--input-ids", "ids.json", "--out", "o.safetensors")
        #expect(shape.err.contains("'model.embed_tokens.weight' has shape [64, 32], the config implies [65, 32]"), "\(shape)")
        try ws.write("bad.json", "[[1, 2], [3]]")
        let ragged = try ws.run("model", "forward", "--model", dir, "--input-ids", "bad.json", "--out", "o.safetensors")
        #expect(ragged.err.contains("equal-length rows"), "\(ragged)")
    }

    @Test("weft generate: greedy ids equal transformers' generate; sampling is seeded")
    func generate() throws {
        let ws = try TestWorkspace()
        let dir = modelFixture("models/llama-tiny")
        let r = try ws.run("generate", "--model", dir, "--prompt-ids", "[[5,17,3],[9,22,31,4,8]]", "--max-new-tokens", "6")
        #expect(r.code == 0, "\(r)")
        #expect(r.out.trimmingCharacters(in: .whitespacesAndNewlines) == "[[42,40,26,42,2,45],[10,12,56,56,5,2]]")
        let a = try ws.run("generate", "--model", dir, "--prompt-ids", "[5,17,3]", "--temperature", "1", "--seed", "9")
        let b = try ws.run("generate", "--model", dir, "--prompt-ids", "[5,17,3]", "--temperature", "1", "--seed", "9")
        #expect(a.code == 0 && a.out == b.out)
        let bert = try ws.run("generate", "--model", modelFixture("models/bert-tiny-cls"), "--prompt-ids", "[1]")
        #expect(bert.err.contains("encoder (BERT)"), "\(bert)")
    }
}
