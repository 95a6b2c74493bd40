"""engine.jit: record a function's graph once, then replay it as generated straight-line Python."""

from __future__ import annotations

import functools
import math
import numbers
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from .codegen import Generated, JitError, Program, generate
from .functional import grad
from .graph import topological_order
from .modes import MODE, cyclic_gc_paused
from .value import Value, _as_float, _make_node

__all__ = ["JitError", "JitFunction", "JitMismatchError", "TraceInfo", "jit"]


class JitMismatchError(JitError):
    """``check=True`` found the compiled code and an eager run disagreeing."""


@dataclass(frozen=True)
class TraceInfo:
    """What one trace recorded and what it cost.

    Attributes:
        source: the generated Python (forward, then backward), node labels as names.
        nodes: nodes in the recorded graph, leaves included.
        forward_lines: one per non-leaf node.
        backward_lines: one per node whose gradient is a sum of terms.
        edges: the terms of those sums, one per edge that carries a gradient.
        arguments: argument leaves the graph reads (Values and numbers).
        captured: Values the function reached without being given them (parameters), read by
            reference on every call.
        constants: leaves written into the code as numbers.
        trace_seconds: running the function eagerly to record the graph.
        compile_seconds: writing the source and ``compile()``-ing it.
        batch: the code is the batch variant, traced for NumPy array arguments.
    """

    source: str
    nodes: int
    forward_lines: int
    backward_lines: int
    edges: int
    arguments: int
    captured: int
    constants: int
    trace_seconds: float
    compile_seconds: float
    batch: bool = False


# --- argument structure ------------------------------------------------------------------------

_VALUE = "Value"
_NUMBER = "number"
_ARRAY = "array"


def _is_array(obj: object) -> bool:
    """Is ``obj`` a NumPy array? Asked without importing NumPy: if the caller made an array,
    NumPy is loaded already."""
    numpy = sys.modules.get("numpy")
    return numpy is not None and isinstance(obj, numpy.ndarray)


def _is_number(obj: object) -> bool:
    """An int or float (subclasses too) or another real scalar (numpy.float32, numpy.int64,
    Fraction): a traced number, not a static argument that would retrace for every value."""
    return isinstance(obj, numbers.Real) and not isinstance(obj, bool)


def _flatten(obj: object, leaves: list[Any]) -> object:
    """The structure key of one argument; its Values and numbers are appended to ``leaves``.

    Values, numbers (int, float) and NumPy arrays (a batch of numbers) are the traced leaves;
    lists and tuples are walked; anything else (None, a bool, a string, a model object) is
    static: part of the key, by equality. An array's shape is not part of the key.
    """
    kind = type(obj)
    if kind is float or kind is int or isinstance(obj, Value):
        leaves.append(obj)
        return _VALUE if isinstance(obj, Value) else _NUMBER
    if kind is list or kind is tuple:
        return (kind, tuple([_flatten(item, leaves) for item in obj]))  # type: ignore[attr-defined]
    if _is_number(obj):
        leaves.append(obj)
        return _NUMBER
    if _is_array(obj):
        leaves.append(obj)
        return _ARRAY
    try:
        hash(obj)
    except TypeError:
        raise TypeError(
            f"engine.jit: argument {obj!r} ({kind.__name__}) is not a Value, number, list or "
            "tuple, and it cannot be a static argument because it is not hashable"
        ) from None
    return ("static", kind, obj)


def _rebuild(obj: object, leaves: Any) -> object:
    """``obj`` with each Value, number or array replaced by the next item of ``leaves`` (an
    iterator)."""
    kind = type(obj)
    if kind is list:
        return [_rebuild(item, leaves) for item in obj]  # type: ignore[attr-defined]
    if kind is tuple:
        return tuple(_rebuild(item, leaves) for item in obj)  # type: ignore[attr-defined]
    if isinstance(obj, Value) or _is_number(obj):
        return next(leaves)
    if _is_array(obj):
        return next(leaves)
    return obj


def _leaf_data(leaf: object) -> float:
    return leaf.data if isinstance(leaf, Value) else _as_float(leaf)


def _fresh_leaves(leaves: Sequence[object]) -> list[Value]:
    """A new leaf per argument leaf, so a recorded graph stops at the arguments even when a
    Value passed in has a history of its own."""
    return [
        Value(leaf.data, label=leaf.label) if isinstance(leaf, Value) else Value(_as_float(leaf))
        for leaf in leaves
    ]


def _call_with(fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any],
               fresh: list[Value]) -> Any:
    """Run ``fn`` on the arguments with their leaves replaced by ``fresh``, recording a graph
    even inside ``no_grad()``."""
    stream = iter(fresh)
    new_args = _rebuild(args, stream)
    new_kwargs = {name: _rebuild(kwargs[name], stream) for name in sorted(kwargs)}
    previous = MODE.grad_enabled
    MODE.grad_enabled = True
    try:
        return fn(*new_args, **new_kwargs)  # type: ignore[misc]
    finally:
        MODE.grad_enabled = previous


# --- batches: NumPy arrays in place of numbers ---------------------------------------------------


def _as_batch(leaves: Sequence[Any]) -> tuple[list[Any], tuple[int, ...]]:
    """The leaves with every array made float64, and the batch shape the arrays broadcast to.

    Raises:
        TypeError: an array holds something other than real numbers (bools, complex, objects).
        ValueError: the arrays do not broadcast together, or the batch is empty.
    """
    numpy = sys.modules["numpy"]  # loaded: the caller passed an array
    batch: list[Any] = []
    shapes: list[tuple[int, ...]] = []
    for leaf in leaves:
        if _is_array(leaf):
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
            f"one batch shape (the same length N, or 1); got shapes {listed}"
        ) from None
    if math.prod(shape) == 0:
        raise ValueError(
            f"engine.jit: the array arguments broadcast to the empty batch shape {shape}; the "
            "mean over no samples is undefined"
        )
    return batch, shape


def _sample(batch: Sequence[Any], shape: tuple[int, ...], index: int) -> list[Any]:
    """The leaves of one sample (flat ``index`` into the batch): each array becomes a float."""
    numpy = sys.modules["numpy"]
    return [
        float(numpy.broadcast_to(leaf, shape).flat[index]) if _is_array(leaf) else leaf
        for leaf in batch
    ]


def _mean(values: Any, shape: tuple[int, ...]) -> float:
    """The mean over the batch of a per-sample quantity: an array that broadcasts to ``shape``,
    or a number when it is the same for every sample (then the number itself, exactly)."""
    numpy = sys.modules["numpy"]
    if numpy.ndim(values) == 0:
        return float(values)
    with numpy.errstate(all="ignore"):  # inf and -inf samples: the mean is nan, as IEEE says
        return float(numpy.broadcast_to(values, shape).mean())


class _BatchRun:
    """The batch code for one call: per-sample values and gradients, and the jitted node's
    local-derivative rule, d mean / d leaf = the mean over the batch of d output / d leaf.

    Every step runs under ``numpy.errstate(all="ignore")``: inf and nan are answers here, as
    in the scalar engine, not warnings. Holds the generator, never the node (no cycle).
    """

    __slots__ = ("_grads", "_per_sample", "_run", "shape")

    def __init__(self, run: Any, shape: tuple[int, ...]) -> None:
        self._run = run
        self.shape = shape
        self._per_sample: tuple[Any, ...] | None = None
        self._grads: tuple[float, ...] | None = None

    def forward(self) -> Any:
        """The output for every sample (an array, or a float when no array reaches it)."""
        with sys.modules["numpy"].errstate(all="ignore"):
            return next(self._run)

    def per_sample(self) -> tuple[Any, ...]:
        """d output / d leaf for every sample, one array (or float) per leaf."""
        if self._per_sample is None:
            with sys.modules["numpy"].errstate(all="ignore"):
                self._per_sample = next(self._run)
            self._run = None  # frees the forward intermediates
        return self._per_sample

    def __call__(self, node: Value | None = None, upstream: float = 1.0) -> tuple[float, ...]:
        if self._grads is None:
            self._grads = tuple(_mean(g, self.shape) for g in self.per_sample())
        return tuple([derivative * upstream for derivative in self._grads])


# --- telling parameters from constants -----------------------------------------------------------


def _refcounts(items: list[Value]) -> list[int]:
    return [sys.getrefcount(item) for item in items]


def _edge_counts(order: list[Value]) -> dict[int, int]:
    """How many times each node (by id) is a parent in the graph."""
    counts: dict[int, int] = {}
    for node in order:
        for parent in node._prev:
            counts[id(parent)] = counts.get(id(parent), 0) + 1
    return counts


def _held_elsewhere(candidates: list[Value], order: list[Value], root: Value) -> list[bool]:
    """For each leaf that was not passed in: does anything besides the recorded graph hold it?

    A parameter is held by its model (or a closure, a list, a global): it is read by reference
    on every call. A leaf only the graph holds (the constant an op made for ``x * 2.0``, a Value
    the function made and dropped) can never change or be seen again, so its number is written
    into the code. The count is calibrated on an object held only by a list, so the answer does
    not depend on how this Python version counts references; any doubt says "held".
    """
    in_edges = _edge_counts(order)  # in a function of its own: its loop variables are gone
    baseline = _refcounts([Value(0.0)])[0]
    counts = _refcounts(candidates)
    held = []
    for leaf, count in zip(candidates, counts, strict=True):
        # References we know of: one in ``order``, one per edge, ``root`` if it is the leaf.
        known = 1 + in_edges.get(id(leaf), 0) + (1 if leaf is root else 0)
        held.append(count - baseline - known != 0)
    return held


# --- the compiled entry for one argument structure -----------------------------------------------


class _Backward:
    """The jitted node's local-derivative rule: resumes the compiled generator once for
    d output / d leaf and keeps the answer. Holds the generator, never the node (no cycle)."""

    __slots__ = ("_grads", "_run")

    def __init__(self, run: Any) -> None:
        self._run = run
        self._grads: tuple[float, ...] | None = None

    def __call__(self, node: Value | None = None, upstream: float = 1.0) -> tuple[float, ...]:
        if self._grads is None:
            self._grads = next(self._run)
            self._run = None  # frees the forward intermediates
        return tuple([derivative * upstream for derivative in self._grads])


@dataclass(eq=False)
class _Entry:
    """One compiled trace: the program and how to feed it from a call's arguments."""

    program: Program
    input_slots: list[int]  # argument leaves the code reads, by position in the flat leaves
    captured: list[Value]  # parameters, read by reference
    parent_slots: list[int]  # argument leaves that are parents of the result (Values in graph)
    captured_parents: tuple[Value, ...]
    label: str
    info: TraceInfo
    batch: bool  # the program is the batch variant, for calls with array arguments


class JitFunction:
    """A function compiled by ``engine.jit``; call it as the function itself (with NumPy
    arrays for a batch: the Value of the batch mean; ``per_sample`` for every sample's value).

    Attributes:
        traces: how many times the function was traced (once per argument structure).
        check: replay every call eagerly next to the compiled code and raise on a difference.
    """

    def __init__(self, fn: Callable[..., Value], *, check: bool = False) -> None:
        if not callable(fn):
            raise TypeError(f"engine.jit needs a function, got {fn!r} ({type(fn).__name__})")
        functools.update_wrapper(self, fn)
        self.__name__: str = getattr(fn, "__name__", type(fn).__name__)
        self._fn = fn
        self.check = check
        self.traces = 0
        self._cache: dict[object, _Entry] = {}
        self._last: _Entry | None = None

    @property
    def info(self) -> TraceInfo:
        """The latest trace's ``TraceInfo`` (raises ValueError before the first call)."""
        if self._last is None:
            raise ValueError(
                f"{self.__name__} has not been traced yet: call it once, then read .info/.source"
            )
        return self._last.info

    @property
    def source(self) -> str:
        """The Python the latest trace generated: forward lines, then the chain rule."""
        return self.info.source

    def __repr__(self) -> str:
        return f"jit({self.__name__}, traces={self.traces}, check={self.check})"

    def __call__(self, *args: Any, **kwargs: Any) -> Value:
        leaves: list[Any] = []
        key = (
            _flatten(args, leaves),
            tuple((name, _flatten(kwargs[name], leaves)) for name in sorted(kwargs)),
        )
        entry = self._cache.get(key)
        if entry is None:
            with cyclic_gc_paused():  # a big graph and its source hold no cycles to find
                entry = self._trace(args, kwargs, leaves)
            self._cache[key] = entry
        self._last = entry
        if entry.batch:
            return self._call_batch(args, kwargs, leaves, entry)
        data = [_leaf_data(leaves[slot]) for slot in entry.input_slots]
        data += [p.data for p in entry.captured]
        run = entry.program(data)
        out: float = next(run)  # type: ignore[assignment]
        rule = _Backward(run)
        parents = tuple(leaves[slot] for slot in entry.parent_slots) + entry.captured_parents
        node = _make_node(out, parents, "jit", rule)
        node.label = entry.label
        if self.check:
            self._compare(args, kwargs, leaves, entry, out, rule, _same)
        return node

    def _run_batch(self, leaves: list[Any], entry: _Entry) -> tuple[_BatchRun, list[Any]]:
        """Start the batch code on a call's leaves: the run and the leaves (arrays float64)."""
        batch, shape = _as_batch(leaves)
        data = [
            leaf if _is_array(leaf) else _leaf_data(leaf)
            for leaf in (batch[slot] for slot in entry.input_slots)
        ]
        data += [p.data for p in entry.captured]
        return _BatchRun(entry.program(data), shape), batch

    def _call_batch(self, args: tuple[Any, ...], kwargs: dict[str, Any], leaves: list[Any],
                    entry: _Entry) -> Value:
        """A call with array arguments: the Value of the batch mean (see ``jit``)."""
        run, batch = self._run_batch(leaves, entry)
        per_sample = run.forward()
        parents = tuple(leaves[slot] for slot in entry.parent_slots) + entry.captured_parents
        node = _make_node(_mean(per_sample, run.shape), parents, "jit mean", run)
        node.label = entry.label
        if self.check:
            self._compare_batch(args, kwargs, batch, entry, run, per_sample)
        return node

    def _compare_batch(self, args: tuple[Any, ...], kwargs: dict[str, Any], batch: list[Any],
                       entry: _Entry, run: _BatchRun, per_sample: Any) -> None:
        """``check=True`` for a batch: every sample run eagerly and compared with its value
        and gradients in the batch, to ``_close`` (NumPy's exp, log and tanh may round the
        last bit apart from the C library's)."""
        numpy = sys.modules["numpy"]
        shape = run.shape

        def flat(values: Any) -> Any:
            return numpy.broadcast_to(values, shape).ravel()

        outs = flat(per_sample)
        grads = [flat(g) for g in run.per_sample()] if MODE.grad_enabled else []
        for index in range(outs.size):
            where = tuple(int(k) for k in numpy.unravel_index(index, shape))
            self._compare(
                args, kwargs, _sample(batch, shape, index), entry, float(outs[index]),
                lambda index=index: [float(g[index]) for g in grads],  # type: ignore[misc]
                _close, f" at sample {where[0] if len(where) == 1 else where}",
            )

    def per_sample(self, *args: Any, **kwargs: Any) -> Any:
        """``fn``'s value for every sample of a batch call, as a float64 NumPy array.

        Called like the function, with at least one array argument; the result has the batch
        shape. No graph is recorded and no gradient is computed: for predictions over a grid,
        per-sample losses or accuracy. Traces as a call would (the same cache).
        """
        leaves: list[Any] = []
        key = (
            _flatten(args, leaves),
            tuple((name, _flatten(kwargs[name], leaves)) for name in sorted(kwargs)),
        )
        if not any(_is_array(leaf) for leaf in leaves):
            raise ValueError(
                f"{self.__name__}.per_sample needs at least one NumPy array argument (a batch); "
                "for numbers and Values call the function itself"
            )
        entry = self._cache.get(key)
        if entry is None:
            with cyclic_gc_paused():
                entry = self._trace(args, kwargs, leaves)
            self._cache[key] = entry
        self._last = entry
        run, _ = self._run_batch(leaves, entry)
        numpy = sys.modules["numpy"]
        return numpy.array(numpy.broadcast_to(run.forward(), run.shape), dtype=numpy.float64)

    def _trace(self, args: tuple[Any, ...], kwargs: dict[str, Any], leaves: list[Any]) -> _Entry:
        started = time.perf_counter()
        batch = any(_is_array(leaf) for leaf in leaves)
        if batch:  # traced on the first sample; the batch code then runs them all
            arrays, shape = _as_batch(leaves)
            leaves = _sample(arrays, shape, 0)
        fresh = _fresh_leaves(leaves)
        out = _call_with(self._fn, args, kwargs, fresh)
        if not isinstance(out, Value):
            raise TypeError(
                f"engine.jit: {self.__name__} must return a Value, got {out!r} "
                f"({type(out).__name__})"
            )
        order = topological_order(out)
        traced = time.perf_counter()
        in_graph = {id(node) for node in order}
        input_slots = [slot for slot, leaf in enumerate(fresh) if id(leaf) in in_graph]
        argument_ids = {id(leaf) for leaf in fresh}
        candidates = [
            node for node in order if node._grad_fn is None and id(node) not in argument_ids
        ]
        held = _held_elsewhere(candidates, order, out)
        captured = [leaf for leaf, keep in zip(candidates, held, strict=True) if keep]
        del candidates

        inputs = [fresh[slot] for slot in input_slots] + captured
        wants = [isinstance(leaves[slot], Value) for slot in input_slots] + [True] * len(captured)
        names = [f"x{slot}" for slot in input_slots] + [f"p{k}" for k in range(len(captured))]
        generated: Generated = generate(order, inputs, wants, names, self.__name__, batch)
        program = generated.compile()
        done = time.perf_counter()

        wanted = set(generated.grad_inputs)
        parent_slots = [input_slots[i] for i in generated.grad_inputs if i < len(input_slots)]
        captured_parents = tuple(
            leaf for k, leaf in enumerate(captured) if len(input_slots) + k in wanted
        )
        self.traces += 1
        info = TraceInfo(
            source=generated.source,
            nodes=generated.nodes,
            forward_lines=generated.forward_lines,
            backward_lines=generated.backward_lines,
            edges=generated.edges,
            arguments=len(input_slots),
            captured=len(captured),
            constants=generated.constants,
            trace_seconds=traced - started,
            compile_seconds=done - traced,
            batch=batch,
        )
        return _Entry(program, input_slots, captured, parent_slots, captured_parents, out.label,
                      info, batch)

    def _compare(self, args: tuple[Any, ...], kwargs: dict[str, Any], leaves: list[Any],
                 entry: _Entry, out: float, compiled_grads: Callable[[], Sequence[float]],
                 same: Callable[[float, float], bool], where: str = "") -> None:
        """Run the function eagerly on ``leaves`` (one sample's); raise if its value or a
        gradient is not ``same`` as the compiled code's ``out`` and ``compiled_grads()``."""
        fresh = _fresh_leaves(leaves)
        eager = _call_with(self._fn, args, kwargs, fresh)
        advice = (
            "Python control flow on .data (an if, max, a comparison) is frozen when the function "
            "is traced; jit the branch-free part, or pass what decides the branch as a static "
            "argument (a bool or a string) so that each choice gets its own trace."
        )
        if not isinstance(eager, Value) or not same(eager.data, out):
            got = eager.data if isinstance(eager, Value) else eager
            raise JitMismatchError(
                f"engine.jit(check=True): {self.__name__} returned {got!r} eagerly but "
                f"{out!r} from the code traced before{where}. {advice}"
            )
        if not MODE.grad_enabled:
            return
        wrt = [fresh[slot] for slot in entry.parent_slots] + list(entry.captured_parents)
        eager_grads = grad(eager, wrt)
        compiled = compiled_grads()
        for k, (want, got) in enumerate(zip(eager_grads, compiled, strict=True)):
            if not same(want, got):
                leaf = wrt[k]
                name = leaf.label or (f"argument leaf {entry.parent_slots[k]}"
                                      if k < len(entry.parent_slots) else "a captured Value")
                raise JitMismatchError(
                    f"engine.jit(check=True): d output / d {name} is {want!r} eagerly but "
                    f"{got!r} from the code traced before{where}. {advice}"
                )


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


def _close(a: float, b: float) -> bool:
    """Equal up to rounding: relative 1e-9, or 1e-12 near zero; inf equals the same inf and
    nan equals nan. A branch that went the other way moves a number by far more."""
    return _same(a, b) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


@overload
def jit(fn: Callable[..., Value], *, check: bool = False) -> JitFunction: ...


@overload
def jit(fn: None = None, *, check: bool = False) -> Callable[[Callable[..., Value]], JitFunction]:
    ...


def jit(fn: Callable[..., Value] | None = None, *,
        check: bool = False) -> JitFunction | Callable[[Callable[..., Value]], JitFunction]:
    """Compile ``fn`` (Values in, one Value out) into straight-line Python, as ``jax.jit``.

    The first call with a given argument structure runs ``fn`` on Values and records its graph;
    the graph is written out as Python source (one line per node forward, one per edge backward,
    the engine's own formulas, readable in ``.source``) and compiled once. Later calls with the
    same structure run that code on the current data. The result is a single Value whose
    parents are the argument Values and the Values ``fn`` captured (a model's parameters, read
    by reference, so ``p.data -= lr * p.grad`` between calls is seen); ``.backward()`` on it,
    or on anything built from it, gives every leaf the gradient the eager graph would.

    Args:
        fn: takes Values, numbers, and lists/tuples of them (numbers are traced like Values but
            get no gradient); any other argument (a bool, a string, None, a model) is static:
            part of the cache key, compared by equality. Returns a Value.
        check: also run ``fn`` eagerly on every call and raise ``JitMismatchError`` when its
            value or a gradient differs from the compiled code's. Slow; for debugging.

    Returns:
        A ``JitFunction``: call it like ``fn``; ``.source``, ``.info`` and ``.traces`` describe
        what was compiled. Usable as ``@jit`` or ``@jit(check=True)``.

    Frozen at trace time, as in ``jax.jit``: Python control flow on ``.data`` (``if x.data >
    0``, ``max`` of Values), numbers read from ``.data`` into plain floats, and values made
    under ``no_grad()`` inside ``fn``. A new argument structure (another list length, a Value
    where a float was, another static argument) traces again; the same structure never does.

    Batches: a NumPy array may stand wherever a number may, one number per sample; the arrays
    of a call broadcast to one batch shape (N inputs: arrays of length N). Such a call runs a
    second compiled variant of the same graph once over the whole batch, with NumPy's ufuncs
    giving the engine's IEEE answers (``exp`` overflow ``inf``, ``log(0) = -inf``, ``relu'(0)
    = 0``, no warnings), and returns a Value holding the mean over the batch,

        L = (1/N) sum_i fn(sample i),   dL/dp = (1/N) sum_i d fn(sample i) / dp,

    the reduction torch's losses use by default: ``.backward()`` gives every Value argument and
    captured parameter the gradient of that mean, so full-batch training is the usual step on
    ``jit(loss_of_one_sample)(X, y)``. Arrays get no gradient, as numbers get none;
    ``.per_sample(...)`` returns the per-sample values as an array instead. Batch numbers agree
    with the scalar code to about 1e-12, not bit for bit (NumPy's exp, log, tanh and pow may
    round the last bit apart from the C library's); with ``check=True`` every sample is also
    run eagerly and compared to a relative 1e-9. An array where a number was is a new
    structure, traced on the first sample; the batch size is not part of the structure.
    NumPy is imported by the caller, never by the engine.
    """
    if fn is None:
        return functools.partial(JitFunction, check=check)
    return JitFunction(fn, check=check)
