import Foundation
import CWeftSys
#if canImport(Glibc)
import Glibc
#endif

/// Thin, fast POSIX helpers. The engine's hot paths (status over hundreds of stages,
/// thousands of files per folder) avoid Foundation's FileManager for speed.
public enum FS {
    /// What `lstat` says about a path, or nil if it does not exist.
    public struct Info: Sendable, Equatable {
        public var inode: UInt64
        public var size: Int64
        public var mtimeNs: Int64
        public var mode: UInt32
        public var nlink: UInt64
        public var isDir: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFDIR) }
        public var isFile: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFREG) }
        public var isSymlink: Bool { mode & UInt32(S_IFMT) == UInt32(S_IFLNK) }
    }

    public static func info(_ path: String, follow: Bool = true) -> Info? {
        var st = stat()
        let rc = follow ? stat(path, &st) : lstat(path, &st)
        guard rc == 0 else { return nil }
        return info(st)
    }

    public static func exists(_ path: String) -> Bool { access(path, F_OK) == 0 }

    static func errorText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }

    /// `mkdir -p`.
    public static func makeDirs(_ path: String) throws {
        if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        if errno == ENOENT {
            try makeDirs((path as NSString).deletingLastPathComponent)
            if mkdir(path, 0o755) == 0 || errno == EEXIST { return }
        }
        throw WeftError.io(path: path, message: "cannot create folder: \(errorText())", hint: "check permissions and free space")
    }

    /// Removes a file or a whole tree (making read-only folders writable first); a missing path is fine.
    public static func remove(_ path: String) throws {
        guard let i = info(path, follow: false) else { return }
        if i.isDir {
            chmod(path, 0o755)
            for name in try list(path) { try remove(path + "/" + name) }
            if rmdir(path) != 0 {
                throw WeftError.io(path: path, message: "cannot remove folder: \(errorText())", hint: "")
            }
        } else if unlink(path) != 0 && errno != ENOENT {
            throw WeftError.io(path: path, message: "cannot remove: \(errorText())", hint: "")
        }
    }

    /// Names in a folder (no `.`/`..`), unsorted.
    public static func list(_ path: String) throws -> [String] {
        guard let d = opendir(path) else {
            throw WeftError.io(path: path, message: "cannot read folder: \(errorText())", hint: "")
        }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafePointer(to: e.pointee.d_name) { p in
                p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            names.append(name)
        }
        return names
    }

    static func info(_ st: stat) -> Info {
        Info(inode: UInt64(st.st_ino), size: Int64(st.st_size),
             mtimeNs: Int64(st.st_mtim.tv_sec) * 1_000_000_000 + Int64(st.st_mtim.tv_nsec),
             mode: UInt32(st.st_mode), nlink: UInt64(st.st_nlink))
    }

    /// Every regular file under `dir` as (relative path, info), sorted by path
    /// (symlinks followed). Stats each name relative to its open folder, so the
    /// kernel never walks the whole path again.
    public static func walkFiles(_ dir: String) throws -> [(String, Info)] {
        var out: [(String, Info)] = []
        func walk(_ fd: Int32, _ rel: String, _ shown: String) throws {
            guard let d = fdopendir(fd) else {
                close(fd)
                throw WeftError.io(path: shown, message: "cannot read folder: \(errorText())", hint: "")
            }
            defer { closedir(d) }
            let dfd = dirfd(d)
            while let e = readdir(d) {
                let name = withUnsafePointer(to: e.pointee.d_name) { p in
                    p.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
                }
                if name == "." || name == ".." { continue }
                var st = stat()
                guard fstatat(dfd, name, &st, 0) == 0 else { continue }
                let i = info(st)
                let r = rel.isEmpty ? name : rel + "/" + name
                if i.isDir {
                    let sub = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
                    guard sub >= 0 else {
                        throw WeftError.io(path: dir + "/" + r, message: "cannot read folder: \(errorText())", hint: "")
                    }
                    try walk(sub, r, dir + "/" + r)
                } else if i.isFile {
                    out.append((r, i))
                }
            }
        }
        let fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw WeftError.io(path: dir, message: "cannot read folder: \(errorText())", hint: "") }
        try walk(fd, "", dir)
        out.sort { $0.0.utf8.lexicographicallyPrecedes($1.0.utf8) }
        return out
    }

    /// Writes `data` to `path` atomically: temp file in the same folder, fsync, rename.
    public static func writeAtomically(_ path: String, _ data: [UInt8], mode: mode_t = 0o644, sync: Bool = true) throws {
        let tmp = path + ".weft-tmp-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
        guard fd >= 0 else {
            throw WeftError.io(path: path, message: "cannot write: \(errorText())", hint: "check permissions and free space")
        }
        var ok = true
        data.withUnsafeBytes { buf in
            var off = 0
            while off < buf.count {
                let n = write(fd, buf.baseAddress! + off, buf.count - off)
                if n <= 0 { if errno == EINTR { continue }; ok = false; break }
                off += n
            }
        }
        if ok && sync && fsync(fd) != 0 { ok = false }
        let err = errno
        close(fd)
        if !ok || rename(tmp, path) != 0 {
            let e = ok ? errno : err
            unlink(tmp)
            throw WeftError.io(path: path, message: "cannot write: \(errorText(e))", hint: "check permissions and free space")
        }
    }

    public static func writeAtomically(_ path: String, _ text: String, sync: Bool = true) throws {
        try writeAtomically(path, Array(text.utf8), sync: sync)
    }

    /// Reads a whole (small) file.
    public static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buf = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buf.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, 65536) }
            if n < 0 { if errno == EINTR { continue }; return nil }
            if n == 0 { break }
            out.append(contentsOf: buf[0..<n])
        }
        return out
    }

    /// Copies a file's bytes with copy_file_range (in-kernel), falling back to read/write.
    public static func copyFile(from src: String, to dst: String, mode: mode_t = 0o644) throws {
        let inFd = open(src, O_RDONLY | O_CLOEXEC)
        guard inFd >= 0 else { throw WeftError.io(path: src, message: "cannot read: \(errorText())", hint: "") }
        defer { close(inFd) }
        let outFd = open(dst, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard outFd >= 0 else { throw WeftError.io(path: dst, message: "cannot write: \(errorText())", hint: "") }
        defer { close(outFd) }
        var useRange = true
        while true {
            if useRange {
                let n = weft_copy_file_range(inFd, outFd, 1 << 30)
                if n > 0 { continue }
                if n == 0 { return }
                if errno == EINTR { continue }
                if errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP { useRange = false; continue }
                throw WeftError.io(path: dst, message: "copy failed: \(errorText())", hint: "check free space")
            }
            var buf = [UInt8](repeating: 0, count: 1 << 20)
            let n = buf.withUnsafeMutableBytes { Glibc.read(inFd, $0.baseAddress, 1 << 20) }
            if n == 0 { return }
            if n < 0 { if errno == EINTR { continue }; throw WeftError.io(path: src, message: "read failed: \(errorText())", hint: "") }
            let w = buf.withUnsafeBytes { Glibc.write(outFd, $0.baseAddress, n) }
            if w != n { throw WeftError.io(path: dst, message: "write failed: \(errorText())", hint: "check free space") }
        }
    }

    /// Clones a file's extents (FICLONE); false where the file system cannot.
    public static func reflink(from src: String, to dst: String) -> Bool {
        let inFd = open(src, O_RDONLY | O_CLOEXEC)
        guard inFd >= 0 else { return false }
        defer { close(inFd) }
        let outFd = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard outFd >= 0 else { return false }
        let ficlone: UInt = 0x4004_9409  // _IOW(0x94, 9, int)
        let ok = ioctl(outFd, ficlone, inFd) == 0
        close(outFd)
        if !ok { unlink(dst) }
        return ok
    }
}
