import Foundation
import Testing
@testable import WeftCore

@Suite("BLAS core type selection")
struct CPUFeaturesTests {
    let avx512 = CPUFeatures(model: "x", flags: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd"])
    let avx512bf16 = CPUFeatures(model: "x", flags: ["avx2", "fma", "avx512f", "avx512bw", "avx512vl", "avx512dq", "avx512cd", "avx512_bf16"])
    let avx2 = CPUFeatures(model: "old", flags: ["avx2", "fma"])
    let plain = CPUFeatures(model: "older", flags: ["sse2"])

    @Test("auto picks the fastest family the CPU runs and never an AVX-512 one without AVX-512")
    func auto() {
        let env = ["OPENBLAS_CORETYPE": "Haswell"]
        #expect(BLASCoreTypeSetting.auto.resolve(environment: env, cpu: avx512bf16).value == "COOPERLAKE")
        #expect(BLASCoreTypeSetting.auto.resolve(environment: env, cpu: avx512).value == "SKYLAKEX")
        #expect(BLASCoreTypeSetting.auto.resolve(environment: [:], cpu: avx2).value == "HASWELL")
        #expect(BLASCoreTypeSetting.auto.resolve(environment: [:], cpu: plain).value == nil)
    }

    @Test("env keeps the user's variable; a name is checked against OpenBLAS's list and the CPU")
    func envAndNamed() throws {
        #expect(BLASCoreTypeSetting.env.resolve(environment: ["OPENBLAS_CORETYPE": "Haswell"], cpu: avx512).value == "Haswell")
        #expect(BLASCoreTypeSetting.env.resolve(environment: [:], cpu: avx512).value == nil)
        #expect(try BLASCoreTypeSetting("skylakex", cpu: avx512) == .named("SKYLAKEX"))
        #expect(try BLASCoreTypeSetting("Auto", cpu: avx2) == .auto)
        do { _ = try BLASCoreTypeSetting("SKYLAKEX", cpu: avx2); Issue.record("accepted") } catch {
            #expect("\(error)".contains("needs AVX-512"), "\(error)")
        }
        do { _ = try BLASCoreTypeSetting("skylakx", cpu: avx512); Issue.record("accepted") } catch {
            #expect("\(error)".contains("did you mean 'SKYLAKEX'"), "\(error)")
        }
    }

    @Test("blas_coretype in .weft/config.yaml: read, and a bad value names the file and line")
    func config() throws {
        let d = try TempDir()
        try d.write(".weft/config.yaml", "cache:\n  type: copy\nblas_coretype: HASWELL\n")
        #expect(try WorkspaceConfig.load(root: d.path).blasCoreType == .named("HASWELL"))
        try d.write(".weft/config.yaml", "blas_coretype: fastest\n")
        do { _ = try WorkspaceConfig.load(root: d.path); Issue.record("accepted") } catch {
            #expect("\(error)".hasPrefix(".weft/config.yaml:1:"), "\(error)")
        }
        try d.write(".weft/config.yaml", "blas_coretyp: auto\n")
        do { _ = try WorkspaceConfig.load(root: d.path); Issue.record("accepted") } catch {
            #expect("\(error)".contains("did you mean 'blas_coretype'"), "\(error)")
        }
    }
}
