"""Checks, once, that what the fine-tuning stages write loads in transformers/peft and
gives the same logits as Weft (run after the default pipeline, pipelines/finetune.yaml):

  1. out/base (pretrain): AutoModelForCausalLM.from_pretrained, logits vs `weft model forward`
  2. out/sft-lora and out/sft-qlora (finetune, PEFT LoRA adapters): PeftModel.from_pretrained
     on the base (the QLoRA adapter on the fp32 base: its weights are plain LoRA; the
     quantised base is Weft's training-time storage), logits vs `weft model forward --adapter`
  3. out/cls-lora (finetune, classification, PEFT SEQ_CLS adapter with the head in
     modules_to_save) on all-MiniLM-L6-v2 as BertForSequenceClassification (num_labels from
     label_map.json), logits vs `weft model forward --adapter`

Prints the max |Δlogit| of each and exits non-zero above 1e-4. transformers 5.23, peft
0.21.2, torch 2.15 (CPU, fp32). Usage: python3 Tests/Fixtures/verify_finetune_interop.py
[--weft .build/release/weft] (from the project root, after `weft repro`).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
from peft import PeftModel
from safetensors.numpy import load_file
from tokenizers import Tokenizer
from transformers import AutoModelForCausalLM, AutoModelForSequenceClassification

ap = argparse.ArgumentParser()
ap.add_argument("--weft", default=".build/release/weft")
a = ap.parse_args()
tmp = tempfile.mkdtemp()


def batch(tok_path, texts, cut=48):
    tok = Tokenizer.from_file(tok_path)
    tok.no_truncation()
    tok.no_padding()
    enc = [tok.encode(t).ids[:cut] for t in texts]
    w = max(map(len, enc))
    return [e + [0] * (w - len(e)) for e in enc], [[1] * len(e) + [0] * (w - len(e)) for e in enc]


def weft_logits(model, ids, mask, adapter=None):
    json.dump(ids, open(f"{tmp}/ids.json", "w"))
    json.dump(mask, open(f"{tmp}/mask.json", "w"))
    cmd = [a.weft, "model", "forward", "--model", model, "--input-ids", f"{tmp}/ids.json", "--attention-mask", f"{tmp}/mask.json",
           "--out", f"{tmp}/logits.safetensors"] + (["--adapter", adapter] if adapter else [])
    subprocess.run(cmd, check=True, capture_output=True)
    return load_file(f"{tmp}/logits.safetensors")["logits"]


def compare(name, ref, got, mask=None):
    ref = ref.detach().numpy()
    if mask is not None:  # padded positions are not compared (their values are unspecified)
        m = torch.tensor(mask).bool().numpy()
        ref, got = ref[m], got[m]
    d = float(abs(ref - got).max())
    print(f"{name}: max |Δlogit| {d:.2e}")
    return d


texts = ["define cat: a small domesticated carnivore", "the act of going out", "a person who studies the stars and planets"]
worst = 0.0
ids, mask = batch("out/base/tokenizer.json", texts)
base = AutoModelForCausalLM.from_pretrained("out/base").eval()
with torch.no_grad():
    worst = max(worst, compare("pretrain out/base", base(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits,
                               weft_logits("out/base", ids, mask), mask))
    for adapter in ["out/sft-lora", "out/sft-qlora"]:
        if not os.path.exists(adapter):
            continue
        m = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained("out/base"), adapter).eval()
        worst = max(worst, compare(f"finetune {adapter}", m(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits,
                                   weft_logits("out/base", ids, mask, adapter), mask))
    labels = json.load(open("out/cls-lora/label_map.json"))["labels"]
    ids, mask = batch("out/minilm/tokenizer.json", texts)
    cls = AutoModelForSequenceClassification.from_pretrained("out/minilm", num_labels=len(labels))
    m = PeftModel.from_pretrained(cls, "out/cls-lora").eval()
    worst = max(worst, compare("finetune out/cls-lora (MiniLM classifier)", m(input_ids=torch.tensor(ids), attention_mask=torch.tensor(mask)).logits,
                               weft_logits("out/minilm", ids, mask, "out/cls-lora")))
print(f"worst {worst:.2e}")
sys.exit(0 if worst < 1e-4 else 1)
