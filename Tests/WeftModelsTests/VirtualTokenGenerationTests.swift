import Foundation
import Testing
import WeftTensor
@testable import WeftModels

/// An int64 tensor of a fixture file as Ints.
func int64s(_ file: SafetensorsFile, _ name: String) throws -> [Int] {
    let raw = try file.rawBytes(name)
    let out = (0..<(raw.count / 8)).map { Int(raw.loadUnaligned(fromByteOffset: 8 * $0, as: Int64.self)) }
    withExtendedLifetime(file) {}
    return out
}

/// The prompts of make_virtual_tokens.py's generation section (left-padded there with 0).
let virtualGenPrompts = [[5, 17, 3], [9, 22, 31, 4, 8]]

@Suite("generation with prompt or prefix tuning (peft's generate)")
struct VirtualTokenGenerationTests {
    /// A fixture case's base model with its adapter loaded.
    func adapted(_ name: String) throws -> any CausalLM {
        let m = try virtualBase(name)
        try m.loadVirtualTokenAdapter(directory: fixture("virtual/" + name))
        return m
    }

    @Test("greedy generation of a left-padded batch gives peft's tokens (equal) and step logits (1e-5)", arguments: virtualCases)
    func matchesPeft(_ name: String) throws {
        let m = try adapted(name)
        let file = try SafetensorsFile(path: fixture("virtual/\(name)/generated.safetensors"))
        let prompts = try int64s(file, "prompts"), mask = try int64s(file, "mask")
        let t = prompts.count / 2
        // The fixture's padded prompts are ours, left-padded.
        for (r, p) in virtualGenPrompts.enumerated() {
            #expect(Array(prompts[(r * t)..<((r + 1) * t)]) == [Int](repeating: 0, count: t - p.count) + p)
            #expect(Array(mask[(r * t)..<((r + 1) * t)]) == [Int](repeating: 0, count: t - p.count) + [Int](repeating: 1, count: p.count))
        }
        let want = try int64s(file, "generated"), wantLogits = try file.floats("logits")
        let n = want.count / 2
        var g = GenerationConfig()
        g.maxNewTokens = n
        let decoder = try #require(m as? any CachedDecoder)
        var steps: [[Float]] = []
        let out = try decoder.runGeneration(prompts: virtualGenPrompts, config: g) { steps.append($0.array) }
        #expect(out == [Array(want[0..<n]), Array(want[n...])], "\(name): \(out) vs \(want)")
        #expect(try m.generate(prompts: virtualGenPrompts, config: g) == out)
        let got = Array(steps.joined())
        #expect(got.count == wantLogits.count)
        let d = zip(got, wantLogits).map { abs($0 - $1) }.max() ?? .infinity
        #expect(d <= 1e-5, "\(name): max |Δlogit| \(d)")
        print("\(name) generate vs peft: tokens equal \(out == [Array(want[0..<n]), Array(want[n...])]), max |Δlogit| over \(n) steps \(d)")
    }

    @Test("each greedy token is the argmax of a full forward pass with the virtual tokens (one unpadded prompt)", arguments: virtualCases)
    func cacheConsistent(_ name: String) throws {
        let m = try adapted(name)
        var g = GenerationConfig()
        g.maxNewTokens = 6
        let prompt = virtualGenPrompts[1]
        let out = try m.generate(prompts: [prompt], config: g)[0]
        var seq = prompt
        let v = m.vocabSize
        for tok in out {
            let logits = try m.forward(ids: [seq], mask: nil, labels: nil, backward: false).logits
            let base = (seq.count - 1) * v
            #expect((0..<v).max { logits[base + $0] < logits[base + $1] } == tok)
            seq.append(tok)
        }
        // The benchmark path runs the same tokens.
        #expect(try m.timeGreedy(prompt: prompt, newTokens: 5).tokens == out)
    }

    @Test("virtual tokens change what is generated; removing them gives the base model's output again")
    func notTheBaseModel() throws {
        let m = try adapted("llama-tiny-prefix")
        var g = GenerationConfig()
        g.maxNewTokens = 8
        let adapted = try m.generate(prompts: virtualGenPrompts, config: g)
        m.removeVirtualTokens()
        let plain = try m.generate(prompts: virtualGenPrompts, config: g)
        #expect(adapted != plain)
        #expect(plain == (try virtualBase("llama-tiny-prefix").generate(prompts: virtualGenPrompts, config: g)))
    }

    @Test("prompt plus virtual tokens plus new tokens past GPT-2's positions is an error that counts the virtual tokens")
    func positionLimit() throws {
        let m = try adapted("gpt2-tiny-prefix")  // 32 positions, 3 virtual tokens
        var g = GenerationConfig()
        g.maxNewTokens = 25
        #expect { try m.generate(prompts: virtualGenPrompts, config: g) } throws: {
            "\($0)".contains("plus 3 virtual tokens") && "\($0)".contains("32 positions")
        }
        g.maxNewTokens = 24  // 3 + 5 + 24 = 32: fits
        #expect(try m.generate(prompts: virtualGenPrompts, config: g).map(\.count) == [24, 24])
    }
}
