import CGit2
import Foundation

/// Writing to the object database and refs: blobs, trees derived from a commit's tree,
/// commits, experiment refs. Nothing here touches the index, HEAD or the working tree,
/// except `commitWorkingTree` (for tests and tools that want exactly `git add -A && git commit`).
extension GitRepo {
    /// Stores bytes as a blob.
    public func writeBlob(_ bytes: [UInt8]) throws -> GitOID {
        try locked {
            var oid = git_oid()
            let rc = bytes.withUnsafeBytes { git_blob_create_from_buffer(&oid, repo, $0.baseAddress, $0.count) }
            try Self.check(rc, "cannot write a blob")
            return GitOID(oid)
        }
    }

    /// A tree: `base`'s tree (empty if nil) with `files` set (bytes) or removed (nil), by path
    /// from the repository root. Returns the new tree's id.
    public func tree(base: GitOID?, changing files: [(String, [UInt8]?)]) throws -> GitOID {
        var blobs: [(String, GitOID?, UInt32)] = []
        for (path, bytes) in files {
            blobs.append((path, try bytes.map { try writeBlob($0) }, 0o100644))
        }
        return try locked {
            var baseTree: OpaquePointer?
            if let base {
                var c: OpaquePointer?
                var oid = base.raw
                try Self.check(git_commit_lookup(&c, repo, &oid), "cannot read commit \(base.short)")
                defer { git_commit_free(c) }
                try Self.check(git_commit_tree(&baseTree, c), "cannot read the tree of \(base.short)")
            } else {
                var b: OpaquePointer?
                try Self.check(git_treebuilder_new(&b, repo, nil), "cannot build a tree")
                defer { git_treebuilder_free(b) }
                var empty = git_oid()
                try Self.check(git_treebuilder_write(&empty, b), "cannot write the empty tree")
                try Self.check(git_tree_lookup(&baseTree, repo, &empty), "cannot read the empty tree")
            }
            defer { git_tree_free(baseTree) }
            // Removing a path the base does not have is an error in libgit2: skip those.
            var present = Set<String>()
            for (path, id, _) in blobs where id == nil {
                var e: OpaquePointer?
                if git_tree_entry_bypath(&e, baseTree, path) == 0 { present.insert(path); git_tree_entry_free(e) }
            }
            let wanted = blobs.filter { $0.1 != nil || present.contains($0.0) }
            let cPaths = wanted.map { strdup($0.0) }
            defer { cPaths.forEach { free($0) } }
            var updates = wanted.enumerated().map { (i, w) in
                git_tree_update(action: w.1 == nil ? GIT_TREE_UPDATE_REMOVE : GIT_TREE_UPDATE_UPSERT,
                                id: w.1?.raw ?? git_oid(), filemode: git_filemode_t(rawValue: w.2), path: cPaths[i])
            }
            var out = git_oid()
            try Self.check(git_tree_create_updated(&out, repo, baseTree, updates.count, &updates), "cannot write a tree")
            return GitOID(out)
        }
    }

    /// Writes a commit of `tree` with these parents; moves no ref.
    public func commit(tree: GitOID, parents: [GitOID], message: String) throws -> GitOID {
        try locked {
            var t: OpaquePointer?
            var toid = tree.raw
            try Self.check(git_tree_lookup(&t, repo, &toid), "cannot read tree \(tree.short)")
            defer { git_tree_free(t) }
            var ps: [OpaquePointer?] = []
            defer { ps.forEach { git_commit_free($0) } }
            for p in parents {
                var c: OpaquePointer?
                var oid = p.raw
                try Self.check(git_commit_lookup(&c, repo, &oid), "cannot read commit \(p.short)")
                ps.append(c)
            }
            let sig = try signature()
            defer { git_signature_free(sig) }
            var out = git_oid()
            let rc = ps.withUnsafeMutableBufferPointer { buf in
                buf.baseAddress!.withMemoryRebound(to: OpaquePointer?.self, capacity: buf.count) { base in
                    git_commit_create(&out, repo, nil, sig, sig, "UTF-8", message, t, buf.count, base)
                }
            }
            try Self.check(rc, "cannot write a commit")
            return GitOID(out)
        }
    }

    /// The user's configured identity, or `weft <weft@localhost>` when git has none.
    func signature() throws -> UnsafeMutablePointer<git_signature> {
        var sig: UnsafeMutablePointer<git_signature>?
        if git_signature_default(&sig, repo) == 0, let sig { return sig }
        try Self.check(git_signature_now(&sig, "weft", "weft@localhost"), "cannot make a commit signature")
        guard let sig else { throw WeftError.git(message: "cannot make a commit signature", hint: "set git config user.name and user.email") }
        return sig
    }

    /// Points `name` (a full ref name) at a commit, creating or moving it.
    public func setRef(_ name: String, to id: GitOID, message: String, force: Bool = true) throws {
        try locked {
            var ref: OpaquePointer?
            var oid = id.raw
            let rc = git_reference_create(&ref, repo, name, &oid, force ? 1 : 0, message)
            if rc == GIT_EEXISTS.rawValue {
                throw WeftError.git(message: "'\(name)' already exists", hint: "choose another name, or delete it first")
            }
            try Self.check(rc, "cannot write ref \(name)")
            git_reference_free(ref)
        }
    }

    /// Deletes a ref; false if it did not exist.
    @discardableResult
    public func deleteRef(_ name: String) throws -> Bool {
        try locked {
            let rc = git_reference_remove(repo, name)
            if rc == GIT_ENOTFOUND.rawValue { return false }
            try Self.check(rc, "cannot delete ref \(name)")
            return true
        }
    }

    /// The commit a ref points to, or nil if there is no such ref.
    public func refTarget(_ name: String) -> GitOID? {
        locked {
            var oid = git_oid()
            guard git_reference_name_to_id(&oid, repo, name) == 0 else { return nil }
            return GitOID(oid)
        }
    }

    /// Full names of the refs matching a glob (`refs/exps/*`), sorted.
    public func refNames(matching glob: String) throws -> [String] {
        try locked {
            var it: OpaquePointer?
            try Self.check(git_reference_iterator_glob_new(&it, repo, glob), "cannot list refs")
            defer { git_reference_iterator_free(it) }
            var names: [String] = []
            var name: UnsafePointer<CChar>?
            while git_reference_next_name(&name, it) == 0, let n = name { names.append(String(cString: n)) }
            return names.sorted()
        }
    }

    /// `git add -A && git commit -m MESSAGE` on the working tree (honouring .gitignore),
    /// moving HEAD's branch. Returns the new commit.
    @discardableResult
    public func commitWorkingTree(message: String) throws -> GitOID {
        let treeID: GitOID = try locked {
            var index: OpaquePointer?
            try Self.check(git_repository_index(&index, repo), "cannot open the index")
            defer { git_index_free(index) }
            let strings = UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>.allocate(capacity: 1)
            strings.initialize(to: strdup("*"))
            defer { free(strings.pointee); strings.deallocate() }
            var spec = git_strarray(strings: strings, count: 1)
            try Self.check(git_index_add_all(index, &spec, 0, nil, nil), "cannot add files")
            try Self.check(git_index_update_all(index, &spec, nil, nil), "cannot update the index")
            try Self.check(git_index_write(index), "cannot write the index")
            var oid = git_oid()
            try Self.check(git_index_write_tree(&oid, index), "cannot write a tree")
            return GitOID(oid)
        }
        let parent = try head()
        let id = try commit(tree: treeID, parents: parent.map { [$0] } ?? [], message: message)
        try locked {
            // Move the branch HEAD names (or HEAD itself when detached).
            var headRef: OpaquePointer?
            try Self.check(git_reference_lookup(&headRef, repo, "HEAD"), "cannot read HEAD")
            defer { git_reference_free(headRef) }
            let target = git_reference_symbolic_target(headRef).map { String(cString: $0) } ?? "HEAD"
            var ref: OpaquePointer?
            var oid = id.raw
            try Self.check(git_reference_create(&ref, repo, target, &oid, 1, "commit: " + message), "cannot move \(target)")
            git_reference_free(ref)
        }
        return id
    }

    /// Adds a linked worktree `name` at `path` on a new branch of the same name.
    public func addWorktree(name: String, at path: String) throws {
        try locked {
            var wt: OpaquePointer?
            try Self.check(git_worktree_add(&wt, repo, name, path, nil), "cannot add worktree \(name)")
            git_worktree_free(wt)
        }
    }
}
