"""engine.jit's traces: where each leaf of a recorded graph gets its number, and what one
compiled trace keeps (the program, its inputs, the jitted node's rule).

The rule: a leaf the traced function was given reads its argument on every call; a leaf the
function made is a constant, written into the code, except a copy ``Value(v)`` or ``v.detach()``,
which reads what ``v`` reads; any other leaf was captured (a parameter) and is read by
reference, with a gradient.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from . import jit_batch
from .codegen import JitError, Program
from .graph import topological_order
from .jit_args import Output, leaf_data
from .modes import MODE
from .value import Value


@dataclass(frozen=True)
class TraceInfo:
    """What one trace recorded and what it cost.

    Attributes:
        source: the generated Python (forward, then backward), node labels as names.
        nodes: nodes in the recorded graph, leaves included.
        forward_lines: lines computing node values (a node used once is written into its
            user's line; a loop's body counts once).
        backward_lines: lines of the chain rule, one per node whose gradient is a sum of
            terms (a loop's body counts once).
        edges: the terms of those sums, one per edge that carries a gradient.
        arguments: argument leaves the graph reads (Values and numbers).
        captured: Values the function reached without being given them (parameters), read by
            reference on every call.
        constants: leaves written into the code as numbers.
        loop: (blocks, nodes per block) when a run of alike blocks (a loss over samples) is
            written once as a ``for`` loop; None when the code is straight.
        trace_seconds: running the function eagerly to record the graph.
        compile_seconds: writing the source and ``compile()``-ing it.
        batch: the code is the batch variant, traced for NumPy array arguments.
        aux_values: Values among the auxiliary outputs, each computed by code of its own.
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
    aux_values: int = 0
    loop: tuple[int, int] | None = None


class Recorder:
    """The leaves a function makes while it runs under jit (``MODE.leaves_made`` is
    ``self.log`` meanwhile), and for each copy ``Value(v)`` or ``v.detach()`` the Value ``v``
    it copied, so that the copy reads what ``v`` reads on every call."""

    __slots__ = ("_copies", "_made", "log")

    def __init__(self) -> None:
        self.log: list[object] = []  # leaves, and (copy, v) pairs; holding them keeps ids unique
        self._made: set[int] | None = None
        self._copies: dict[int, Value] = {}

    def made(self, leaf: Value) -> bool:
        """Did the function make ``leaf`` (``Value(...)``, a constant, a no_grad result)?"""
        if self._made is None:
            self._made = set()
            for item in self.log:
                if type(item) is tuple:
                    copy, source = item
                    self._copies[id(copy)] = source
                else:
                    self._made.add(id(item))
        return id(leaf) in self._made

    def source(self, leaf: Value) -> Value:
        """What ``leaf`` reads: ``v`` for a copy ``Value(v)`` (followed through copies of
        copies), else the leaf itself."""
        self.made(leaf)  # reads the log once
        while id(leaf) in self._copies:
            leaf = self._copies[id(leaf)]
        return leaf


@contextmanager
def tracing(recorder: Recorder) -> Iterator[None]:
    """Record a graph, even inside ``no_grad()``, and the leaves made into ``recorder``."""
    previous = MODE.grad_enabled, MODE.leaves_made
    MODE.grad_enabled, MODE.leaves_made = True, recorder.log
    try:
        yield
    finally:
        MODE.grad_enabled, MODE.leaves_made = previous


def fresh_leaves(leaves: Sequence[object]) -> list[Value]:
    """A new leaf per argument leaf, so a recorded graph stops at the arguments even when a
    Value passed in has a history of its own."""
    return [
        Value(leaf.data, label=leaf.label) if isinstance(leaf, Value) else Value(leaf_data(leaf))
        for leaf in leaves
    ]


@dataclass
class Leaves:
    """The leaves of a recorded graph, sorted by where each number comes from on a call.

    The rule that sorts them is in the module's docstring.
    """

    arg_nodes: list[Value]  # graph leaves that read an argument leaf
    arg_slots: list[int]  # ... which one, by position in the call's flat leaves
    arg_wants: list[bool]  # ... and whether it gets a gradient (a Value argument)
    cap_nodes: list[Value]  # graph leaves that read a captured Value
    captured: list[Value]  # ... which one, read by reference
    cap_wants: list[bool]
    tags: dict[int, object]  # by id: how each leaf gets its number (for check's diagnosis)


def sort_leaves(order: Iterable[Value], fresh: Sequence[Value], leaves: Sequence[object],
                 recorder: Recorder) -> Leaves:
    """The leaves of ``order`` by the module's rule; ``fresh`` stand for the call's ``leaves``.

    Raises:
        JitError: a ``Value(v)`` copies a computed Value, whose number the code cannot copy.
    """
    slot_of = {id(leaf): slot for slot, leaf in enumerate(fresh)}
    given: list[tuple[bool, int, Value]] = []  # (copy?, slot, node): arguments first, by slot
    sorted_ = Leaves([], [], [], [], [], [], {})
    for node in order:
        if node._grad_fn is not None:
            continue
        source = recorder.source(node)
        copy = source is not node
        if source._grad_fn is not None:  # the code has no line that copies a node's value
            raise JitError(
                f"engine.jit: Value(v) or v.detach() of the computed Value {source!r} inside "
                "the traced function would freeze its number at trace time (the compiled code "
                "has no detach); use v itself (it keeps its gradient), or compute v outside "
                "and pass it in"
            )
        slot = slot_of.get(id(source))
        if slot is not None:
            given.append((copy, slot, node))
            sorted_.tags[id(node)] = ("argument", slot)
        elif recorder.made(source):
            sorted_.tags[id(node)] = "constant"
        else:
            sorted_.cap_nodes.append(node)
            sorted_.captured.append(source)
            sorted_.cap_wants.append(not copy)
            sorted_.tags[id(node)] = ("captured", id(source))
    for copy, slot, node in sorted(given, key=lambda item: (item[0], item[1])):
        sorted_.arg_nodes.append(node)
        sorted_.arg_slots.append(slot)
        sorted_.arg_wants.append(not copy and isinstance(leaves[slot], Value))
    return sorted_


def union_order(roots: Sequence[Value]) -> list[Value]:
    """Every node the roots depend on, each once (the first root's order first)."""
    seen: set[int] = set()
    order = []
    for root in roots:
        for node in topological_order(root):
            if id(node) not in seen:
                seen.add(id(node))
                order.append(node)
    return order


def fingerprint(order: Sequence[Value], tags: dict[int, object]) -> tuple[list[object],
                                                                             list[float]]:
    """The graph's shape (each node's op and parents, each leaf's source) and its constants:
    two runs of a function with the same shape differ only in the numbers they froze."""
    number = {id(node): i for i, node in enumerate(order)}
    shape: list[object] = []
    constants = []
    for node in order:
        if node._grad_fn is None:
            tag = tags[id(node)]
            shape.append(tag)
            if tag == "constant":
                constants.append(node.data)
        else:
            shape.append((node._op, tuple(number[id(p)] for p in node._prev)))
    return shape, constants


class Run:
    """One call of a compiled program, and the jitted node's local-derivative rule.

    The program yields the output, then, resumed once, d output / d input for the inputs that
    want a gradient. A batch run (``shape`` set) runs under ``numpy.errstate(all="ignore")``
    and its rule is d mean / d leaf = the mean over the batch of d output / d leaf. Holds the
    generator, never the node (no cycle).
    """

    __slots__ = ("_grads", "_per_sample", "_run", "shape")

    def __init__(self, run: Any, shape: tuple[int, ...] | None = None) -> None:
        self._run = run
        self.shape = shape
        self._per_sample: tuple[Any, ...] | None = None
        self._grads: tuple[float, ...] | None = None

    def forward(self) -> Any:
        """The output: a float, or for a batch an array (a float where no array reaches it)."""
        if self.shape is None:
            return next(self._run)
        with jit_batch.quiet():
            return next(self._run)

    def per_sample(self) -> tuple[Any, ...]:
        """d output / d leaf, one float (for a batch, one array or float) per leaf."""
        if self._per_sample is None:
            if self.shape is None:
                self._per_sample = next(self._run)
            else:
                with jit_batch.quiet():
                    self._per_sample = next(self._run)
            self._run = None  # frees the forward intermediates
        return self._per_sample

    def __call__(self, node: Value | None = None, upstream: float = 1.0) -> tuple[float, ...]:
        """The jitted node's backward function: what each parent gains from ``upstream``."""
        if self._grads is None:
            grads = self.per_sample()
            shape = self.shape
            self._grads = grads if shape is None else tuple(
                jit_batch.batch_mean(g, shape) for g in grads)
        return tuple([derivative * upstream for derivative in self._grads])


@dataclass(eq=False)
class Entry:
    """One compiled trace: the program and how to feed it from a call's arguments."""

    program: Program
    aux_programs: list[Program]  # forward only, one per auxiliary Value
    arg_slots: list[int]  # the argument leaf each program input reads, by flat position
    captured: list[Value]  # then the Values read by reference
    parent_slots: list[int]  # argument leaves that are parents of the result (Values in graph)
    captured_parents: tuple[Value, ...]
    output: Output  # the traced result's structure (its label, its auxiliary outputs)
    info: TraceInfo
    batch: bool  # the program is the batch variant, for calls with array arguments
    graph_shape: tuple[list[object], list[float]] | None  # fingerprint(), for check=True

    def data(self, leaves: Sequence[Any]) -> list[Any]:
        """The program's inputs on a call: argument numbers, then parameters."""
        data = [leaf_data(leaves[slot]) for slot in self.arg_slots]
        data += [p.data for p in self.captured]
        return data

    def batch_data(self, batch: Sequence[Any]) -> list[Any]:
        """The batch program's inputs: argument arrays (float64) or numbers, then parameters."""
        data = [leaf if jit_batch.is_array(leaf) else leaf_data(leaf)
                for leaf in (batch[slot] for slot in self.arg_slots)]
        data += [p.data for p in self.captured]
        return data
