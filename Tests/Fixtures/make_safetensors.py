"""Writes the safetensors fixtures the WeftTensor tests read (run once; needs `pip install safetensors numpy`).

reference.safetensors: written by the safetensors library itself, with F32, F16, F64 and I64
tensors and metadata; nometa.safetensors: the same tensors without metadata; reference.json:
the same values as JSON, for the tests to compare.
"""
import json, os
import numpy as np
from safetensors.numpy import save_file

here = os.path.join(os.path.dirname(os.path.abspath(__file__)), "safetensors")
rng = np.random.default_rng(7)
tensors = {
    "model.embed.weight": rng.standard_normal((5, 3)).astype(np.float32),
    "model.layers.0.norm.weight": (1 + 0.1 * rng.standard_normal(3)).astype(np.float16),
    "model.scale": np.array([3.141592653589793, -2.5e-8], dtype=np.float64),
    "model.position_ids": np.arange(6, dtype=np.int64).reshape(1, 6),
    "empty": np.zeros((0, 4), dtype=np.float32),
}
save_file(tensors, os.path.join(here, "reference.safetensors"), metadata={"format": "pt", "note": "weft fixture"})
# Without metadata the header order is fixed (no hash-ordered metadata keys): Weft's writer must
# produce these exact bytes from the same tensors.
save_file(tensors, os.path.join(here, "nometa.safetensors"))
with open(os.path.join(here, "reference.json"), "w") as f:
    json.dump({k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.astype(np.float64).ravel().tolist()}
               for k, v in tensors.items()}, f, indent=1, sort_keys=True)
