import Foundation
import WeftCore
import WeftText

/// The per-word steps of `clean` (WordNet lemmatiser, Porter stemmer) built from the
/// stage's parameters, and the shared WordNet loader.
struct WordTransforms {
    var lemmatize: (@Sendable (String) -> String)?
    var stem: (@Sendable (String) -> String)?

    init(_ ctx: StageContext) throws {
        if try ctx.bool("lemmatize") {
            let lemmatizer = WordNetLemmatizer(wordnet: try WordTransforms.wordnet(at: try ctx.string("wordnet")))
            let pos = try ctx.choice("lemmatize_pos", as: WordNet.POS.self)
            lemmatize = { lemmatizer.lemmatize($0, pos: pos) }
        }
        let mode = try ctx.string("stem")
        if mode != "none" {
            guard let m = PorterStemmer.Mode(rawValue: mode) else {
                throw TextError.config(key: "with.stem", message: "unknown stemmer mode '\(mode)'", hint: "use none, nltk or original")
            }
            let stemmer = PorterStemmer(mode: m)
            stem = { stemmer.stem($0) }
        }
    }

    /// Opens the WordNet 3.0 database at `folder`, naming the package to install when absent.
    static func wordnet(at folder: String) throws -> WordNet {
        guard FileManager.default.fileExists(atPath: folder + "/data.noun") else {
            throw TextError.io(path: folder, message: "no WordNet 3.0 database here (data.noun missing)",
                               hint: "install Debian's wordnet-base (apt-get install wordnet-base) or set with.wordnet to the folder holding data.noun")
        }
        return try WordNet(folder: folder)
    }
}
