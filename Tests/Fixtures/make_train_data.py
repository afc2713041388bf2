"""Small fine-tuning data sets for the finetune/pretrain stage tests.

Writes Tests/Fixtures/train/data/:
  sft_train.jsonl, sft_val.jsonl   {"prompt": "define WORD:", "completion": " GLOSS"} rows
                                   (48 + 16) from WordNet 3.0 nouns with short glosses
  chat_train.jsonl                 the same pairs as {"messages": [user, assistant]} (16)
  cls_train.jsonl, cls_val.jsonl   {"text": GLOSS, "label": indefinite|definite|other} (96 + 32):
                                   the label says whether the gloss starts with a/an, the, or
                                   another word — a rule a tiny BERT learns in a few steps
  corpus.txt                       400 gloss lines for pretraining

Input: definitions.jsonl from ../shared/bench/data/wordnet_corpus.py (WordNet 3.0,
Debian's wordnet-base). Deterministic (no randomness; rows taken in file order with a
stride). Usage: python3 Tests/Fixtures/make_train_data.py [--definitions /tmp/wn/definitions.jsonl]
"""
import argparse
import json
import os

ap = argparse.ArgumentParser()
ap.add_argument("--definitions", default="/tmp/wn/definitions.jsonl")
args = ap.parse_args()
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "train", "data")
os.makedirs(out, exist_ok=True)

rows = [json.loads(l) for l in open(args.definitions, encoding="utf-8")]
nouns = [r for r in rows if r["pos"] == "n" and " " not in r["word"] and 3 <= len(r["definition"].split()) <= 9]
picked = nouns[::max(1, len(nouns) // 200)][:200]


def write(name, items):
    with open(os.path.join(out, name), "w", encoding="utf-8") as f:
        for x in items:
            f.write(json.dumps(x, ensure_ascii=False) + "\n")


pairs = [{"prompt": f"define {r['word']}:", "completion": " " + r["definition"]} for r in picked[:64]]
write("sft_train.jsonl", pairs[:48])
write("sft_val.jsonl", pairs[48:64])
write("chat_train.jsonl", [{"messages": [{"role": "user", "content": p["prompt"]}, {"role": "assistant", "content": p["completion"].strip()}]} for p in pairs[:16]])


def article(text):
    first = text.split()[0]
    return "indefinite" if first in ("a", "an") else "definite" if first == "the" else "other"


cls = [{"text": r["definition"], "label": article(r["definition"])} for r in picked[:128]]
write("cls_train.jsonl", cls[:96])
write("cls_val.jsonl", cls[96:128])
glosses = [r["definition"] for r in rows if r["pos"] == "n"][::50][:400]
with open(os.path.join(out, "corpus.txt"), "w", encoding="utf-8") as f:
    f.write("\n".join(glosses) + "\n")
print("wrote", out)
