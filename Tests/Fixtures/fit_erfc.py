#!/usr/bin/env python3
"""Fits the polynomial Weft's vectorised erfc uses (VectorMath.erfc): for a ≥ 0,

    erfc(a) = t·P(t)·exp(−a²),   t = 1/(1 + 0.6·a),   P of degree 10,

by weighted least squares re-weighted toward the minimax relative error (Lawson's
iteration) on a ∈ [0, 10], against scipy's erfcx (= erfc·exp(a²), no underflow).
Prints the coefficients (lowest degree first) and the worst relative error when
evaluated in float32 as the kernel does. Run once; the numbers are in VectorMath.swift.
"""
import numpy as np
from scipy.special import erfc, erfcx

P_SCALE, DEGREE = 0.6, 10
a = np.linspace(0, 10, 20001)
t = 1 / (1 + P_SCALE * a)
f = erfcx(a) / t
V = np.vander(t, DEGREE + 1, increasing=True)
w = np.ones_like(a)
for _ in range(60):
    sw = np.sqrt(w)
    c, *_ = np.linalg.lstsq(V * (sw / f)[:, None], sw, rcond=None)
    rel = np.abs(V @ c / f - 1)
    w = w * (rel + 1e-18)
    w /= w.sum()

a32 = np.linspace(0, 9.3, 200001).astype(np.float32)
t32 = np.float32(1) / (np.float32(1) + np.float32(P_SCALE) * a32)
p = np.zeros_like(t32)
for k in reversed(range(DEGREE + 1)):
    p = p * t32 + np.float32(c[k])
e32 = t32 * p * np.exp(-(a32.astype(np.float64) ** 2)).astype(np.float32)
ref = erfc(a32.astype(np.float64))
ok = ref > 1e-37
print("coefficients:", [float(x) for x in c])
print("worst relative error (float32):", float(np.max(np.abs(e32[ok] / ref[ok] - 1))))
