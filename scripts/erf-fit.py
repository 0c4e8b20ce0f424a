#!/usr/bin/env python3
"""Fits erf(z) ≈ z·P(z²)/Q(z²) on [0, 4] for the GELU kernels (runtime/kernels/math.go).

Weighted linear least squares on Chebyshev nodes, reweighted by 1/Q from the previous
round (Loeb's iteration), in 40-digit arithmetic (mpmath). Prints the error of the fit
and the coefficients as float32 values and bits. Usage: scripts/erf-fit.py [NP NQ]
(coefficients of P and of Q; default 7 6, the ones in use).
"""
import struct
import sys

import mpmath as mp

mp.mp.dps = 40
NP, NQ = (int(sys.argv[1]), int(sys.argv[2])) if len(sys.argv) > 2 else (7, 6)
L, N = 4, 300
xs = [L * (1 - mp.cos(mp.pi * (i + 0.5) / N)) / 2 for i in range(N)]
fs = [mp.erf(x) for x in xs]
w = [mp.mpf(1)] * N
for _ in range(8):
    rows, rhs = [], []
    for x, f, wi in zip(xs, fs, w):
        x2 = x * x
        rows.append([x * x2**j * wi for j in range(NP)] + [-f * x2**j * wi for j in range(1, NQ)])
        rhs.append(f * wi)
    sol, _ = mp.qr_solve(mp.matrix(rows), mp.matrix(rhs))
    p = [sol[j] for j in range(NP)]
    q = [mp.mpf(1)] + [sol[NP + j] for j in range(NQ - 1)]

    def P(x2):
        return sum(c * x2**j for j, c in enumerate(p))

    def Q(x2):
        return sum(c * x2**j for j, c in enumerate(q))

    w = [1 / abs(Q(x * x)) for x in xs]

err = max(abs(x * P(x * x) / Q(x * x) - mp.erf(x)) for x in (mp.mpf(L) * i / 4000 for i in range(4001)))
print("max |fit − erf| on [0, %g]: %s" % (L, mp.nstr(err, 3)))


def f32(v):
    b = struct.pack("<f", float(v))
    return struct.unpack("<f", b)[0], "0x%08x" % struct.unpack("<I", b)[0]


for name, cs in (("P", p), ("Q", q)):
    print(name, ", ".join("%.8g (%s)" % f32(c) for c in cs))
