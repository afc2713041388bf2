import Foundation
import Testing
@testable import WeftCore

#if canImport(Glibc)
import Glibc
#endif

/// Hashing, folder manifests, the object store with each link type, and the state DB.
@Suite("storage")
struct StorageTests {
    /// Deterministic pseudo-random bytes.
    static func noise(_ n: Int, seed: UInt64) -> [UInt8] {
        var x = seed
        return (0..<n).map { _ in
            x = x &* 6364136223846793005 &+ 1442695040888963407
            return UInt8(truncatingIfNeeded: x >> 33)
        }
    }

    @Test("ContentHash.ofFile equals sha256sum for empty, small and > 1 MiB (mmap) files")
    func fileHashes() throws {
        let d = try TempDir()
        let files = [
            try d.write("empty", []),
            try d.write("small", Array("hello\n".utf8)),
            try d.write("exactly-1MiB", Self.noise(1 << 20, seed: 1)),
            try d.write("large", Self.noise(3 * (1 << 20) + 17, seed: 2)),
        ]
        for f in files {
            #expect(try ContentHash.ofFile(f) == systemSHA256(f), "\(f)")
        }
        #expect(ContentHash.of(Array("hello\n".utf8)) == "5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
        #expect(ContentHash.of("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(message { _ = try ContentHash.ofFile(d.file("missing")) }?.contains("missing") == true)
    }

    @Test("DirManifest encodes and decodes losslessly; its id is the hash of its bytes plus .dir")
    func dirManifestRoundtrip() throws {
        let entries = [
            DirEntry(path: "a.txt", hash: String(repeating: "a", count: 64), size: 0, mode: 0o644),
            DirEntry(path: "sub dir/ü \"quoted\"\\x.bin", hash: String(repeating: "b", count: 64), size: 1 << 40, mode: 0o755),
            DirEntry(path: "z/tab\there", hash: String(repeating: "c", count: 64), size: 7, mode: 0o644),
        ]
        let bytes = DirManifest.encode(entries)
        #expect(try DirManifest.decode(bytes, origin: "t") == entries)
        #expect(DirManifest.id(bytes) == ContentHash.of(bytes) + ".dir")
        #expect(DirManifest.encode([]) == Array("[]".utf8))
        #expect(try DirManifest.decode(Array("[]".utf8), origin: "t").isEmpty)
        let bad = message { _ = try DirManifest.decode(Array("{not json".utf8), origin: "abc.dir") }
        #expect(bad?.contains("folder manifest abc.dir is corrupt") == true, "\(bad ?? "")")
        let missingField = message { _ = try DirManifest.decode(Array("[{\"path\":\"x\"}]".utf8), origin: "m.dir") }
        #expect(missingField != nil)
    }

    /// Whether this file system can clone extents (btrfs, xfs): decides what `.reflink` must do.
    static func reflinkSupported(in dir: TempDir) throws -> Bool {
        let src = try dir.write("probe-src", [1, 2, 3])
        let ok = FS.reflink(from: src, to: dir.file("probe-dst"))
        unlink(dir.file("probe-dst"))
        return ok
    }

    @Test("store and checkout of a file round-trip with each link type", arguments: LinkType.allCases)
    func fileRoundtrip(link: LinkType) throws {
        let d = try TempDir()
        let store = ObjectStore(dir: d.file("cache"), linkTypes: [link])
        let content = Self.noise(5000, seed: 3)
        let work = try d.write("work/out.bin", content)
        let hash = try ContentHash.ofFile(work)

        if link == .reflink, try !Self.reflinkSupported(in: d) {
            // Reflink alone on a file system without it: a clear error, nothing half-done.
            let m = message { try store.store(file: work, hash: hash) }
            #expect(m?.contains("copy") == true, "\(m ?? "no error")")
            #expect(!store.contains(hash))
            #expect(try store.strayTempFiles().isEmpty)
            #expect(d.read("work/out.bin") == content)
            return
        }

        try store.store(file: work, hash: hash)
        #expect(store.contains(hash))
        let obj = try #require(FS.info(store.path(hash)))
        #expect(obj.mode & 0o777 == 0o444, "objects are read-only")
        #expect(store.path(hash).hasSuffix("/files/sha256/\(hash.prefix(2))/\(hash.dropFirst(2))"))
        #expect(try ContentHash.ofFile(store.path(hash)) == hash)
        let after = try #require(FS.info(work))
        #expect(d.read("work/out.bin") == content)
        switch link {
        case .hardlink:
            #expect(after.inode == obj.inode, "the workspace file is the object")
            #expect(after.mode & 0o777 == 0o444)
        case .copy, .reflink:
            #expect(after.inode != obj.inode)
        }

        // Checkout to a new place, then over an existing different file.
        let dst = d.file("restored/deep/out.bin")
        try store.checkout(hash: hash, to: dst)
        #expect(d.read("restored/deep/out.bin") == content)
        let got = try #require(FS.info(dst))
        switch link {
        case .hardlink:
            #expect(got.inode == obj.inode)
            #expect(got.mode & 0o777 == 0o444)
        case .copy:
            #expect(got.inode != obj.inode)
            #expect(got.mode & 0o777 == 0o644)
        case .reflink:
            #expect(got.inode != obj.inode)
        }
        try d.write("other.bin", "different")
        try store.checkout(hash: hash, to: d.file("other.bin"))
        #expect(d.read("other.bin") == content)

        // Storing the same content again shares the object.
        let again = try d.write("work/again.bin", content)
        try store.store(file: again, hash: hash)
        #expect(try store.allObjects() == [hash])
        #expect(try store.strayTempFiles().isEmpty)
        #expect(try verifyCache(store).corrupt.isEmpty)
    }

    @Test("the default link types fall back until one works on this file system")
    func defaultLinkTypes() throws {
        let d = try TempDir()
        let store = ObjectStore(dir: d.file("cache"))
        #expect(store.linkTypes == [.reflink, .hardlink, .copy])
        let f = try d.write("f.txt", "fallback\n")
        let h = try ContentHash.ofFile(f)
        try store.store(file: f, hash: h)
        try store.checkout(hash: h, to: d.file("g.txt"))
        #expect(d.read("g.txt") == Array("fallback\n".utf8))
        #expect(try verifyCache(store).corrupt.isEmpty)
        #expect(ObjectStore(dir: d.file("c2"), linkTypes: []).linkTypes == [.copy])
    }

    @Test("store and checkout of a folder round-trip with each link type", arguments: [LinkType.hardlink, .copy])
    func folderRoundtrip(link: LinkType) throws {
        let d = try TempDir()
        try d.write("proj/model/weights.bin", Self.noise(70_000, seed: 4))
        try d.write("proj/model/config.json", "{\"a\": 1}\n")
        try d.write("proj/model/sub/readme.txt", "read me\n")
        try d.write("proj/model/sub/empty", [])
        let state = try StateDB(path: d.file("state.db"))
        let hasher = PathHasher(root: d.file("proj"), state: state)
        let store = ObjectStore(dir: d.file("cache"), linkTypes: [link])

        let (info, built) = try hasher.hashDir("model", abs: d.file("proj/model"))
        let entries = try #require(built)
        #expect(info.isDir && info.nfiles == 4)
        #expect(info.hash.hasSuffix(".dir"))
        #expect(info.size == 70_000 + 9 + 8)
        #expect(entries.map(\.path) == ["config.json", "sub/empty", "sub/readme.txt", "weights.bin"])
        try store.store(dir: d.file("proj/model"), entries: entries, id: info.hash)
        #expect(store.contains(info.hash))
        #expect(try DirManifest.decode(store.get(info.hash), origin: info.hash) == entries)

        try store.checkout(hash: info.hash, to: d.file("copy/model"))
        for e in entries {
            #expect(d.read("copy/model/" + e.path) == d.read("proj/model/" + e.path), "\(e.path)")
            let a = try #require(FS.info(d.file("copy/model/" + e.path))), o = try #require(FS.info(store.path(e.hash)))
            #expect((a.inode == o.inode) == (link == .hardlink), "\(e.path)")
        }
        // Checkout replaces an existing folder completely (stray files go).
        try d.write("copy/model/stray.txt", "x")
        try store.checkout(hash: info.hash, to: d.file("copy/model"))
        #expect(!FS.exists(d.file("copy/model/stray.txt")))
        #expect(try hasher.hashDir("model2", abs: d.file("copy/model")).0.hash == info.hash)
        #expect(try verifyCache(store).corrupt.isEmpty)
        #expect(try store.allObjects().count == 5)
    }

    @Test("a large folder is hashed, stored and checked out across cores exactly as file by file")
    func largeFolder() throws {
        let d = try TempDir()
        // 1,200 files in 4 subfolders; every 7th repeats content, so objects are shared.
        for i in 0..<1200 {
            try d.write("proj/big/d\(i % 4)/f\(i).bin", Self.noise(64 + i % 50, seed: UInt64(i % 7 == 0 ? 1 : i + 10)))
        }
        let state = try StateDB(path: d.file("state.db"))
        let hasher = PathHasher(root: d.file("proj"), state: state)
        let store = ObjectStore(dir: d.file("cache"), linkTypes: [.hardlink, .copy])
        let (info, built) = try hasher.hashDir("big", abs: d.file("proj/big"))
        let entries = try #require(built)
        let files = try FS.walkFiles(d.file("proj/big"))
        #expect(entries.map(\.path) == files.map(\.0))
        for e in entries { #expect(e.hash == (try ContentHash.ofFile(d.file("proj/big/" + e.path))), "\(e.path)") }
        #expect(info.hash == DirManifest.id(DirManifest.encode(entries)))
        #expect(try hasher.manifest("big") == entries)

        try store.store(dir: d.file("proj/big"), entries: entries, id: info.hash)
        #expect(try store.allObjects().count == Set(entries.map(\.hash)).count + 1)
        try store.checkout(hash: info.hash, to: d.file("copy/big"))
        #expect(try hasher.hashDir("copy", abs: d.file("copy/big")).0.hash == info.hash)
        #expect(try verifyCache(store).corrupt.isEmpty)
    }

    @Test("work split across cores reports a failure from any slice")
    func parallelErrors() throws {
        struct Boom: Error {}
        let seen = Locked<Set<Int>>([])
        #expect(throws: Boom.self) {
            try Parallel.forEachSlice(5000) { range in
                seen.update { $0.formUnion(range) }
                if range.contains(4999) { throw Boom() }
            }
        }
        #expect(seen.value == Set(0..<5000), "every slice ran")
    }

    @Test("checkout of a missing object fails with a hint and touches nothing")
    func missingObject() throws {
        let d = try TempDir()
        let store = ObjectStore(dir: d.file("cache"))
        try d.write("keep.txt", "keep")
        let m = message { try store.checkout(hash: String(repeating: "0", count: 64), to: d.file("keep.txt")) }
        #expect(m?.contains("is missing") == true, "\(m ?? "")")
        #expect(d.read("keep.txt") == Array("keep".utf8))
    }

    @Test("verifyCache names an object whose bytes changed")
    func verifyDetectsCorruption() throws {
        let d = try TempDir()
        let store = ObjectStore(dir: d.file("cache"), linkTypes: [.copy])
        let f = try d.write("f.txt", "original content\n")
        let h = try ContentHash.ofFile(f)
        try store.store(file: f, hash: h)
        let g = try d.write("g.txt", "other\n")
        try store.store(file: g, hash: try ContentHash.ofFile(g))
        chmod(store.path(h), 0o644)
        try d.write(String(store.path(h).dropFirst(d.path.count + 1)), "tampered\n")
        let (n, bad) = try verifyCache(store)
        #expect(n == 2)
        #expect(bad.map(\.0) == [h])
        #expect(bad.first?.1.contains("content hashes to") == true)
    }

    @Test("the state DB answers from (path, inode, size, mtime) without reading the file")
    func stateDBKeyedByStat() throws {
        let d = try TempDir()
        let path = try d.write("proj/data.txt", "aaaa\n")
        let h1 = try ContentHash.ofFile(path)
        let dbPath = d.file("state.db")
        do {
            let state = try StateDB(path: dbPath)
            let hasher = PathHasher(root: d.file("proj"), state: state)
            #expect(try hasher.hash("data.txt") == HashInfo(hash: h1, size: 5, nfiles: nil))
            state.commit()
        }
        // Rewrite the bytes in place (same inode, same size), then put the old mtime back.
        var st = stat()
        #expect(stat(path, &st) == 0)
        let fd = open(path, O_WRONLY)
        #expect(fd >= 0)
        _ = "bbbb\n".withCString { write(fd, $0, 5) }
        close(fd)
        var times = [st.st_atim, st.st_mtim]
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        let h2 = try ContentHash.ofFile(path)
        #expect(h2 != h1)

        // A new DB handle on the same file: the remembered hash comes back, so nothing was read.
        let state = try StateDB(path: dbPath)
        let hasher = PathHasher(root: d.file("proj"), state: state)
        #expect(try hasher.hash("data.txt")?.hash == h1, "the state DB must be keyed by stat, not content")
        let info = try #require(FS.info(path))
        #expect(state.fileHash("data.txt", info) == h1)

        // A different inode with the same size and mtime is another file: re-read.
        let other = try d.write("proj/other.tmp", "cccc\n")
        var same = [st.st_atim, st.st_mtim]
        #expect(utimensat(AT_FDCWD, other, &same, 0) == 0)
        #expect(rename(other, path) == 0)
        #expect(try hasher.hash("data.txt")?.hash == ContentHash.of("cccc\n"))

        // A different mtime on the same inode and size: re-read.
        let fd2 = open(path, O_WRONLY)
        #expect(fd2 >= 0)
        _ = "eeee\n".withCString { write(fd2, $0, 5) }
        close(fd2)
        var later = [st.st_atim, st.st_mtim]
        later[1].tv_sec += 1
        #expect(utimensat(AT_FDCWD, path, &later, 0) == 0)
        #expect(try hasher.hash("data.txt")?.hash == ContentHash.of("eeee\n"))
        #expect(try hasher.hash("missing.txt") == nil)
    }

    @Test("a folder's hash is remembered by its fingerprint and follows any file change")
    func folderHashFingerprint() throws {
        let d = try TempDir()
        try d.write("proj/dir/a", "1")
        try d.write("proj/dir/b/c", "2")
        let state = try StateDB(path: d.file("state.db"))
        let hasher = PathHasher(root: d.file("proj"), state: state)
        let (first, built) = try hasher.hashDir("dir", abs: d.file("proj/dir"))
        #expect(built != nil)
        let (second, rebuilt) = try hasher.hashDir("dir", abs: d.file("proj/dir"))
        #expect(second == first)
        #expect(rebuilt == nil, "an unchanged folder is answered from the state DB")
        try d.write("proj/dir/b/new", "3")
        let third = try #require(try hasher.hash("dir"))
        #expect(third.hash != first.hash)
        #expect(third.nfiles == 3)
        #expect(try hasher.manifest("dir").map(\.path) == ["a", "b/c", "b/new"])
    }

    @Test("paths restored by copy are remembered, so the next status reads nothing back")
    func checkoutRemembersHashes() throws {
        let d = try TempDir()
        try d.write("proj/dir/a", "alpha")
        try d.write("proj/dir/b/c", "gamma")
        try d.write("proj/f.txt", "file")
        let state = try StateDB(path: d.file("state.db"))
        let hasher = PathHasher(root: d.file("proj"), state: state)
        let store = ObjectStore(dir: d.file("cache"), linkTypes: [.copy])
        let dirInfo = try #require(try hasher.hash("dir"))
        let fileInfo = try #require(try hasher.hash("f.txt"))
        try store.store(dir: d.file("proj/dir"), entries: try hasher.manifest("dir"), id: dirInfo.hash)
        try store.store(file: d.file("proj/f.txt"), hash: fileInfo.hash)
        try FS.remove(d.file("proj/dir"))
        try FS.remove(d.file("proj/f.txt"))

        let manifest = try #require(try store.checkout(hash: dirInfo.hash, to: d.file("proj/dir")))
        #expect(manifest.map(\.path) == ["a", "b/c"])
        #expect(try store.checkout(hash: fileInfo.hash, to: d.file("proj/f.txt")) == nil)
        try hasher.remember("dir", dirInfo, manifest: manifest)
        try hasher.remember("f.txt", fileInfo, manifest: nil)

        // Fresh copies are new inodes; both are answered from the state DB without a manifest build.
        let (again, built) = try hasher.hashDir("dir", abs: d.file("proj/dir"))
        #expect(again == dirInfo)
        #expect(built == nil, "a restored folder must not be rehashed")
        let fi = try #require(FS.info(d.file("proj/f.txt")))
        #expect(state.fileHash("f.txt", fi) == fileInfo.hash)
        let ci = try #require(FS.info(d.file("proj/dir/b/c")))
        #expect(state.fileHash("dir/b/c", ci) == ContentHash.of("gamma"))

        // A folder that does not match its manifest is not remembered.
        try d.write("proj/dir/extra", "x")
        try hasher.remember("dir", dirInfo, manifest: manifest)
        #expect(try hasher.hash("dir") != dirInfo)
    }
}
