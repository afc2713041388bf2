"""Golden files for WeftEval's classification metrics (ClassificationMetrics), made with
scikit-learn 1.9.1 and numpy 2.4.6 on Python 3.11.

Every case is scored with
  accuracy_score(y_true, y_pred)
  precision_recall_fscore_support(y_true, y_pred, labels=..., beta=...,
                                  zero_division=..., average=A) for A in None/micro/macro/weighted
  confusion_matrix(y_true, y_pred, labels=...)
with y_true / y_pred as Python lists (ints or strs), and the warnings those calls raise
(UndefinedMetricWarning, the 1x1 confusion UserWarning) recorded as a set of messages.

Outputs (Tests/Fixtures/eval/sklearn/):
  cases.json   {"cases": [case, ...]}; a case is
               {name, truths, predictions, labels (null or list), zero_division
                ("warn" | "0" | "1" | "nan"), beta (number or "inf"), expected}
               expected = {labels, accuracy, precision[], recall[], f1[], support[],
                           micro: [p, r, f], macro: [...], weighted: [...],
                           confusion: [[row, col, count], ...] nonzero cells only,
                           warnings: [messages]}
                       or {"error": text Weft's EvalError message must contain} for inputs
                       Weft rejects (empty, unequal lengths, integers mixed with strings
                       anywhere, explicit labels of the other kind, repeated or empty
                       explicit labels, negative beta).
               NaN is written as the string "nan".
               Where confusion_matrix raises ("At least one label specified must be in
               y_true") but prfs does not, the matrix is all zeros ("confusion": []) and
               "confusion_raises": true: Weft returns the zero matrix there.
  big.json     one 300,000-row case generated from splitmix64 (recomputed by the Swift
               test, so only the results are stored): truth k = LABELS[sm(k) % 45],
               prediction = LABELS[sm(k + 7777777) % 45] where sm(k + 13) % 100 < 30,
               else the truth.  LABELS are the 45 WordNet lexicographer names (stored).

Random cases draw labels from /tmp/wn/supersense.jsonl (the WordNet supersense labels
that ../shared/bench/data/wordnet_corpus.py writes) with a fixed-seed generator.

Rerun (needs scikit-learn 1.9.1, numpy 2.4.6; about 20 s):
  python3 Tests/Fixtures/make_eval_sklearn.py [--supersense /tmp/wn/supersense.jsonl]
"""
import argparse
import json
import math
import os
import random
import warnings

import numpy as np
import sklearn
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eval", "sklearn")
M64 = (1 << 64) - 1


def splitmix64(x):
    z = (x + 0x9E3779B97F4A7C15) & M64
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return z ^ (z >> 31)


def num(x):
    x = float(x)
    if math.isnan(x):
        return "nan"
    return x


def zd_value(zd):
    return {"warn": "warn", "0": 0, "1": 1, "nan": np.nan}[zd]


def score(truths, preds, labels=None, zd="warn", beta=1.0):
    """Reference results, or None when scikit-learn raises in prfs."""
    z = zd_value(zd)
    b = math.inf if beta == "inf" else beta
    out = {}
    msgs = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        out["accuracy"] = num(accuracy_score(truths, preds))
        p, r, f, s = precision_recall_fscore_support(
            truths, preds, labels=labels, beta=b, zero_division=z, average=None)
        out["precision"] = [num(v) for v in p]
        out["recall"] = [num(v) for v in r]
        out["f1"] = [num(v) for v in f]
        out["support"] = [int(v) for v in s]
        for avg in ("micro", "macro", "weighted"):
            p, r, f, _ = precision_recall_fscore_support(
                truths, preds, labels=labels, beta=b, zero_division=z, average=avg)
            out[avg] = [num(p), num(r), num(f)]
        try:
            cm = confusion_matrix(truths, preds, labels=labels)
            out["confusion"] = [[i, j, int(cm[i, j])] for i in range(cm.shape[0])
                                for j in range(cm.shape[1]) if cm[i, j]]
        except ValueError as e:
            assert "At least one label specified must be in y_true" in str(e), e
            out["confusion"] = []
            out["confusion_raises"] = True
        for w in caught:
            m = str(w.message)
            if m not in msgs:
                msgs.append(m)
    if out.get("confusion_raises") and len(labels) == 1:
        # Weft still returns the 1x1 (zero) matrix and warns about its shape.
        msgs.append("A single label was found in 'y_true' and 'y_pred'. For the confusion matrix "
                    "to have the correct shape, use the 'labels' parameter to pass all known labels.")
    out["warnings"] = msgs
    if labels is None:
        lab = sorted(set(truths) | set(preds))
    else:
        lab = list(labels)
    out["labels"] = lab
    return out


def case(cases, name, truths, preds, labels=None, zd="warn", beta=1.0, error=None):
    c = {"name": name, "truths": truths, "predictions": preds, "labels": labels,
         "zero_division": zd, "beta": beta}
    if error is not None:
        c["expected"] = {"error": error}
    else:
        c["expected"] = score(truths, preds, labels, zd, beta)
    cases.append(c)


def edge_cases(cases):
    ints = [0, 1, 2, 2, 1, 0, 2, 1, 1, 0]
    pint = [0, 2, 1, 2, 1, 0, 0, 1, 2, 0]
    for zd in ("warn", "0", "1", "nan"):
        case(cases, "basic ints zd=" + zd, ints, pint, zd=zd)
    case(cases, "sklearn doc animals", ["cat", "dog", "pig", "cat", "dog", "pig"],
         ["cat", "pig", "dog", "cat", "cat", "dog"])
    case(cases, "doc animals labels reordered", ["cat", "dog", "pig", "cat", "dog", "pig"],
         ["cat", "pig", "dog", "cat", "cat", "dog"], labels=["pig", "dog", "cat"])
    for zd in ("warn", "0", "1", "nan"):
        case(cases, "class never predicted zd=" + zd, [0, 1, 2, 2, 1], [0, 1, 1, 1, 1], zd=zd)
        case(cases, "class never in truth zd=" + zd, [0, 0, 1, 1], [0, 2, 1, 2], zd=zd)
        case(cases, "all wrong zd=" + zd, ["a", "b", "c", "a"], ["b", "c", "a", "c"], zd=zd)
        case(cases, "explicit labels absent from data zd=" + zd, [1, 2, 3, 3], [1, 2, 2, 3],
             labels=[5, 3, 1, 9], zd=zd)
        case(cases, "labels none in data zd=" + zd, [1, 2, 3], [1, 2, 2], labels=[7], zd=zd)
        case(cases, "labels none in truth but predicted zd=" + zd, [1, 2, 3], [1, 7, 2],
             labels=[7, 8], zd=zd)
        case(cases, "one class absent from both, nan macro zd=" + zd, [1, 1, 2], [1, 1, 1],
             labels=[1, 2, 3], zd=zd)
    case(cases, "all right", ["x", "y", "z", "x"], ["x", "y", "z", "x"])
    case(cases, "single class", [4, 4, 4], [4, 4, 4])
    case(cases, "single class strings all right", ["só"] * 5, ["só"] * 5)
    case(cases, "one row", ["spam"], ["spam"])
    case(cases, "one row wrong", ["spam"], ["ham"])
    case(cases, "one row int wrong zd=1", [3], [-3], zd="1")
    case(cases, "binary", [0, 1, 1, 0, 1, 1], [0, 1, 0, 0, 1, 1])
    case(cases, "binary all zeros predicted", [0, 1, 1, 0], [0, 0, 0, 0])
    case(cases, "negative and big ints", [-5, -1, 0, 2 ** 62, -5, 7, -(2 ** 40)],
         [-5, 0, 0, 2 ** 62, -1, 7, 7])
    case(cases, "subset of labels changes micro", [0, 1, 2, 2, 1, 0, 2], [0, 2, 1, 2, 0, 0, 2],
         labels=[2, 0])
    case(cases, "subset of string labels", ["a", "b", "c", "a", "b"], ["a", "c", "c", "b", "b"],
         labels=["c"])
    case(cases, "subset plus absent", ["a", "b", "c", "a", "b"], ["a", "c", "c", "b", "b"],
         labels=["zz", "b"])
    uni = ["é", "e\u0301", "ß", "SS", "ss", "猫", "🐱", "Ünïcødé", "", " ", "a\tb", "Cat", "cat",
           "ǅ", "\u00a0", "z"]
    rnd = random.Random(7)
    t = [rnd.choice(uni) for _ in range(60)]
    p = [x if rnd.random() < 0.5 else rnd.choice(uni) for x in t]
    for zd in ("warn", "nan"):
        case(cases, "non-ASCII string labels zd=" + zd, t, p, zd=zd)
    case(cases, "precomposed vs decomposed are different classes", ["é", "e\u0301", "é"],
         ["e\u0301", "e\u0301", "é"])
    case(cases, "explicit non-ASCII labels", t, p, labels=["猫", "é", "new ☃", "e\u0301"])
    for beta in (0.5, 2.0, 0.0, "inf", 3.7):
        for zd in ("warn", "1"):
            case(cases, "beta=%s zd=%s" % (beta, zd), [0, 1, 2, 2, 1, 0, 3], [0, 2, 1, 2, 1, 1, 2],
                 labels=[0, 1, 2, 3, 4], beta=beta, zd=zd)
    case(cases, "labels look like numbers", ["1", "10", "2", "-1", "01"], ["1", "2", "10", "-1", "1"])
    many_t = [int(v) for v in np.random.RandomState(3).randint(-300, 350, 1000)]
    many_r = np.random.RandomState(4)
    many_p = [int(v) if many_r.rand() < 0.5 else t_ for t_, v in zip(many_t, many_r.randint(-300, 350, 1000))]
    case(cases, "many classes sparse path", many_t, many_p, zd="0")
    # Inputs Weft rejects (scikit-learn raises, or returns something we consider a mistake).
    case(cases, "empty input", [], [], error="no rows to score")
    case(cases, "length mismatch", [1, 2], [1], error="truths has 2 rows but predictions has 1")
    case(cases, "mixed kinds across arrays", [1, 2, 3], [1, "b", 3], error="row 1: the prediction is the string \"b\"")
    case(cases, "mixed kinds within truths", [1, "a", 3], [1, 2, 3], error="row 1: the truth is the string \"a\"")
    case(cases, "mixed kinds first row odd", ["a", 1, 2], ["a", 1, 2], error="row 1: the truth is the integer 1")
    case(cases, "explicit labels other kind", [1, 2], [1, 2], labels=["1"], error="labels[0] is the string \"1\"")
    case(cases, "explicit labels repeated", [1, 2], [1, 2], labels=[1, 2, 1], error="labels[2] repeats labels[0]")
    case(cases, "explicit labels empty", [1, 2], [1, 2], labels=[], error="labels is empty")
    case(cases, "negative beta", [1, 2], [1, 2], beta=-1.0, error="beta must be")


def random_cases(cases, supersense, count):
    labels = sorted({json.loads(l)["label"] for l in open(supersense, encoding="utf-8")})
    rnd = random.Random(20260101)
    for k in range(count):
        n = rnd.choice([1, 2, 3, 5, 8, 13, 21, 40, 60])
        pool = rnd.sample(labels, rnd.randint(1, 12))
        as_int = rnd.random() < 0.4
        if as_int:
            code = {l: (i * 37) % 101 - 50 for i, l in enumerate(labels)}
            pool = [code[l] for l in pool]
        corrupt = rnd.choice([0.0, 0.1, 0.3, 0.6, 1.0])
        t = [rnd.choice(pool) for _ in range(n)]
        p = [rnd.choice(pool) if rnd.random() < corrupt else x for x in t]
        explicit = None
        if rnd.random() < 0.3:
            extra = ["noun.fake", "verb.nothing"] if not as_int else [1000, -1000]
            explicit = rnd.sample(sorted(set(t) | set(p)) + extra,
                                  rnd.randint(1, len(set(t) | set(p)) + 1))
        zd = rnd.choice(["warn", "warn", "0", "1", "nan"])
        beta = rnd.choice([1.0, 1.0, 1.0, 0.5, 2.0])
        case(cases, "random %d" % k, t, p, labels=explicit, zd=zd, beta=beta)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--supersense", default="/tmp/wn/supersense.jsonl")
    ap.add_argument("--random", type=int, default=170)
    a = ap.parse_args()
    assert sklearn.__version__ == "1.9.1", sklearn.__version__
    os.makedirs(OUT, exist_ok=True)
    cases = []
    edge_cases(cases)
    random_cases(cases, a.supersense, a.random)
    with open(os.path.join(OUT, "cases.json"), "w", encoding="utf-8") as f:
        json.dump({"sklearn": sklearn.__version__, "numpy": np.__version__, "cases": cases},
                  f, ensure_ascii=False, separators=(",", ":"))
    names = sorted({json.loads(l)["label"] for l in open(a.supersense, encoding="utf-8")})
    n = 300000
    t = [names[splitmix64(k) % len(names)] for k in range(n)]
    p = [names[splitmix64(k + 7777777) % len(names)] if splitmix64(k + 13) % 100 < 30 else t[k]
         for k in range(n)]
    big = {"rows": n, "names": names, "expected": score(t, p, zd="0")}
    with open(os.path.join(OUT, "big.json"), "w", encoding="utf-8") as f:
        json.dump(big, f, ensure_ascii=False, separators=(",", ":"))
    print(len(cases), "cases;", os.path.getsize(os.path.join(OUT, "cases.json")), "bytes")


if __name__ == "__main__":
    main()
