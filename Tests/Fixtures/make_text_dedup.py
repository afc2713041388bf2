"""Reference LSH band/row choices for WeftText's dedup stage.

Writes Tests/Fixtures/text/dedup/lsh_params.json: for each (threshold, num_perm) the
(bands, rows) that datasketch's MinHashLSH picks with equal false-positive and
false-negative weights (0.5/0.5), and the weighted error it minimises.

Run once with `pip install datasketch` (2.0.0 was used); the Swift tests never need Python.
"""
import json
import os

import datasketch
from datasketch.lsh import _false_negative_probability, _false_positive_probability, _optimal_param

CASES = [(t / 100, n) for n in (16, 32, 64, 128, 256) for t in (10, 30, 50, 60, 70, 75, 80, 85, 90, 95)]
CASES += [(0.6, 100), (0.85, 200), (0.75, 512)]

out = []
for threshold, num_perm in CASES:
    b, r = _optimal_param(threshold, num_perm, 0.5, 0.5)
    err = 0.5 * _false_positive_probability(threshold, b, r) + 0.5 * _false_negative_probability(threshold, b, r)
    out.append({"threshold": threshold, "num_perm": num_perm, "bands": b, "rows": r, "error": err})

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "text", "dedup", "lsh_params.json")
os.makedirs(os.path.dirname(path), exist_ok=True)
with open(path, "w") as f:
    json.dump({"datasketch": datasketch.__version__, "cases": out}, f, indent=1)
    f.write("\n")
print(path, len(out))
