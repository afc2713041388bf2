import Foundation
import WeftTensor

extension LinearModel {
    /// Writes every base weight (with any LoRA merged in by the caller first) under its
    /// checkpoint name and layout as `model.safetensors` (sharded with an index beyond
    /// `maxShardBytes`), fp32, each file atomically, named as transformers names them in the
    /// model's task class (`externalName`). A tied weight is written once, as transformers
    /// saves it.
    @discardableResult
    public func saveWeights(directory: String, maxShardBytes: Int = 5 << 30) throws -> [String] {
        var tensors: [SafetensorsTensor] = []
        for w in fullWeights() { tensors.append(try SafetensorsTensor(name: externalName(w.name), Tensor(shape: w.shape, data: w.checkpointValues))) }
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do { return try Safetensors.writeCheckpoint(tensors, metadata: ["format": "pt"], directory: directory, maxShardBytes: maxShardBytes) } catch {
            throw ModelError("\(directory): cannot write the model weights: \(error)")
        }
    }
}

extension NamedWeight {
    /// The values in the checkpoint's layout: a weight held transposed in memory (GPT-2's
    /// Conv1D, [out, in] here, [in, out] on disk) is transposed back.
    public var checkpointValues: [Float] {
        let data = buffer.array
        guard transposed && shape.count == 2 else { return data }
        let (i, o) = (shape[0], shape[1])
        var t = [Float](repeating: 0, count: data.count)
        for r in 0..<i { for c in 0..<o { t[r * o + c] = data[c * i + r] } }
        return t
    }
}
