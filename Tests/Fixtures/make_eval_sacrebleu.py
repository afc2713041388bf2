"""Writes the sacreBLEU reference results that Tests/WeftEvalTests/BLEUTests.swift and
CHRFTests.swift compare Weft's BLEU, chrF and chrF++ with.

Output folder: Tests/Fixtures/eval/sacrebleu/
  segments.json  the segments: "edge" (hand-written edge cases: empty and single-token
                 segments, punctuation only, accents, ß, CJK, emoji, combining marks,
                 numbers with separators, entities, odd whitespace, several and empty
                 references) and "wordnet" (realistic cases: WordNet gloss lines, perturbed
                 deterministically with SplitMix64; some with 2 or 3 references), and
                 "random" (pairs of the random strings of tokens.json).
  tokens.json    for every edge string and 200 random strings of characters the tokenizers
                 treat specially, the tokens sacreBLEU's BLEU counts with each tokenizer
                 (13a, none, intl, char), with and without lowercasing.
  bleu.json      BLEU option sets; per set the signature, the corpus result on each corpus
                 (edge, wordnet with every reference, wordnet with its first reference only)
                 and, for some sets, sentence results per segment.
  chrf.json      the same for chrF/chrF++ (CHRF class).
  unicode.json   Python's own answers, for every code point, to what the Swift code takes
                 from Swift's Unicode tables: str.isspace(), str.lower(), the Case_Ignorable
                 and Cased tests of lower()'s final-sigma rule (Python 3.11 = Unicode 14.0),
                 and the `regex` module's \\p{P}, \\p{S}, \\p{N} (used by the intl tokenizer).

Versions used: Python 3.11.7, sacrebleu 2.6.0, regex 2026.5.9 (the one sacrebleu imports).
The WordNet corpus is corpus.txt written by ../shared/bench/data/wordnet_corpus.py
(117,659 gloss lines).

Rerun (from the repository root):
    python3 Tests/Fixtures/make_eval_sacrebleu.py --corpus /tmp/wn/corpus.txt
"""
import argparse
import json
import os
import sys
import unicodedata

import regex
import sacrebleu
from sacrebleu.metrics import BLEU, CHRF

M64 = (1 << 64) - 1
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eval", "sacrebleu")


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


# ---------------------------------------------------------------- edge cases

EDGE = [
    # (hypothesis, [references])
    ("", ["the cat sat on the mat"]),
    ("the cat sat on the mat", [""]),
    ("", [""]),
    ("cat", ["cat"]),
    ("cat", ["dog"]),
    ("the", ["the the the the"]),
    ("the the the the the the the", ["the cat"]),
    ("...", ["!!!"]),
    ("!?", ["!?"]),
    (".,;:", [".,;:"]),
    ("\"'()[]{}<>", ["\"'()[]{}<>"]),
    ("The Cat Sat ON the MAT.", ["the cat sat on the mat."]),
    ("It costs 1,000.50 dollars, i.e. $1,000.50.", ["It costs $1,000.50, i.e. 1,000.50 dollars."]),
    ("Scores were 3-4 and 10:30 at 12.5%.", ["The score was 3-4 at 10:30, 12.5 %."]),
    ("pages 10-20, 3.14, 2.", ["pages 10 - 20 , 3.14 , 2 ."]),
    ("U.S.A. e.g., a.m. p.m.", ["U.S.A. e.g. , a.m. p.m."]),
    ("1.2.3 a.b.c ,a, .a. 1,a a,1 9. .9 ,9 9,", ["1.2.3 a.b.c"]),
    ("x.... y,,,, ..,., 3..4 3,,4", ["x . . . ."]),
    ("-1 1- 1-2 a-b --- 1--2 -a-", ["1 - 2"]),
    ("Tom &amp; Jerry &lt;3 &gt; &quot;hi&quot; &amp;lt;", ["Tom & Jerry <3 > \"hi\" &lt;"]),
    ("&AMP; &amp &ampamp; &&amp;&", ["& &"]),
    ("a <skipped> b <SKIPPED> c<skipped>d <skip<skipped>ped>", ["a b c d"]),
    ("line one-\nline two\nthree -\n four", ["line oneline two three four"]),
    ("trailing dash-\n", ["trailing dash-"]),
    ("tabs\there\tand\r\nCRLF\x0bvt\x0cff", ["tabs here and CRLF vt ff"]),
    ("odd\u00a0nbsp\u2009thin\u3000ideo\u2028ls\u2029ps\x85nel\x1cfs\x1fus", ["odd nbsp thin ideo ls ps nel fs us"]),
    ("not\u200bspace\u180emongolian\u2060wj", ["not space mongolian wj"]),
    ("   leading and trailing   \n\t ", ["leading and trailing"]),
    ("  ", ["  "]),
    ("Café crème brûlée à la française", ["cafe creme brulee a la francaise"]),
    ("Caf\u00e9 vs Cafe\u0301 vs CAFE\u0301", ["Café vs Café"]),
    ("Straße STRASSE straße ẞ", ["strasse Straße"]),
    ("İstanbul IİıI ǅ ǈ ᾈ", ["istanbul i̇stanbul"]),
    ("ΟΔΟΣ Σ ΣΑΣ ΑΣ. ΑΣ'Β Α'Σ ΣΣ", ["οδος σ σας ας."]),
    ("AΣ\U0001171eb A\u0295\u03a3 \u0295\u03a3 A\u03a3\u0345 \U0001171e\u03a3", ["aς"]),
    ("\u1c89 \ua7cb \U00010d50 \U00016ea0 \u1c90", ["\u1c8a"]),
    ("我爱北京天安门。", ["我爱北京天安门！"]),
    ("東京は日本の首都です", ["東京は日本の首都である"]),
    ("한국어 문장입니다.", ["한국어 문장이다."]),
    ("👍🏽 great job 🎉🎉", ["great job 👍"]),
    ("👨\u200d👩\u200d👧 family 🇫🇷 flag", ["family flag 🇫🇷"]),
    ("e\u0301\u0301 a\u0308o\u0308 \u0915\u093f", ["é äö कि"]),
    ("مرحبا بالعالم، كيف حالك؟", ["مرحبا بالعالم ، كيف حالك ؟"]),
    ("ภาษาไทย ๑๒๓ ١٢٣ ²³ ½ Ⅻ", ["ภาษาไทย 123"]),
    ("€100 £5 ¥3 ©2024 ™ ∑x² ±1 ≤ ≥ → ★", ["€ 100 £ 5"]),
    ("「引用」 『書名』 （括弧） 【注】 ，。、", ["引用 書名"]),
    ("\u00ab guillemets \u00bb \u201cquotes\u201d \u2018single\u2019 \u2014dash\u2013 \u2026", ["guillemets quotes single dash"]),
    ("a\u0000b c\u0007d", ["a b"]),
    ("http://example.com/a?b=c&d=e#f user@mail.org", ["http : / / example.com"]),
    ("I'm don't O'Neil's rock'n'roll", ["I 'm do n't"]),
    ("MiXeD CaSe WoRdS HERE", ["mixed case words here"]),
    ("the quick brown fox jumps over the lazy dog", ["the quick brown fox", "a quick brown dog jumps over the lazy fox", "the lazy dog"]),
    ("the quick brown fox", ["the quick brown fox jumps", "quick brown", "the quick brown fox jumps over"]),
    ("one two three", ["one two three four five", "one two", ""]),
    ("a b c d", ["a b", "a b c d e f"]),
    ("a b c", ["a b c d", "a b"]),
    ("same words but longer hypothesis than any reference here", ["same words", "but longer"]),
    ("repeated repeated repeated words words", ["repeated words", "words words repeated repeated"]),
    ("chrF tie case", ["chrF tie case", "chrF tie case"]),
    ("punct. at end, and (start", ["punct . at end , and ( start"]),
    ("(hi) [x] a. .b ,c, - -- ' \"", ["( hi ) x a b c"]),
    ("a\nb\n\nc", ["a b c"]),
    ("word", ["word", "word", "word", "word"]),
    ("\ufeffBOM start and\ufeff inside\u200d zwj", ["BOM start and inside zwj"]),
    # 200 distinct two-letter tokens: more distinct tokens than the tables are first sized for
    (" ".join(a + b for a in "abcdefghij" for b in "abcdefghijklmnopqrst"),
     [" ".join(a + b for b in "abcdefghijklmnopqrst" for a in "abcdefghij")]),
]


# ---------------------------------------------------------------- realistic cases

REPL = ["the", "a", "of", "thing", "very", "small", "large", "make", "person",
        "place", "used", "without", "water", "time", "form", "one"]


def perturb(k, ref):
    """A deterministic 'system output' from a reference: drop, swap, replace, repeat,
    recase words, and add or remove punctuation."""
    w = ref.split(" ")
    out = []
    j = 0
    while j < len(w):
        r = splitmix64(k * 1000003 + j) % 100
        if r < 7:
            j += 1
        elif r < 13 and j + 1 < len(w):
            out += [w[j + 1], w[j]]
            j += 2
        elif r < 20:
            out.append(REPL[splitmix64(k * 1000003 + j + 500000) % 16])
            j += 1
        elif r < 22:
            out += [w[j], w[j]]
            j += 1
        elif r < 24:
            out.append(w[j].capitalize())
            j += 1
        elif r < 26:
            out.append(w[j] + ",")
            j += 1
        elif r < 27:
            out.append(w[j].rstrip(";,.") )
            j += 1
        else:
            out.append(w[j])
            j += 1
    s = " ".join(out)
    if k % 7 == 0:
        s = s + "."
    if k % 13 == 0:
        s = s.upper()
    return s


def wordnet_segments(path, n):
    with open(path, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f]
    lines = [l for l in lines if l]
    N = len(lines)
    segs = []
    for k in range(n):
        ref = lines[(k * 7919 + 101) % N]
        hyp = perturb(k, ref)
        refs = [ref]
        if k % 5 == 0:
            refs.append(perturb(k + 100000, ref))
        if k % 11 == 0:
            refs.append(lines[(k * 104729 + 7) % N])
        segs.append({"hyp": hyp, "refs": refs})
    # one long segment (20 glosses) against its perturbation and a shifted window
    long_ref = " ".join(lines[500:520])
    segs.append({"hyp": perturb(999999, long_ref), "refs": [long_ref, " ".join(lines[505:525])]})
    return segs


# ---------------------------------------------------------------- reference runs

def streams(segs):
    """Per-segment reference lists -> sacreBLEU's streams, padded with None."""
    width = max(len(s["refs"]) for s in segs)
    return [[s["refs"][i] if i < len(s["refs"]) else None for s in segs] for i in range(width)]


def bleu_row(r):
    return {"score": r.score, "counts": list(r.counts), "totals": list(r.totals),
            "precisions": list(r.precisions), "bp": r.bp, "sys_len": r.sys_len, "ref_len": r.ref_len}


def bleu_compact(r):
    # [score, bp, sys_len, ref_len, precisions..., counts..., totals...]
    return [r.score, r.bp, r.sys_len, r.ref_len] + list(r.precisions) + list(r.counts) + list(r.totals)


BLEU_SETS = [
    # (name, kwargs, sentence results per segment on which corpora)
    ("default", {}, []),
    ("sentence", {"effective_order": True}, ["edge", "wordnet", "random"]),
    ("lc", {"lowercase": True}, []),
    ("none", {"tokenize": "none"}, ["edge"]),
    ("none-lc", {"tokenize": "none", "lowercase": True}, []),
    ("intl", {"tokenize": "intl"}, ["edge"]),
    ("intl-lc", {"tokenize": "intl", "lowercase": True}, []),
    ("char", {"tokenize": "char"}, ["edge"]),
    ("char-lc", {"tokenize": "char", "lowercase": True}, []),
    ("floor", {"smooth_method": "floor"}, []),
    ("floor-0.3-eff", {"smooth_method": "floor", "smooth_value": 0.3, "effective_order": True}, ["edge"]),
    ("add-k", {"smooth_method": "add-k"}, ["edge"]),
    ("add-k-0.5-eff", {"smooth_method": "add-k", "smooth_value": 0.5, "effective_order": True}, ["edge"]),
    ("add-k-2", {"smooth_method": "add-k", "smooth_value": 2}, []),
    ("none-smooth", {"smooth_method": "none"}, []),
    ("none-smooth-eff", {"smooth_method": "none", "effective_order": True}, ["edge"]),
    ("order1", {"max_ngram_order": 1}, []),
    ("order2-eff", {"max_ngram_order": 2, "effective_order": True}, ["edge"]),
    ("order6", {"max_ngram_order": 6}, []),
    ("order6-lc-intl-eff", {"max_ngram_order": 6, "lowercase": True, "tokenize": "intl", "effective_order": True}, []),
]

CHRF_SETS = [
    ("chrf", {}, ["edge", "wordnet"]),
    ("chrf++", {"word_order": 2}, ["edge", "wordnet", "random"]),
    ("chrf-lc", {"lowercase": True}, ["edge"]),
    ("chrf++-lc", {"word_order": 2, "lowercase": True}, []),
    ("chrf-ws", {"whitespace": True}, ["edge", "random"]),
    ("chrf++-ws", {"word_order": 2, "whitespace": True}, []),
    ("chrf-eps", {"eps_smoothing": True}, ["edge"]),
    ("chrf++-eps", {"word_order": 2, "eps_smoothing": True}, ["edge"]),
    ("chrf-beta1", {"beta": 1}, []),
    ("chrf-beta3-c4-w1", {"beta": 3, "char_order": 4, "word_order": 1}, ["edge"]),
    ("chrf-c1-w3", {"char_order": 1, "word_order": 3}, []),
    ("chrf-words-only", {"char_order": 0, "word_order": 2}, []),
]


# the option sets also scored on the single-reference corpus (signature nrefs:1)
SINGLE_REF_SETS = {"default", "sentence", "lc", "intl", "floor", "chrf", "chrf++", "chrf-eps"}


def corpora(edge, wordnet, randoms):
    first_only = [{"hyp": s["hyp"], "refs": s["refs"][:1]} for s in wordnet]
    pairs = [{"hyp": randoms[i], "refs": [randoms[i + 1]]} for i in range(0, len(randoms) - 1, 2)]
    return {"edge": edge, "wordnet": wordnet, "wordnet-first-ref": first_only, "random": pairs}


def run_sets(metric_cls, sets, cps, row, compact):
    out = []
    for name, kwargs, sentence_on in sets:
        entry = {"name": name, "options": kwargs, "corpus": {}, "sentence": {}}
        for cname, segs in cps.items():
            if cname == "wordnet-first-ref" and name not in SINGLE_REF_SETS:
                continue
            m = metric_cls(**kwargs)
            res = m.corpus_score([s["hyp"] for s in segs], streams(segs))
            entry["corpus"][cname] = row(res)
            entry.setdefault("signature", {})[cname] = str(m.get_signature())
        for cname in sentence_on:
            m = metric_cls(**kwargs)
            entry["sentence"][cname] = [compact(m.sentence_score(s["hyp"], s["refs"])) for s in cps[cname]]
        out.append(entry)
    return out


# characters the tokenizers treat specially, for random strings
TRICKY = list("aaaabbcXYZ0123456789    --..,,:;'\"()<>&!?$%@/\\_|~`^{}[]=+*#") + [
    "\n", "\t", "\r", "\u00a0", "\u2009", "\u3000", "\x1c", "\u00e9", "\u00c9", "\u20ac", "\u00bd",
    "\u00b2", "\u0661", "\u2014", "\u00ab", "\u3001", "\u03a3", "\u0301", "\U0001f600", "&amp;", "&lt;",
    "&quot;", "<skipped>", "-\n"]


def random_strings(n):
    out = []
    for k in range(n):
        length = 1 + splitmix64(k * 7 + 3) % 24
        out.append("".join(TRICKY[splitmix64(k * 1000 + j) % len(TRICKY)] for j in range(length)))
    return out


def tokens(edge, randoms):
    """Per string, what BLEU counts (the tokenizer output split on whitespace) for each
    tokenizer; a lowercased variant is left out when it equals the mixed-case one, and
    random strings have only 13a and intl."""
    strings = []
    for s in edge:
        for t in [s["hyp"]] + s["refs"]:
            if t not in strings:
                strings.append(t)
    out = []
    for t in strings + randoms:
        row = {"text": t}
        # random strings: only the two tokenizers with rules (none and char just split)
        for tok in ["13a", "none", "intl", "char"] if t in strings else ["13a", "intl"]:
            for lc in [False, True]:
                m = BLEU(tokenize=tok, lowercase=lc)
                value = " ".join(m._preprocess_segment(t).split())
                if not lc or value != row[tok]:
                    row[tok + ("-lc" if lc else "")] = value
        out.append(row)
    return out


def ranges(pred):
    """Sorted [start, end] inclusive code point ranges where pred holds."""
    out = []
    start = None
    for cp in range(0x110001):
        ok = cp < 0x110000 and not (0xD800 <= cp < 0xE000) and pred(cp)
        if ok and start is None:
            start = cp
        elif not ok and start is not None:
            out.append([start, cp - 1])
            start = None
    return out


def unicode_tables():
    P = regex.compile(r"\p{P}")
    S = regex.compile(r"\p{S}")
    Nn = regex.compile(r"\p{N}")
    lower = {}
    for cp in range(0x110000):
        if 0xD800 <= cp < 0xE000 or cp == 0x3A3:
            continue
        c = chr(cp)
        lc = c.lower()
        if lc != c:
            lower[str(cp)] = [ord(x) for x in lc]

    # lower()'s final sigma rule, probed: "c + Σ" ends in ς iff c is cased and not
    # case-ignorable; "AΣ + c + B" keeps σ iff c is case-ignorable or cased.
    def cased_not_ignorable(cp):
        return (chr(cp) + "\u03a3").lower()[-1] == "\u03c2"

    def ignorable(cp):
        return ("A\u03a3" + chr(cp) + "B").lower()[1] == "\u03c3" and not cased_not_ignorable(cp)

    return {
        "python": sys.version.split()[0],
        "unidata_version": unicodedata.unidata_version,
        "regex": regex.__version__,
        "space": ranges(lambda cp: chr(cp).isspace()),
        "lower": lower,
        "case_ignorable": ranges(ignorable),
        "cased_not_ignorable": ranges(cased_not_ignorable),
        "punctuation": ranges(lambda cp: P.match(chr(cp)) is not None),
        "symbol": ranges(lambda cp: S.match(chr(cp)) is not None),
        "number": ranges(lambda cp: Nn.match(chr(cp)) is not None),
    }


def dump(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(name, os.path.getsize(path), "bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/tmp/wn/corpus.txt")
    ap.add_argument("--wordnet-segments", type=int, default=300)
    a = ap.parse_args()
    assert sacrebleu.__version__ == "2.6.0", sacrebleu.__version__
    os.makedirs(OUT, exist_ok=True)
    edge = [{"hyp": h, "refs": r} for h, r in EDGE]
    wordnet = wordnet_segments(a.corpus, a.wordnet_segments)
    randoms = random_strings(200)
    cps = corpora(edge, wordnet, randoms)
    dump("segments.json", {"edge": edge, "wordnet": wordnet, "random": cps["random"]})
    dump("tokens.json", tokens(edge, randoms))
    dump("bleu.json", run_sets(BLEU, BLEU_SETS, cps, bleu_row, bleu_compact))
    dump("chrf.json", run_sets(CHRF, CHRF_SETS, cps, lambda r: r.score, lambda r: r.score))
    dump("unicode.json", unicode_tables())


if __name__ == "__main__":
    main()
