#!/usr/bin/env python3
"""Weft's text stages against Hugging Face `tokenizers`, side by side in one run.

usage: Benchmarks/bench_text.py --weft .build/release/weft [--corpus corpus.txt] [--work DIR]
                                [--lock LOCKFILE] [--reps 3] [--only bpe,encode,clean]
                                [--big-mb 1000] [--json OUT.json] [--md OUT.md]

- bpe:    byte-level BPE training at vocab 8,000 and 32,000 on the WordNet corpus, 2 threads.
          HF's side is ../shared/bench/nlp/bpe_bench.py's own worker (train call only, as its
          RESULTS.md measures it); Weft's is the whole `weft exec-stage bpe-train` process
          (start-up, reading the file and writing tokenizer.json included). Peak memory:
          HF's ru_maxrss, Weft's VmHWM. Also checks that both wrote the same merges.
- encode: encoding every line of the corpus with HF's trained tokenizer.json: HF
          `encode_batch` with RAYON_NUM_THREADS=2 (the shared worker, fresh tokenizer per
          run) against `weft tokenize --stats --threads 2` (encode time only, result kept in
          memory like HF's); token totals must agree.
- clean:  `clean` (HTML, control, NFC, URL/e-mail masks, whitespace, lowercase) and `dedup`
          (exact + MinHash/LSH near duplicates) over a JSONL of about --big-mb MB made from
          supersense.jsonl (each copy's rows get a copy number, so rows are distinct texts
          that LSH sees as near duplicates); MB/s as each stage logs it (whole run).
Each side's best of --reps runs is reported (interference only ever slows a run down).
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
NLP = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench", "nlp"))
SPECIAL = "<|endoftext|>"


def locked(cmd, lock):
    return (["flock", lock] if lock else []) + cmd


def hf_worker(task, params, threads, lock):
    env = dict(os.environ, RAYON_NUM_THREADS=str(threads))
    cmd = locked([sys.executable, os.path.join(NLP, "bpe_bench.py"), "--worker", task, json.dumps(params)], lock)
    out = subprocess.run(cmd, env=env, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def weft_stage(weft, name, version, with_, lock, cwd):
    cmd = locked([weft, "exec-stage", name, "--version", str(version), "--with", json.dumps(with_)], lock)
    t0 = time.perf_counter()
    p = subprocess.run(cmd, cwd=cwd, check=True, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    wall = time.perf_counter() - t0
    line = [l for l in p.stdout.splitlines() if "peak RSS" in l][-1]
    # "NAME: R rows, X MB in S s (T MB/s), peak RSS M MB"
    mbps = float(line.split("(")[1].split(" MB/s")[0])
    rss = float(line.split("peak RSS ")[1].split(" MB")[0])
    return {"wall_s": wall, "peak_rss_mb": rss, "mbps": mbps, "log": p.stdout}


def merges_of(path):
    with open(path, encoding="utf-8") as f:
        m = json.load(f)["model"]
    return [tuple(x) if isinstance(x, list) else tuple(x.split(" ", 1)) for x in m["merges"]], m["vocab"]


def bench_bpe(a, res):
    for vocab in (8000, 32000):
        hf_json = os.path.join(a.work, "hf_bpe_%d.json" % vocab)
        weft_json = os.path.join(a.work, "weft_bpe_%d.json" % vocab)
        hf, wf = [], []
        for i in range(a.reps):
            hf.append(hf_worker("hf_train", {"corpus": a.corpus, "vocab": vocab, "save": hf_json if i == 0 else None}, 2, a.lock))
            wf.append(weft_stage(a.weft, "bpe-train", 1, {
                "input": a.corpus, "output": weft_json, "vocab_size": vocab, "min_frequency": 0, "special_tokens": [SPECIAL],
                "initial_alphabet": "bytes", "format": "text", "text_field": "text", "on_invalid_utf8": "reject", "threads": 2},
                a.lock, a.work))
        hm, hv = merges_of(hf_json)
        wm, wv = merges_of(weft_json)
        row = {"vocab": vocab, "hf_wall_s": min(r["wall_s"] for r in hf), "weft_wall_s": min(r["wall_s"] for r in wf),
               "hf_peak_rss_mb": max(r["peak_rss_mb"] for r in hf), "weft_peak_rss_mb": max(r["peak_rss_mb"] for r in wf),
               "same_merges": hm == wm, "same_vocab": hv == wv, "merges": len(wm),
               "hf_runs": [r["wall_s"] for r in hf], "weft_runs": [r["wall_s"] for r in wf]}
        res["bpe"].append(row)
        print("bpe", json.dumps(row), file=sys.stderr, flush=True)


def bench_encode(a, res):
    for vocab in (8000, 32000):
        tok = os.path.join(a.work, "hf_bpe_%d.json" % vocab)
        if not os.path.exists(tok):
            hf_worker("hf_train", {"corpus": a.corpus, "vocab": vocab, "save": tok}, 2, a.lock)
        hf = hf_worker("hf_encode", {"tokenizer": tok, "corpus": a.corpus, "mode": "batch", "repeats": a.reps}, 2, a.lock)
        hf_mbps = hf["bytes"] / 1e6 / min(hf["runs_s"])
        weft_runs = []
        for _ in range(a.reps):
            cmd = locked([a.weft, "tokenize", "--tokenizer", tok, "--input", a.corpus, "--stats", "--threads", "2"], a.lock)
            weft_runs.append(json.loads(subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout))
        best = max(weft_runs, key=lambda r: r["mb_per_s"])
        row = {"vocab": vocab, "hf_mbps": hf_mbps, "weft_mbps": best["mb_per_s"], "ratio": best["mb_per_s"] / hf_mbps,
               "hf_tokens": hf["tokens"], "weft_tokens": best["tokens"], "same_token_count": hf["tokens"] == best["tokens"],
               "hf_peak_rss_mb": hf["peak_rss_mb"], "weft_peak_rss_mb": max(r["peak_rss_mb"] for r in weft_runs)}
        res["encode"].append(row)
        print("encode", json.dumps(row), file=sys.stderr, flush=True)


def bench_clean(a, res):
    big = os.path.join(a.work, "big.jsonl")
    src = os.path.join(os.path.dirname(a.corpus), "supersense.jsonl")
    if not os.path.exists(big) or os.path.getsize(big) < a.big_mb * 0.9e6:
        with open(src, encoding="utf-8") as f:
            rows = [json.loads(l) for l in f]
        with open(big, "w", encoding="utf-8") as f:
            k = 0
            while f.tell() < a.big_mb * 1e6:
                for i, r in enumerate(rows):
                    f.write(json.dumps({"id": k * len(rows) + i, "text": "<p>%s (copy %d)</p>" % (r["text"], k), "label": r["label"]}) + "\n")
                k += 1
    size = os.path.getsize(big)
    common = {"format": "auto", "text_field": "text", "on_invalid_utf8": "replace", "threads": 2}
    clean_with = dict(common, input=big, output=os.path.join(a.work, "big-clean.jsonl"), report=None, html=True, remove_control=True,
                      normalize="nfc", urls="mask", emails="mask", phones="keep", keep_classes=[], collapse_whitespace=True,
                      lowercase=True, lemmatize=False, lemmatize_pos="n", stem="none", wordnet="/usr/share/wordnet",
                      min_chars=0, max_chars=0, min_words=0, max_words=0)
    dedup_with = dict(common, input=os.path.join(a.work, "big-clean.jsonl"), output=os.path.join(a.work, "big-dedup"), normalize=True,
                      near=True, shingle_size=5, shingle_unit="char", num_perm=128, threshold=0.8, bands=0, rows=0, seed=0)
    for name, with_ in (("clean", clean_with), ("dedup", dedup_with)):
        runs = [weft_stage(a.weft, name, 1, with_, a.lock, a.work) for _ in range(a.reps)]
        best = max(runs, key=lambda r: r["mbps"])
        row = {"stage": name, "input_mb": size / 1e6, "mbps": best["mbps"], "mbps_per_core": best["mbps"] / 2,
               "wall_s": best["wall_s"], "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
               "summary": [l for l in best["log"].splitlines() if l.startswith(name + ": kept") or "dropped" in l][:3]}
        res["clean"].append(row)
        print("clean", json.dumps(row), file=sys.stderr, flush=True)


def markdown(res):
    L = []
    if res["bpe"]:
        L += ["| bpe-train, WordNet corpus, 2 threads | HF tokenizers s | Weft s | Weft / HF time | HF peak MB | Weft peak MB | same merges |",
              "|---|---|---|---|---|---|---|"]
        for r in res["bpe"]:
            L.append("| vocab %d | %.2f | %.2f | %.2f× | %.0f | %.0f | %s |" % (
                r["vocab"], r["hf_wall_s"], r["weft_wall_s"], r["weft_wall_s"] / r["hf_wall_s"], r["hf_peak_rss_mb"],
                r["weft_peak_rss_mb"], "yes" if r["same_merges"] and r["same_vocab"] else "NO"))
    if res["encode"]:
        L += ["", "| encode WordNet corpus, 2 threads | HF encode_batch MB/s | Weft MB/s | Weft / HF | same token count |", "|---|---|---|---|---|"]
        for r in res["encode"]:
            L.append("| vocab %d | %.2f | %.2f | %.1f× | %s |" % (r["vocab"], r["hf_mbps"], r["weft_mbps"], r["ratio"],
                                                             "yes" if r["same_token_count"] else "NO"))
    if res["clean"]:
        L += ["", "| stage over %.0f MB JSONL, 2 threads | MB/s | MB/s per core | peak MB |" % res["clean"][0]["input_mb"], "|---|---|---|---|"]
        for r in res["clean"]:
            L.append("| %s | %.1f | %.1f | %.0f |" % (r["stage"], r["mbps"], r["mbps_per_core"], r["peak_rss_mb"]))
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weft", required=True)
    ap.add_argument("--corpus", default=None, help="WordNet corpus.txt (default: made by wordnet-import in --work)")
    ap.add_argument("--work", default="/tmp/weft-bench-text")
    ap.add_argument("--lock", default=None)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--only", default="bpe,encode,clean")
    ap.add_argument("--big-mb", type=float, default=1000)
    ap.add_argument("--json", default=None)
    ap.add_argument("--md", default=None)
    ap.add_argument("--table-from", default=None)
    a = ap.parse_args()
    if a.table_from:
        with open(a.table_from) as f:
            print(markdown(json.load(f)))
        return
    a.weft = os.path.abspath(a.weft)
    os.makedirs(a.work, exist_ok=True)
    if not a.corpus:
        weft_stage(a.weft, "wordnet-import", 1, {"output": os.path.join(a.work, "wn"), "wordnet": "/usr/share/wordnet"}, None, a.work)
        a.corpus = os.path.join(a.work, "wn", "corpus.txt")
    import tokenizers
    res = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "machine": platform.processor() or platform.machine(),
           "tokenizers": tokenizers.__version__, "corpus": a.corpus, "corpus_bytes": os.path.getsize(a.corpus),
           "bpe": [], "encode": [], "clean": []}
    only = a.only.split(",")
    if "bpe" in only:
        bench_bpe(a, res)
    if "encode" in only:
        bench_encode(a, res)
    if "clean" in only:
        bench_clean(a, res)
    if a.json:
        with open(a.json, "w") as f:
            json.dump(res, f, indent=1)
    md = markdown(res)
    if a.md:
        with open(a.md, "w") as f:
            f.write(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
