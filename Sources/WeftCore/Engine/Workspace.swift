import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Everything a command needs about one project on disk: the pipelines, the cache,
/// the state DB, the lock files and the settings in `.weft/config.yaml`.
public final class Workspace: @unchecked Sendable {
    public let root: String
    public let project: Project
    public let store: ObjectStore
    public let state: StateDB
    public let hasher: PathHasher
    public let params: ParamsReader
    public let runCache: RunCache
    public let config: WorkspaceConfig
    private var locks: [String: LockFile] = [:]
    private let mutex = NSLock()

    public var weftDir: String { root + "/.weft" }

    /// Opens the project containing `cwd` (or `root` when given).
    public init(root: String, file: String? = nil, catalog: StageCatalog) throws {
        self.root = root
        var fileArg = file
        if let f = file {
            // -f is relative to the current directory; the engine speaks root-relative.
            let abs = f.hasPrefix("/") ? f : FileManager.default.currentDirectoryPath + "/" + f
            let std = URL(fileURLWithPath: abs).standardizedFileURL.path
            guard FS.exists(std) else { throw WeftError.usage(message: "pipeline file '\(f)' does not exist") }
            guard RelPath.isWithin(std, root) || std.hasPrefix(root + "/") else {
                throw WeftError.usage(message: "pipeline file '\(f)' is outside the project at \(root)")
            }
            fileArg = String(std.dropFirst(root.count + 1))
        }
        // Read the lock files on another core while this one parses the pipelines.
        let pipelinePaths = fileArg.map { [$0] } ?? Project.pipelineFiles(root: root)
        let group = DispatchGroup()
        let preload = Preloaded()
        for p in pipelinePaths {
            DispatchQueue.global().async(group: group) {
                let lockPath = PipelineFile.lockPath(for: p)
                // Stat first: if the file is replaced after this, the stat no longer matches at use.
                let seen = FS.info(root + "/" + lockPath)
                preload.set(p, Result { try LockFile(path: lockPath, root: root) }, seen)
            }
        }
        defer { group.wait() }
        project = try Project.load(root: root, file: fileArg, catalog: catalog)
        if !FS.exists(root + "/.weft") { try FS.makeDirs(root + "/.weft") }
        config = try WorkspaceConfig.load(root: root)
        store = ObjectStore(dir: config.cacheDir, linkTypes: config.linkTypes)
        state = try StateDB(path: root + "/.weft/state.db")
        hasher = PathHasher(root: root, state: state)
        params = ParamsReader(root: root)
        runCache = RunCache(store: store)
        group.wait()
        preloaded = preload.results
    }

    /// Lock files read in the background while the pipelines parse.
    private final class Preloaded: @unchecked Sendable {
        private let mutex = NSLock()
        var results: [String: (Result<LockFile, Error>, FS.Info?)] = [:]
        func set(_ p: String, _ r: Result<LockFile, Error>, _ seen: FS.Info?) {
            mutex.lock()
            results[p] = (r, seen)
            mutex.unlock()
        }
    }
    private var preloaded: [String: (Result<LockFile, Error>, FS.Info?)] = [:]

    /// The lock file of a pipeline file (loaded once).
    public func lock(for file: PipelineFile) throws -> LockFile {
        mutex.lock()
        defer { mutex.unlock() }
        if let l = locks[file.path] { return l }
        // A preloaded lock is used only if the file is still the one read: the preload ran before
        // this process took the workspace lock, and another weft may have rewritten it since.
        let l: LockFile
        if let (r, seen) = preloaded[file.path], FS.info(root + "/" + file.lockPath) == seen {
            l = try r.get()
        } else {
            l = try LockFile(path: file.lockPath, root: root)
        }
        locks[file.path] = l
        return l
    }

    public func lockEntry(_ stage: Stage) throws -> LockEntry? {
        try lock(for: project.file(of: stage)).entry(stage.name)
    }

    /// Every lock file in the project, loaded.
    public func allLocks() throws -> [LockFile] {
        try project.files.map { try lock(for: $0) }
    }
}

/// Settings from `.weft/config.yaml` (and `WEFT_CACHE_TYPE`).
///
/// ```yaml
/// cache:
///   type: [reflink, hardlink, copy]   # tried in order
///   dir: cache                        # relative to the project root
/// blas_coretype: auto                 # auto | env | an OpenBLAS core type (SKYLAKEX, HASWELL, ...)
/// ```
public struct WorkspaceConfig: Sendable {
    public var linkTypes: [LinkType] = [.reflink, .hardlink, .copy]
    public var cacheDir: String
    /// Which OpenBLAS kernels built-in stages run (`blas_coretype: auto | env | NAME`).
    public var blasCoreType: BLASCoreTypeSetting = .auto

    public static func load(root: String) throws -> WorkspaceConfig {
        var c = WorkspaceConfig(cacheDir: root + "/cache")
        let path = root + "/.weft/config.yaml"
        if FS.exists(path) {
            let n = try DocumentLoader.load(path: path, displayPath: ".weft/config.yaml")
            for e in n.entries ?? [] where e.key != "cache" && e.key != "blas_coretype" {
                throw WeftError.spec(loc: e.keyLoc, message: "unknown setting '\(e.key)'",
                                     hint: [didYouMean(e.key, ["cache", "blas_coretype"]), "known: cache, blas_coretype"].filter { !$0.isEmpty }.joined(separator: "; "))
            }
            if let b = n["blas_coretype"] {
                guard let t = b.value.interpolationText, case .scalar = b.kind else {
                    throw WeftError.spec(loc: b.loc, message: "blas_coretype must be auto, env or an OpenBLAS core type", hint: "")
                }
                do { c.blasCoreType = try BLASCoreTypeSetting(t) } catch let WeftError.usage(message) {
                    throw WeftError.spec(loc: b.loc, message: message, hint: "")
                }
            }
            if let cache = n["cache"] {
                for e in cache.entries ?? [] {
                    switch e.key {
                    case "type":
                        c.linkTypes = try parseTypes(e.value.value, at: e.value.loc)
                    case "dir":
                        guard let d = e.value.string else { throw WeftError.spec(loc: e.value.loc, message: "cache.dir must be a path", hint: "") }
                        c.cacheDir = d.hasPrefix("/") ? d : root + "/" + d
                    default:
                        throw WeftError.spec(loc: e.keyLoc, message: "unknown setting 'cache.\(e.key)'",
                                             hint: [didYouMean(e.key, ["type", "dir"]), "known: cache.type, cache.dir"].filter { !$0.isEmpty }.joined(separator: "; "))
                    }
                }
            }
        }
        if let env = ProcessInfo.processInfo.environment["WEFT_CACHE_TYPE"], !env.isEmpty {
            c.linkTypes = try parseTypes(.list(env.split(separator: ",").map { .string(String($0).trimmingCharacters(in: .whitespaces)) }),
                                         at: SourceLoc(file: "WEFT_CACHE_TYPE"))
        }
        return c
    }

    static func parseTypes(_ v: Value, at loc: SourceLoc) throws -> [LinkType] {
        let items: [Value]
        switch v {
        case .string: items = [v]
        case .list(let l): items = l
        default: throw WeftError.spec(loc: loc, message: "cache.type must be a link type or a list of them", hint: "allowed: reflink, hardlink, copy")
        }
        return try items.map { i in
            guard let s = i.interpolationText, let t = LinkType(rawValue: s) else {
                throw WeftError.spec(loc: loc, message: "unknown cache link type '\(i.display)'", hint: "allowed: reflink, hardlink, copy")
            }
            return t
        }
    }
}

/// Remembers, per run signature, the outputs a stage produced, so that a stage whose
/// exact inputs were seen before is restored from the cache instead of rerun.
/// Entries are small files `cache/runs/<2 hex>/<62 hex>` written temp + rename.
public struct RunCache: Sendable {
    let store: ObjectStore

    func path(_ sig: String) -> String {
        let u = Array(sig.utf8)
        return store.dir + "/runs/" + String(decoding: u[0..<2], as: UTF8.self) + "/" + String(decoding: u[2...], as: UTF8.self)
    }

    /// The signature of a run: everything that determines its outputs.
    public static func signature(stage: Stage, deps: [LockedPath], params: [(String, [(String, Value)])]) -> String {
        var s = "weft-run \(ContentHash.schemeVersion)\n"
        s += LockEntry.definitionText(LockEntry.definition(of: stage), env: stage.env) + "\n"
        s += "wdir \(stage.wdir)\n"
        for d in deps.sorted(by: { $0.path < $1.path }) { s += "dep \(d.path) \(d.info.hash)\n" }
        for (f, kv) in params { for (k, v) in kv { s += "param \(f) \(k) \(v.canonicalJSON)\n" } }
        for o in stage.outs { s += "out \(o.path) \(o.kind.rawValue)\n" }
        return ContentHash.of(s)
    }

    /// The outputs recorded for a signature, if every object is still in the cache.
    public func lookup(_ sig: String) -> [LockedPath]? {
        guard let bytes = FS.read(path(sig)), let text = String(validating: bytes, as: UTF8.self) else { return nil }
        var outs: [LockedPath] = []
        for line in text.split(separator: "\n") {
            let f = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, let size = Int64(f[2]) else { return nil }
            let info = HashInfo(hash: f[1], size: size, nfiles: f[3].isEmpty ? nil : Int(f[3]))
            guard store.contains(info.hash) else { return nil }
            if info.isDir, let m = try? DirManifest.decode(store.get(info.hash), origin: info.hash), !m.allSatisfy({ store.contains($0.hash) }) {
                return nil
            }
            outs.append(LockedPath(path: f[0], info: info))
        }
        return outs
    }

    public func record(_ sig: String, outs: [LockedPath]) throws {
        let p = path(sig)
        let dir = RelPath.parent(p)
        if !FS.exists(dir) { try FS.makeDirs(dir) }
        let text = outs.map { "\($0.path)\t\($0.info.hash)\t\($0.info.size)\t\($0.info.nfiles.map(String.init) ?? "")" }.joined(separator: "\n")
        try FS.writeAtomically(p, text, sync: false)
    }

    /// Every object a run-cache entry refers to, by entry path (for gc).
    public func entries() throws -> [(String, [String])] {
        let base = store.dir + "/runs"
        guard FS.exists(base) else { return [] }
        var out: [(String, [String])] = []
        for shard in try FS.list(base) {
            for name in try FS.list(base + "/" + shard) where !name.contains(".weft-tmp-") {
                let p = base + "/" + shard + "/" + name
                let text = FS.read(p).flatMap { String(validating: $0, as: UTF8.self) } ?? ""
                out.append((p, text.split(separator: "\n").compactMap { l in l.split(separator: "\t", omittingEmptySubsequences: false).dropFirst().first.map(String.init) }))
            }
        }
        return out
    }
}

/// The workspace write lock: `flock` on `.weft/lock`, holding the owner's PID, so two
/// `weft` processes never write one workspace at once. The kernel drops it when the
/// holder dies, even by kill -9.
public final class WorkspaceLock {
    private var fd: Int32 = -1

    /// Takes the lock; waits (telling the user on whom) unless `noWait`.
    public init(weftDir: String, noWait: Bool, onWait: (String) -> Void) throws {
        let path = weftDir + "/lock"
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WeftError.io(path: path, message: "cannot open workspace lock: \(FS.errorText())", hint: "") }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = Self.holder(fd)
            let msg = "another weft process (PID \(holder)) is working in this workspace (.weft/lock)"
            if noWait {
                close(fd)
                fd = -1
                throw WeftError.usage(message: msg + "\n  hint: wait for it to finish, or run without --no-wait to queue behind it")
            }
            onWait(msg + "; waiting for it to finish…")
            while flock(fd, LOCK_EX) != 0 && errno == EINTR {}
        }
        let pid = "\(getpid())\n"
        _ = ftruncate(fd, 0)
        _ = pid.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    static func holder(_ fd: Int32) -> String {
        var buf = [UInt8](repeating: 0, count: 32)
        let n = buf.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 32, 0) }
        let s = n > 0 ? String(decoding: buf[0..<n], as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
        return s.isEmpty ? "unknown" : s
    }

    public func release() {
        if fd >= 0 {
            _ = ftruncate(fd, 0)
            close(fd)
            fd = -1
        }
    }

    deinit { release() }
}
