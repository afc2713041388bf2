"""Write bitsandbytes reference cases for Weft's NF4 / int8 quantisers.

Writes Tests/Fixtures/quant/bnb_cases.json: for each weight (seeded normal values,
exact zeros, code-boundary ties, outliers, tail blocks, odd element counts) the
fp32 input, bitsandbytes' packed NF4 bytes, the nested 8-bit absmax codes, the
nested fp32 absmax and offset, the plain fp32 absmax (no double quantisation) and
the dequantised values of both variants; and for int8 the row-wise codes, row
stats and dequantised values. Float arrays are base64 of little-endian float32.

Reference: bitsandbytes 0.50.2 on the CPU (torch CPU build), Python 3.11.
Rerun: python3 Tests/Fixtures/make_quant_bnb.py (from the repository root).
"""
import base64
import json
import os

import numpy as np
import torch
import bitsandbytes.functional as F


def b64f(t):
    return base64.b64encode(t.detach().float().contiguous().numpy().astype("<f4").tobytes()).decode()


def b64u(t):
    return base64.b64encode(t.detach().contiguous().numpy().astype(np.uint8).tobytes()).decode()


def nf4_case(name, w, blocksize=64):
    q, st = F.quantize_4bit(w, blocksize=blocksize, compress_statistics=True, quant_type="nf4")
    deq = F.dequantize_4bit(q, st)
    q2, st2 = F.quantize_4bit(w, blocksize=blocksize, compress_statistics=False, quant_type="nf4")
    deq2 = F.dequantize_4bit(q2, st2)
    assert torch.equal(q, q2)
    case = {
        "name": name, "shape": list(w.shape), "blocksize": blocksize,
        "input": b64f(w), "packed": b64u(q.reshape(-1)),
        "absmax": b64f(st2.absmax), "dequant_plain": b64f(deq2),
        "nested_codes": b64u(st.absmax), "nested_absmax": b64f(st.state2.absmax),
        "offset": b64f(st.offset.reshape(1)), "dequant": b64f(deq),
        "nested_quant_map": b64f(st.state2.code), "quant_map": b64f(st.code),
    }
    if w.numel() > 4096:       # keeps the file small; the plain path is covered by the smaller cases
        del case["dequant_plain"]
    return case


def int8_case(name, w):
    q, stats, _ = F.int8_vectorwise_quant(w.clone())
    deq = F.int8_vectorwise_dequant(q, stats)
    return {"name": name, "shape": list(w.shape), "input": b64f(w),
            "codes": b64u(q.view(torch.uint8)), "stats": b64f(stats), "dequant": b64f(deq)}


def main():
    cases = []
    g = torch.Generator().manual_seed(0)
    cases.append(nf4_case("normal_64x64", torch.randn(64, 64, generator=g) * 0.02))
    w = torch.randn(96, 64, generator=torch.Generator().manual_seed(1))
    w[3, :] = 0.0                      # an all-zero block
    w[5, 7] = 0.0
    w[10, 10] = 40.0                   # outliers
    w[50, 1] = -55.0
    cases.append(nf4_case("zeros_outliers_96x64", w))
    cases.append(nf4_case("blocks_7x64", torch.randn(7, 64, generator=torch.Generator().manual_seed(2)) * 3))
    cases.append(nf4_case("tail_7x10", torch.randn(7, 10, generator=torch.Generator().manual_seed(3))))
    cases.append(nf4_case("odd_3x7", torch.randn(3, 7, generator=torch.Generator().manual_seed(4))))
    cases.append(nf4_case("single_block_1x64", torch.randn(1, 64, generator=torch.Generator().manual_seed(5))))
    cases.append(nf4_case("blocksize128_16x40", torch.randn(16, 40, generator=torch.Generator().manual_seed(6)), 128))
    # ties: every value sits exactly on a float32 midpoint between two NF4 codes (block absmax 1)
    code = F.get_4bit_type("nf4", device="cpu")
    mids = ((code[:-1] + code[1:]) / 2)
    t = torch.cat([mids, -mids, code, torch.tensor([1.0, -1.0, 0.5, -0.5])])
    t = torch.cat([t, torch.zeros(64 - t.numel() % 64)]).reshape(-1, 64) if t.numel() % 64 else t.reshape(-1, 64)
    t[:, 0] = 1.0
    cases.append(nf4_case("ties_on_midpoints", t))
    # many blocks (> 256 absmax values (blocksize 32): two nested blocks, the second a tail)
    cases.append(nf4_case("nested_tail_260x32_bs32", torch.randn(260, 32, generator=torch.Generator().manual_seed(7)) * torch.linspace(0.01, 2, 260).view(-1, 1), 32))

    int8 = []
    int8.append(int8_case("normal_32x48", torch.randn(32, 48, generator=torch.Generator().manual_seed(10))))
    w = torch.randn(8, 16, generator=torch.Generator().manual_seed(11))
    w[2, :] = 0.0
    w[4, 3] = 100.0
    w[6, :] = torch.tensor([0.5, -1.0] * 8)        # x*127 lands on .5 -> ties to even
    w[7, :] = torch.linspace(-1, 1, 16)
    int8.append(int8_case("zeros_ties_8x16", w))

    out = {"bitsandbytes": "0.50.2", "nf4": cases, "int8": int8}
    path = os.path.join(os.path.dirname(__file__), "quant", "bnb_cases.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
