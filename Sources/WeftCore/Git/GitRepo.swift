import CGit2
import Foundation

/// A git object id (SHA-1 hex as libgit2 writes it).
public struct GitOID: Hashable, Sendable, CustomStringConvertible {
    public let hex: String
    public var short: String { String(hex.prefix(7)) }
    public var description: String { hex }

    init(_ oid: git_oid) {
        var o = oid
        hex = String(cString: git_oid_tostr_s(&o))
    }

    public init?(hex: String) {
        var o = git_oid()
        guard git_oid_fromstr(&o, hex) == 0 else { return nil }
        self.init(o)
    }

    var raw: git_oid {
        var o = git_oid()
        _ = git_oid_fromstr(&o, hex)
        return o
    }
}

/// One commit's metadata.
public struct GitCommitInfo: Sendable {
    public var id: GitOID
    public var parents: [GitOID]
    public var message: String
    /// Seconds since 1970.
    public var time: Int64
}

/// A file in a commit's tree: path from the repository root, blob id, mode.
public struct GitTreeFile: Sendable {
    public var path: String
    public var blob: GitOID
    /// `0o100644`, `0o100755` or `0o120000` (symlink).
    public var mode: UInt32
}

/// The repository a project lives in, through libgit2 (never the `git` command).
/// libgit2 handles are not thread-safe, so every call takes the same lock.
public final class GitRepo: @unchecked Sendable {
    let repo: OpaquePointer
    let mutex = NSRecursiveLock()
    /// The working tree's root (no trailing slash).
    public let workdir: String
    /// The `.git` folder (for a linked worktree: its private folder).
    public let gitDir: String

    static let initialised: Bool = { git_libgit2_init() > 0 }()

    private init(_ repo: OpaquePointer) throws {
        self.repo = repo
        guard let w = git_repository_workdir(repo) else {
            git_repository_free(repo)
            throw WeftError.git(message: "the git repository is bare (no working tree)", hint: "run weft inside a checkout")
        }
        workdir = Self.canonical(String(cString: w))
        gitDir = Self.canonical(String(cString: git_repository_path(repo)))
    }

    deinit { git_repository_free(repo) }

    /// The repository containing `path` (searching upwards), or nil outside any repository.
    public static func discover(from path: String) throws -> GitRepo? {
        _ = initialised
        var r: OpaquePointer?
        let rc = git_repository_open_ext(&r, path, 0, nil)
        if rc == GIT_ENOTFOUND.rawValue { return nil }
        try check(rc, "cannot open the git repository at \(path)")
        guard let r else { return nil }
        return try GitRepo(r)
    }

    /// The repository containing `path`, or an error that says a repository is needed.
    public static func require(from path: String, for what: String) throws -> GitRepo {
        guard let g = try discover(from: path) else {
            throw WeftError.git(message: "\(what) needs a git repository, and \(path) is not inside one",
                                hint: "run 'git init' (and commit your pipeline) first")
        }
        return g
    }

    /// Creates a new repository (with a working tree) at `path`.
    public static func create(at path: String) throws -> GitRepo {
        _ = initialised
        var r: OpaquePointer?
        try check(git_repository_init(&r, path, 0), "cannot create a git repository at \(path)")
        guard let r else { throw WeftError.git(message: "cannot create a git repository at \(path)", hint: "") }
        return try GitRepo(r)
    }

    /// A path with symlinks resolved and no trailing slash (itself if it does not exist).
    public static func canonical(_ p: String) -> String {
        var s = p
        while s.count > 1 && s.hasSuffix("/") { s.removeLast() }
        guard let r = realpath(s, nil) else { return s }
        defer { free(r) }
        return String(cString: r)
    }

    /// Throws libgit2's last error message when `rc` is negative.
    static func check(_ rc: Int32, _ what: String, hint: String = "") throws {
        guard rc < 0 else { return }
        var detail = ""
        if let e = git_error_last(), let m = e.pointee.message { detail = ": " + String(cString: m) }
        throw WeftError.git(message: what + detail, hint: hint)
    }

    func locked<T>(_ body: () throws -> T) rethrows -> T {
        mutex.lock()
        defer { mutex.unlock() }
        return try body()
    }

    /// `path` relative to the working tree's root ("" for the root itself).
    public func relative(_ path: String) -> String {
        let c = Self.canonical(path)
        if c == workdir { return "" }
        return c.hasPrefix(workdir + "/") ? String(c.dropFirst(workdir.count + 1)) : c
    }

    // MARK: revisions

    /// The commit HEAD points to, or nil before the first commit.
    public func head() throws -> GitOID? {
        try locked {
            if git_repository_head_unborn(repo) == 1 { return nil }
            var oid = git_oid()
            try Self.check(git_reference_name_to_id(&oid, repo, "HEAD"), "cannot read HEAD")
            return GitOID(oid)
        }
    }

    /// The name of the branch HEAD is on (`main`), or nil when detached.
    public func headBranch() -> String? {
        locked {
            var ref: OpaquePointer?
            guard git_reference_lookup(&ref, repo, "HEAD") == 0, let ref else { return nil }
            defer { git_reference_free(ref) }
            guard let t = git_reference_symbolic_target(ref) else { return nil }
            let name = String(cString: t)
            return name.hasPrefix("refs/heads/") ? String(name.dropFirst(11)) : name
        }
    }

    /// Resolves a revision (`HEAD~2`, a branch, a tag, a hash prefix, `refs/exps/x`) to a commit.
    public func resolve(_ rev: String) throws -> GitOID {
        try locked {
            var obj: OpaquePointer?
            let rc = git_revparse_single(&obj, repo, rev)
            if rc < 0 {
                let unborn = git_repository_head_unborn(repo) == 1
                throw WeftError.git(message: "unknown revision '\(rev)'",
                                    hint: unborn ? "this repository has no commits yet; commit first (git add -A && git commit)"
                                        : "use a commit hash, a branch or tag name, HEAD~N, or an experiment name from 'weft exp show'")
            }
            defer { git_object_free(obj) }
            var commit: OpaquePointer?
            guard git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) == 0, let commit else {
                throw WeftError.git(message: "revision '\(rev)' does not name a commit", hint: "use a commit, branch or tag")
            }
            defer { git_object_free(commit) }
            return GitOID(git_object_id(commit).pointee)
        }
    }

    /// A commit's parents, message and time.
    public func commitInfo(_ id: GitOID) throws -> GitCommitInfo {
        try withCommit(id) { c in
            let n = git_commit_parentcount(c)
            let parents = (0..<n).compactMap { i in git_commit_parent_id(c, i).map { GitOID($0.pointee) } }
            let msg = git_commit_message(c).map { String(cString: $0) } ?? ""
            return GitCommitInfo(id: id, parents: parents, message: msg, time: Int64(git_commit_time(c)))
        }
    }

    func withCommit<T>(_ id: GitOID, _ body: (OpaquePointer) throws -> T) throws -> T {
        try locked {
            var c: OpaquePointer?
            var oid = id.raw
            try Self.check(git_commit_lookup(&c, repo, &oid), "cannot read commit \(id.short)")
            guard let c else { throw WeftError.git(message: "cannot read commit \(id.short)", hint: "") }
            defer { git_commit_free(c) }
            return try body(c)
        }
    }

    func withTree<T>(_ id: GitOID, _ body: (OpaquePointer) throws -> T) throws -> T {
        try withCommit(id) { c in
            var t: OpaquePointer?
            try Self.check(git_commit_tree(&t, c), "cannot read the tree of commit \(id.short)")
            guard let t else { throw WeftError.git(message: "cannot read the tree of commit \(id.short)", hint: "") }
            defer { git_tree_free(t) }
            return try body(t)
        }
    }

    // MARK: reading trees and blobs

    /// The bytes of the file at `path` (from the repository root) in a commit, or nil if absent.
    public func file(_ path: String, at id: GitOID) throws -> [UInt8]? {
        try withTree(id) { tree in
            var e: OpaquePointer?
            guard git_tree_entry_bypath(&e, tree, path) == 0, let e else { return nil }
            defer { git_tree_entry_free(e) }
            guard git_tree_entry_type(e) == GIT_OBJECT_BLOB else { return nil }
            return try blob(GitOID(git_tree_entry_id(e).pointee))
        }
    }

    /// A blob's bytes.
    public func blob(_ id: GitOID) throws -> [UInt8] {
        try locked {
            var b: OpaquePointer?
            var oid = id.raw
            try Self.check(git_blob_lookup(&b, repo, &oid), "cannot read blob \(id.short)")
            guard let b else { return [] }
            defer { git_blob_free(b) }
            let n = Int(git_blob_rawsize(b))
            guard n > 0, let p = git_blob_rawcontent(b) else { return [] }
            return Array(UnsafeRawBufferPointer(start: p, count: n))
        }
    }

    /// Every file in a commit (blobs and symlinks; submodules are skipped), sorted by path.
    public func files(at id: GitOID) throws -> [GitTreeFile] {
        final class Box { var out: [GitTreeFile] = [] }
        let box = Box()
        try withTree(id) { tree in
            let payload = Unmanaged.passUnretained(box).toOpaque()
            let rc = git_tree_walk(tree, GIT_TREEWALK_PRE, { root, entry, payload in
                guard let entry, let payload, git_tree_entry_type(entry) == GIT_OBJECT_BLOB else { return 0 }
                let box = Unmanaged<Box>.fromOpaque(payload).takeUnretainedValue()
                let dir = root.map { String(cString: $0) } ?? ""
                let name = String(cString: git_tree_entry_name(entry))
                box.out.append(GitTreeFile(path: dir + name, blob: GitOID(git_tree_entry_id(entry).pointee),
                                           mode: UInt32(git_tree_entry_filemode(entry).rawValue)))
                return 0
            }, payload)
            try Self.check(rc, "cannot list the files of commit \(id.short)")
        }
        return box.out.sorted { $0.path < $1.path }
    }

    /// Writes every file of a commit under `dir` (which must exist), as git would check them
    /// out but without touching the repository's index or working tree.
    public func materialise(_ id: GitOID, into dir: String) throws {
        for f in try files(at: id) {
            let dst = dir + "/" + f.path
            let parent = RelPath.parent(dst)
            if !FS.exists(parent) { try FS.makeDirs(parent) }
            let bytes = try blob(f.blob)
            if f.mode == 0o120000 {
                let target = String(decoding: bytes, as: UTF8.self)
                guard symlink(target, dst) == 0 else { throw WeftError.io(path: dst, message: "cannot create symlink: \(FS.errorText())", hint: "") }
            } else {
                try FS.writeAtomically(dst, bytes, mode: f.mode & 0o111 != 0 ? 0o755 : 0o644, sync: false)
            }
        }
    }

    /// The blob id git would give these bytes (to compare a workspace file with a commit's).
    public static func blobID(of bytes: [UInt8]) -> GitOID {
        var oid = git_oid()
        _ = bytes.withUnsafeBytes { git_odb_hash(&oid, $0.baseAddress, $0.count, GIT_OBJECT_BLOB) }
        return GitOID(oid)
    }

    /// Every commit reachable from any ref (branches, tags, experiments) or HEAD.
    public func allCommits() throws -> [GitOID] {
        try locked {
            var walk: OpaquePointer?
            try Self.check(git_revwalk_new(&walk, repo), "cannot walk the history")
            guard let walk else { return [] }
            defer { git_revwalk_free(walk) }
            var any = false
            for name in try refNames(matching: "refs/*") {
                var oid = git_oid()
                guard git_reference_name_to_id(&oid, repo, name) == 0 else { continue }
                var obj: OpaquePointer?
                guard git_object_lookup(&obj, repo, &oid, GIT_OBJECT_ANY) == 0, let obj else { continue }
                defer { git_object_free(obj) }
                var c: OpaquePointer?
                guard git_object_peel(&c, obj, GIT_OBJECT_COMMIT) == 0, let c else { continue }
                defer { git_object_free(c) }
                if git_revwalk_push(walk, git_object_id(c)) == 0 { any = true }
            }
            if git_repository_head_unborn(repo) != 1, git_revwalk_push_head(walk) == 0 { any = true }
            guard any else { return [] }
            var out: [GitOID] = []
            var oid = git_oid()
            while git_revwalk_next(&oid, walk) == 0 { out.append(GitOID(oid)) }
            return out
        }
    }
}
