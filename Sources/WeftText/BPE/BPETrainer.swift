/// Byte-level BPE training that gives the same vocabulary and merges as Hugging Face
/// `tokenizers` 0.23.3 `BpeTrainer` behind a `ByteLevel(add_prefix_space=False,
/// use_regex=True)` pre-tokeniser, with `initial_alphabet=ByteLevel.alphabet()`.
///
/// Feed text with `add(sequence:)`, `add(sequences:)` or `add(file:)` (any mix, any
/// number of calls), then call `train()`. Memory is proportional to the distinct words.
///
/// Tie rule: among pairs of equal count, the merge taken first is the pair with the
/// smaller id of its left token, then of its right token. Ids are the vocabulary order:
/// special tokens first (as given), then the byte alphabet sorted by the code point of
/// each byte's GPT-2 character, then merged tokens in the order they were made. See
/// `BPEMerger` for the whole procedure.
public struct BPETrainer: Sendable {
    /// Training settings (the `bpe-train` stage's parameters).
    public struct Options: Sendable, Equatable {
        /// Stop when the vocabulary has this many tokens (specials and alphabet included).
        public var vocabSize: Int
        /// A pair is merged only if it occurs at least this often (0 and 1: any pair).
        public var minFrequency: Int
        /// Tokens placed first in the vocabulary, in this order, written as special
        /// added tokens; the training text is not searched for them (as in `tokenizers`).
        public var specialTokens: [String]
        /// All 256 byte symbols in the vocabulary even if unseen (`ByteLevel.alphabet()`);
        /// otherwise only the bytes that occur.
        public var initialAlphabetBytes: Bool
        /// Threads for counting words.
        public var threads: Int

        /// Settings with the defaults of the `bpe-train` stage.
        public init(vocabSize: Int, minFrequency: Int = 0, specialTokens: [String] = [],
                    initialAlphabetBytes: Bool = true, threads: Int = 1) {
            self.vocabSize = vocabSize
            self.minFrequency = minFrequency
            self.specialTokens = specialTokens
            self.initialAlphabetBytes = initialAlphabetBytes
            self.threads = threads
        }

        /// Number of vocabulary entries before any merge: distinct special tokens plus
        /// the 256 byte symbols (a special token spelled like one of them shares its entry).
        public var baseVocabularySize: Int {
            var base = Set(specialTokens)
            if initialAlphabetBytes { base.formUnion(ByteLevel.byteToScalar.map { String($0) }) }
            return base.count
        }

        /// Checks the settings; throws `TextError.config` naming the parameter.
        public func validate() throws {
            if vocabSize < 1 {
                throw TextError.config(key: "vocab_size", message: "must be a positive number, got \(vocabSize)", hint: "")
            }
            if minFrequency < 0 {
                throw TextError.config(key: "min_frequency", message: "must be 0 or more, got \(minFrequency)", hint: "")
            }
            if threads < 1 {
                throw TextError.config(key: "threads", message: "must be at least 1, got \(threads)", hint: "")
            }
            if let i = specialTokens.firstIndex(of: "") {
                throw TextError.config(key: "special_tokens", message: "entry \(i + 1) is an empty string",
                                       hint: "remove it; a special token needs at least one character")
            }
            if initialAlphabetBytes, vocabSize < baseVocabularySize {
                let specials = baseVocabularySize - 256
                throw TextError.config(
                    key: "vocab_size",
                    message: "\(vocabSize) is smaller than the 256 byte symbols plus \(specials) special token(s) = \(baseVocabularySize)",
                    hint: "set vocab_size to at least \(baseVocabularySize)")
            }
        }
    }

    /// The settings.
    public let options: Options
    /// Words counted so far.
    public private(set) var counter = WordCounter()

    /// A trainer; throws `TextError.config` for invalid settings (e.g. a vocabulary
    /// smaller than the byte alphabet plus the special tokens).
    public init(options: Options) throws {
        try options.validate()
        self.options = options
    }

    /// Adds one training sequence (a document, a JSONL text field, or a line of a text
    /// file together with its "\n" — that is how `tokenizers` reads files).
    public mutating func add(sequence: String) {
        counter.add(sequence: sequence)
    }

    /// Adds one training sequence given as UTF-8 bytes (valid UTF-8 expected).
    public mutating func add(sequence utf8: UnsafeBufferPointer<UInt8>) {
        counter.add(sequence: utf8)
    }

    /// Adds a batch of sequences, counted on `options.threads` threads.
    public mutating func add(sequences: [String]) {
        if options.threads <= 1 || sequences.count < 64 {
            for s in sequences { counter.add(sequence: s) }
        } else {
            counter.merge(WordCounter.count(sequences: sequences, threads: options.threads))
        }
    }

    /// Adds every line of a text file, each with its line ending, as
    /// `Tokenizer.train([path])` does; counted on `options.threads` threads.
    @discardableResult
    public mutating func add(file path: String, invalidUTF8: RowReader.InvalidUTF8 = .reject) throws -> WordCounter.FileStats {
        let (counted, stats) = try WordCounter.count(file: path, threads: options.threads, invalidUTF8: invalidUTF8)
        if counter.distinctWords == 0 {
            counter = counted
        } else {
            counter.merge(counted)
        }
        return stats
    }

    /// Adds words counted elsewhere (e.g. on other threads).
    public mutating func add(counts: WordCounter) {
        counter.merge(counts)
    }

    /// Learns the vocabulary and merges from the words added so far.
    public func train() throws -> TrainedBPE {
        try options.validate()
        return BPEMerger.train(counter, options)
    }
}
