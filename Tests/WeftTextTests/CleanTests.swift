import Foundation
import Testing
@testable import WeftText

@Suite("clean")
struct CleanTests {
    func clean(_ text: String, _ configure: (inout TextCleaner.Options) -> Void = { _ in }) -> String? {
        var o = TextCleaner.Options()
        configure(&o)
        var stats = TextCleaner.Stats()
        return TextCleaner(options: o).clean(text, stats: &stats)
    }

    @Test("defaults: only NFC and whitespace collapse")
    func defaults() {
        #expect(clean("  Cafe\u{0301}\t<b>x</b>\n\n&amp; HTTP://x.org  ") == "Caf\u{00E9} <b>x</b> &amp; HTTP://x.org")
        #expect(clean("a\u{00A0}\u{3000}b") == "a b")
    }

    @Test("HTML: tags become spaces, script/style contents go, entities unescape")
    func html() {
        let t = clean("<p>Fish &amp; chips&nbsp;&#8212;&#x41;</p><script>var a = '<p>';</script>a < b &bogus; <!-- c -->end") { $0.html = true }
        #expect(t == "Fish & chips\u{00A0}\u{2014}A a < b &bogus; end".replacingOccurrences(of: "\u{00A0}", with: " "))
    }

    @Test("control and zero-width characters are removed")
    func control() {
        #expect(clean("a\u{200B}b\u{FEFF}c\u{0007}d\u{00AD}e") { $0.removeControl = true } == "abcde")
    }

    @Test("NFKC folds compatibility characters")
    func nfkc() {
        #expect(clean("ﬁ ①  Ｆｕｌｌ") { $0.normalization = .nfkc } == "fi 1 Full")
        #expect(clean("ﬁ") == "ﬁ")
    }

    @Test("URL, e-mail and phone masking and removal")
    func pii() {
        let text = "See https://example.com/a?b=1). Mail jo.doe+x@mail.example.org, call +44 20 7946 0958 or (555) 123-4567 or 555-123-4567. Year 2024, pi 3.14, v1.2.3, www.x.io"
        let masked = clean(text) { $0.urls = .mask; $0.emails = .mask; $0.phones = .mask }
        #expect(masked == "See <URL>). Mail <EMAIL>, call <PHONE> or <PHONE> or <PHONE>. Year 2024, pi 3.14, v1.2.3, <URL>")
        let removed = clean(text) { $0.urls = .remove; $0.emails = .keep; $0.phones = .remove }
        #expect(removed == "See ). Mail jo.doe+x@mail.example.org, call or or . Year 2024, pi 3.14, v1.2.3,")
    }

    @Test("character classes, lowercase, masks survive the filter")
    func classes() {
        let t = clean("Héllo, wörld! 42 € ☃ mail a@b.co") {
            $0.keepClasses = [.letter, .space]
            $0.lowercase = true
            $0.emails = .mask
        }
        #expect(t == "héllo wörld mail <EMAIL>")
    }

    @Test("length filters drop rows and count them")
    func filters() {
        var o = TextCleaner.Options()
        o.minWords = 2
        o.maxChars = 10
        let c = TextCleaner(options: o)
        var s = TextCleaner.Stats()
        #expect(c.clean("one", stats: &s) == nil)
        #expect(c.clean("two words", stats: &s) == "two words")
        #expect(c.clean("far too many characters", stats: &s) == nil)
        #expect(s.dropped == ["min_words": 1, "max_chars": 1])
    }

    @Test("word transforms see words, not punctuation or masks")
    func words() {
        let c = TextCleaner(options: .init(), stem: { $0.uppercased() })
        var s = TextCleaner.Stats()
        #expect(c.clean("don't stop-me (now) 3rd", stats: &s) == "DON'T STOP-ME (NOW) 3RD")
        #expect(s.changed[.stem] == 1)
    }
}
