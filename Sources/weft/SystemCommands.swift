import ArgumentParser
import Foundation
import WeftCore
import WeftTensor
#if canImport(Glibc)
import Glibc
#endif

/// The `blas_coretype` setting of the project around the current folder (`auto` outside one).
func blasSetting() throws -> BLASCoreTypeSetting {
    guard let root = Project.findRoot(from: FileManager.default.currentDirectoryPath) else { return .auto }
    return try WorkspaceConfig.load(root: root).blasCoreType
}

/// Loads OpenBLAS with the kernels the engine would give a built-in stage, and `threads`.
func loadBLAS(threads: Int) throws {
    let (core, _) = try blasSetting().resolve(environment: ProcessInfo.processInfo.environment)
    do { try BLAS.load(coreType: core, threads: threads) } catch { throw WeftError.usage(message: "\(error)") }
}

struct Doctor: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "What this machine offers weft: CPU, BLAS kernels and threads built-in stages get, git.")
    @Flag(help: "Machine-readable output.") var json = false
    func run() throws {
        guarded {
            let cpu = CPUFeatures.current
            let env = ProcessInfo.processInfo.environment
            let setting = try blasSetting()
            let (core, source) = setting.resolve(environment: env)
            let threads = ProcessInfo.processInfo.activeProcessorCount
            // The kernels a stage really gets: ask a child started the way the engine starts one.
            let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            let p = Process()
            p.executableURL = URL(fileURLWithPath: exe)
            p.arguments = ["blas-info"]
            var childEnv = env
            if let core { childEnv["OPENBLAS_CORETYPE"] = core }
            childEnv["OPENBLAS_NUM_THREADS"] = String(threads)
            p.environment = childEnv
            let pipe = Pipe()
            p.standardOutput = pipe
            try p.run()
            let loaded = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            p.waitUntilExit()
            let avx = ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512_bf16", "avx512_vnni", "amx_tile"].filter(cpu.flags.contains)
            let rows: [(String, String)] = [
                ("cpu", cpu.model),
                ("cores", String(threads)),
                ("vector extensions", avx.joined(separator: " ")),
                ("OPENBLAS_CORETYPE in this shell", env["OPENBLAS_CORETYPE"] ?? "(unset)"),
                ("blas_coretype setting", "\(setting)"),
                ("built-in stages get", "\(core ?? "(unset)") (\(source))"),
                ("OpenBLAS kernels loaded by a stage", loaded),
                ("BLAS threads per stage", "its cpus: slots (default 1)"),
                ("git", (try? GitRepo.discover(from: FileManager.default.currentDirectoryPath))??.workdir ?? "not in a git repository"),
            ]
            if json {
                print(Value.dict(rows.map { ($0.0, .string($0.1)) }).orderedJSON)
            } else {
                let w = rows.map(\.0.count).max() ?? 0
                for (k, v) in rows { print(k.padding(toLength: w, withPad: " ", startingAt: 0) + "  " + v) }
            }
            return 0
        }
    }
}

/// Prints the OpenBLAS kernel family this process loaded (for `weft doctor`).
struct BLASInfo: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "blas-info", abstract: "Print the OpenBLAS core this process loaded.", shouldDisplay: false)
    func run() throws {
        guarded {
            do { try BLAS.load() } catch { throw WeftError.usage(message: "\(error)") }
            print("\(BLAS.coreName), \(BLAS.threads) thread(s)")
            return 0
        }
    }
}

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Micro-benchmarks of weft's numeric core.", subcommands: [Gemm.self, Train.self, Generate.self])

    struct Gemm: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "fp32 matrix multiply speed (the ceiling model FLOP utilisation is measured against).")
        @Option(help: "Square size N (N×N · N×N).") var n: Int = 2048
        @Option(help: "BLAS threads.") var threads: Int = ProcessInfo.processInfo.activeProcessorCount
        @Option(help: "Timed repetitions (the best is reported).") var reps: Int = 5
        @Flag(help: "JSON output.") var json = false
        func run() throws {
            guarded {
                guard n >= 1, reps >= 1, threads >= 1 else { throw WeftError.usage(message: "--n, --reps and --threads must be at least 1") }
                try loadBLAS(threads: threads)
                let a = (0..<(n * n)).map { Float(($0 * 7919) % 1000) / 1000 - 0.5 }
                var c = [Float](repeating: 0, count: n * n)
                BLAS.gemm(a, a, &c, m: n, n: n, k: n)  // warm-up
                var best = Double.infinity
                for _ in 0..<reps {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    BLAS.gemm(a, a, &c, m: n, n: n, k: n)
                    best = min(best, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
                }
                let gflops = 2 * Double(n) * Double(n) * Double(n) / best / 1e9
                if json {
                    print(Value.dict([("n", .int(n)), ("threads", .int(BLAS.threads)), ("core", .string(BLAS.coreName)),
                                      ("seconds", .double(best)), ("gflops", .double((gflops * 10).rounded() / 10))]).orderedJSON)
                } else {
                    print(String(format: "sgemm %d×%d: %.1f GFLOP/s (%@, %d thread(s), best of %d)", n, n, gflops, BLAS.coreName, BLAS.threads, reps))
                }
                return 0
            }
        }
    }
}
