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
    typealias SgemvFn = @convention(c) (UInt32, UInt32, Int32, Int32, Float, UnsafePointer<Float>?, Int32,
                                        UnsafePointer<Float>?, Int32, Float, UnsafeMutablePointer<Float>?, Int32) -> Void
    typealias StringFn = @convention(c) () -> UnsafeMutablePointer<CChar>?
    typealias GetIntFn = @convention(c) () -> Int32
    typealias SetIntFn = @convention(c) (Int32) -> Void

    struct Library: @unchecked Sendable {
        let sgemm: SgemmFn
        let sgemv: SgemvFn
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
        // OpenBLAS runs single-threaded; `gemm` splits large products across cores itself.
        // OpenBLAS's own pool busy-waits (sched_yield) between calls and fights every other
        // parallel kernel for the same cores: LoRA training on llama-tiny ran at 1,050-1,400
        // tokens/s with it (even with OPENBLAS_THREAD_TIMEOUT=4), 2,400 without. A lone large
        // product is faster on OpenBLAS's pool (2048² sgemm: ~300 vs ~195 GFLOP/s here), but
        // training is many products with other kernels in between. The count the environment asked for
        // (OPENBLAS_NUM_THREADS, set by the engine from a stage's `cpus`) becomes ours.
        let wanted = ProcessInfo.processInfo.environment["OPENBLAS_NUM_THREADS"].flatMap { Int($0) }
        setenv("OPENBLAS_NUM_THREADS", "1", 1)
        handle = nil
        for name in libraryNames {
            handle = dlopen(name, RTLD_NOW | RTLD_LOCAL)
            if handle != nil { break }
            why = dlerror().map { String(cString: $0) } ?? "not found"
        }
        if let wanted, wanted >= 1 { parallelism.set(wanted) }
        guard let handle else {
            return .failure(TensorError("cannot load OpenBLAS (\(why))\n  hint: install it: apt-get install libopenblas0 (or libopenblas-dev)"))
        }
        func symbol<T>(_ name: String, _ type: T.Type) -> T? {
            dlsym(handle, name).map { unsafeBitCast($0, to: type) }
        }
        guard let sgemm = symbol("cblas_sgemm", SgemmFn.self), let sgemv = symbol("cblas_sgemv", SgemvFn.self), let core = symbol("openblas_get_corename", StringFn.self),
              let config = symbol("openblas_get_config", StringFn.self), let get = symbol("openblas_get_num_threads", GetIntFn.self),
              let set = symbol("openblas_set_num_threads", SetIntFn.self) else {
            return .failure(TensorError("the loaded BLAS library is not OpenBLAS (cblas_sgemm or openblas_* missing)"))
        }
        return .success(Library(sgemm: sgemm, sgemv: sgemv, corename: core, config: config, getThreads: get, setThreads: set))
    }()

    /// Loads OpenBLAS now, first setting the kernel family it reads at load time (ignored if
    /// it is already loaded), and sets how many cores a product may use. Throws when no
    /// OpenBLAS is installed.
    public static func load(coreType: String? = nil, threads: Int? = nil) throws {
        if !isLoaded, let coreType { setenv("OPENBLAS_CORETYPE", coreType, 1) }
        _ = try loaded.get()
        loadedFlag.set()
        if let threads { self.threads = threads }
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
    /// `lda`/`ldb`/`ldc` default to the row length of each matrix as stored. Large products
    /// are split into row (or column) blocks, one per core.
    public static func gemm(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>,
                            m: Int, n: Int, k: Int, transA: Bool = false, transB: Bool = false,
                            alpha: Float = 1, beta: Float = 0, lda: Int? = nil, ldb: Int? = nil, ldc: Int? = nil) {
        let lib = library
        let lda = lda ?? (transA ? m : k), ldb = ldb ?? (transB ? k : n), ldc = ldc ?? n
        let ta = (transA ? CblasTrans : CblasNoTrans).rawValue, tb = (transB ? CblasTrans : CblasNoTrans).rawValue
        func call(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ c: UnsafeMutablePointer<Float>, _ m: Int, _ n: Int) {
            lib.sgemm(CblasRowMajor.rawValue, ta, tb, Int32(m), Int32(n), Int32(k), alpha, a, Int32(lda), b, Int32(ldb), beta, c, Int32(ldc))
        }
        // A single row (decoding one token): a matrix-vector product, which streams the matrix
        // once; OpenBLAS's sgemm would first copy (pack) all of it.
        if m == 1 && (!transA || lda == 1) { return gemv(b, a, c, rows: n, cols: k, transposed: !transB, ld: ldb, alpha: alpha, beta: beta) }
        let cores = parallelism.value
        guard cores > 1, m * n * k >= 1 << 18, max(m, n) >= 2 * cores else { return call(a, b, c, m, n) }
        let task = UncheckedSendable((a, b, c, call))
        if m >= n {
            // Row blocks of C: rows of A (columns of the stored A when transposed).
            DispatchQueue.concurrentPerform(iterations: cores) { i in
                let (a, b, c, call) = task.value
                let lo = m * i / cores, hi = m * (i + 1) / cores
                call(a + (transA ? lo : lo * lda), b, c + lo * ldc, hi - lo, n)
            }
        } else {
            // Column blocks of C: columns of B (rows of the stored B when transposed).
            DispatchQueue.concurrentPerform(iterations: cores) { i in
                let (a, b, c, call) = task.value
                let lo = n * i / cores, hi = n * (i + 1) / cores
                call(a, b + (transB ? lo * ldb : lo), c + lo, m, hi - lo)
            }
        }
    }

    /// y[rows] = alpha·M·x + beta·y with M [rows, cols] (row-major, leading dimension `ld`), or
    /// M stored transposed ([cols, rows]) when `transposed`. Split over the cores by output rows.
    static func gemv(_ mat: UnsafePointer<Float>, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>,
                     rows: Int, cols: Int, transposed: Bool, ld: Int, alpha: Float, beta: Float) {
        let lib = library
        func call(_ lo: Int, _ hi: Int) {
            if transposed {
                // M stored [cols, rows]: y[lo..<hi] = (stored[:, lo..<hi])ᵀ·x.
                lib.sgemv(CblasRowMajor.rawValue, CblasTrans.rawValue, Int32(cols), Int32(hi - lo), alpha, mat + lo, Int32(ld),
                          x, 1, beta, y + lo, 1)
            } else {
                lib.sgemv(CblasRowMajor.rawValue, CblasNoTrans.rawValue, Int32(hi - lo), Int32(cols), alpha, mat + lo * ld, Int32(ld),
                          x, 1, beta, y + lo, 1)
            }
        }
        let cores = parallelism.value
        guard cores > 1, rows * cols >= 1 << 16, rows >= 64 * cores else { return call(0, rows) }
        let task = UncheckedSendable(call)
        DispatchQueue.concurrentPerform(iterations: cores) { i in
            // Blocks of 16 rows, so each core's slice starts on a cache-line boundary.
            let lo = (rows / 16 * i / cores) * 16, hi = i == cores - 1 ? rows : (rows / 16 * (i + 1) / cores) * 16
            task.value(lo, hi)
        }
    }

    /// Cores `gemm` and the row-parallel kernels split work over (default: all of them).
    static let parallelism = Counter(ProcessInfo.processInfo.activeProcessorCount)

    final class Counter: @unchecked Sendable {
        private var v: Int
        private let lock = NSLock()
        init(_ v: Int) { self.v = v }
        var value: Int { lock.lock(); defer { lock.unlock() }; return v }
        func set(_ n: Int) { lock.lock(); v = max(1, n); lock.unlock() }
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

    /// Cores one matrix product uses.
    public static var threads: Int {
        get { parallelism.value }
        set { parallelism.set(newValue) }
    }
}
