#!/usr/bin/env python3
"""Weft's model core against PyTorch (transformers + peft), side by side in one run.

usage: Benchmarks/bench_models.py --weft .build/release/weft [--lock LOCKFILE] [--reps 2]
                                  [--only train,generate] [--configs NAME,...] [--json OUT.json] [--md OUT.md]
       Benchmarks/bench_models.py --table-from OUT.json [--md OUT.md]

PyTorch's side is ../shared/bench/torch (lora_bench.py, infer_bench.py), unchanged; Weft's
is `weft bench train` / `weft bench generate` on the same shapes, batch, sequence length,
LoRA rank and targets, 2 threads. The two alternate, each run under the benchmark lock
(flock) when one is given; each side's best run is reported (interference from other work
only ever slows a run down), every run is kept in the JSON.
"""

import argparse
import json
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TORCH = os.path.normpath(os.path.join(HERE, "..", "..", "shared", "bench", "torch"))

# name: (weft shape, method, PyTorch lora_bench config, extra weft args)
TRAIN = {
    "llama-tiny LoRA": ("llama-tiny", "lora", "llama-tiny-lora-fp32", []),
    "llama-tiny full": ("llama-tiny", "full", "llama-tiny-full-fp32", []),
    "smol-135m LoRA": ("smol-135m", "lora", "llama-smol135-lora-fp32", []),
    "smol-135m LoRA + checkpointing": ("smol-135m", "lora", "llama-smol135-lora-fp32-gc", ["--gradient-checkpointing"]),
    "gpt2-small LoRA": ("gpt2-small", "lora", "gpt2-small-lora-fp32", []),
    "minilm-cls LoRA": ("minilm-cls", "lora", "bert-minilm-cls-lora-fp32", []),
}
# name: (weft shape, PyTorch infer_bench model)
GENERATE = {"llama-tiny": ("llama-tiny", "llama-tiny"), "smol-135m": ("smol-135m", "llama-smol135"),
            "gpt2-small": ("gpt2-small", "gpt2-small")}


def run(cmd, lock):
    if lock:
        cmd = ["flock", lock] + cmd
    env = dict(os.environ, HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise SystemExit(f"failed ({p.returncode}): {' '.join(cmd)}\n{p.stderr[-2000:]}")
    return p.stdout


def torch_train(cfg, steps, lock, scratch):
    run([sys.executable, os.path.join(TORCH, "lora_bench.py"), "--config", cfg, "--steps", str(steps), "--warmup", "2",
         "--out-dir", scratch], lock)
    with open(os.path.join(scratch, cfg + ".json")) as f:
        r = json.load(f)
    return {"tokens_per_s": r["tokens_per_s"], "step_ms": r["step_s_median"] * 1000, "gflops": r["achieved_gflops"],
            "peak_rss_mib": r["peak_rss_mib"], "flops_per_token": r["flops_per_token"], "loss_first": r["loss_first"]}


def weft_train(weft, shape, method, extra, steps, lock):
    out = run([weft, "bench", "train", "--shape", shape, "--method", method, "--steps", str(steps), "--json"] + extra, lock)
    r = json.loads(out.strip().splitlines()[-1])
    return {"tokens_per_s": r["tokens_per_s"], "step_ms": r["step_ms"], "gflops": r["achieved_gflops"],
            "peak_rss_mib": r["peak_rss_mib"], "flops_per_token": r["flops_per_token"], "loss_first": r["loss_first"],
            "blas_core": r["blas_core"]}


def torch_generate(model, lock, scratch):
    run([sys.executable, os.path.join(TORCH, "infer_bench.py"), "--model", model, "--out-dir", scratch], lock)
    with open(os.path.join(scratch, model + ".json")) as f:
        r = json.load(f)
    return {"prefill_tokens_per_s": r["prefill_tokens_per_s"], "decode_tokens_per_s": r["decode_tokens_per_s"],
            "peak_rss_mib": r.get("peak_rss_mib")}


def weft_generate(weft, shape, lock):
    r = json.loads(run([weft, "bench", "generate", "--shape", shape, "--json"], lock).strip().splitlines()[-1])
    return {"prefill_tokens_per_s": r["prefill_tokens_per_s"], "decode_tokens_per_s": r["decode_tokens_per_s"],
            "peak_rss_mib": r["peak_rss_mib"]}


def best(runs, key):
    return max(runs, key=lambda r: r[key])


def table(res):
    lines = []
    m = res["machine"]
    lines.append(f"Measured {res['date_utc']} on {m['cpu']} ({m['cores']} cores), 2 threads each side; "
                 f"PyTorch {m.get('torch', '?')} (MKL fp32), Weft with OpenBLAS `{m.get('blas_core', '?')}` kernels; "
                 f"GEMM ceiling (`weft bench gemm`, 2048², 2 threads) {m.get('gemm_gflops', '?')} GFLOP/s. "
                 f"Best of {res['reps']} alternating runs per side.")
    lines.append("")
    if res.get("train"):
        lines.append("| training (fp32) | batch×seq | PyTorch tokens/s | Weft tokens/s | ratio (bar ≥ 1.5) | Weft GFLOP/s (MFU of ceiling) | peak RSS PyTorch / Weft MiB |")
        lines.append("|---|---|---|---|---|---|---|")
        for name, r in res["train"].items():
            t, w = best(r["torch"], "tokens_per_s"), best(r["weft"], "tokens_per_s")
            ratio = w["tokens_per_s"] / t["tokens_per_s"]
            mfu = w["gflops"] / m["gemm_gflops"] * 100 if m.get("gemm_gflops") else float("nan")
            rss_t = min(x["peak_rss_mib"] for x in r["torch"])
            rss_w = max(x["peak_rss_mib"] for x in r["weft"])
            lines.append(f"| {name} | {r['shape']} | {t['tokens_per_s']:,.0f} | {w['tokens_per_s']:,.0f} | "
                         f"{ratio:.2f}× {'✓' if ratio >= 1.5 else '✗'} | {w['gflops']:.0f} ({mfu:.0f}%) | {rss_t:,.0f} / {rss_w:,.0f} |")
        lines.append("")
    if res.get("generate"):
        lines.append("| generation, batch 1, fp32 | PyTorch prefill / decode tok/s | Weft prefill / decode tok/s | prefill ratio (≥ 1.5) | decode ratio (≥ 2) |")
        lines.append("|---|---|---|---|---|")
        for name, r in res["generate"].items():
            tp, wp = best(r["torch"], "prefill_tokens_per_s"), best(r["weft"], "prefill_tokens_per_s")
            td, wd = best(r["torch"], "decode_tokens_per_s"), best(r["weft"], "decode_tokens_per_s")
            rp, rd = wp["prefill_tokens_per_s"] / tp["prefill_tokens_per_s"], wd["decode_tokens_per_s"] / td["decode_tokens_per_s"]
            lines.append(f"| {name} (256 + 128) | {tp['prefill_tokens_per_s']:,.0f} / {td['decode_tokens_per_s']:,.1f} | "
                         f"{wp['prefill_tokens_per_s']:,.0f} / {wd['decode_tokens_per_s']:,.1f} | {rp:.2f}× {'✓' if rp >= 1.5 else '✗'} | "
                         f"{rd:.2f}× {'✓' if rd >= 2 else '✗'} |")
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--weft")
    ap.add_argument("--lock")
    ap.add_argument("--reps", type=int, default=2)
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--only", default="train,generate")
    ap.add_argument("--configs", help="comma-separated names of the TRAIN/GENERATE tables (default: all)")
    ap.add_argument("--scratch", default="/tmp/weft-bench-models")
    ap.add_argument("--json")
    ap.add_argument("--md")
    ap.add_argument("--table-from")
    a = ap.parse_args()
    if a.table_from:
        with open(a.table_from) as f:
            res = json.load(f)
    else:
        if not a.weft:
            ap.error("--weft is required")
        os.makedirs(a.scratch, exist_ok=True)
        wanted = set(a.configs.split(",")) if a.configs else None
        gemm = json.loads(run([a.weft, "bench", "gemm", "--json"], a.lock))
        # torch's version from a child: importing it here would inflate every child's ru_maxrss.
        torch_version = subprocess.run([sys.executable, "-c", "import torch; print(torch.__version__)"], capture_output=True,
                                       text=True).stdout.strip()
        res = {"date_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "reps": a.reps,
               "machine": {"cpu": next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), platform.processor()),
                           "cores": os.cpu_count(), "torch": torch_version, "gemm_gflops": gemm.get("gflops"),
                           "blas_core": gemm.get("core")},
               "train": {}, "generate": {}}
        if "train" in a.only:
            for name, (shape, method, cfg, extra) in TRAIN.items():
                if wanted and name not in wanted:
                    continue
                r = {"shape": None, "torch": [], "weft": []}
                for _ in range(a.reps):
                    r["torch"].append(torch_train(cfg, a.steps, a.lock, a.scratch))
                    r["weft"].append(weft_train(a.weft, shape, method, extra, a.steps, a.lock))
                b, t = {"llama-tiny": (8, 256), "smol-135m": (4, 256), "gpt2-small": (4, 256), "minilm-cls": (16, 128)}[shape]
                r["shape"] = f"{b}×{t}"
                res["train"][name] = r
                print(name, "torch", [round(x["tokens_per_s"]) for x in r["torch"]], "weft", [round(x["tokens_per_s"]) for x in r["weft"]], flush=True)
        if "generate" in a.only:
            for name, (shape, model) in GENERATE.items():
                if wanted and name not in wanted:
                    continue
                r = {"torch": [], "weft": []}
                for _ in range(a.reps):
                    r["torch"].append(torch_generate(model, a.lock, a.scratch))
                    r["weft"].append(weft_generate(a.weft, shape, a.lock))
                res["generate"][name] = r
                print(name, "torch", r["torch"], "weft", r["weft"], flush=True)
        if a.json:
            with open(a.json, "w") as f:
                json.dump(res, f, indent=1)
    md = table(res)
    print(md)
    if a.md:
        with open(a.md, "w") as f:
            f.write(md)


if __name__ == "__main__":
    main()
