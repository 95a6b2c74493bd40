"""engine.jit: record a function's graph once, then replay it as generated straight-line Python."""

from __future__ import annotations

import functools
import math
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, overload

from .codegen import Generated, JitError, Program, generate
from .functional import grad
from .graph import topological_order
from .modes import MODE, cyclic_gc_paused
from .value import Value, _as_float, _result

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


# --- argument structure ------------------------------------------------------------------------

_VALUE = "Value"
_NUMBER = "number"


def _flatten(obj: object, leaves: list[Any]) -> object:
    """The structure key of one argument; its Values and numbers are appended to ``leaves``.

    Values and numbers (int, float) are the traced leaves; lists and tuples are walked; anything
    else (None, a bool, a string, a model object) is static: part of the key, by equality.
    """
    kind = type(obj)
    if kind is float or kind is int or isinstance(obj, Value):
        leaves.append(obj)
        return _VALUE if isinstance(obj, Value) else _NUMBER
    if kind is list or kind is tuple:
        return (kind, tuple([_flatten(item, leaves) for item in obj]))  # type: ignore[attr-defined]
    if isinstance(obj, float | int) and not isinstance(obj, bool):
        leaves.append(obj)  # an int or float subclass: a number like any other
        return _NUMBER
    try:
        hash(obj)
    except TypeError:
        raise TypeError(
            f"engine.jit: argument {obj!r} ({kind.__name__}) is not a Value, number, list or "
            "tuple, and it cannot be a static argument because it is not hashable"
        ) from None
    return ("static", kind, obj)


def _rebuild(obj: object, leaves: Any) -> object:
    """``obj`` with each Value or number replaced by the next item of the iterator ``leaves``."""
    kind = type(obj)
    if kind is list:
        return [_rebuild(item, leaves) for item in obj]  # type: ignore[attr-defined]
    if kind is tuple:
        return tuple(_rebuild(item, leaves) for item in obj)  # type: ignore[attr-defined]
    if isinstance(obj, Value) or (isinstance(obj, float | int) and not isinstance(obj, bool)):
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

    def __call__(self, node: Value | None = None) -> tuple[float, ...]:
        if self._grads is None:
            self._grads = next(self._run)
            self._run = None  # frees the forward intermediates
        return self._grads


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


class JitFunction:
    """A function compiled by ``engine.jit``; call it as the function itself.

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
        data = [_leaf_data(leaves[slot]) for slot in entry.input_slots]
        data += [p.data for p in entry.captured]
        run = entry.program(data)
        out: float = next(run)  # type: ignore[assignment]
        rule = _Backward(run)
        parents = tuple(leaves[slot] for slot in entry.parent_slots) + entry.captured_parents
        node = _result(out, parents, "jit", rule)
        node.label = entry.label
        if self.check:
            self._compare(args, kwargs, leaves, entry, out, rule)
        return node

    def _trace(self, args: tuple[Any, ...], kwargs: dict[str, Any], leaves: list[Any]) -> _Entry:
        started = time.perf_counter()
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
            node for node in order if node._local is None and id(node) not in argument_ids
        ]
        held = _held_elsewhere(candidates, order, out)
        captured = [leaf for leaf, keep in zip(candidates, held, strict=True) if keep]
        del candidates

        inputs = [fresh[slot] for slot in input_slots] + captured
        wants = [isinstance(leaves[slot], Value) for slot in input_slots] + [True] * len(captured)
        names = [f"x{slot}" for slot in input_slots] + [f"p{k}" for k in range(len(captured))]
        generated: Generated = generate(order, inputs, wants, names, self.__name__)
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
        )
        return _Entry(program, input_slots, captured, parent_slots, captured_parents, out.label,
                      info)

    def _compare(self, args: tuple[Any, ...], kwargs: dict[str, Any], leaves: list[Any],
                 entry: _Entry, out: float, rule: _Backward) -> None:
        """Run the function eagerly on the same arguments; raise if anything differs."""
        fresh = _fresh_leaves(leaves)
        eager = _call_with(self._fn, args, kwargs, fresh)
        advice = (
            "Python control flow on .data (an if, max, a comparison) is frozen when the function "
            "is traced; jit the branch-free part, or pass what decides the branch as a static "
            "argument (a bool or a string) so that each choice gets its own trace."
        )
        if not isinstance(eager, Value) or not _same(eager.data, out):
            got = eager.data if isinstance(eager, Value) else eager
            raise JitMismatchError(
                f"engine.jit(check=True): {self.__name__} returned {got!r} eagerly but "
                f"{out!r} from the code traced before. {advice}"
            )
        if not MODE.grad_enabled:
            return
        wrt = [fresh[slot] for slot in entry.parent_slots] + list(entry.captured_parents)
        eager_grads = grad(eager, wrt)
        compiled = rule()
        for k, (want, got) in enumerate(zip(eager_grads, compiled, strict=True)):
            if not _same(want, got):
                leaf = wrt[k]
                name = leaf.label or (f"argument leaf {entry.parent_slots[k]}"
                                      if k < len(entry.parent_slots) else "a captured Value")
                raise JitMismatchError(
                    f"engine.jit(check=True): d output / d {name} is {want!r} eagerly but "
                    f"{got!r} from the code traced before. {advice}"
                )


def _same(a: float, b: float) -> bool:
    return a == b or (math.isnan(a) and math.isnan(b))


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
    """
    if fn is None:
        return functools.partial(JitFunction, check=check)
    return JitFunction(fn, check=check)
