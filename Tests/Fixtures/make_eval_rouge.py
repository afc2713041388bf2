"""Golden files for WeftEval's ROUGE (Tests/WeftEvalTests/ROUGETests.swift), made with
Google's rouge-score 0.1.2 (which stems with nltk 3.10.4's PorterStemmer()) and
numpy 2.4.6, on Python 3.11.

Outputs (Tests/Fixtures/eval/rouge/, compact JSON, floats as Python repr):
  tokenize.json   [{"text", "plain": tokens, "stem": tokens}] from rouge-score's
                  DefaultTokenizer(use_stemmer=False / True)
  score.json      {"types": [...], "cases": [{"id", "target", "prediction",
                  "plain": [[p, r, f] per type], "stem": [...]}]}
                  RougeScorer(types, use_stemmer=...).score(target, prediction).
                  Hand-written edge cases (ids "edge-*": empty sides, punctuation only,
                  accents, ß, CJK, emoji, combining marks, U+0130 and U+212A, numbers
                  with separators, odd whitespace and line breaks, repeats, long words)
                  with rouge1-4, rouge9, rougeL, rougeLsum; small-vocabulary multi-line
                  cases ("tie-*") that stress which LCS the backtrack picks; and
                  deterministic perturbations of WordNet gloss lines ("wn-*").
  multi.json      {"types", "cases": [{"targets", "prediction", "plain", "stem"}]}
                  score_multi (best target per type by fmeasure, first on ties)
  bootstrap.json  {"rows": {"1": rows, "2": ..., "7": ..., "100": ...} with
                  rows[i][t] = [p, r, f]; "cases": [{"rows": "7", "seed", "samples",
                  "confidence", "result": [[low, mid, high] per type, each [p, r, f]]}]}
                  BootstrapAggregator(confidence, samples).aggregate() called right
                  after np.random.seed(seed), rows added in order
  random.json     numpy legacy RandomState draws: per seed, randint(0, 2**32) (equal to
                  the raw 32-bit outputs), randint(0, n) for several n, random_sample(),
                  and choice(np.arange(n), size=n)

Texts avoid U+FEFF (Foundation's JSON reading on Linux drops it); lone surrogates
cannot occur in Swift strings.

Rerun (from the repository root; needs /tmp/wn/corpus.txt, the WordNet gloss corpus
written by /work/shared/bench/data/wordnet_corpus.py):
  pip install rouge-score==0.1.2 nltk==3.10.4 numpy==2.4.6
  python3 Tests/Fixtures/make_eval_rouge.py [--corpus /tmp/wn/corpus.txt]
"""
import argparse
import json
import os
import random

import numpy as np
from rouge_score import rouge_scorer, scoring, tokenizers

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eval", "rouge")

EDGE_TYPES = ["rouge1", "rouge2", "rouge3", "rouge4", "rouge9", "rougeL", "rougeLsum"]
MAIN_TYPES = ["rouge1", "rouge2", "rouge3", "rougeL", "rougeLsum"]

EDGE = [
    ("", ""),
    ("", "a b c"),
    ("a b c", ""),
    ("a", "a"),
    ("a", "b"),
    ("word", "words"),
    ("...", "!!!"),
    ("?!", "a"),
    ("Hello, world!", "hello world"),
    ("The QUICK brown Fox jumps", "the quick BROWN fox Jumped"),
    ("café résumé naïve", "cafe resume naive"),
    ("Straße groß GROSS", "strasse gross gro"),
    ("東京は大きい city", "東京 大きい city"),
    ("I ❤️ NY 🗽 2024", "i love ny 2024"),
    ("cafe\u0301 ok e\u0301te\u0301", "café ok été"),
    ("5\u212a run \u212aelvin", "5k run kelvin"),
    ("\u0130stanbul \u0130zmir a\u0130b", "i stanbul izmir ai b"),
    ("ΟΔΟΣ σοφία Σ", "οδος sofia"),
    ("It costs 1,000.50 dollars", "it costs 1000.50 dollars"),
    ("3-4 times at 10:30", "3 4 times 10 30"),
    ("e-mail don't snake_case_word", "e mail don t snake case word"),
    ("abc123 123abc 007", "abc123 123 abc 7"),
    ("a\tb\nc  d", "a b c d"),
    ("line one\r\nline two", "line one\nline two"),
    ("\n\n\nfoo bar\n\n", "foo\n\nbar"),
    ("non\u00a0breaking\u3000ideographic\u2028sep", "non breaking ideographic sep"),
    ("   ", "a"),
    ("the the the the", "the the"),
    ("a a b b", "b b a a"),
    ("a b", "a b a b a b a b"),
    ("short", "this prediction is much longer than the short reference text"),
    ("running runs ran runner", "run running runner runs"),
    ("generously generalization generalized", "generous general generalize"),
    ("uses use used user", "use uses"),
    ("bats bat bated", "bat bats"),
    ("caresses ponies ties caress cats", "caress poni tie caress cat"),
    ("a" * 300 + "ing " + "b" * 5, "a" * 300 + " bbbbb"),
    ("x" * 40 + " yes", "x" * 40 + "es yes"),
    ("one two three four five six seven eight nine ten eleven",
     "one two three four five six seven eight nine ten twelve"),
    ("one two three four five six seven eight nine ten eleven",
     "zero one two three four five six seven eight nine ten eleven"),
    ("first sentence here.\nsecond one there.\nthird!",
     "second one there.\nfirst sentence here."),
    ("...\nfoo bar\n!!!", "foo\nbar"),
    ("a b c d\ne f g", "a b\nc d e f g"),
    ("a b a b\nb a", "b a b a\na b a\nb"),
    ("Mixed CASE\nSentences HERE", "mixed case sentences here"),
    ("tab\tseparated\nnew\nlines\n", "\ttab separated new lines"),
    ("😀😀 emoji-only ✨", "😀 emoji only"),
    ("ﬁnance ＡＢＣ ①②", "finance abc 12"),
]


def scorer(types, stem):
    return rouge_scorer.RougeScorer(types, use_stemmer=stem)


def triples(scores, types):
    return [[float(scores[t].precision), float(scores[t].recall), float(scores[t].fmeasure)]
            for t in types]


def perturb(rng, text):
    """Word-level edits, case and character noise; keeps "\\n" structure mostly."""
    out_lines = []
    for line in text.split("\n"):
        words = line.split(" ")
        out = []
        j = 0
        while j < len(words):
            r = rng.random()
            w = words[j]
            if r < 0.08:
                j += 1
                continue
            if r < 0.16 and j + 1 < len(words):
                out += [words[j + 1], w]
                j += 2
                continue
            if r < 0.22:
                w = rng.choice(["the", "a", "of", "thing", "running", "studies",
                                "generally", "used", "water", "time"])
            elif r < 0.26:
                w = w.upper()
            elif r < 0.30:
                w = w.capitalize() + rng.choice([",", ".", ";", "!", "'s", "-like"])
            elif r < 0.32:
                w = w.replace("e", "é").replace("ss", "ß")
            elif r < 0.34:
                w = w + rng.choice(["ing", "s", "ed", "ly", "ness"])
            out.append(w)
            j += 1
        sep = rng.choice([" ", " ", " ", "  ", "\t"])
        out_lines.append(sep.join(out))
    if rng.random() < 0.2:
        rng.shuffle(out_lines)
    return "\n".join(out_lines)


def corpus_cases(lines, count):
    rng = random.Random(20261123)
    cases = []
    for k in range(count):
        nsent = rng.choice([1, 1, 1, 2, 3, 4])
        picks = [lines[rng.randrange(len(lines))] for _ in range(nsent)]
        if rng.random() < 0.5:
            picks = [p.replace("; ", ";\n") for p in picks]
        target = "\n".join(picks)
        prediction = perturb(rng, target)
        if rng.random() < 0.1:
            prediction = prediction + "\n" + perturb(rng, lines[rng.randrange(len(lines))])
        if rng.random() < 0.05:
            target, prediction = prediction, target
        cases.append(("wn-%d" % k, target, prediction))
    return cases


def tie_cases(count):
    """Small vocabularies and several lines: many LCSs of equal length."""
    rng = random.Random(77)
    cases = []
    for k in range(count):
        vocab = ["a", "b", "c", "d", "eats", "eat"][: rng.randint(2, 6)]

        def text():
            return "\n".join(" ".join(rng.choice(vocab) for _ in range(rng.randint(0, 9)))
                             for _ in range(rng.randint(1, 5)))
        cases.append(("tie-%d" % k, text(), text()))
    return cases


def write(name, obj):
    path = os.path.join(OUT, name)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    print(name, os.path.getsize(path), "bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default="/tmp/wn/corpus.txt")
    a = ap.parse_args()
    os.makedirs(OUT, exist_ok=True)
    with open(a.corpus, encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f]

    # Tokenizer
    plain_tok = tokenizers.DefaultTokenizer(use_stemmer=False)
    stem_tok = tokenizers.DefaultTokenizer(use_stemmer=True)
    texts = sorted({t for pair in EDGE for t in pair}) + [lines[(k * 7919) % len(lines)] for k in range(30)]
    write("tokenize.json", [{"text": t, "plain": plain_tok.tokenize(t), "stem": stem_tok.tokenize(t)}
                            for t in texts])

    # Single-target scores
    cases = []
    for k, (t, p) in enumerate(EDGE):
        cases.append({"id": "edge-%d" % k, "types": "edge", "target": t, "prediction": p})
    for cid, t, p in tie_cases(40) + corpus_cases(lines, 200):
        cases.append({"id": cid, "types": "main", "target": t, "prediction": p})
    sc = {(kind, stem): scorer(EDGE_TYPES if kind == "edge" else MAIN_TYPES, stem)
          for kind in ("edge", "main") for stem in (False, True)}
    for c in cases:
        types = EDGE_TYPES if c["types"] == "edge" else MAIN_TYPES
        for stem in (False, True):
            c["stem" if stem else "plain"] = triples(
                sc[(c["types"], stem)].score(c["target"], c["prediction"]), types)
    write("score.json", {"types": {"edge": EDGE_TYPES, "main": MAIN_TYPES}, "cases": cases})

    # score_multi
    rng = random.Random(5)
    multi = []
    for k in range(30):
        base = lines[rng.randrange(len(lines))]
        targets = [perturb(rng, base) for _ in range(rng.randint(1, 4))]
        if k % 5 == 0:
            targets.append(targets[0])  # exact tie: the first stays
        if k % 7 == 0:
            targets.insert(0, "")
        prediction = perturb(rng, base)
        multi.append({"targets": targets, "prediction": prediction})
    multi.append({"targets": ["a b", "b a", "a b"], "prediction": "a b"})
    multi.append({"targets": ["x", "y"], "prediction": "z"})
    multi.append({"targets": ["the cat sat", "the cat sat on the mat", "cat"], "prediction": "the cat sat"})
    for m in multi:
        for stem in (False, True):
            s = scorer(MAIN_TYPES, stem)
            m["stem" if stem else "plain"] = triples(s.score_multi(m["targets"], m["prediction"]), MAIN_TYPES)
    write("multi.json", {"types": MAIN_TYPES, "cases": multi})

    # Bootstrap
    rng = random.Random(11)
    rs = scorer(["rouge1", "rouge2", "rougeL"], True)
    rows = {}
    for n in (1, 2, 7, 100):
        rr = []
        for _ in range(n):
            ref = lines[rng.randrange(len(lines))]
            s = rs.score(ref, perturb(rng, ref))
            rr.append(triples(s, ["rouge1", "rouge2", "rougeL"]))
        rows[str(n)] = rr
    bcases = []
    for n in ("1", "2", "7", "100"):
        for seed in (0, 1, 42, 4294967295):
            bcases.append({"rows": n, "seed": seed, "samples": 1000, "confidence": 0.95})
    for samples, conf in ((1, 0.95), (2, 0.95), (10, 0.9), (37, 1.0), (50, 0.0), (200, 0.5), (1000, 0.99)):
        bcases.append({"rows": "7", "seed": 123, "samples": samples, "confidence": conf})
    bcases.append({"rows": "100", "seed": 2024, "samples": 333, "confidence": 0.8})
    for c in bcases:
        agg = scoring.BootstrapAggregator(confidence_interval=c["confidence"], n_samples=c["samples"])
        for row in rows[c["rows"]]:
            agg.add_scores({t: scoring.Score(*row[i]) for i, t in enumerate(["rouge1", "rouge2", "rougeL"])})
        np.random.seed(c["seed"])
        res = agg.aggregate()
        c["result"] = [[[float(x) for x in res[t].low], [float(x) for x in res[t].mid],
                        [float(x) for x in res[t].high]] for t in ["rouge1", "rouge2", "rougeL"]]
    write("bootstrap.json", {"rows": rows, "cases": bcases})

    # numpy legacy RandomState
    rand = []
    for seed in (0, 1, 42, 5489, 4294967295):
        r = {"seed": seed}
        np.random.seed(seed)
        r["raw"] = [int(x) for x in np.random.randint(0, 2 ** 32, size=12)]
        r["bounded"] = []
        for n in (1, 2, 3, 7, 100, 1000, 2 ** 31, 2 ** 31 + 1, 2 ** 32 - 1, 2 ** 32 + 1, 2 ** 40, 2 ** 62 + 3):
            r["bounded"].append({"n": n, "draws": [int(x) for x in np.random.randint(0, n, size=6)]})
        r["doubles"] = [float(x) for x in np.random.random_sample(6)]
        r["choice"] = [int(x) for x in np.random.choice(np.arange(13), size=13)]
        rand.append(r)
    write("random.json", rand)


if __name__ == "__main__":
    main()
