// Shapes: A [M, K] (or [K, M] transposed), B [K, N] (or [N, K] transposed), C [M, N]; row-major.
import COpenBLAS
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// OpenBLAS, loaded with `dlopen` the first time a matrix product is needed.
///
/// Why not link it: OpenBLAS initialises when the process loads it (CPU detection, buffers,
/// a thread pool), which cost every `weft` invocation 15-40 ms (a no-op `status` on 500
/// stages went from ~37 to ~77 ms), though only built-in ML stages and a few commands do
/// math. Loading late also lets a command set `OPENBLAS_CORETYPE` and
/// `OPENBLAS_NUM_THREADS` before OpenBLAS reads them (it reads them once, at load time).
public enum BLAS {
    typealias SgemmFn = @convention(c) (UInt32, UInt32, UInt32, Int32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias StringFn = @convention(c) () -> UnsafeMutablePointer<CChar>?
    typealias GetIntFn = @convention(c) () -> Int32
    typealias SetIntFn = @convention(c) (Int32) -> Void

    struct Library: @unchecked Sendable {
        let sgemm: SgemmFn
        let corename: StringFn
        let config: StringFn
        let getThreads: GetIntFn
        let setThreads: SetIntFn
    }

    /// The candidates, in order: Debian's alternatives link, then the plain development name.
    static let libraryNames = ["libopenblas.so.0", "libopenblas.so"]

    private static let loaded: Result<Library, TensorError> = {
        var handle: UnsafeMutableRawPointer?
        var why = ""
        for name in libraryNames {
            handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)
            if handle != nil { break }
            why = dlerror().map { String(cString: $0) } ?? "not found"
        }
        guard let handle else {
            return .failure(TensorError("cannot load OpenBLAS (\(why))\n  hint: install it: apt-get install libopenblas0 (or libopenblas-dev)"))
        }
        func symbol<T>(_ name: String, _ type: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        guard let sgemm = symbol("cblas_sgemm", SgemmFn.self), let core = symbol("openblas_get_corename", StringFn.self),
              let config = symbol("openblas_get_config", StringFn.self), let get = symbol("openblas_get_num_threads", GetIntFn.self),
              let set = symbol("openblas_set_num_threads", SetIntFn.self) else {
            return .failure(TensorError("the loaded BLAS library is not OpenBLAS (cblas_sgemm or openblas_* missing)"))
        }
        return .success(Library(sgemm: sgemm, corename: core, config: config, getThreads: get, setThreads: set))
    }()

    /// Loads OpenBLAS now, first setting the kernel family and thread count it reads at load
    /// time (ignored if it is already loaded). Throws when no OpenBLAS is installed.
    public static func load(coreType: String? = nil, threads: Int? = nil) throws {
        if !isLoaded {
            if let coreType { setenv("OPENBLAS_CORETYPE", coreType, 1) }
            if let threads { setenv("OPENBLAS_NUM_THREADS", String(max(1, threads)), 1) }
        }
        _ = try loaded.get()
        loadedFlag.set()
    }

    /// Whether OpenBLAS has been loaded into this process.
    public static var isLoaded: Bool { loadedFlag.isSet }
    private static let loadedFlag = Flag()

    final class Flag: @unchecked Sendable {
        private var value = false
        private let lock = NSLock()
        var isSet: Bool { lock.lock(); defer { lock.unlock() }; return value }
        func set() { lock.lock(); value = true; lock.unlock() }
    }

    static var library: Library {
        switch loaded {
        case .success(let l):
            loadedFlag.set()
            return l
        case .failure(let e):
            // Math without a BLAS cannot go on; callers that want a recoverable error call load() first.
            FileHandle.standardError.write(Data(("ERROR: \(e)\n").utf8))
            exit(70)
        }
    }

    /// C = alpha·op(A)·op(B) + beta·C, row-major, op = transpose when `transA`/`transB`.
    /// `lda`/`ldb`/`ldc` default to the row length of each matrix as stored.
    public static func gemm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                            m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false,
                            alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil) {
        library.sgemm(CblasRowMajor.rawValue, (transA ? CblasTrans : CblasNoTrans).rawValue, (transB ? CblasTrans : CblasNoTrans).rawValue,
                      Int32(m), Int32(n), Int32(k), alpha,
                      a, Int32(lda ?? (transA ? m : k)), b, Int32(ldb ?? (transB ? k : n)),
                      beta, c, Int32(ldc ?? n))
    }

    /// The kernel family OpenBLAS picked when it loaded (`Haswell`, `SkylakeX`, `Cooperlake`, ...).
    public static var coreName: String { library.corename().map { String(cString: $0) } ?? "unknown" }

    /// OpenBLAS's build configuration string.
    public static var config: String { library.config().map { String(cString: $0) } ?? "unknown" }

    /// Runs `body` with OpenBLAS limited to `n` threads (then restores the count). Kernels
    /// that already split work across cores (one small product per attention head) call BLAS
    /// single-threaded inside: two OpenBLAS pools contending for two cores spend their time
    /// yielding to each other.
    public static func withThreads<R>(_ n: Int, _ body: () throws -> R) rethrows -> R {
        let before = threads
        if before == n { return try body() }
        threads = n
        defer { threads = before }
        return try body()
    }

    /// Threads OpenBLAS uses for one call.
    public static var threads: Int {
        get { Int(library.getThreads()) }
        set { library.setThreads(Int32(max(1, newValue))) }
    }
}
