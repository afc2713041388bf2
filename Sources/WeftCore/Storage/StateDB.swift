import CSQLite
import Foundation

/// Remembers the hash of every file (and folder) Weft has hashed, keyed by
/// (path, inode, size, mtime-ns), so an unchanged file costs one `stat`, never a read.
///
/// It is a cache: losing it costs re-hashing, nothing else, so it runs with
/// `synchronous=OFF` and a journal that survives a killed process (WAL).
public final class StateDB: @unchecked Sendable {
    private var db: OpaquePointer?
    private let lock = NSLock()
    private var getFile: OpaquePointer?
    private var putFile: OpaquePointer?
    private var getDir: OpaquePointer?
    private var putDir: OpaquePointer?
    private var inTransaction = false
    private var pendingWrites = 0

    /// Opens (creating if needed) the database at `path`.
    public init(path: String) throws {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            let msg = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "unknown"
            sqlite3_close(handle)
            throw WeftError.io(path: path, message: "cannot open state database: \(msg)", hint: "delete it; Weft rebuilds it by re-hashing")
        }
        db = handle
        sqlite3_busy_timeout(db, 10_000)
        try exec("""
            PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF;
            CREATE TABLE IF NOT EXISTS files(path TEXT PRIMARY KEY, ino INTEGER, size INTEGER, mtime INTEGER, hash TEXT) WITHOUT ROWID;
            CREATE TABLE IF NOT EXISTS dirs(path TEXT PRIMARY KEY, fingerprint TEXT, hash TEXT, size INTEGER, nfiles INTEGER) WITHOUT ROWID;
            """)
        getFile = try prepare("SELECT ino, size, mtime, hash FROM files WHERE path = ?")
        putFile = try prepare("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)")
        getDir = try prepare("SELECT fingerprint, hash, size, nfiles FROM dirs WHERE path = ?")
        putDir = try prepare("INSERT OR REPLACE INTO dirs VALUES (?, ?, ?, ?, ?)")
    }

    deinit {
        lock.lock()
        commitLocked()
        for s in [getFile, putFile, getDir, putDir] { sqlite3_finalize(s) }
        sqlite3_close(db)
        lock.unlock()
    }

    private func exec(_ sql: String) throws {
        var err: UnsafeMutablePointer<CChar>?
        if sqlite3_exec(db, sql, nil, nil, &err) != SQLITE_OK {
            let msg = err.map { String(cString: $0) } ?? ""
            sqlite3_free(err)
            throw WeftError.io(path: ".weft/state.db", message: "state database error: \(msg)", hint: "delete .weft/state.db; Weft rebuilds it")
        }
    }

    private func prepare(_ sql: String) throws -> OpaquePointer? {
        var stmt: OpaquePointer?
        guard sqlite3_prepare_v2(db, sql, -1, &stmt, nil) == SQLITE_OK else {
            throw WeftError.io(path: ".weft/state.db", message: "state database error: \(String(cString: sqlite3_errmsg(db)))", hint: "delete .weft/state.db")
        }
        return stmt
    }

    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// The remembered hash of `path` if its stat still matches.
    public func fileHash(_ path: String, _ info: FS.Info) -> String? {
        lock.lock()
        defer { lock.unlock() }
        let s = getFile
        sqlite3_reset(s)
        sqlite3_bind_text(s, 1, path, -1, Self.transient)
        guard sqlite3_step(s) == SQLITE_ROW else { return nil }
        guard UInt64(bitPattern: sqlite3_column_int64(s, 0)) == info.inode, sqlite3_column_int64(s, 1) == info.size,
              sqlite3_column_int64(s, 2) == info.mtimeNs else { return nil }
        return String(cString: sqlite3_column_text(s, 3))
    }

    public func setFileHash(_ path: String, _ info: FS.Info, _ hash: String) {
        lock.lock()
        defer { lock.unlock() }
        beginLocked()
        let s = putFile
        sqlite3_reset(s)
        sqlite3_bind_text(s, 1, path, -1, Self.transient)
        sqlite3_bind_int64(s, 2, Int64(bitPattern: info.inode))
        sqlite3_bind_int64(s, 3, info.size)
        sqlite3_bind_int64(s, 4, info.mtimeNs)
        sqlite3_bind_text(s, 5, hash, -1, Self.transient)
        sqlite3_step(s)
        pendingWrites += 1
    }

    /// A folder's remembered (hash, size, nfiles) if its fingerprint still matches.
    public func dirHash(_ path: String, fingerprint: String) -> (String, Int64, Int)? {
        lock.lock()
        defer { lock.unlock() }
        let s = getDir
        sqlite3_reset(s)
        sqlite3_bind_text(s, 1, path, -1, Self.transient)
        guard sqlite3_step(s) == SQLITE_ROW, String(cString: sqlite3_column_text(s, 0)) == fingerprint else { return nil }
        return (String(cString: sqlite3_column_text(s, 1)), sqlite3_column_int64(s, 2), Int(sqlite3_column_int64(s, 3)))
    }

    public func setDirHash(_ path: String, fingerprint: String, hash: String, size: Int64, nfiles: Int) {
        lock.lock()
        defer { lock.unlock() }
        beginLocked()
        let s = putDir
        sqlite3_reset(s)
        sqlite3_bind_text(s, 1, path, -1, Self.transient)
        sqlite3_bind_text(s, 2, fingerprint, -1, Self.transient)
        sqlite3_bind_text(s, 3, hash, -1, Self.transient)
        sqlite3_bind_int64(s, 4, size)
        sqlite3_bind_int64(s, 5, Int64(nfiles))
        sqlite3_step(s)
        pendingWrites += 1
    }

    private func beginLocked() {
        if !inTransaction {
            sqlite3_exec(db, "BEGIN", nil, nil, nil)
            inTransaction = true
        }
    }

    private func commitLocked() {
        if inTransaction {
            sqlite3_exec(db, "COMMIT", nil, nil, nil)
            inTransaction = false
            pendingWrites = 0
        }
    }

    /// Writes batched updates (called after each stage and at exit).
    public func commit() {
        lock.lock()
        commitLocked()
        lock.unlock()
    }
}
