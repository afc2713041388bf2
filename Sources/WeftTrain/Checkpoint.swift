import Foundation
import WeftModels
import WeftTensor

/// A training checkpoint: `checkpoint-<step>/` holding the trainable parameters and the
/// optimiser's state (`state.safetensors`) and the loop's counters, the dropout generators'
/// states and a fingerprint of the run's inputs (`trainer_state.json`). A checkpoint is
/// written whole into a hidden folder and renamed into place, so a failure (a full disk, a
/// kill) leaves the previous checkpoint as it was; a resumed run ignores checkpoints whose
/// fingerprint differs from its own (other data or settings).
public struct TrainingCheckpoint {
    /// The folder the checkpoints live in (the stage's persisted output folder).
    public let directory: String
    /// Identifies the inputs and settings a checkpoint belongs to.
    public let fingerprint: String

    public init(directory: String, fingerprint: String) {
        self.directory = directory
        self.fingerprint = fingerprint
    }

    struct Meta: Codable {
        var fingerprint: String
        var trainer: TrainerState
        var optimizer: String
        var optimizerStep: Int
        var dropout: [UInt64]
        var parameters: [String]
    }

    /// Folders `checkpoint-N` in the directory, by step.
    public func existing() -> [(step: Int, path: String)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        return names.compactMap { n -> (Int, String)? in
            guard n.hasPrefix("checkpoint-"), let s = Int(n.dropFirst("checkpoint-".count)) else { return nil }
            return (s, directory + "/" + n)
        }.sorted { $0.0 < $1.0 }
    }

    /// Writes the checkpoint of `state` (plus `extra` files, e.g. the training log so far),
    /// then removes all but the newest `keep` (at least 1).
    public func save(state: TrainerState, parameters: [Parameter], optimizer: Optimizer, model: LinearModel, keep: Int,
                     extra: [String: [UInt8]] = [:]) throws {
        let final = directory + "/checkpoint-\(state.step)"
        let tmp = directory + "/.checkpoint-\(state.step).tmp-\(getpid())"
        let fm = FileManager.default
        try? fm.removeItem(atPath: tmp)
        do {
            try fm.createDirectory(atPath: tmp, withIntermediateDirectories: true)
            var tensors: [SafetensorsTensor] = []
            for p in parameters { tensors.append(Self.tensor("param." + p.name, p.value)) }
            for (k, b) in optimizer.stateBuffers.enumerated() where b.count > 0 { tensors.append(Self.tensor("optim.\(k)", b)) }
            try Safetensors.write(tensors, to: tmp + "/state.safetensors")
            let meta = Meta(fingerprint: fingerprint, trainer: state, optimizer: optimizer.name, optimizerStep: optimizer.step,
                            dropout: model.dropoutStates, parameters: parameters.map(\.name))
            let enc = JSONEncoder()
            enc.outputFormatting = [.prettyPrinted, .sortedKeys]
            enc.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
            for (name, bytes) in extra { try Safetensors.writeAtomically(bytes, to: tmp + "/" + name) }
            try Safetensors.writeAtomically(Array(try enc.encode(meta)), to: tmp + "/trainer_state.json")
            try? fm.removeItem(atPath: final)
            guard rename(tmp, final) == 0 else { throw TrainError("cannot rename into \(final): \(String(cString: strerror(errno)))") }
            Self.syncDirectory(directory)
        } catch {
            try? fm.removeItem(atPath: tmp)
            let previous = existing().last.map { "; the previous checkpoint (step \($0.step)) is intact" } ?? ""
            throw TrainError("could not write the checkpoint at step \(state.step) into \(directory): \(error)\(previous)")
        }
        for old in existing().dropLast(max(1, keep)) { try? fm.removeItem(atPath: old.path) }
    }

    /// The newest checkpoint that belongs to this run, restored into `parameters`, the
    /// optimiser and the model's dropout generators; nil when there is none. Checkpoints of
    /// other runs (another fingerprint) and unreadable ones are skipped, with a note.
    /// Returns the state and the checkpoint's folder (for the `extra` files).
    public func restoreLatest(parameters: [Parameter], optimizer: Optimizer, model: LinearModel,
                              log: (String) -> Void) -> (state: TrainerState, path: String)? {
        for (step, path) in existing().reversed() {
            do {
                guard let data = FileManager.default.contents(atPath: path + "/trainer_state.json") else { throw TrainError("no trainer_state.json") }
                let dec = JSONDecoder()
                dec.nonConformingFloatDecodingStrategy = .convertFromString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
                let meta = try dec.decode(Meta.self, from: data)
                guard meta.fingerprint == fingerprint else {
                    log("checkpoint-\(step) belongs to other inputs or settings; not resumed from")
                    continue
                }
                guard meta.optimizer == optimizer.name, meta.parameters == parameters.map(\.name) else {
                    throw TrainError("its optimiser or parameters differ from this run's")
                }
                let file = try SafetensorsFile(path: path + "/state.safetensors")
                for p in parameters { try Self.load(file, "param." + p.name, into: p.value) }
                for (k, b) in optimizer.stateBuffers.enumerated() where b.count > 0 { try Self.load(file, "optim.\(k)", into: b) }
                optimizer.step = meta.optimizerStep
                try model.restoreDropoutStates(meta.dropout)
                return (meta.trainer, path)
            } catch {
                log("checkpoint-\(step) cannot be resumed from (\(error)); trying an older one")
            }
        }
        return nil
    }

    /// Deletes every checkpoint (and leftover temporary folders).
    public func removeAll() {
        let fm = FileManager.default
        for n in (try? fm.contentsOfDirectory(atPath: directory)) ?? [] where n.hasPrefix("checkpoint-") || n.hasPrefix(".checkpoint-") {
            try? fm.removeItem(atPath: directory + "/" + n)
        }
    }

    static func tensor(_ name: String, _ b: FloatBuffer) -> SafetensorsTensor {
        let bytes = [UInt8](UnsafeRawBufferPointer(start: b.ptr, count: b.count * 4))
        return SafetensorsTensor(name: name, dtype: .F32, shape: [b.count], bytes: bytes)
    }

    static func load(_ file: SafetensorsFile, _ name: String, into b: FloatBuffer) throws {
        let t = try file.tensor(name, expect: [b.count])
        b.ptr.update(from: t.data, count: b.count)
    }

    static func syncDirectory(_ path: String) {
        let fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}
