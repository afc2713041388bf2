/// The settings of `Deduplicator`, checked before any row is read.
extension Deduplicator {
    /// Settings (stage parameter names in the error keys).
    public struct Options: Sendable, Equatable {
        /// Lowercase and collapse white space before hashing; off hashes the raw text.
        public var normalize = true
        /// Detect near duplicates with MinHash + LSH (off: exact duplicates only).
        public var near = true
        public var shingleSize = 5
        public var shingleUnit = ShingleUnit.char
        /// MinHash permutations.
        public var numPerm = 128
        /// Explicit banding (both or neither; `bands × rows ≤ numPerm`); nil derives them
        /// from `threshold`.
        public var bands: Int? = nil
        public var rows: Int? = nil
        /// Jaccard similarity the banding is tuned for when `bands`/`rows` are not given.
        public var threshold = 0.8
        public var seed: UInt64 = 0

        /// Default settings.
        public init() {}

        /// Checks ranges, naming the stage parameter at fault.
        public func validate() throws {
            func bad(_ key: String, _ message: String, _ hint: String) -> TextError {
                TextError.config(key: key, message: message, hint: hint)
            }
            guard shingleSize >= 1 && shingleSize <= 1024 else {
                throw bad("shingle_size", "must be between 1 and 1024, got \(shingleSize)", "5 characters or 3 words are usual")
            }
            guard numPerm >= 1 && numPerm <= 4096 else {
                throw bad("num_perm", "must be between 1 and 4096, got \(numPerm)", "128 is usual; more permutations estimate similarity more precisely")
            }
            switch (bands, rows) {
            case (nil, nil):
                guard threshold > 0 && threshold < 1 else {
                    throw bad("threshold", "must be strictly between 0 and 1, got \(threshold)", "0.8 catches light edits")
                }
            case let (b?, r?):
                guard b >= 1 && r >= 1 && b * r <= numPerm else {
                    throw bad("bands", "bands × rows must be between 1 and num_perm (\(numPerm)), got \(b) × \(r)",
                              "lower bands or rows, or raise num_perm")
                }
            default:
                throw bad(bands == nil ? "bands" : "rows", "bands and rows must be given together",
                          "give both, or neither to derive them from threshold")
            }
        }
    }
}
