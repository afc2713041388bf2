"""Expected output of `weft evaluate --json` / `--per-example` for the CLI contract tests.

Writes Tests/Fixtures/eval/cli/:
  text.jsonl            prediction + reference or references rows (edge cases included)
  text_expected.json    {"json": <the --json object>, "per_example": [<one object per row>]}
                        for --metrics bleu,sentence_bleu,chrf,chrf++,rouge1,rouge2,rougeL,rougeLsum,exact_match,token_f1
                        with default options, "json_intl_lc_floor" for
                        --tokenize intl --lowercase --smooth floor --rouge-stemmer (bleu, rouge1, rougeLsum), and
                        "json_addk"/"per_example_addk" for --smooth add-k (bleu, sentence_bleu: sacreBLEU reports
                        counts and totals of orders 2+ with k added), and "rouge_bootstrap_seed5": rouge-score's
                        BootstrapAggregator low/mid/high for rouge1 and rougeLsum after np.random.seed(5)
  labels.jsonl          prediction + label rows (strings)
  labels_expected.json  the --json object for accuracy,precision,recall,f1,confusion (zero_division warn)

References: sacreBLEU 2.6.0 (corpus_bleu / sentence_bleu / corpus_chrf / sentence_chrf, references
transposed into streams), rouge-score 0.1.2 (score_multi for several references, mean over rows),
scikit-learn 1.9.1, and SQuAD v1.1's official normalisation (re-implemented below from its published
definition; scaled by 100 as that script reports).

Usage: python3 Tests/Fixtures/make_eval_cli.py
"""
import collections
import json
import os
import re
import string

import sacrebleu
from rouge_score import rouge_scorer
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "eval", "cli")

ROWS = [
    ("the cat sat on the mat", ["the cat sat on the mat"]),
    ("a cat sat on a mat.", ["the cat sat on the mat", "a cat was sitting on the mat"]),
    ("It costs 1,000.50 dollars; really!", ["It costs $1,000.50, really."]),
    ("", ["nothing was predicted here"]),
    ("Crème brûlée for the café", ["crème brûlée at the café"]),
    ("word", ["word"]),
    ("?!", ["..."]),
    ("this hypothesis is much much longer than its short reference sentence by far", ["short reference"]),
    ("Line one.\nLine two is here.", ["Line one.\nLine two was there."]),
    ("東京 は 大きい", ["東京 は とても 大きい"]),
]

LABELS = [("cat", "cat"), ("dog", "cat"), ("dog", "dog"), ("bird", "dog"), ("cat", "cat"), ("dog", "dog"), ("cat", "bird")]


def squad_normalize(s):
    s = s.lower()
    s = "".join(ch for ch in s if ch not in set(string.punctuation))
    s = re.sub(r"\b(a|an|the)\b", " ", s)
    return " ".join(s.split())


def squad_f1(pred, gt):
    p, g = squad_normalize(pred).split(), squad_normalize(gt).split()
    common = collections.Counter(p) & collections.Counter(g)
    same = sum(common.values())
    if same == 0:
        return 0.0
    prec, rec = same / len(p), same / len(g)
    return 2 * prec * rec / (prec + rec)


def bleu_obj(s):
    return {"score": s.score, "counts": s.counts, "totals": s.totals, "precisions": s.precisions,
            "bp": s.bp, "sys_len": s.sys_len, "ref_len": s.ref_len}


def streams(refs):
    n = max(len(r) for r in refs)
    return [[r[i] if i < len(r) else None for r in refs] for i in range(n)]


def text_expected(hyps, refs, tokenize="13a", lowercase=False, smooth="exp", stem=False, which=None):
    which = which or ["bleu", "sentence_bleu", "chrf", "chrf++", "rouge1", "rouge2", "rougeL", "rougeLsum", "exact_match", "token_f1"]
    j, per = {}, [dict() for _ in hyps]
    bleu = sacrebleu.BLEU(tokenize=tokenize, lowercase=lowercase, smooth_method=smooth)
    if "bleu" in which:
        j["bleu"] = bleu_obj(bleu.corpus_score(hyps, streams(refs)))
        for i, (h, r) in enumerate(zip(hyps, refs)):
            per[i]["bleu"] = bleu_obj(bleu.sentence_score(h, r))
    if "sentence_bleu" in which:
        ss = [sacrebleu.sentence_bleu(h, r, tokenize=tokenize, lowercase=lowercase, smooth_method=smooth) for h, r in zip(hyps, refs)]
        for i, s in enumerate(ss):
            per[i]["sentence_bleu"] = bleu_obj(s)
        n = len(ss)
        j["sentence_bleu"] = {"score": sum(s.score for s in ss) / n,
                              "counts": [sum(s.counts[k] for s in ss) for k in range(4)],
                              "totals": [sum(s.totals[k] for s in ss) for k in range(4)],
                              "precisions": [sum(s.precisions[k] for s in ss) / n for k in range(4)],
                              "bp": sum(s.bp for s in ss) / n, "sys_len": sum(s.sys_len for s in ss),
                              "ref_len": sum(s.ref_len for s in ss)}
    for name, order in (("chrf", 0), ("chrf++", 2)):
        if name in which:
            c = sacrebleu.CHRF(word_order=order, lowercase=lowercase)
            j[name] = {"score": c.corpus_score(hyps, streams(refs)).score}
            for i, (h, r) in enumerate(zip(hyps, refs)):
                per[i][name] = {"score": c.sentence_score(h, r).score}
    types = [t for t in ("rouge1", "rouge2", "rougeL", "rougeLsum") if t in which]
    if types:
        sc = rouge_scorer.RougeScorer(types, use_stemmer=stem)
        rows = [sc.score_multi(r, h) for h, r in zip(hyps, refs)]
        for t in types:
            j[t] = {k: sum(getattr(x[t], k) for x in rows) / len(rows) for k in ("precision", "recall", "fmeasure")}
            for i, x in enumerate(rows):
                per[i][t] = {"precision": x[t].precision, "recall": x[t].recall, "fmeasure": x[t].fmeasure}
    if "exact_match" in which:
        em = [100.0 * max(float(squad_normalize(h) == squad_normalize(g)) for g in r) for h, r in zip(hyps, refs)]
        j["exact_match"] = sum(em) / len(em)
        for i, v in enumerate(em):
            per[i]["exact_match"] = v
    if "token_f1" in which:
        f1 = [100.0 * max(squad_f1(h, g) for g in r) for h, r in zip(hyps, refs)]
        j["token_f1"] = sum(f1) / len(f1)
        for i, v in enumerate(f1):
            per[i]["token_f1"] = v
    return j, per


def main():
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "text.jsonl"), "w", encoding="utf-8") as f:
        for h, r in ROWS:
            row = {"prediction": h, "reference": r[0]} if len(r) == 1 else {"prediction": h, "references": r}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    hyps = [h for h, _ in ROWS]
    refs = [r for _, r in ROWS]
    j, per = text_expected(hyps, refs)
    j2, _ = text_expected(hyps, refs, tokenize="intl", lowercase=True, smooth="floor", stem=True,
                          which=["bleu", "rouge1", "rougeLsum"])
    j3, per3 = text_expected(hyps, refs, smooth="add-k", which=["bleu", "sentence_bleu"])
    # rouge-score's BootstrapAggregator after np.random.seed(5), for --rouge-bootstrap 5
    import numpy as np
    from rouge_score import scoring
    sc = rouge_scorer.RougeScorer(["rouge1", "rougeLsum"])
    agg = scoring.BootstrapAggregator()
    for h, r in zip(hyps, refs):
        agg.add_scores(sc.score_multi(r, h))
    np.random.seed(5)
    res = agg.aggregate()
    boot = {t: {k: {"precision": getattr(res[t], k).precision, "recall": getattr(res[t], k).recall,
                    "fmeasure": getattr(res[t], k).fmeasure} for k in ("low", "mid", "high")} for t in ("rouge1", "rougeLsum")}
    with open(os.path.join(OUT, "text_expected.json"), "w") as f:
        json.dump({"json": j, "per_example": per, "json_intl_lc_floor": j2, "json_addk": j3, "per_example_addk": per3,
                   "rouge_bootstrap_seed5": boot},
                  f, indent=1, ensure_ascii=False)
        f.write("\n")

    with open(os.path.join(OUT, "labels.jsonl"), "w") as f:
        for p, t in LABELS:
            f.write(json.dumps({"prediction": p, "label": t}) + "\n")
    yt = [t for _, t in LABELS]
    yp = [p for p, _ in LABELS]
    labels = sorted(set(yt) | set(yp))
    out = {"accuracy": accuracy_score(yt, yp)}
    per = precision_recall_fscore_support(yt, yp, labels=labels, average=None, zero_division=0)
    for k, name in enumerate(("precision", "recall", "f1")):
        out[name] = {avg: float(precision_recall_fscore_support(yt, yp, average=avg, zero_division=0)[k])
                     for avg in ("micro", "macro", "weighted")}
        out[name]["per_class"] = {l: float(v) for l, v in zip(labels, per[k])}
    out["confusion"] = {"labels": labels, "matrix": confusion_matrix(yt, yp, labels=labels).tolist()}
    with open(os.path.join(OUT, "labels_expected.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
