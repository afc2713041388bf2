// Shapes: W [O, I] (any 2-D float weight); n = O·I values; B = ⌈n / blocksize⌉ blocks.
import Foundation

/// Safetensors files in the layout `transformers` saves for a bitsandbytes-quantised model, so a
/// Weft-quantised file and a bitsandbytes one compare tensor for tensor.
///
/// NF4 (`Linear4bit`, `QuantState.as_dict(packed: true)`), for a weight `W`:
/// `W` U8 [⌈n/2⌉, 1] packed codes · `W.absmax` U8 [B] nested codes (F32 [B] without double
/// quantisation) · `W.quant_map` F32 [16] · `W.nested_absmax` F32 [⌈B/256⌉] · `W.nested_quant_map`
/// F32 [256] · `W.quant_state.bitsandbytes__nf4` U8 [bytes of a JSON object: quant_type, blocksize,
/// dtype, shape, then nested_blocksize, nested_dtype, nested_offset, as Python's `json.dumps`].
/// int8 (`Linear8bitLt` with frozen weights), for `P.weight`: `P.weight` I8 [O, I], `P.SCB` F32 [O]
/// row absmax, `P.weight_format` U8 [] = 0 (row-major).
// reference: bitsandbytes 0.50.2 functional.QuantState.as_dict, utils.pack_dict_to_tensor,
// nn.modules.Linear4bit/Linear8bitLt._save_to_state_dict
public enum BnbFormat {
    /// Suffix of the packed JSON state tensor of an NF4 weight.
    public static let nf4StateSuffix = ".quant_state.bitsandbytes__nf4"

    /// What a conversion did.
    public struct Summary: Sendable, Equatable {
        /// Names of the weights converted.
        public var converted: [String]
        /// Names of tensors copied unchanged.
        public var copied: [String]
    }

    /// The tensors bitsandbytes saves for `t`, a quantised `name` whose source dtype was `dtype`
    /// (`float32`, `bfloat16`, `float16`: recorded in the state, as bitsandbytes does).
    public static func nf4Tensors(_ name: String, _ t: NF4Tensor, dtype: String = "float32") -> [SafetensorsTensor] {
        var out = [SafetensorsTensor(name: name, dtype: .U8, shape: [t.packed.count, 1], bytes: t.packed)]
        var json = "{\"quant_type\": \"nf4\", "
        if let q = t.nested {
            out.append(SafetensorsTensor(name: name + ".absmax", dtype: .U8, shape: [q.codes.count], bytes: q.codes))
        } else {
            out.append(f32(name + ".absmax", t.absmax ?? []))
        }
        json += "\"blocksize\": \(t.blocksize), \"dtype\": \"\(dtype)\", \"shape\": [\(t.shape.map(String.init).joined(separator: ", "))]"
        out.append(f32(name + ".quant_map", NF4.code))
        if let q = t.nested {
            out.append(f32(name + ".nested_absmax", q.absmax))
            out.append(f32(name + ".nested_quant_map", DynamicMap.code))
            json += ", \"nested_blocksize\": \(q.blocksize), \"nested_dtype\": \"float32\", \"nested_offset\": \(pythonFloat(q.offset))"
        }
        json += "}"
        out.append(SafetensorsTensor(name: name + nf4StateSuffix, dtype: .U8, shape: [json.utf8.count], bytes: Array(json.utf8)))
        return out
    }

    /// The tensors `transformers` saves for an 8-bit weight `name` (`P.weight` → `P.SCB`, `P.weight_format`).
    public static func int8Tensors(_ name: String, _ t: Int8RowwiseTensor) -> [SafetensorsTensor] {
        let prefix = int8Prefix(name)
        return [SafetensorsTensor(name: name, dtype: .I8, shape: t.shape, bytes: t.codes.map { UInt8(bitPattern: $0) }),
                f32(prefix + "SCB", t.rowStats),
                SafetensorsTensor(name: prefix + "weight_format", dtype: .U8, shape: [], bytes: [0])]
    }

    /// The module prefix an 8-bit weight's state is saved under: `a.b.weight` → `a.b.`; any other
    /// name `x` → `x.`.
    public static func int8Prefix(_ name: String) -> String {
        name == "weight" ? "" : name.hasSuffix(".weight") ? String(name.dropLast("weight".count)) : name + "."
    }

    /// Quantises every 2-D F32/BF16/F16 tensor of `input` and writes `output`; other tensors are
    /// copied unchanged. BF16/F16 values are widened to fp32 exactly before quantising.
    public static func quantizeFile(input: String, output: String, method: String, blocksize: Int = 64,
                                    doubleQuant: Bool = true) throws -> Summary {
        guard method == "nf4" || method == "int8" else {
            throw QuantizeError.invalid("method '\(method)' is not supported; use nf4 or int8")
        }
        if method == "nf4", !nf4BlockSizes.contains(blocksize) {
            throw QuantizeError.invalid("blocksize \(blocksize) is not one bitsandbytes supports; use one of \(nf4BlockSizes.map(String.init).joined(separator: ", "))")
        }
        let file = try open(input)
        var out: [SafetensorsTensor] = [], summary = Summary(converted: [], copied: [])
        for name in file.names {
            let e = try file.entry(name)
            guard e.shape.count == 2, [.F32, .BF16, .F16].contains(e.dtype), e.count > 0 else {
                out.append(try copy(file, name, e)); summary.copied.append(name); continue
            }
            let values = try file.floats(name)
            do {
                if method == "nf4" {
                    let t = try NF4.quantize(values, shape: e.shape, blocksize: blocksize, doubleQuant: doubleQuant)
                    out += nf4Tensors(name, t, dtype: torchName(e.dtype))
                } else {
                    out += int8Tensors(name, try Int8Rowwise.quantize(values, shape: e.shape))
                }
            } catch let err as QuantizeError {
                throw QuantizeError.invalid("\(input): tensor '\(name)': \(err)")
            }
            summary.converted.append(name)
        }
        guard !summary.converted.isEmpty else {
            throw QuantizeError.invalid("\(input) holds no 2-D float tensor (F32, BF16, F16) to quantise; pass a model's weights file")
        }
        try write(out, to: output)
        return summary
    }

    /// Reverses `quantizeFile`: every NF4 or int8 weight becomes an fp32 tensor of its original
    /// shape; other tensors are copied. Throws when the file holds no quantised weight.
    public static func dequantizeFile(input: String, output: String) throws -> Summary {
        let file = try open(input)
        let names = file.names, present = Set(names)
        var consumed = Set<String>(), out: [SafetensorsTensor] = [], summary = Summary(converted: [], copied: [])
        for state in names where state.hasSuffix(nf4StateSuffix) {
            let w = String(state.dropLast(nf4StateSuffix.count))
            let t = try readNF4(file, w, input: input)
            out.append(f32(w, try NF4.dequantize(t), shape: t.shape))
            consumed.formUnion([w, state, w + ".absmax", w + ".quant_map", w + ".nested_absmax", w + ".nested_quant_map"])
            summary.converted.append(w)
        }
        for scb in names where scb.hasSuffix("SCB") && (scb == "SCB" || scb.hasSuffix(".SCB")) {
            let prefix = String(scb.dropLast(3)), w = prefix + "weight"
            guard present.contains(w) else { throw QuantizeError.invalid("\(input): '\(scb)' has no int8 weight '\(w)' beside it") }
            let we = try file.entry(w), se = try file.entry(scb)
            guard we.dtype == .I8, we.shape.count == 2, se.dtype == .F32, se.shape == [we.shape[0]] else {
                throw QuantizeError.invalid("\(input): '\(w)' must be I8 [rows, cols] and '\(scb)' F32 [rows]; got \(we.dtype) \(we.shape) and \(se.dtype) \(se.shape)")
            }
            let codes = try file.rawBytes(w).map { Int8(bitPattern: $0) }
            let t = Int8RowwiseTensor(shape: we.shape, codes: codes, rowStats: try file.floats(scb))
            out.append(f32(w, try Int8Rowwise.dequantize(t), shape: we.shape))
            consumed.formUnion([w, scb, prefix + "weight_format"])
            summary.converted.append(w)
        }
        guard !summary.converted.isEmpty else {
            throw QuantizeError.invalid("\(input) is not quantised: it has no '*\(nf4StateSuffix)' (NF4) or '*.SCB' (int8) tensor; nothing to dequantise")
        }
        for name in names where !consumed.contains(name) {
            out.append(try copy(file, name, try file.entry(name)))
            summary.copied.append(name)
        }
        try write(out, to: output)
        return summary
    }

    // MARK: helpers

    static func readNF4(_ file: SafetensorsFile, _ w: String, input: String) throws -> NF4Tensor {
        func need(_ n: String) throws -> SafetensorsFile.Entry {
            guard file.entries[n] != nil else { throw QuantizeError.invalid("\(input): NF4 weight '\(w)' lacks tensor '\(n)'") }
            return try file.entry(n)
        }
        _ = try need(w + nf4StateSuffix)
        let json = Data(try file.rawBytes(w + nf4StateSuffix))
        guard let state = (try? JSONSerialization.jsonObject(with: json)) as? [String: Any] else {
            throw QuantizeError.invalid("\(input): '\(w + nf4StateSuffix)' does not hold a JSON object")
        }
        guard (state["quant_type"] as? String) == "nf4", let bs = state["blocksize"] as? Int, let shape = state["shape"] as? [Int] else {
            throw QuantizeError.invalid("\(input): '\(w + nf4StateSuffix)' needs quant_type \"nf4\", blocksize and shape; got \(state.keys.sorted())")
        }
        let packed = [UInt8](try file.rawBytes(w)), am = try need(w + ".absmax")
        var t = NF4Tensor(shape: shape, blocksize: bs, packed: packed, absmax: nil, nested: nil)
        if let offset = state["nested_offset"] as? Double {
            guard am.dtype == .U8 else { throw QuantizeError.invalid("\(input): '\(w).absmax' must be U8 nested codes with double quantisation, got \(am.dtype)") }
            _ = try need(w + ".nested_absmax")
            t.nested = NF4NestedAbsmax(codes: [UInt8](try file.rawBytes(w + ".absmax")), absmax: try file.floats(w + ".nested_absmax"),
                                       offset: Float(offset), blocksize: state["nested_blocksize"] as? Int ?? 256)
        } else {
            t.absmax = try file.floats(w + ".absmax")
        }
        do { try NF4.validate(t) } catch { throw QuantizeError.invalid("\(input): weight '\(w)': \(error)") }
        return t
    }

    static func open(_ path: String) throws -> SafetensorsFile {
        do { return try SafetensorsFile(path: path) } catch {
            throw QuantizeError.invalid("cannot read \(path) as safetensors: \(error)")
        }
    }

    static func write(_ tensors: [SafetensorsTensor], to path: String) throws {
        do { try Safetensors.write(tensors, to: path) } catch { throw QuantizeError.invalid("cannot write \(path): \(error)") }
    }

    static func copy(_ file: SafetensorsFile, _ name: String, _ e: SafetensorsFile.Entry) throws -> SafetensorsTensor {
        SafetensorsTensor(name: name, dtype: e.dtype, shape: e.shape, bytes: [UInt8](try file.rawBytes(name)))
    }

    static func f32(_ name: String, _ v: [Float], shape: [Int]? = nil) -> SafetensorsTensor {
        var bytes = [UInt8](repeating: 0, count: 4 * v.count)
        for (k, x) in v.enumerated() {
            let b = x.bitPattern.littleEndian
            bytes[4 * k] = UInt8(b & 0xFF); bytes[4 * k + 1] = UInt8((b >> 8) & 0xFF)
            bytes[4 * k + 2] = UInt8((b >> 16) & 0xFF); bytes[4 * k + 3] = UInt8(b >> 24)
        }
        return SafetensorsTensor(name: name, dtype: .F32, shape: shape ?? [v.count], bytes: bytes)
    }

    /// torch's dtype name as bitsandbytes records it (`str(dtype).strip("torch.")`).
    static func torchName(_ d: SafetensorsDType) -> String {
        switch d { case .BF16: return "bfloat16"; case .F16: return "float16"; default: return "float32" }
    }

    /// A float as Python's `json.dumps` writes `tensor.item()` (shortest repr of the double).
    static func pythonFloat(_ f: Float) -> String {
        let d = Double(f)
        guard d.isFinite else { return d.isNaN ? "NaN" : (d > 0 ? "Infinity" : "-Infinity") }
        var s = "\(d)"
        // Swift writes 1e-05 and 1e+16 as Python does; it writes 5e-324-style exponents the same way
        if !s.contains(".") && !s.contains("e") { s += ".0" }
        return s
    }
}
