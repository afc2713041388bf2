#!/usr/bin/env python3
"""The fine-tuning stage against PyTorch + transformers + peft, side by side in one run.

Weft's side is the whole `finetune` stage as a pipeline runs it (`weft repro --force`: model
load, data reading and tokenisation, the training loop with AdamW, writing the adapter),
timed from the outside; tokens/s = batch × seq × steps / wall seconds. PyTorch's side is
../shared/bench/torch/lora_bench.py, unchanged: the median of its timed steps (setup and
data excluded, which favours PyTorch). Same shape (llama-tiny: hidden 256, 4 layers, GQA
8/4, vocabulary 8192), batch 8 × 256 tokens, LoRA r 8 on all seven projections, fp32,
2 threads each. QLoRA: Weft's NF4 (block 64, double-quantised absmax) against
lora_bench's `llama-tiny-qlora-nf4-fp32` (bitsandbytes NF4, block 64, no double quant).

Usage: python3 Benchmarks/bench_finetune.py --weft .build/release/weft [--steps 20] [--reps 2]
       [--json Benchmarks/finetune.json]
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH = os.path.join(HERE, "..", "..", "shared", "bench", "torch")
sys.path.insert(0, TORCH)
BATCH, SEQ = 8, 256


def run(cmd, cwd=None, env=None):
    p = subprocess.run(cmd, capture_output=True, text=True, cwd=cwd, env=dict(os.environ, **(env or {})))
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stdout[-2000:]}\n{p.stderr[-2000:]}")
    return p.stdout


def prepare(scratch, corpus, rows):
    """A llama-tiny model folder (random init, as lora_bench builds it) with a byte-level BPE
    tokenizer of its vocabulary size, and `rows` text rows of at least SEQ tokens."""
    import common  # ../shared/bench/torch/common.py: the shapes PyTorch's side uses
    import torch
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import AutoModelForCausalLM
    cfg = common.llama_tiny_config()
    torch.manual_seed(0)
    model_dir = os.path.join(scratch, "llama-tiny")
    AutoModelForCausalLM.from_config(cfg).save_pretrained(model_dir)
    lines = [l.strip() for l in open(corpus, encoding="utf-8") if l.strip()]
    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    tok.train_from_iterator(lines[:40000], trainers.BpeTrainer(vocab_size=cfg.vocab_size, special_tokens=["<|endoftext|>"],
                                                               initial_alphabet=pre_tokenizers.ByteLevel.alphabet()))
    tok.save(os.path.join(model_dir, "tokenizer.json"))
    with open(os.path.join(scratch, "train.jsonl"), "w", encoding="utf-8") as f:
        k = 0
        for _ in range(rows):
            text = ""
            while len(tok.encode(text).ids) < SEQ + 8:
                text += lines[k % len(lines)] + " "
                k += 1
            f.write(json.dumps({"text": text}) + "\n")
    return model_dir


def weft_stage(weft, scratch, model_dir, method, steps):
    proj = os.path.join(scratch, "proj-" + method)
    os.makedirs(os.path.join(proj, "pipelines"), exist_ok=True)
    if not os.path.exists(os.path.join(proj, ".weft")):
        run([weft, "init"], cwd=proj)
    with open(os.path.join(proj, "pipelines", "ft.yaml"), "w") as f:
        f.write(f"""stages:
  ft:
    uses: finetune
    cpus: 2
    with:
      model: {model_dir}
      train: {os.path.join(scratch, 'train.jsonl')}
      output: out
      method: {method}
      r: 8
      alpha: 16
      dropout: 0.0
      target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]
      max_length: {SEQ}
      batch_size: {BATCH}
      max_steps: {steps}
      lr: 0.0002
      weight_decay: 0.01
      schedule: constant
""")
    t0 = time.perf_counter()
    run([weft, "repro", "--force"], cwd=proj)
    wall = time.perf_counter() - t0
    m = json.load(open(os.path.join(proj, "out", "metrics.json")))
    return {"wall_s": wall, "tokens_per_s": BATCH * SEQ * steps / wall, "loop_tokens_per_s": m["tokens_per_s"],
            "peak_rss_mib": m["peak_rss_mib"], "quantized_bytes_per_param": m.get("quantized_bytes_per_param"),
            "base_resident_mib": m.get("base_resident_mib")}


def torch_side(cfg, steps, scratch):
    run([sys.executable, os.path.join(TORCH, "lora_bench.py"), "--config", cfg, "--steps", str(steps), "--warmup", "2", "--out-dir", scratch],
        env={"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"})
    r = json.load(open(os.path.join(scratch, cfg + ".json")))
    return {"tokens_per_s": r["tokens_per_s"], "peak_rss_mib": r["peak_rss_mib"]}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--weft", default=".build/release/weft")
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--corpus", default="out/wordnet/corpus.txt")
    ap.add_argument("--json", default="Benchmarks/finetune.json")
    a = ap.parse_args()
    weft = os.path.abspath(a.weft)
    scratch = tempfile.mkdtemp(prefix="weft-bench-ft-")
    model_dir = prepare(scratch, a.corpus, BATCH * a.steps)
    runs = {"weft_lora": [], "weft_qlora": [], "torch_lora": [], "torch_qlora": []}
    for _ in range(a.reps):  # alternating, so drift on a shared machine hits both sides
        runs["torch_lora"].append(torch_side("llama-tiny-lora-fp32", a.steps, scratch))
        runs["weft_lora"].append(weft_stage(weft, scratch, model_dir, "lora", a.steps))
        runs["torch_qlora"].append(torch_side("llama-tiny-qlora-nf4-fp32", a.steps, scratch))
        runs["weft_qlora"].append(weft_stage(weft, scratch, model_dir, "qlora", a.steps))
    best = {k: max(v, key=lambda r: r["tokens_per_s"]) for k, v in runs.items()}
    res = {"measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "cpu": platform.processor() or platform.machine(),
           "shape": "llama-tiny", "batch": BATCH, "seq": SEQ, "steps": a.steps, "runs": runs, "best": best,
           "lora_ratio": best["weft_lora"]["tokens_per_s"] / best["torch_lora"]["tokens_per_s"],
           "qlora_vs_torch_qlora": best["weft_qlora"]["tokens_per_s"] / best["torch_qlora"]["tokens_per_s"],
           "qlora_vs_weft_lora": best["weft_qlora"]["tokens_per_s"] / best["weft_lora"]["tokens_per_s"]}
    with open(a.json, "w") as f:
        json.dump(res, f, indent=2)
    b = best
    print(f"| | PyTorch + peft tokens/s | Weft finetune stage tokens/s (whole stage) | ratio |")
    print(f"|---|---|---|---|")
    print(f"| LoRA r8, 8×256 | {b['torch_lora']['tokens_per_s']:,.0f} | {b['weft_lora']['tokens_per_s']:,.0f} (loop {b['weft_lora']['loop_tokens_per_s']:,.0f}) | {res['lora_ratio']:.2f}× |")
    print(f"| QLoRA NF4 | {b['torch_qlora']['tokens_per_s']:,.0f} | {b['weft_qlora']['tokens_per_s']:,.0f} (loop {b['weft_qlora']['loop_tokens_per_s']:,.0f}) | {res['qlora_vs_torch_qlora']:.2f}× |")
    print(f"QLoRA / LoRA (Weft): {res['qlora_vs_weft_lora']:.2f}×; quantised base {b['weft_qlora']['quantized_bytes_per_param']:.4f} bytes/param; "
          f"peak RSS LoRA {b['weft_lora']['peak_rss_mib']:.0f} / QLoRA {b['weft_qlora']['peak_rss_mib']:.0f} MiB (PyTorch {b['torch_lora']['peak_rss_mib']:.0f} / {b['torch_qlora']['peak_rss_mib']:.0f})")


if __name__ == "__main__":
    main()
