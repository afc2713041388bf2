"""Write bitsandbytes reference cases for Weft's NF4 / int8 quantisers.

Writes Tests/Fixtures/quant/bnb_cases.json: for each weight (seeded normal values,
exact zeros, code-boundary ties, outliers, tail blocks, odd element counts) the
fp32 input, bitsandbytes' packed NF4 bytes, the nested 8-bit absmax codes, the
nested fp32 absmax and offset, the plain fp32 absmax (no double quantisation) and
the dequantised values of both variants; and for int8 the row-wise codes, row
stats and dequantised values. Float arrays are base64 of little-endian float32.
"torch_mean" holds torch's float32 mean (the double-quantisation offset is
`absmax.mean()`) of formula-generated positive values, per size and torch
thread count: value i = ((i * 2654435761 mod 2^32) >> 12) + 1) * 2^-20, exact in
float32, so the Swift test regenerates them without storing the inputs.

Reference: bitsandbytes 0.50.2 on the CPU (torch CPU build), Python 3.11.
Also writes Tests/Fixtures/quant/bnb_dynamic.json: bitsandbytes' CPU
quantize_blockwise (the 8-bit dynamic code the nested absmax uses) on 2048 values
chosen near code midpoints, near zero and at random, in blocks of 256 with
different absmax values: input, codes and absmax.

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


def formula_values(n):
    i = np.arange(n, dtype=np.uint64)
    k = ((i * np.uint64(2654435761)) % np.uint64(1 << 32)) >> np.uint64(12)
    return ((k + np.uint64(1)).astype(np.float32) * np.float32(2.0 ** -20)).astype(np.float32)


def torch_mean_cases():
    out = []
    before = torch.get_num_threads()
    for threads in (1, 2, 3):
        torch.set_num_threads(threads)
        for n in (1, 7, 8, 9, 31, 100, 2752, 13824, 32767, 32768, 40000, 100001, 704512):
            m = torch.from_numpy(formula_values(n)).mean()
            out.append({"n": n, "threads": threads, "mean": b64f(m.reshape(1))})
    torch.set_num_threads(before)
    return out


def dynamic_case():
    code = F.create_dynamic_map(signed=True)
    mids = (code[:-1] + code[1:]) / 2
    g = torch.Generator().manual_seed(20)
    jitter = (torch.rand(255, generator=g) - 0.5) * 6e-5
    parts = [mids + jitter, -(mids + jitter.flip(0)), torch.randn(512, generator=g) * 0.3,
             (torch.rand(512, generator=g) - 0.5) * 1e-4, code, torch.linspace(-1, 1, 258)]
    v = torch.cat(parts)[:2048].float()
    v = torch.cat([v, torch.zeros(2048 - v.numel())]) if v.numel() < 2048 else v
    v = v.reshape(8, 256)
    v[:, 0] = torch.tensor([1.0, -1.0, 0.5, 2.0, 1e-3, -3.0, 1.0, 0.0])   # block absmax values
    v[7, :] = 0.0                                                         # an all-zero block
    v = v.reshape(-1).contiguous()
    q, st = F.quantize_blockwise(v, blocksize=256)
    return {"bitsandbytes": "0.50.2", "input": b64f(v), "codes": b64u(q), "absmax": b64f(st.absmax)}


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

    out = {"bitsandbytes": "0.50.2", "nf4": cases, "int8": int8, "torch_mean": torch_mean_cases()}
    path = os.path.join(os.path.dirname(__file__), "quant", "bnb_cases.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=0)
    print(path, os.path.getsize(path), "bytes")
    path = os.path.join(os.path.dirname(__file__), "quant", "bnb_dynamic.json")
    with open(path, "w") as f:
        json.dump(dynamic_case(), f, indent=0)
    print(path, os.path.getsize(path), "bytes")


if __name__ == "__main__":
    main()
