"""The A/B/C homework's forward pass and hand-derived gradients, in plain Python floats.

For x in R^K and K x K matrices A, B, C:

    y = A x,  u = sigma(y),  v = B x,  z = u + v,  w = C z,  L = ||w||^2

and, by hand (the homework's formulas; dL/dx is ours, for the x column):

    dL/dw = 2w              dL/dC = 2w z^T
    dL/dz = C^T 2w          dL/du = dL/dv = dL/dz
    dL/dB = dL/dv x^T       dL/dy = dL/du * sigma(y) (1 - sigma(y))   (elementwise)
    dL/dA = dL/dy x^T       dL/dx = A^T dL/dy + B^T dL/dv

``gradients`` computes 2w once (``dw``) and reuses it in dL/dC and dL/dz.

No engine here: these are the numbers the engine's backward must reproduce.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

Vec = list[float]
Mat = list[list[float]]


@dataclass(frozen=True)
class HandResult:
    """Every forward value and every gradient of one sample, as floats."""

    y: Vec
    u: Vec
    v: Vec
    z: Vec
    w: Vec
    L: float
    dw: Vec
    dz: Vec
    dy: Vec
    dA: Mat
    dB: Mat
    dC: Mat
    dx: Vec


def sigmoid(t: float) -> float:
    """1 / (1 + e^-t), written so that no exp overflows (the engine's formula)."""
    if t >= 0.0:
        return 1.0 / (1.0 + math.exp(-t))
    e = math.exp(t)
    return e / (1.0 + e)


def matvec(m: Mat, x: Vec) -> Vec:
    """M x, each entry summed left to right."""
    return [sum_left(row[j] * x[j] for j in range(len(x))) for row in m]


def matvec_t(m: Mat, x: Vec) -> Vec:
    """M^T x."""
    return [sum_left(m[i][j] * x[i] for i in range(len(x))) for j in range(len(m[0]))]


def outer(a: Vec, b: Vec) -> Mat:
    """a b^T."""
    return [[ai * bj for bj in b] for ai in a]


def sum_left(items: Iterable[float]) -> float:
    """A left-to-right float sum starting from the first item, as the engine's ``vsum`` adds."""
    total: float | None = None
    for item in items:
        total = item if total is None else total + item
    if total is None:
        raise ValueError("sum_left() needs at least one item")
    return total


def forward(x: Vec, a: Mat, b: Mat, c: Mat) -> float:
    """L = ||C (sigma(A x) + B x)||^2 for one sample, in floats."""
    z = [ui + vi for ui, vi in zip(map(sigmoid, matvec(a, x)), matvec(b, x), strict=True)]
    return sum_left(wi * wi for wi in matvec(c, z))


def gradients(x: Vec, a: Mat, b: Mat, c: Mat) -> HandResult:
    """The forward values and the hand-derived gradients (module docstring) at one point."""
    y = matvec(a, x)
    u = [sigmoid(t) for t in y]
    v = matvec(b, x)
    z = [ui + vi for ui, vi in zip(u, v, strict=True)]
    w = matvec(c, z)
    loss = sum_left(wi * wi for wi in w)
    dw = [2.0 * wi for wi in w]
    dc = outer(dw, z)
    dz = matvec_t(c, dw)
    du = dv = dz
    db = outer(dv, x)
    dy = [d * s * (1.0 - s) for d, s in zip(du, u, strict=True)]
    da = outer(dy, x)
    dx = [p + q for p, q in zip(matvec_t(a, dy), matvec_t(b, dv), strict=True)]
    return HandResult(y, u, v, z, w, loss, dw, dz, dy, da, db, dc, dx)
