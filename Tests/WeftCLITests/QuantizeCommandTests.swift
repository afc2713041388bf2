import Foundation
import Testing
import WeftTensor

/// `weft quantize` against the tensors bitsandbytes 0.50.2 / transformers save
/// (Tests/Fixtures/make_quant_cli.py), tensor by tensor, byte for byte.
@Suite("weft quantize")
struct QuantizeCommandTests {
    let input = modelFixture("quant/cli_in.safetensors")

    /// Every tensor of `want` is in `got` with the same dtype, shape and bytes, and nothing more.
    func expectSameTensors(_ got: String, _ want: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let g = try SafetensorsFile(path: got), w = try SafetensorsFile(path: want)
        #expect(Set(g.names) == Set(w.names), "names differ: \(Set(g.names).symmetricDifference(w.names))", sourceLocation: sourceLocation)
        for name in w.names where g.entries[name] != nil {
            let a = try g.entry(name), b = try w.entry(name)
            #expect(a.dtype == b.dtype && a.shape == b.shape, "\(name): \(a.dtype) \(a.shape) vs \(b.dtype) \(b.shape)", sourceLocation: sourceLocation)
            #expect([UInt8](try g.rawBytes(name)) == [UInt8](try w.rawBytes(name)), "\(name): bytes differ", sourceLocation: sourceLocation)
        }
    }

    @Test("nf4 (double quant, blocksize 64; blocksize 128) and int8 equal bitsandbytes' tensors byte for byte",
          arguments: [("nf4_dq", ["--method", "nf4", "--double-quant"]), ("nf4_bs128", ["--method", "nf4", "--blocksize", "128"]),
                      ("int8", ["--method", "int8"])])
    func matchesBitsandbytes(_ variant: String, _ options: [String]) throws {
        let ws = try TestWorkspace()
        let r = try ws.run(args: ["quantize"] + options + ["--in", input, "--out", "q.safetensors"])
        #expect(r.code == 0, "\(r)")
        #expect(r.out.contains("2 weights quantised") && r.out.contains("2 tensors copied"), "\(r.out)")
        try expectSameTensors(ws.path("q.safetensors"), modelFixture("quant/cli_\(variant).safetensors"))
    }

    @Test("--dequantize writes fp32 weights equal to bitsandbytes' dequantised values and copies the rest",
          arguments: ["nf4_dq", "nf4_bs128", "int8"])
    func dequantizeRoundTrip(_ variant: String) throws {
        let ws = try TestWorkspace()
        let r = try ws.run("quantize", "--dequantize", "--in", modelFixture("quant/cli_\(variant).safetensors"), "--out", "d.safetensors")
        #expect(r.code == 0, "\(r)")
        let d = try SafetensorsFile(path: ws.path("d.safetensors")), src = try SafetensorsFile(path: input)
        #expect(Set(d.names) == Set(src.names))
        for name in src.names {
            let e = try src.entry(name)
            #expect(try d.entry(name).shape == e.shape && d.entry(name).dtype == e.dtype, "\(name)")
            guard e.shape.count == 2 else {
                #expect([UInt8](try d.rawBytes(name)) == [UInt8](try src.rawBytes(name)), "\(name) copied")
                continue
            }
            let got = try d.floats(name), orig = try src.floats(name)
            let scale = orig.map(abs).max() ?? 1
            let err = zip(got, orig).map { abs($0 - $1) }.max() ?? 0
            #expect(err > 0 && err < (variant == "int8" ? 0.01 : 0.2) * scale, "\(name): max error \(err) of \(scale)")
        }
    }

    @Test("clear errors: unreadable input, nothing to quantise, an unsupported block size, dequantising a plain file")
    func errors() throws {
        let ws = try TestWorkspace()
        let missing = try ws.run("quantize", "--method", "nf4", "--in", "nope.safetensors", "--out", "o.safetensors")
        #expect(missing.code != 0 && missing.err.contains("nope.safetensors"), "\(missing)")
        try ws.writeBytes("one_d.safetensors", try Safetensors.encode([SafetensorsTensor(name: "bias", Tensor(shape: [3], data: [1, 2, 3]))]))
        let none = try ws.run("quantize", "--in", "one_d.safetensors", "--out", "o.safetensors")
        #expect(none.code != 0 && none.err.contains("no 2-D float tensor"), "\(none)")
        let bs = try ws.run("quantize", "--blocksize", "48", "--in", input, "--out", "o.safetensors")
        #expect(bs.code != 0 && bs.err.contains("blocksize 48") && bs.err.contains("32, 64, 128"), "\(bs)")
        let plain = try ws.run("quantize", "--dequantize", "--in", input, "--out", "o.safetensors")
        #expect(plain.code != 0 && plain.err.contains("not quantised"), "\(plain)")
        let method = try ws.run("quantize", "--method", "fp4", "--in", input, "--out", "o.safetensors")
        #expect(method.code != 0 && method.err.contains("nf4 or int8"), "\(method)")
        #expect(!ws.exists("o.safetensors"))
    }
}
