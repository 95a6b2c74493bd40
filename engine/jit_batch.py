"""engine.jit's batch mode: NumPy arrays in place of numbers, one number per sample.

NumPy is never imported here: every function below is reached only after a caller passed an
array, so ``sys.modules["numpy"]`` is loaded by then.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager
from typing import Any

#: What the batch mode expects, said in every message about a batch that does not fit.
BATCH_RULE = (
    "Batch mode takes one array per scalar input, one number per sample (x0 = X[:, 0], "
    "x1 = X[:, 1], y = y); to pass a dataset as lists of samples, call with X.tolist() "
    "(numbers, traced like Values) and, for every sample's value, use .per_sample(...)"
)


def is_array(obj: object) -> bool:
    """Is ``obj`` a NumPy array? Asked without importing NumPy: if the caller made an array,
    NumPy is loaded already."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(obj, numpy.ndarray)


def quiet() -> AbstractContextManager[Any]:
    """``numpy.errstate(all="ignore")``: inf and nan are answers in the batch code, as in the
    scalar engine, not warnings."""
    return sys.modules["numpy"].errstate(all="ignore")


def as_batch(leaves: Sequence[Any]) -> tuple[list[Any], tuple[int, ...]]:
    """The leaves with every array made float64, and the batch shape the arrays broadcast to.

    Raises:
        TypeError: an array holds something other than real numbers (bools, complex, objects).
        ValueError: the arrays do not broadcast together, or the batch is empty.
    """
    numpy = sys.modules["numpy"]
    batch: list[Any] = []
    shapes: list[tuple[int, ...]] = []
    for leaf in leaves:
        if is_array(leaf):
            if leaf.dtype.kind not in "fiu":
                raise TypeError(
                    f"engine.jit: array arguments must hold real numbers (float or int dtype), "
                    f"got an array of dtype {leaf.dtype} and shape {leaf.shape}"
                )
            leaf = numpy.asarray(leaf, dtype=numpy.float64)
            shapes.append(leaf.shape)
        batch.append(leaf)
    try:
        shape: tuple[int, ...] = numpy.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(str(item) for item in shapes)
        raise ValueError(
            "engine.jit: the array arguments are one batch, so their shapes must broadcast to "
            f"one batch shape (the same length N, or 1); got shapes {listed}. {BATCH_RULE}"
        ) from None
    if math.prod(shape) == 0:
        raise ValueError(
            f"engine.jit: the array arguments broadcast to the empty batch shape {shape}; the "
            "mean over no samples is undefined"
        )
    return batch, shape


def sample(batch: Sequence[Any], shape: tuple[int, ...], index: int) -> list[Any]:
    """The leaves of one sample (flat ``index`` into the batch): each array becomes a float."""
    numpy = sys.modules["numpy"]
    return [
        float(numpy.broadcast_to(leaf, shape).flat[index]) if is_array(leaf) else leaf
        for leaf in batch
    ]


def batch_mean(values: Any, shape: tuple[int, ...]) -> float:
    """(1/N) sum_i values_i over the batch: ``values`` is an array that broadcasts to ``shape``,
    or a number when it is the same for every sample (then the number itself, exactly)."""
    numpy = sys.modules["numpy"]
    if numpy.ndim(values) == 0:
        return float(values)
    with quiet():  # inf and -inf samples: the mean is nan, as IEEE says
        return float(numpy.broadcast_to(values, shape).mean())


def per_sample_array(values: Any, shape: tuple[int, ...]) -> Any:
    """A per-sample quantity (array or number) as a float64 array of the batch shape."""
    numpy = sys.modules["numpy"]
    return numpy.array(numpy.broadcast_to(values, shape), dtype=numpy.float64)


def samples(shape: tuple[int, ...]) -> Iterator[tuple[int, str]]:
    """Every sample's flat index, and where it sits for a message (`` at sample (1, 0)``)."""
    numpy = sys.modules["numpy"]
    for index in range(math.prod(shape)):
        where = tuple(int(k) for k in numpy.unravel_index(index, shape))
        yield index, f" at sample {where[0] if len(where) == 1 else where}"


def flat(values: Any, shape: tuple[int, ...]) -> Any:
    """A per-sample quantity as a flat array over the batch, for reading sample by sample."""
    return sys.modules["numpy"].broadcast_to(values, shape).ravel()
