"""Write the `weft quantize` fixture: a small safetensors input and the tensors
bitsandbytes/transformers save for it.

Tests/Fixtures/quant/cli_in.safetensors: two 2-D fp32 weights (one with an odd
element count and a partial last block), a 1-D norm weight and an int64 tensor
(both copied unchanged by the command).
For each variant, Tests/Fixtures/quant/cli_<variant>.safetensors holds exactly the
tensors a `Linear4bit` / `Linear8bitLt` module adds to a state dict
(`QuantState.as_dict(packed=True)` under `<weight>.`, resp. `<module>.SCB` and
`<module>.weight_format`), plus the copied tensors:
  nf4_dq       --method nf4 --double-quant          (blocksize 64)
  nf4_bs128    --method nf4 --blocksize 128         (no double quantisation)
  int8         --method int8
Reference: bitsandbytes 0.50.2 (CPU), torch 2.15, safetensors; Python 3.11.
Rerun: python3 Tests/Fixtures/make_quant_cli.py (from the repository root).
"""
import os

import torch
import bitsandbytes.functional as F
from safetensors.torch import save_file

HERE = os.path.join(os.path.dirname(__file__), "quant")


def inputs():
    g = torch.Generator().manual_seed(30)
    return {
        "model.layers.0.self_attn.q_proj.weight": torch.randn(64, 96, generator=g) * 0.05,
        "model.layers.0.mlp.down_proj.weight": torch.randn(33, 17, generator=g),
        "model.norm.weight": torch.ones(96) + 0.01 * torch.randn(96, generator=g),
        "position_ids": torch.arange(12, dtype=torch.int64),
    }


def nf4(w, blocksize, double):
    q, st = F.quantize_4bit(w, blocksize=blocksize, compress_statistics=double, quant_type="nf4")
    return q, st.as_dict(packed=True)


def main():
    src = inputs()
    save_file(src, os.path.join(HERE, "cli_in.safetensors"))
    for variant, bs, dq in (("nf4_dq", 64, True), ("nf4_bs128", 128, False)):
        out = {}
        for name, w in src.items():
            if w.dim() == 2 and w.is_floating_point():
                q, d = nf4(w, bs, dq)
                out[name] = q
                for k, v in d.items():
                    out[name + "." + k] = v.contiguous()
            else:
                out[name] = w
        save_file(out, os.path.join(HERE, "cli_" + variant + ".safetensors"))
    out = {}
    for name, w in src.items():
        if w.dim() == 2 and w.is_floating_point():
            q, scb, _ = F.int8_vectorwise_quant(w.clone())
            prefix = name[: -len("weight")]
            out[name] = q
            out[prefix + "SCB"] = scb
            out[prefix + "weight_format"] = torch.tensor(0, dtype=torch.uint8)
        else:
            out[name] = w
    save_file(out, os.path.join(HERE, "cli_int8.safetensors"))
    for f in sorted(os.listdir(HERE)):
        if f.startswith("cli_"):
            print(f, os.path.getsize(os.path.join(HERE, f)))


if __name__ == "__main__":
    main()
