import Foundation

/// Counts the words of byte-level BPE training text: every piece of the GPT-2
/// pre-tokenisation of a sequence is one word, counted by its raw bytes.
///
/// Memory grows with the number of distinct words, never with the input: a sequence is
/// split, counted and forgotten. Counters filled on different threads are combined with
/// `merge(_:)`.
///
/// reference: `tokenizers` 0.23.3 `BpeTrainer::feed` (a word map per sequence, summed).
public struct WordCounter: Sendable {
    /// Distinct words (raw UTF-8 bytes of each piece), numbered in first-seen order.
    private(set) var words = ByteStringTable(capacity: 1 << 14)
    /// Word → occurrences.
    private(set) var counts: [UInt64] = []

    /// An empty counter.
    public init() {}

    /// Number of distinct words.
    public var distinctWords: Int { counts.count }

    /// Total number of words counted.
    public var totalWords: UInt64 { counts.reduce(0, &+) }

    /// Adds one training sequence: a line of a text file with its line ending, or a whole
    /// document. Each piece of its GPT-2 split counts once.
    public mutating func add(sequence utf8: UnsafeBufferPointer<UInt8>) {
        ByteLevel.splitGPT2(utf8) { r in
            add(word: UnsafeBufferPointer(rebasing: utf8[r]), count: 1)
        }
    }

    /// Adds one training sequence given as a string.
    public mutating func add(sequence: String) {
        var s = sequence
        s.withUTF8 { add(sequence: $0) }
    }

    /// Adds each line of `text` as one sequence, the line ending ("\n", with any "\r"
    /// before it) kept on the line, the way `tokenizers` reads a training file
    /// (`BufRead` lines with their endings). A last line without "\n" counts as is.
    public mutating func add(lines text: UnsafeBufferPointer<UInt8>) {
        guard let base = text.baseAddress else { return }
        var i = 0
        let n = text.count
        while i < n {
            let end: Int
            if let p = memchr(base + i, 0x0A, n - i) {
                end = base.distance(to: p.assumingMemoryBound(to: UInt8.self)) + 1
            } else {
                end = n
            }
            add(sequence: UnsafeBufferPointer(rebasing: text[i..<end]))
            i = end
        }
    }

    /// Adds `count` occurrences of one word (raw bytes).
    @inline(__always)
    mutating func add(word: UnsafeBufferPointer<UInt8>, count: UInt64) {
        let (index, inserted) = words.insert(word)
        if inserted {
            counts.append(count)
        } else {
            counts[index] &+= count
        }
    }

    /// Adds every word of `other` with its count.
    public mutating func merge(_ other: WordCounter) {
        other.words.arena.withUnsafeBufferPointer { buf in
            for i in 0..<other.counts.count {
                add(word: UnsafeBufferPointer(rebasing: buf[other.words.range(i)]), count: other.counts[i])
            }
        }
    }

    /// The words and their counts as strings (raw UTF-8 pieces), for tests and reports.
    public func wordCounts() -> [String: UInt64] {
        var out: [String: UInt64] = [:]
        for i in 0..<counts.count {
            out[String(decoding: words.bytes(i), as: UTF8.self)] = counts[i]
        }
        return out
    }
}
