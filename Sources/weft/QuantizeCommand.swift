import ArgumentParser
import Foundation
import WeftCore
import WeftTensor

/// `weft quantize`: a safetensors file to (or back from) bitsandbytes' NF4 / int8 layout.
struct QuantizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "quantize",
        abstract: "Quantise every 2-D float weight of a safetensors file as bitsandbytes does (NF4 or int8), in the tensor layout transformers saves; --dequantize reverses it.")
    @Option(help: "nf4 | int8") var method: String = "nf4"
    @Option(help: "NF4 values per absmax block (bitsandbytes: 32, 64, 128, 256, 512, 1024, 2048, 4096).") var blocksize: Int = 64
    @Flag(help: "NF4: quantise the block absmax values again (8-bit, blocks of 256), QLoRA's double quantisation.") var doubleQuant = false
    @Flag(help: "Write fp32 weights back from a quantised file.") var dequantize = false
    @Option(name: .customLong("in"), help: "Input .safetensors.") var input: String
    @Option(name: .customLong("out"), help: "Output .safetensors.") var output: String

    func run() throws {
        guarded {
            do {
                let s = dequantize ? try BnbFormat.dequantizeFile(input: input, output: output)
                    : try BnbFormat.quantizeFile(input: input, output: output, method: method, blocksize: blocksize, doubleQuant: doubleQuant)
                let what = dequantize ? "dequantised" : "quantised (\(method)\(method == "nf4" ? ", blocksize \(blocksize)\(doubleQuant ? ", double quant" : "")" : ""))"
                print("\(output): \(s.converted.count) weights \(what), \(s.copied.count) tensors copied")
                return 0
            } catch let e as QuantizeError {
                throw WeftError.usage(message: e.description)
            }
        }
    }
}
