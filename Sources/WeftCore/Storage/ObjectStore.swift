import Foundation
import CWeftSys
#if canImport(Glibc)
import Glibc
#endif

/// How a workspace copy relates to its cache object.
public enum LinkType: String, Sendable, CaseIterable {
    case reflink, hardlink, copy
}

/// The content-addressed cache: `files/sha256/<2 hex>/<62 hex>` (folders as `.dir`
/// manifest objects) and `runs/` for the run cache.
///
/// Objects are read-only and only ever appear under their final name complete:
/// by `link(2)` of a finished file, or temp file + rename. Durability is one
/// `syncfs` per stage (`sync()`), before the lock file refers to the new objects.
public final class ObjectStore: @unchecked Sendable {
    public let dir: String
    public let linkTypes: [LinkType]
    private let lock = NSLock()
    private var reflinkWorks = true
    private var hardlinkWorks = true
    private var shardsMade = Set<String>()

    public init(dir: String, linkTypes: [LinkType] = [.reflink, .hardlink, .copy]) {
        self.dir = dir
        self.linkTypes = linkTypes.isEmpty ? [.copy] : linkTypes
    }

    /// Object path for a hash (`abcd…` or `abcd….dir`).
    public func path(_ hash: String) -> String {
        let u = Array(hash.utf8)
        return dir + "/files/sha256/" + String(decoding: u[0..<2], as: UTF8.self) + "/" + String(decoding: u[2...], as: UTF8.self)
    }

    public func contains(_ hash: String) -> Bool { FS.exists(path(hash)) }

    /// Makes sure the shard folder of `hash` exists (checked once per shard per process).
    private func prepareShard(_ hash: String) throws {
        let shard = String(decoding: Array(hash.utf8)[0..<2], as: UTF8.self)
        lock.lock()
        let known = shardsMade.contains(shard)
        lock.unlock()
        if known { return }
        try FS.makeDirs(dir + "/files/sha256/" + shard)
        lock.lock()
        shardsMade.insert(shard)
        lock.unlock()
    }

    private func tmpName(_ near: String) -> String { near + ".weft-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))" }

    /// Stores a small object from bytes (folder manifests).
    public func put(_ bytes: [UInt8], hash: String) throws {
        let p = path(hash)
        if FS.exists(p) { return }
        try prepareShard(hash)
        try FS.writeAtomically(p, bytes, mode: 0o444, sync: false)
    }

    /// Reads an object's bytes.
    public func get(_ hash: String) throws -> [UInt8] {
        guard let b = FS.read(path(hash)) else {
            throw WeftError.cache(message: "cache object \(hash) is missing", hint: "rerun the stage that produced it (weft repro --force TARGET)")
        }
        return b
    }

    /// Moves a finished workspace file into the cache and leaves a link to it in its place.
    /// With hardlinks, the workspace file *becomes* the object (made read-only), no byte copied.
    public func store(file abs: String, hash: String) throws {
        let obj = path(hash)
        try prepareShard(hash)
        for t in linkTypes {
            switch t {
            case .hardlink:
                guard hardlinkEnabled() else { continue }
                chmod(abs, 0o444)
                if Glibc.link(abs, obj) == 0 { return }
                let err = errno
                if err == EEXIST { return try share(obj, with: abs) }
                chmod(abs, 0o644)
                if err == EXDEV || err == EPERM || err == EMLINK { disableHardlink(); continue }
                throw WeftError.io(path: obj, message: "cannot add to cache: \(FS.errorText(err))", hint: "check permissions and free space on the cache")
            case .reflink:
                guard reflinkEnabled() else { continue }
                if FS.exists(obj) { return try share(obj, with: abs) }
                let tmp = tmpName(obj)
                if FS.reflink(from: abs, to: tmp) {
                    chmod(tmp, 0o444)
                    if rename(tmp, obj) == 0 { return }
                    unlink(tmp)
                } else {
                    disableReflink()
                }
            case .copy:
                if FS.exists(obj) { return try share(obj, with: abs) }
                let tmp = tmpName(obj)
                do {
                    try FS.copyFile(from: abs, to: tmp, mode: 0o444)
                    chmod(tmp, 0o444)
                } catch {
                    unlink(tmp)
                    throw error
                }
                if rename(tmp, obj) != 0 {
                    unlink(tmp)
                    throw WeftError.io(path: obj, message: "cannot add to cache: \(FS.errorText())", hint: "")
                }
                return
            }
        }
        throw WeftError.io(path: abs, message: "no cache link type worked", hint: "add 'copy' to cache.type in .weft/config.yaml")
    }

    /// The content is cached already (same bytes elsewhere, or an earlier run): the
    /// workspace file is swapped for a link to the existing object.
    private func share(_ obj: String, with abs: String) throws {
        if let i = FS.info(abs), let o = FS.info(obj), o.inode == i.inode { return }
        try link(object: obj, to: abs, replacing: true)
    }

    /// Stores every file of a folder output (split across cores) plus its manifest object.
    public func store(dir abs: String, entries: [DirEntry], id: String) throws {
        try Parallel.forEachSlice(entries.count) { range in
            for e in entries[range] { try store(file: abs + "/" + e.path, hash: e.hash) }
        }
        try put(DirManifest.encode(entries), hash: id)
    }

    private func hardlinkEnabled() -> Bool { lock.lock(); defer { lock.unlock() }; return hardlinkWorks }
    private func reflinkEnabled() -> Bool { lock.lock(); defer { lock.unlock() }; return reflinkWorks }
    private func disableHardlink() { lock.lock(); hardlinkWorks = false; lock.unlock() }
    private func disableReflink() { lock.lock(); reflinkWorks = false; lock.unlock() }

    /// Puts a workspace copy of `obj` at `dst`, by the first link type that works.
    /// With `replacing`, an existing `dst` is swapped atomically (never missing in between).
    func link(object obj: String, to dst: String, replacing: Bool) throws {
        let target = replacing ? tmpName(dst) : dst
        var done = false
        for t in linkTypes where !done {
            switch t {
            case .hardlink:
                if hardlinkEnabled() {
                    if Glibc.link(obj, target) == 0 { done = true } else if errno == EXDEV || errno == EPERM || errno == EMLINK { disableHardlink() }
                }
            case .reflink:
                if reflinkEnabled() {
                    if FS.reflink(from: obj, to: target) { chmod(target, 0o644); done = true } else { disableReflink() }
                }
            case .copy:
                try FS.copyFile(from: obj, to: target, mode: 0o644)
                done = true
            }
        }
        guard done else { throw WeftError.io(path: dst, message: "could not link from cache", hint: "add 'copy' to cache.type") }
        if replacing {
            if rename(target, dst) != 0 {
                unlink(target)
                throw WeftError.io(path: dst, message: "cannot replace: \(FS.errorText())", hint: "")
            }
            // rename() between two links of one inode (dst already was a hardlink of the object,
            // edited in place) succeeds doing nothing: drop the extra link.
            unlink(target)
        }
    }

    /// Restores a file or folder (by hash) at `abs`, replacing whatever is there.
    /// Returns a folder's manifest (nil for a file).
    @discardableResult
    public func checkout(hash: String, to abs: String) throws -> [DirEntry]? {
        if hash.hasSuffix(".dir") {
            let entries = try DirManifest.decode(try get(hash), origin: hash)
            for e in entries where !contains(e.hash) {
                throw WeftError.cache(message: "cache object \(e.hash) (\(e.path) of folder \(hash)) is missing",
                                      hint: "rerun the stage that produced it (weft repro --force TARGET)")
            }
            // Build the folder beside its final place, then swap it in.
            let tmp = tmpName(abs)
            try FS.makeDirs(tmp)
            var made = Set<String>()
            do {
                for e in entries {
                    let parent = RelPath.parent(e.path)
                    if parent != ".", !made.contains(parent) {
                        try FS.makeDirs(tmp + "/" + parent)
                        made.insert(parent)
                    }
                }
                try Parallel.forEachSlice(entries.count) { range in
                    for e in entries[range] { try link(object: path(e.hash), to: tmp + "/" + e.path, replacing: false) }
                }
            } catch {
                try? FS.remove(tmp)
                throw error
            }
            if FS.exists(abs) {
                let trash = tmpName(abs)
                if rename(abs, trash) != 0 { try? FS.remove(tmp); throw WeftError.io(path: abs, message: "cannot replace: \(FS.errorText())", hint: "") }
                try? FS.remove(trash)
            }
            if rename(tmp, abs) != 0 {
                try? FS.remove(tmp)
                throw WeftError.io(path: abs, message: "cannot restore: \(FS.errorText())", hint: "")
            }
            return entries
        }
        let obj = path(hash)
        guard FS.exists(obj) else {
            throw WeftError.cache(message: "cache object \(hash) for '\(abs)' is missing", hint: "rerun the stage that produced it (weft repro --force TARGET)")
        }
        let parent = (abs as NSString).deletingLastPathComponent
        if !FS.exists(parent) { try FS.makeDirs(parent) }
        if let i = FS.info(abs, follow: false), i.isDir { try FS.remove(abs) }
        try link(object: obj, to: abs, replacing: true)
        return nil
    }

    /// Gives an output back to the user as a private writable copy (for `persist` outs,
    /// which a stage edits in place and so must never share an inode with the cache).
    public func unprotect(_ abs: String) throws {
        guard let i = FS.info(abs, follow: false) else { return }
        if i.isDir {
            for (rel, fi) in try FS.walkFiles(abs) where fi.nlink > 1 || fi.mode & 0o200 == 0 {
                try unprotect(abs + "/" + rel)
            }
            return
        }
        guard i.nlink > 1 || i.mode & 0o200 == 0 else { return }
        let tmp = tmpName(abs)
        try FS.copyFile(from: abs, to: tmp, mode: 0o644)
        if rename(tmp, abs) != 0 { unlink(tmp); throw WeftError.io(path: abs, message: "cannot unprotect: \(FS.errorText())", hint: "") }
    }

    /// Flushes everything written to the cache's file system (one call per stage).
    public func sync() {
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = weft_syncfs(fd)
        close(fd)
    }

    /// Every object hash in the cache (files and `.dir` manifests).
    public func allObjects() throws -> [String] {
        let base = dir + "/files/sha256"
        guard FS.exists(base) else { return [] }
        var out: [String] = []
        for shard in try FS.list(base).sorted() where shard.utf8.count == 2 {
            for name in try FS.list(base + "/" + shard) where !name.contains(".weft-tmp-") {
                out.append(shard + name)
            }
        }
        return out.sorted()
    }

    /// Leftover temp files from killed runs (never valid objects).
    public func strayTempFiles() throws -> [String] {
        let base = dir + "/files/sha256"
        guard FS.exists(base) else { return [] }
        var out: [String] = []
        for shard in try FS.list(base) {
            for name in try FS.list(base + "/" + shard) where name.contains(".weft-tmp-") { out.append(base + "/" + shard + "/" + name) }
        }
        return out
    }

    /// Deletes one object.
    public func remove(_ hash: String) throws {
        if unlink(path(hash)) != 0 && errno != ENOENT {
            throw WeftError.io(path: path(hash), message: "cannot remove: \(FS.errorText())", hint: "")
        }
    }
}
