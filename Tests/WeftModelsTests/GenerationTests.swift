import Foundation
import Testing
import WeftTensor
@testable import WeftModels

@Suite("generation with a KV cache")
struct GenerationTests {
    let prompts = [[5, 17, 3], [9, 22, 31, 4, 8]]

    @Test("greedy generation of left-padded prompts equals transformers' generate",
          arguments: ["llama-tiny", "llama3-rope-tied", "qwen2-tiny", "gpt2-tiny"])
    func greedyMatchesTransformers(_ name: String) throws {
        let dir = fixture("models/" + name)
        let m: any CausalLM = name.hasPrefix("gpt2") ? try GPT2Model(directory: dir) : try LlamaModel(directory: dir)
        var g = GenerationConfig()
        g.maxNewTokens = 6
        let out = try m.generate(prompts: prompts, config: g)
        let file = try SafetensorsFile(path: dir + "/expected.safetensors")  // the bytes live as long as the mapping
        let raw = try file.rawBytes("generated")
        let want = (0..<12).map { Int(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
        withExtendedLifetime(file) {}
        #expect(out == [Array(want[0..<6]), Array(want[6..<12])], "\(name): \(out) vs \(want)")
    }

    @Test("the cache changes nothing: each greedy token is the argmax of a full forward pass without it")
    func cacheConsistent() throws {
        let m = try LlamaModel(directory: fixture("models/llama-tiny"))
        var g = GenerationConfig()
        g.maxNewTokens = 8
        let out = try m.generate(prompts: [prompts[1]], config: g)[0]
        var seq = prompts[1]
        for tok in out {
            let logits = try m.forward(ids: [seq], mask: nil, labels: nil, backward: false).logits
            let v = m.vocabSize, base = (seq.count - 1) * v
            let best = (0..<v).max { logits[base + $0] < logits[base + $1] }!
            #expect(best == tok)
            seq.append(tok)
        }
    }

    @Test("sampling is seeded; top-k 1 is greedy; stop tokens end a row; repetition penalty changes the choice")
    func sampling() throws {
        let m = try LlamaModel(directory: fixture("models/llama-tiny"))
        var g = GenerationConfig()
        g.maxNewTokens = 10
        g.temperature = 1.5
        g.seed = 7
        let a = try m.generate(prompts: prompts, config: g), b = try m.generate(prompts: prompts, config: g)
        #expect(a == b)
        g.seed = 8
        #expect(try m.generate(prompts: prompts, config: g) != a)
        g.topK = 1
        var greedy = GenerationConfig()
        greedy.maxNewTokens = 10
        #expect(try m.generate(prompts: prompts, config: g) == m.generate(prompts: prompts, config: greedy))
        let first = try m.generate(prompts: [prompts[0]], config: greedy)[0]
        var stop = greedy
        stop.stopTokens = [first[2]]
        #expect(try m.generate(prompts: [prompts[0]], config: stop)[0] == Array(first.prefix(3)))
        var rep = greedy
        rep.repetitionPenalty = 50
        let penalised = try m.generate(prompts: [prompts[0]], config: rep)[0]
        #expect(Set(penalised).count == penalised.count, "a huge penalty never repeats a token: \(penalised)")
        #expect(throws: ModelError.self) { try m.generate(prompts: [[1, 99]], config: greedy) }
    }
}
