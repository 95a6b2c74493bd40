"""The A/B/C graph on Values: L = ||C (sigma(A x) + B x)||^2, its random samples and its size."""

from __future__ import annotations

import random
from dataclasses import dataclass

from demos.abc_hand import Mat, Vec
from engine import Value, linalg
from engine.linalg import Matrix, Vector


@dataclass(frozen=True)
class AbcGraph:
    """One sample's graph: the leaves x, A, B, C, every intermediate vector and the loss L."""

    x: Vector
    A: Matrix
    B: Matrix
    C: Matrix
    y: Vector
    u: Vector
    v: Vector
    z: Vector
    w: Vector
    L: Value


def build(x: Vector, a: Matrix, b: Matrix, c: Matrix) -> AbcGraph:
    """L = ||C (sigma(A x) + B x)||^2 on Values, each block of scalar nodes in its own scope.

    The scopes y, u, v, z, w (and L) let a drawing group the scalar nodes back into the vectors
    of the matrix form; the last node of each entry is labelled ``y[i]``, ``u[i]``, ...
    """
    y, u, v, z, w, loss = linalg.abc_forward(x, a, b, c)
    return AbcGraph(x, a, b, c, y, u, v, z, w, loss)


def random_matrix(k: int, rng: random.Random) -> Mat:
    """A K x K matrix with entries uniform in [-1, 1)."""
    return [[rng.uniform(-1.0, 1.0) for _ in range(k)] for _ in range(k)]


def random_point(k: int, seed: int) -> tuple[Vec, Mat, Mat, Mat]:
    """x, A, B, C for one sample, entries uniform in [-1, 1), drawn from ``Random(seed)``."""
    if isinstance(k, bool) or not isinstance(k, int) or k < 1:
        raise ValueError(f"K must be a positive int, got {k!r}")
    rng = random.Random(seed)
    x = [rng.uniform(-1.0, 1.0) for _ in range(k)]
    return x, random_matrix(k, rng), random_matrix(k, rng), random_matrix(k, rng)


def build_from_floats(x: Vec, a: Mat, b: Mat, c: Mat) -> AbcGraph:
    """Leaves labelled ``x[i]``, ``A[i,j]``, ... holding the given floats, and the graph on them."""
    return build(linalg.vector(x, "x"), linalg.matrix(a, "A"), linalg.matrix(b, "B"),
                 linalg.matrix(c, "C"))


def sample_graph(k: int = 2, seed: int = 0) -> Value:
    """L for one random sample of size ``k``, every node labelled or scoped (for drawings)."""
    return build_from_floats(*random_point(k, seed)).L


def abc_ops(k: int) -> int:
    """Op nodes in one sample's graph: 3 matvecs of K^2 products and K(K - 1) sums, K sigmoids,
    K sums for z, K squares and K - 1 sums for L: 6K^2 + K - 1."""
    return 6 * k * k + k - 1
