"""Checks that a LoRA adapter Weft wrote loads in PEFT and gives Weft's logits.

Loads BASE with transformers, applies ADAPTER with `peft.PeftModel.from_pretrained`, runs a
fixed batch of token ids, and compares the logits with `weft model forward --model BASE
--adapter ADAPTER` on the same ids. Prints the max abs difference; exits 1 above --tol.
Run once by hand (the suite never needs Python); the fine-tuning stages' adapters are
checked the same way.

Usage: python3 Tests/Fixtures/verify_peft_adapter.py --base DIR --adapter DIR --weft .build/debug/weft
                                                     [--ids '[[1,5,9,2,7,3]]'] [--tol 1e-4]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

import torch
from peft import PeftModel
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--base", required=True)
    ap.add_argument("--adapter", required=True)
    ap.add_argument("--weft", required=True)
    ap.add_argument("--ids", default="[[1, 5, 9, 2, 7, 3], [4, 4, 8, 15, 16, 23]]")
    ap.add_argument("--tol", type=float, default=1e-4)
    a = ap.parse_args()
    ids = json.loads(a.ids)
    base = AutoModelForCausalLM.from_pretrained(a.base, torch_dtype=torch.float32)
    model = PeftModel.from_pretrained(base, a.adapter).eval()
    with torch.no_grad():
        ref = model(input_ids=torch.tensor(ids)).logits
    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, "logits.safetensors")
        ids_file = os.path.join(d, "ids.json")
        with open(ids_file, "w") as f:
            json.dump(ids, f)
        subprocess.run([a.weft, "model", "forward", "--model", a.base, "--adapter", a.adapter, "--input-ids", ids_file,
                        "--out", out], check=True, stdout=subprocess.DEVNULL)
        got = load_file(out)["logits"]
    diff = (got - ref).abs().max().item()
    print(json.dumps({"max_abs_diff": diff, "max_abs_logit": ref.abs().max().item(), "shape": list(ref.shape)}))
    sys.exit(0 if diff <= a.tol else 1)


if __name__ == "__main__":
    main()
