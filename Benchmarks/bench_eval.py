#!/usr/bin/env python3
"""`weft evaluate` against sacreBLEU, rouge-score and scikit-learn, side by side in one run.

usage: Benchmarks/bench_eval.py --weft .build/release/weft [--data /tmp/wn] [--work DIR]
                                [--lock LOCKFILE] [--reps 3] [--only bleu,chrf,rouge,cls]
                                [--json OUT.json]

Inputs are exactly ../shared/bench/nlp/metrics_bench.py's (its make_pairs / labels scheme,
imported from that script): 100,000 hypothesis/reference pairs from the WordNet corpus for
BLEU and chrF, the first 10,000 with "; " -> ";\\n" for ROUGE, and 1,000,000 supersense labels
with 30% corrupted for classification. The pairs and labels are written once as the JSONL
`weft evaluate` reads ({"prediction", "reference"} / {"prediction", "label"}).

Timing. The reference side is the library call only (inputs already in Python lists, as
metrics_bench.py times it). Weft's side is the whole `weft evaluate --json` process: start-up,
reading and parsing the JSONL, scoring, printing — so the ratio is conservative. Both sides
score the same work and must agree (the script checks the numbers to 1e-9). Each side's best
of --reps runs is reported (interference only ever slows a run down). Classification runs
precision_recall_fscore_support with average=None/micro/macro/weighted, accuracy_score and
confusion_matrix on scikit-learn's side (string lists, the form JSONL labels arrive in; also
int-coded numpy arrays for reference) against one `weft evaluate --metrics
accuracy,precision,recall,f1,confusion` run.
"""

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NLP = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench", "nlp"))


def reference_module():
    spec = importlib.util.spec_from_file_location("metrics_bench", os.path.join(NLP, "metrics_bench.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def best_of(fn, reps, lock):
    """Runs fn() reps times (under the lock if given); returns (best seconds, last result)."""
    import fcntl
    times, out = [], None
    f = open(lock, "a") if lock else None
    try:
        for _ in range(reps):
            if f:
                fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            try:
                t0 = time.perf_counter()
                out = fn()
                times.append(time.perf_counter() - t0)
            finally:
                if f:
                    fcntl.flock(f.fileno(), fcntl.LOCK_UN)
    finally:
        if f:
            f.close()
    return min(times), out


def weft_eval(weft, path, metrics, extra=()):
    cmd = [weft, "evaluate", "--predictions", path, "--metrics", metrics, "--json", "--threads", "2", *extra]
    p = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    return json.loads(p.stdout)


def close(a, b, tol=1e-9):
    return abs(a - b) <= tol


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weft", required=True)
    ap.add_argument("--data", default="/tmp/wn")
    ap.add_argument("--work", default="/tmp/weft-bench-eval")
    ap.add_argument("--lock", default=None)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", default="bleu,chrf,rouge,cls")
    ap.add_argument("--json", default=None)
    a = ap.parse_args()
    only = set(a.only.split(","))
    os.makedirs(a.work, exist_ok=True)
    mb = reference_module()

    import numpy as np
    import sacrebleu
    import sklearn
    from rouge_score import rouge_scorer
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    with open(os.path.join(a.data, "corpus.txt"), encoding="utf-8") as f:
        lines = [l.rstrip("\n") for l in f]
    hyps, refs = mb.make_pairs(lines, 100000)
    pairs = os.path.join(a.work, "pairs_100k.jsonl")
    with open(pairs, "w", encoding="utf-8") as f:
        for h, r in zip(hyps, refs):
            f.write(json.dumps({"prediction": h, "reference": r}) + "\n")
    weft = os.path.abspath(a.weft)
    res = {"machine": platform.processor() or platform.machine(), "cores": os.cpu_count(),
           "versions": {"sacrebleu": sacrebleu.__version__, "scikit-learn": sklearn.__version__, "numpy": np.__version__},
           "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "reps": a.reps, "rows": []}

    def row(name, ref_s, weft_s, agree, note=""):
        r = {"measurement": name, "reference_s": ref_s, "weft_s": weft_s, "speedup": ref_s / weft_s, "agree": agree, "note": note}
        res["rows"].append(r)
        print(json.dumps(r), flush=True)

    if "bleu" in only:
        t_ref, s = best_of(lambda: sacrebleu.corpus_bleu(hyps, [refs]), a.reps, a.lock)
        t_w, j = best_of(lambda: weft_eval(weft, pairs, "bleu"), a.reps, a.lock)
        row("corpus BLEU, 100k pairs (13a, exp)", t_ref, t_w, close(s.score, j["bleu"]["score"]), "score %.4f" % s.score)
    if "chrf" in only:
        t_ref, s = best_of(lambda: sacrebleu.corpus_chrf(hyps, [refs]), a.reps, a.lock)
        t_w, j = best_of(lambda: weft_eval(weft, pairs, "chrf"), a.reps, a.lock)
        row("corpus chrF, 100k pairs", t_ref, t_w, close(s.score, j["chrf"]["score"]), "score %.4f" % s.score)
        t_ref, s = best_of(lambda: sacrebleu.corpus_chrf(hyps, [refs], word_order=2), a.reps, a.lock)
        t_w, j = best_of(lambda: weft_eval(weft, pairs, "chrf++"), a.reps, a.lock)
        row("corpus chrF++, 100k pairs", t_ref, t_w, close(s.score, j["chrf++"]["score"]), "score %.4f" % s.score)
    if "rouge" in only:
        rh = [h.replace("; ", ";\n") for h in hyps[:10000]]
        rr = [r.replace("; ", ";\n") for r in refs[:10000]]
        rpath = os.path.join(a.work, "rouge_10k.jsonl")
        with open(rpath, "w", encoding="utf-8") as f:
            for h, r in zip(rh, rr):
                f.write(json.dumps({"prediction": h, "reference": r}) + "\n")
        types = ["rouge1", "rouge2", "rougeL", "rougeLsum"]
        for stem in (True, False):
            def run_rouge():
                sc = rouge_scorer.RougeScorer(types, use_stemmer=stem)
                acc = {t: 0.0 for t in types}
                for h, r in zip(rh, rr):
                    d = sc.score(r, h)
                    for t in types:
                        acc[t] += d[t].fmeasure
                return {t: v / len(rh) for t, v in acc.items()}
            t_ref, s = best_of(run_rouge, a.reps, a.lock)
            extra = ["--rouge-stemmer"] if stem else []
            t_w, j = best_of(lambda: weft_eval(weft, rpath, ",".join(types), extra), a.reps, a.lock)
            ok = all(close(s[t], j[t]["fmeasure"]) for t in types)
            row("ROUGE 1/2/L/Lsum, 10k pairs, stemmer %s" % ("on" if stem else "off"), t_ref, t_w, ok,
                "mean F1 " + "/".join("%.4f" % s[t] for t in types))
    if "cls" in only:
        with open(os.path.join(a.data, "supersense.jsonl"), encoding="utf-8") as f:
            sup = [json.loads(l)["label"] for l in f]
        labels = sorted(set(sup))
        n = len(sup)
        yt = [sup[(k * 7919) % n] for k in range(1000000)]
        yp = [labels[mb.splitmix64(k + 7777777) % len(labels)] if mb.splitmix64(k) % 100 < 30 else yt[k] for k in range(1000000)]
        lpath = os.path.join(a.work, "labels_1m.jsonl")
        with open(lpath, "w") as f:
            for p, t in zip(yp, yt):
                f.write('{"prediction": "%s", "label": "%s"}\n' % (p, t))
        code = {l: i for i, l in enumerate(labels)}
        yti = np.array([code[x] for x in yt], dtype=np.int64)
        ypi = np.array([code[x] for x in yp], dtype=np.int64)

        def sk(t, p):
            out = {"accuracy": accuracy_score(t, p), "confusion": confusion_matrix(t, p)}
            for avg in (None, "micro", "macro", "weighted"):
                out[avg] = precision_recall_fscore_support(t, p, average=avg, zero_division=0)
            return out
        t_str, s = best_of(lambda: sk(yt, yp), a.reps, a.lock)
        t_int, _ = best_of(lambda: sk(yti, ypi), a.reps, a.lock)
        t_w, j = best_of(lambda: weft_eval(weft, lpath, "accuracy,precision,recall,f1,confusion", ["--zero-division", "0"]), a.reps, a.lock)
        ok = close(s["accuracy"], j["accuracy"]) and close(float(s["macro"][2]), j["f1"]["macro"]) and \
            close(float(s["weighted"][2]), j["f1"]["weighted"]) and j["confusion"]["matrix"] == s["confusion"].tolist()
        row("classification, 1M labels, str lists (P/R/F1 ×4 averages, accuracy, confusion)", t_str, t_w, ok,
            "macro F1 %.6f" % float(s["macro"][2]))
        row("classification, 1M labels, int arrays (same calls)", t_int, t_w, ok, "sklearn on int-coded numpy arrays; Weft still parses the 1M-row JSONL")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
            f.write("\n")


if __name__ == "__main__":
    main()
