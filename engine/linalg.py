"""Vectors and matrices as plain lists of Values: matvec, elementwise maps, sums, norms, outer."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .modes import name_scope
from .value import Value

#: A vector is a list of Values; a matrix is a list of rows, each a list of Values.
Vector = list[Value]
Matrix = list[list[Value]]


def vector(data: Sequence[float], name: str = "") -> Vector:
    """Leaves ``name[1] .. name[n]`` holding ``data`` (labels count from 1, as in the math).

    Args:
        data: the entries, as floats.
        name: the vector's name; empty leaves the labels empty.
    """
    if isinstance(data, str | bytes) or not isinstance(data, Sequence):
        raise TypeError(f"vector() needs a sequence of floats, got {data!r}")
    return [Value(x, label=f"{name}[{i}]" if name else "") for i, x in enumerate(data, start=1)]


def matrix(data: Sequence[Sequence[float]], name: str = "") -> Matrix:
    """Leaves ``name[i,j]`` (from 1) holding ``data``, a list of equally long rows.

    Args:
        data: the rows, each a sequence of floats.
        name: the matrix's name; empty leaves the labels empty.
    """
    if isinstance(data, str | bytes) or not isinstance(data, Sequence):
        raise TypeError(f"matrix() needs a sequence of rows, got {data!r}")
    rows = [list(row) for row in data]
    if rows and any(len(row) != len(rows[0]) for row in rows):
        lengths = [len(row) for row in rows]
        raise ValueError(f"matrix() needs rows of one length, got lengths {lengths}")
    return [
        [Value(x, label=f"{name}[{i},{j}]" if name else "") for j, x in enumerate(row, start=1)]
        for i, row in enumerate(rows, start=1)
    ]


def label(values: Sequence[Value], name: str) -> Vector:
    """Name the entries of a computed vector ``name[1] .. name[n]``; returns them as a list."""
    for i, v in enumerate(values, start=1):
        v.label = f"{name}[{i}]"
    return list(values)


def shape(m: Sequence[Sequence[Value]]) -> tuple[int, int]:
    """(rows, columns) of a matrix."""
    return len(m), (len(m[0]) if m else 0)


def _check_lengths(what: str, a: Sequence[object], b: Sequence[object]) -> None:
    if len(a) != len(b):
        raise ValueError(f"{what} needs equal lengths, got {len(a)} and {len(b)}")


def vsum(v: Sequence[Value]) -> Value:
    """v_1 + v_2 + ... + v_n, added left to right (n - 1 nodes; d sum / d v_i = 1).

    Starts from v_1, not from 0, so that no constant node enters the graph.
    """
    if not v:
        raise ValueError("vsum() needs at least one entry, got an empty vector")
    total = v[0]
    for item in v[1:]:
        total = total + item
    return total


def dot(a: Sequence[Value], b: Sequence[Value]) -> Value:
    """sum_i a_i b_i (n products and n - 1 sums; d/da_i = b_i, d/db_i = a_i)."""
    _check_lengths("dot()", a, b)
    return vsum([x * y for x, y in zip(a, b, strict=True)])


def matvec(m: Sequence[Sequence[Value]], x: Sequence[Value]) -> Vector:
    """The product M x: entry i is sum_j M[i,j] x_j (so d/dM[i,j] = x_j and d/dx_j = M[i,j]).

    An n x k matrix makes n k products and n (k - 1) sums.
    """
    rows, columns = shape(m)
    if columns != len(x):
        raise ValueError(
            f"matvec() needs a matrix with as many columns as the vector has entries, "
            f"got a {rows}x{columns} matrix and {len(x)} entries"
        )
    return [dot(row, x) for row in m]


def vmap(fn: Callable[[Value], Value], v: Sequence[Value]) -> Vector:
    """fn applied to each entry (``vmap(Value.sigmoid, y)``); the Jacobian is diagonal."""
    return [fn(item) for item in v]


def vadd(a: Sequence[Value], b: Sequence[Value]) -> Vector:
    """The sum a + b, entry by entry (d/da_i = d/db_i = 1)."""
    _check_lengths("vadd()", a, b)
    return [x + y for x, y in zip(a, b, strict=True)]


def squared_norm(v: Sequence[Value]) -> Value:
    """||v||^2 = sum_i v_i^2, with d/dv_i = 2 v_i (n squares and n - 1 sums)."""
    return vsum([item**2 for item in v])


def outer(a: Sequence[Value], b: Sequence[Value]) -> Matrix:
    """The matrix a b^T: entry (i, j) is a_i b_j."""
    return [[x * y for y in b] for x in a]


def data_of(m: Sequence[Sequence[Value]]) -> list[list[float]]:
    """The entries' ``.data`` as a list of lists of floats."""
    return [[item.data for item in row] for row in m]


def grad_of(m: Sequence[Sequence[Value]]) -> list[list[float]]:
    """The entries' ``.grad`` as a list of lists of floats."""
    return [[item.grad for item in row] for row in m]


def parameters(*blocks: Sequence[Sequence[Value]]) -> list[Value]:
    """Every entry of the given matrices, row by row, as one flat list."""
    return [item for block in blocks for row in block for item in row]


def abc_forward(
    x: Sequence[Value], a: Matrix, b: Matrix, c: Matrix
) -> tuple[Vector, Vector, Vector, Vector, Vector, Value]:
    """The A/B/C homework's graph: y = A x, u = sigma(y), v = B x, z = u + v, w = C z, L = ||w||^2.

    Each block of scalar nodes is made in its own scope (y, u, v, z, w, L) and the last node of
    each entry is labelled ``y[i]``, ``u[i]``, ..., so a drawing groups the scalars back into the
    vectors of the matrix form. ``demos.abc`` and the explorer's preset both build it here.

    Returns:
        (y, u, v, z, w, L).
    """
    with name_scope("y"):
        y = label(matvec(a, x), "y")
    with name_scope("u"):
        u = label(vmap(Value.sigmoid, y), "u")
    with name_scope("v"):
        v = label(matvec(b, x), "v")
    with name_scope("z"):
        z = label(vadd(u, v), "z")
    with name_scope("w"):
        w = label(matvec(c, z), "w")
    with name_scope("L"):
        loss = squared_norm(w)
    loss.label = "L"
    return y, u, v, z, w, loss
