import Foundation

/// The project's place in git: its repository and the project root's path inside it
/// (a project may live in a subfolder of a repository, or in a linked worktree).
public struct VersionedProject: Sendable {
    public let repo: GitRepo
    /// The project root in the workspace (absolute, canonical).
    public let root: String
    /// The project root relative to the repository's working tree ("" at the top).
    public let prefix: String
    public let catalog: StageCatalog
    /// Experiments are `refs/exps/<name>`; queued ones `refs/exps-queue/<name>`.
    public static let expRefs = "refs/exps/"
    public static let queueRefs = "refs/exps-queue/"

    /// Opens the repository around `root`; `what` names the command for the error outside one.
    public init(root: String, catalog: StageCatalog, for what: String) throws {
        repo = try GitRepo.require(from: root, for: what)
        self.root = GitRepo.canonical(root)
        prefix = repo.relative(self.root)
        self.catalog = catalog
    }

    /// A root-relative path as a path from the repository root.
    public func repoPath(_ rel: String) -> String { prefix.isEmpty ? rel : prefix + "/" + rel }

    /// An experiment name, a queued experiment, or any git revision, as a commit.
    public func resolve(_ rev: String) throws -> GitOID {
        if let id = repo.refTarget(Self.expRefs + rev) ?? repo.refTarget(Self.queueRefs + rev) { return id }
        return try repo.resolve(rev)
    }

    /// The cache of the workspace (where every revision's outputs are looked up).
    public func store() throws -> ObjectStore {
        let c = try WorkspaceConfig.load(root: root)
        return ObjectStore(dir: c.cacheDir, linkTypes: c.linkTypes)
    }

    /// A folder under the workspace's `.weft/tmp` for a temporary checkout. Folders left by
    /// processes that died (kill -9) are removed first.
    func tempDir(_ tag: String) throws -> String {
        let base = root + "/.weft/tmp"
        for name in (try? FS.list(base)) ?? [] where ["snap-", "repro-", "exp-"].contains(where: { name.hasPrefix($0) }) {
            let parts = name.split(separator: "-")
            guard parts.count >= 3, let pid = Int32(parts[parts.count - 2]), pid != getpid(),
                  kill(pid, 0) != 0 && errno == ESRCH else { continue }
            try? FS.remove(base + "/" + name)
        }
        let d = base + "/\(tag)-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        try FS.makeDirs(d)
        return d
    }
}

/// The project as one revision recorded it (or the workspace as it is): its pipelines,
/// params, locks and metrics files, readable with the normal loaders. For a commit, the
/// small files under the project root are written to a temporary folder (removed when
/// the snapshot goes away); big files are skipped, since outputs come from the cache.
public final class Snapshot: @unchecked Sendable {
    /// `workspace`, an experiment name, or the revision as the user wrote it.
    public let label: String
    public let commit: GitOID?
    /// Where its files are on disk (the workspace root, or the temporary folder's project root).
    public let root: String
    let temp: String?
    let store: ObjectStore
    let catalog: StageCatalog
    private var loaded: Project?

    static let maxMaterialisedBytes = 8 << 20

    /// The workspace as it is now.
    public init(workspace root: String, catalog: StageCatalog, store: ObjectStore) {
        label = "workspace"
        commit = nil
        self.root = root
        temp = nil
        self.store = store
        self.catalog = catalog
    }

    /// The project at a commit.
    public init(_ vp: VersionedProject, commit: GitOID, label: String, store: ObjectStore) throws {
        self.label = label
        self.commit = commit
        self.store = store
        catalog = vp.catalog
        let t = try vp.tempDir("snap-" + commit.short)
        temp = t
        root = vp.prefix.isEmpty ? t : t + "/" + vp.prefix
        try FS.makeDirs(root)
        let under = vp.prefix.isEmpty ? "" : vp.prefix + "/"
        for f in try vp.repo.files(at: commit) where f.path.hasPrefix(under) && f.mode != 0o120000 {
            let bytes = try vp.repo.blob(f.blob)
            guard bytes.count <= Self.maxMaterialisedBytes else { continue }
            let dst = t + "/" + f.path
            let parent = RelPath.parent(dst)
            if !FS.exists(parent) { try FS.makeDirs(parent) }
            try FS.writeAtomically(dst, bytes, sync: false)
        }
    }

    deinit { if let temp { try? FS.remove(temp) } }

    /// Its pipelines, loaded once.
    public func project() throws -> Project {
        if let loaded { return loaded }
        do {
            let p = try Project.load(root: root, catalog: catalog)
            loaded = p
            return p
        } catch {
            guard commit != nil else { throw error }
            // Paths inside the temporary copy mean nothing to the user: name the revision.
            let text = "\(error)".replacingOccurrences(of: root + "/", with: "")
            throw WeftError.git(message: "revision '\(label)': its pipeline does not load: \(text)", hint: "")
        }
    }

    /// The lock file of one of its pipeline files.
    public func lock(_ file: PipelineFile) throws -> LockFile {
        try LockFile(path: file.lockPath, root: root)
    }

    /// A file of the project at this revision: from git (or the workspace), else from the
    /// cache by the hash its lock recorded (cached outputs are not in git).
    public func read(_ rel: String) throws -> [UInt8]? {
        if let b = FS.read(root + "/" + rel), FS.info(root + "/" + rel)?.isDir == false { return b }
        guard commit != nil else { return nil }
        let p = try project()
        for f in p.files {
            let lock = try self.lock(f)
            for s in f.stages {
                guard let e = lock.entry(s.name) else { continue }
                for (o, rec) in zip(s.outs, e.outs) where o.path == rec.path {
                    if o.key == rel, !rec.info.isDir { return store.contains(rec.info.hash) ? try store.get(rec.info.hash) : nil }
                    if RelPath.isWithin(rel, o.key), rec.info.isDir, store.contains(rec.info.hash) {
                        let inner = String(rel.dropFirst(o.key.count + 1))
                        let m = try DirManifest.decode(store.get(rec.info.hash), origin: rec.info.hash)
                        if let x = m.first(where: { $0.path == inner }), store.contains(x.hash) { return try store.get(x.hash) }
                    }
                }
            }
        }
        return nil
    }

    /// Params files the project uses (root `params.yaml` and every stage's), root-relative.
    public func paramsFiles() throws -> [String] {
        var files: [String] = []
        if FS.exists(root + "/params.yaml") { files.append("params.yaml") }
        for s in try project().stages { for p in s.params where !files.contains(p.key) && !p.key.hasPrefix("/") { files.append(p.key) } }
        return files
    }

    /// Every params value, flattened (`train.lr`; keys of files other than `params.yaml`
    /// are prefixed `file:`).
    public func params() throws -> [(String, Value)] {
        var out: [(String, Value)] = []
        for f in try paramsFiles() {
            guard let bytes = FS.read(root + "/" + f) else { continue }
            let v = try DocumentLoader.parse(String(decoding: bytes, as: UTF8.self), file: f).value
            for (k, x) in flatten(v) { out.append((f == "params.yaml" ? k : f + ":" + k, x)) }
        }
        return out
    }

    /// Metrics files the pipelines declare (stage `metrics:` and top-level `metrics:`).
    public func metricsFiles() throws -> [String] {
        let p = try project()
        var files: [String] = []
        for s in p.stages {
            for o in s.outs {
                let paths = (o.kind == .metrics ? [o.key] : []) + o.reports.filter { $0.kind == .metrics }.map { o.key + "/" + $0.path }
                for f in paths where !files.contains(f) { files.append(f) }
            }
        }
        for f in p.files { for m in f.metrics where !files.contains(m) { files.append(m) } }
        return files
    }

    /// Every metric, flattened; a key two files share is prefixed with each file's path.
    public func metrics() throws -> [(String, Value)] {
        var perFile: [(String, [(String, Value)])] = []
        for f in try metricsFiles() {
            guard let bytes = try read(f) else { continue }
            let v = try DocumentLoader.parse(String(decoding: bytes, as: UTF8.self), file: f).value
            perFile.append((f, flatten(v)))
        }
        var count: [String: Int] = [:]
        for (_, kv) in perFile { for (k, _) in kv { count[k, default: 0] += 1 } }
        return perFile.flatMap { (f, kv) in kv.map { (count[$0.0]! > 1 ? f + ":" + $0.0 : $0.0, $0.1) } }
    }
}

/// Nested mappings as dotted keys (`train.lr`); lists and scalars are leaves.
public func flatten(_ v: Value, prefix: String = "") -> [(String, Value)] {
    guard case .dict(let d) = v else { return prefix.isEmpty ? [] : [(prefix, v)] }
    var out: [(String, Value)] = []
    for (k, x) in d {
        let key = prefix.isEmpty ? k : prefix + "." + k
        if case .dict = x { out += flatten(x, prefix: key) } else { out.append((key, x)) }
    }
    return out
}
