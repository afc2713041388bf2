import Foundation

/// The content hash of a path, as a lock file records it.
public struct HashInfo: Sendable, Equatable {
    /// Hex SHA-256; folders carry DVC's `.dir` suffix.
    public var hash: String
    public var size: Int64
    /// Number of files for a folder, nil for a file.
    public var nfiles: Int?
    public var isDir: Bool { nfiles != nil }
}

/// Hashes workspace paths through the state DB, so unchanged files are never re-read.
public final class PathHasher: @unchecked Sendable {
    public let root: String
    public let state: StateDB

    public init(root: String, state: StateDB) {
        self.root = root
        self.state = state
    }

    public func absolute(_ key: String) -> String { key.hasPrefix("/") ? key : root + "/" + key }

    /// The hash of a file or folder, or nil if the path does not exist.
    public func hash(_ key: String) throws -> HashInfo? {
        let abs = absolute(key)
        guard let info = FS.info(abs) else { return nil }
        if info.isDir { return try hashDir(key, abs: abs).0 }
        return HashInfo(hash: try hashFile(key, abs: abs, info: info), size: info.size, nfiles: nil)
    }

    func hashFile(_ key: String, abs: String, info: FS.Info) throws -> String {
        if let h = state.fileHash(key, info) { return h }
        let h = try ContentHash.ofFile(abs)
        // Re-stat: a file rewritten while we read it must not be remembered under the new stat.
        if let after = FS.info(abs), after == info { state.setFileHash(key, info, h) }
        return h
    }

    /// Hashes a folder: one walk and one fingerprint lookup when nothing changed;
    /// otherwise each file through the state DB and a manifest. Returns the manifest too
    /// when it had to be built.
    public func hashDir(_ key: String, abs: String) throws -> (HashInfo, [DirEntry]?) {
        let files = try FS.walkFiles(abs)
        let (fingerprint, total) = Self.fingerprint(files)
        if let (h, size, n) = state.dirHash(key, fingerprint: fingerprint) {
            return (HashInfo(hash: h, size: size, nfiles: n), nil)
        }
        let entries = try entries(key, abs: abs, files: files)
        let id = DirManifest.id(DirManifest.encode(entries))
        state.setDirHash(key, fingerprint: fingerprint, hash: id, size: total, nfiles: files.count)
        return (HashInfo(hash: id, size: total, nfiles: files.count), entries)
    }

    /// What a folder's files look like on disk (paths, inodes, sizes, mtimes, exec bits):
    /// equal fingerprints mean an unchanged folder. Also returns the total size.
    private static func fingerprint(_ files: [(String, FS.Info)]) -> (String, Int64) {
        var fp = ""
        fp.reserveCapacity(files.count * 48)
        var total: Int64 = 0
        for (rel, i) in files {
            fp += rel
            // Only the exec bits matter to the manifest: storing an output in the cache
            // makes it read-only (0444), which must not invalidate the fingerprint.
            fp += "\u{0}\(i.inode) \(i.size) \(i.mtimeNs) \(i.mode & 0o111 != 0 ? 1 : 0)\n"
            total += i.size
        }
        return (ContentHash.of(fp), total)
    }

    /// Records the hash of a path just restored from the cache (`manifest`: the folder's
    /// entries), so that the next `status` need not read back what was just written —
    /// with copies, every restored file is a new inode the state DB has never seen.
    public func remember(_ key: String, _ info: HashInfo, manifest: [DirEntry]?) throws {
        let abs = absolute(key)
        guard let manifest else {
            if let i = FS.info(abs), !i.isDir, i.size == info.size { state.setFileHash(key, i, info.hash) }
            return
        }
        let files = try FS.walkFiles(abs)
        guard files.count == manifest.count else { return }
        let byPath = Dictionary(manifest.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        var rows: [(String, FS.Info, String)] = []
        rows.reserveCapacity(files.count)
        for (rel, i) in files {
            guard let e = byPath[rel], e.size == i.size else { return }
            rows.append((key + "/" + rel, i, e.hash))
        }
        for (path, i, hash) in rows { state.setFileHash(path, i, hash) }
        let (fingerprint, total) = Self.fingerprint(files)
        state.setDirHash(key, fingerprint: fingerprint, hash: info.hash, size: total, nfiles: files.count)
    }

    /// The manifest of a folder (hashing what changed).
    public func manifest(_ key: String) throws -> [DirEntry] {
        let abs = absolute(key)
        return try entries(key, abs: abs, files: try FS.walkFiles(abs))
    }

    /// Hashes the files of a folder (those the state DB does not know), split across cores.
    private func entries(_ key: String, abs: String, files: [(String, FS.Info)]) throws -> [DirEntry] {
        var entries = [DirEntry](repeating: DirEntry(path: "", hash: "", size: 0, mode: 0), count: files.count)
        try entries.withUnsafeMutableBufferPointer { out in
            let out = UnsafeMutableSendableBuffer(out)
            try Parallel.forEachSlice(files.count) { range in
                for k in range {
                    let (rel, i) = files[k]
                    out[k] = DirEntry(path: rel, hash: try hashFile(key + "/" + rel, abs: abs + "/" + rel, info: i),
                                      size: i.size, mode: (i.mode & 0o111) != 0 ? 0o755 : 0o644)
                }
            }
        }
        return entries
    }
}
