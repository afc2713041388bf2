"""Golden files for WeftEval's SQuAD exact match / token F1 (SQuAD.normalize,
SQuAD.exactMatch, SQuAD.tokenF1), made with CPython 3.11.7 (Unicode 14.0.0 database).

The reference is the official SQuAD evaluation script, not a package, so the functions
below restate its published definitions:
  v1.1: evaluate-v1.1.py (https://rajpurkar.github.io/SQuAD-explorer/, also the
        functions of Hugging Face `evaluate`'s `squad` metric): normalize_answer,
        exact_match_score, f1_score, metric_max_over_ground_truths.
  v2.0: evaluate-v2.0.py: same normalize_answer; compute_f1 returns
        int(gold_toks == pred_toks) when either token list is empty; gold answers that
        normalise to "" are dropped and an empty gold list becomes [""].
Python's `max([])` fails for an example without references under v1.1; Weft scores
that 0 (written here as such, "no_refs_v1": true).

Outputs (Tests/Fixtures/eval/squad/):
  cases.json    {"cases": [{name, prediction, references, normalized_prediction,
                 normalized_references, v1: [em, f1], v2: [em, f1]}]}
                hand-written edge cases, then random ones built from /tmp/wn/corpus.txt
                lines (WordNet glosses): prediction = a word span of a line with words
                dropped / swapped / re-cased / punctuated (fixed seed), references =
                1-3 overlapping spans.
  unicode.json  Python's answer for every code point 0..0x10FFFF (surrogates skipped):
                "space": str.isspace() code points; "word": ranges [first, last] of
                re `\\w` matches; "lower": [code point, [scalars of chr(c).lower()]]
                wherever lower() changes the character.

Rerun: python3 Tests/Fixtures/make_eval_squad.py [--corpus /tmp/wn/corpus.txt]   (~10 s)
"""
import argparse
import collections
import json
import os
import random
import re
import string
import sys
import unicodedata

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eval", "squad")


# --- the official script's functions, restated ---------------------------------------

def normalize_answer(s):
    def remove_articles(text):
        return re.sub(r"\b(a|an|the)\b", " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def f1_v1(prediction, ground_truth):
    p = normalize_answer(prediction).split()
    g = normalize_answer(ground_truth).split()
    common = collections.Counter(p) & collections.Counter(g)
    num_same = sum(common.values())
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(p)
    recall = 1.0 * num_same / len(g)
    return (2 * precision * recall) / (precision + recall)


def em_v1(prediction, ground_truth):
    return normalize_answer(prediction) == normalize_answer(ground_truth)


def max_over(fn, prediction, ground_truths):
    return max(fn(prediction, gt) for gt in ground_truths)


def f1_v2(a_gold, a_pred):
    g = normalize_answer(a_gold).split()
    p = normalize_answer(a_pred).split()
    common = collections.Counter(g) & collections.Counter(p)
    num_same = sum(common.values())
    if len(g) == 0 or len(p) == 0:
        return int(g == p)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(p)
    recall = 1.0 * num_same / len(g)
    return (2 * precision * recall) / (precision + recall)


def em_v2(a_gold, a_pred):
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def score(name, prediction, references):
    c = {"name": name, "prediction": prediction, "references": references,
         "normalized_prediction": normalize_answer(prediction),
         "normalized_references": [normalize_answer(r) for r in references]}
    if references:
        c["v1"] = [float(max_over(em_v1, prediction, references)),
                   float(max_over(f1_v1, prediction, references))]
    else:
        c["v1"] = [0.0, 0.0]
        c["no_refs_v1"] = True
    gold = [r for r in references if normalize_answer(r)] or [""]
    c["v2"] = [float(max(em_v2(g, prediction) for g in gold)),
               float(max(f1_v2(g, prediction) for g in gold))]
    return c


# --- cases ---------------------------------------------------------------------------

EDGE = [
    ("empty prediction", "", ["Paris"]),
    ("empty reference", "Paris", [""]),
    ("both empty", "", [""]),
    ("no references", "Paris", []),
    ("empty prediction, no references", "", []),
    ("punctuation only", "?!...", ["..."]),
    ("punctuation only vs word", "--", ["a"]),
    ("articles only", "The a an", ["the"]),
    ("single token", "Denver", ["Denver Broncos"]),
    ("single token exact", "Broncos", ["broncos"]),
    ("mixed case and articles", "THE Denver BRONCOS", ["Denver Broncos", "the broncos"]),
    ("multiple references, best wins", "Santa Clara, California",
     ["Levi's Stadium", "Santa Clara", "Levi's Stadium in the San Francisco Bay Area at Santa Clara, California."]),
    ("prediction longer than references",
     "the 50th Super Bowl was played in February 2016 at Levi's Stadium", ["February 2016"]),
    ("repeated tokens (multiset)", "the the cat cat cat", ["cat cat dog"]),
    ("accents", "Café Olé", ["cafe ole", "café olé"]),
    ("precomposed vs decomposed", "caf\u00e9", ["cafe\u0301"]),
    ("sharp s and capital sharp s", "Straße STRASSE \u1e9e", ["straße strasse ß"]),
    ("CJK", "東京 タワー", ["東京", "タワー 東京"]),
    ("CJK punctuation is kept", "東京。", ["東京"]),
    ("emoji", "I ❤️ NY 🗽", ["i ❤️ ny"]),
    ("combining mark after the", "the\u0301 end", ["end"]),
    ("combining mark after a", "a\u0308 b", ["\u0308 b"]),
    ("article inside words", "theater anthem Atheist banana", ["theater anthem atheist banana"]),
    ("article with punctuation around", "(the) [a] {an}-cat", ["cat"]),
    ("punctuation joins words", "the-end a.m. an'd", ["theend am and"]),
    ("underscore is punctuation", "the_end _the_ a_", ["theend the a"]),
    ("articles next to digits", "the1 1the a2 2a an3 the 4", ["the1 1the a2 2a an3 4"]),
    ("articles next to letters of other scripts", "theé éthe aΩ Ωa", ["theé éthe aω ωa"]),
    ("fullwidth letters are not articles", "ｔｈｅ ａ", ["ｔｈｅ ａ"]),
    ("numbers with separators", "1,000.50 dollars", ["100050 dollars", "1,000.50"]),
    ("ranges and times", "3-4 p.m. at 10:30", ["34 pm at 1030"]),
    ("percent and currency", "$5.5% €3", ["55 €3"]),
    ("tabs and newlines", "New\tYork\nCity\r\n", ["new york city"]),
    ("unicode spaces split", "New\u00a0York\u2003City\u3000now\u0085x\u1680y\u202fz\u205fw\u001cv",
     ["new york city now x y z w v"]),
    ("not spaces: zero width and BOM", "New\u200bYork \ufeffCity", ["new york city", "new\u200byork \ufeffcity"]),
    ("vertical tab and form feed", "a\x0bb\x0cc", ["b c"]),
    ("final sigma", "ΟΔΟΣ ΣΑΣ", ["οδος σας"]),
    ("final sigma before punctuation", "ΟΔΟΣ. Σ", ["οδος σ"]),
    ("sigma alone and between", "Σ ΑΣΑ AΣ'", ["σ ασα aς"]),
    ("dotted capital I", "İstanbul", ["i̇stanbul", "istanbul"]),
    ("titlecase digraph", "ǅemal", ["ǆemal"]),
    ("greek with tonos", "ΆΈΉ", ["άέή"]),
    ("armenian ligature lower", "ﬓ Ｍ", ["ﬓ ｍ"]),
    ("long prediction, several references",
     " ".join(["word%d" % (i % 7) for i in range(60)]), ["word1 word2 word3", "word0 " * 9, "word6"]),
    ("long texts with repeats (more than 4096 token pairs)",
     " ".join("w%d" % (i * 7 % 13) for i in range(120)),
     [" ".join("w%d" % (i * 5 % 11) for i in range(70)), "w1 w2"]),
    ("only whitespace", " \t\n ", ["  "]),
    ("only whitespace vs empty", "\u3000", [""]),
    ("reference only articles", "cat", ["the", "a cat"]),
    ("all references normalise to nothing", "", ["the", "?!", "   "]),
    ("all references normalise to nothing, prediction text", "something", ["a", "an"]),
]

REPL = ["the", "a", "An", "THE", "of", "it's", "(", ")", ",", "—", "«", "»", "é", "Σ", "\u00a0", "\t"]


def perturb(words, rnd):
    out = []
    i = 0
    while i < len(words):
        r = rnd.random()
        w = words[i]
        if r < 0.08:
            i += 1
            continue
        if r < 0.14 and i + 1 < len(words):
            out += [words[i + 1], w]
            i += 2
            continue
        if r < 0.20:
            out.append(w.upper())
        elif r < 0.26:
            out.append(rnd.choice(REPL))
        elif r < 0.30:
            out.append(w + rnd.choice([".", ",", ";", "!", "'s"]))
        else:
            out.append(w)
        i += 1
    sep = rnd.choice([" ", " ", " ", "  ", "\t", "\n", "\u00a0"])
    return sep.join(out)


def random_cases(corpus, count):
    lines = [l.rstrip("\n") for l in open(corpus, encoding="utf-8")]
    rnd = random.Random(11)
    cases = []
    for k in range(count):
        words = lines[(k * 7919 + 17) % len(lines)].split(" ")
        a = rnd.randrange(len(words))
        b = min(len(words), a + rnd.randint(1, 12))
        refs = []
        for _ in range(rnd.randint(1, 3)):
            x = max(0, a + rnd.randint(-3, 3))
            y = min(len(words), max(x + 1, b + rnd.randint(-3, 3)))
            refs.append(" ".join(words[x:y]))
        pred = perturb(words[a:b], rnd) if rnd.random() < 0.8 else " ".join(words[a:b])
        if rnd.random() < 0.05:
            pred = ""
        cases.append(score("random %d" % k, pred, refs))
    return cases


def unicode_tables():
    word = re.compile(r"\w")
    space, ranges, lower = [], [], []
    start = None
    for c in range(0x110000):
        if 0xD800 <= c <= 0xDFFF:
            continue
        ch = chr(c)
        if ch.isspace():
            space.append(c)
        if word.match(ch):
            if start is None:
                start = c
            last = c
        elif start is not None:
            ranges.append([start, last])
            start = None
        lo = ch.lower()
        if lo != ch:
            lower.append([c, [ord(x) for x in lo]])
    if start is not None:
        ranges.append([start, last])
    return {"python": sys.version.split()[0], "unicode": unicodedata.unidata_version,
            "space": space, "word": ranges, "lower": lower}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/tmp/wn/corpus.txt")
    ap.add_argument("--random", type=int, default=300)
    a = ap.parse_args()
    assert unicodedata.unidata_version == "14.0.0", unicodedata.unidata_version
    os.makedirs(OUT, exist_ok=True)
    cases = [score(n, p, r) for n, p, r in EDGE] + random_cases(a.corpus, a.random)
    with open(os.path.join(OUT, "cases.json"), "w", encoding="utf-8") as f:
        json.dump({"cases": cases}, f, ensure_ascii=False, separators=(",", ":"))
    with open(os.path.join(OUT, "unicode.json"), "w", encoding="utf-8") as f:
        json.dump(unicode_tables(), f, separators=(",", ":"))
    for n in ("cases.json", "unicode.json"):
        print(n, os.path.getsize(os.path.join(OUT, n)), "bytes")
    print(len(cases), "cases")


if __name__ == "__main__":
    main()
