import Foundation

/// What this CPU can run, from `/proc/cpuinfo`, and the OpenBLAS kernel family to use for it.
///
/// OpenBLAS (Debian's build has DYNAMIC_ARCH) reads `OPENBLAS_CORETYPE` once, when the
/// library loads, so the engine chooses it for the built-in stages' child processes before
/// they start. Environments that pin `OPENBLAS_CORETYPE=Haswell` on AVX-512 machines get
/// AVX2 kernels at about half the fp32 GEMM speed.
public struct CPUFeatures: Sendable {
    public var model: String
    public var flags: Set<String>

    public static let current: CPUFeatures = {
        let text = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        var model = "unknown", flags = Set<String>()
        for line in text.split(separator: "\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            let key = line[..<colon].trimmingCharacters(in: .whitespaces)
            let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            if key == "model name", model == "unknown" { model = value }
            if key == "flags", flags.isEmpty { flags = Set(value.split(separator: " ").map(String.init)) }
        }
        return CPUFeatures(model: model, flags: flags)
    }()

    public init(model: String, flags: Set<String>) {
        self.model = model
        self.flags = flags
    }

    /// The AVX-512 subsets OpenBLAS's SkylakeX kernels need.
    public var hasAVX512: Bool { ["avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"].allSatisfy(flags.contains) }

    /// The fastest OpenBLAS kernel family for this CPU: Cooperlake (AVX-512 with BF16),
    /// SkylakeX (AVX-512), Haswell (AVX2 + FMA); nil leaves OpenBLAS's own detection.
    public var bestBLASCoreType: String? {
        if hasAVX512 { return flags.contains("avx512_bf16") ? "COOPERLAKE" : "SKYLAKEX" }
        if flags.contains("avx2") && flags.contains("fma") { return "HASWELL" }
        return nil
    }

    /// Kernel families that need AVX-512.
    static let avx512Cores: Set<String> = ["SKYLAKEX", "COOPERLAKE", "SAPPHIRERAPIDS"]
    /// OpenBLAS x86-64 DYNAMIC_ARCH targets (names as `OPENBLAS_CORETYPE` takes them).
    public static let knownCores = ["PRESCOTT", "CORE2", "NEHALEM", "SANDYBRIDGE", "HASWELL", "SKYLAKEX", "COOPERLAKE",
                                    "SAPPHIRERAPIDS", "ZEN", "ATOM", "BARCELONA", "BULLDOZER", "PILEDRIVER", "STEAMROLLER", "EXCAVATOR"]
}

/// The `blas_coretype` setting: `auto` (pick from the CPU's flags), `env` (leave the user's
/// `OPENBLAS_CORETYPE` as it is), or a kernel family name.
public enum BLASCoreTypeSetting: Sendable, Equatable {
    case auto, env
    case named(String)

    public init(_ text: String, cpu: CPUFeatures = .current) throws {
        switch text.lowercased() {
        case "auto": self = .auto
        case "env": self = .env
        default:
            let name = text.uppercased()
            guard CPUFeatures.knownCores.contains(name) else {
                let near = didYouMean(name, CPUFeatures.knownCores)
                throw WeftError.usage(message: "blas_coretype '\(text)' is not an OpenBLAS core type\n  hint: "
                                      + (near.isEmpty ? "" : near + " ") + "auto, env, or one of " + CPUFeatures.knownCores.joined(separator: ", "))
            }
            if CPUFeatures.avx512Cores.contains(name) && !cpu.hasAVX512 {
                throw WeftError.usage(message: "blas_coretype \(name) needs AVX-512, which this CPU (\(cpu.model)) lacks\n  hint: use auto")
            }
            self = .named(name)
        }
    }

    /// The value built-in stages get for `OPENBLAS_CORETYPE` (nil: leave it unset or as the
    /// user has it), and where it came from, for `weft doctor` and stage logs.
    public func resolve(environment: [String: String], cpu: CPUFeatures = .current) -> (value: String?, source: String) {
        switch self {
        case .env:
            return (environment["OPENBLAS_CORETYPE"], environment["OPENBLAS_CORETYPE"] == nil ? "env (unset: OpenBLAS detects)" : "env")
        case .named(let n):
            return (n, "blas_coretype: \(n)")
        case .auto:
            if let best = cpu.bestBLASCoreType { return (best, "auto from CPU flags") }
            return (nil, "auto (no known kernel family for this CPU: OpenBLAS detects)")
        }
    }
}
