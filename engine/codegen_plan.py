"""engine.jit's plan of a recorded graph: one record per node, and each op's code read once.

``plan`` walks the graph in topological order and makes a ``NodePlan`` per node: its Python
name, its parents' positions, its op's code (``OpCode``: the op's forward and its rule from
``engine.ops``, read once per op on holes, ``symbolic.Template``), how many edges leave it,
whether a wanted gradient flows through it, and whether its value is written into its only
user's line. ``engine.codegen`` writes the source from these records.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from . import ops
from .eager import op_of
from .symbolic import BATCH, SCALAR, Code, Template, as_code, literal
from .value import Value

__all__ = ["MAX_DEPTH", "JitError", "NodePlan", "OpCode", "identifier", "op_code", "plan"]

#: An inlined expression deeper than this gets a line of its own, and a gradient with more terms
#: is summed over several lines (``dx = dx + ...``, the same order): Python's parser and
#: compiler recurse into nested expressions and stop at a few hundred or thousand levels.
MAX_DEPTH = 40


class JitError(ValueError):
    """A graph that ``engine.jit`` cannot turn into code (an op that is not in the table)."""


def identifier(label: str) -> str:
    """A label made into an ASCII Python name (``"w1.3"`` -> ``"w1_3"``); ``""`` if nothing is left.

    Names never start with ``_`` (the generated code's helpers do) or a digit.
    """
    text = re.sub(r"[^0-9A-Za-z]+", "_", label).strip("_")
    text = text.lstrip("0123456789_")
    if keyword.iskeyword(text):
        text += "_"
    return text


def _describe(node: Value) -> str:
    parts = [f"data={node.data!r}"]
    if node.label:
        parts.insert(0, f"label={node.label!r}")
    if node.scope:
        parts.append(f"scope={node.scope!r}")
    return f"({', '.join(parts)})"


# --- each op's code, read once per op and parameters --------------------------------------------


@dataclass(frozen=True)
class OpCode:
    """An op's forward and rule read on holes: the inputs are holes 0..n-1, the output hole n,
    the upstream gradient hole n + 1.

    Attributes:
        forward: the value from the inputs.
        forward_reads: how many times the forward reads each input.
        grads: per input, what its gradient gains.
        grad_reads: per input, the holes its gain reads.
        passes: per input, the gain is the upstream gradient itself (an add).
    """

    forward: Template
    forward_reads: tuple[int, ...]
    grads: tuple[Template, ...]
    grad_reads: tuple[frozenset[int], ...]
    passes: tuple[bool, ...]
    _reads: dict[tuple[bool, ...], frozenset[int]] = field(default_factory=dict, compare=False)

    def reads_when(self, wanted: tuple[bool, ...]) -> frozenset[int]:
        """The holes read by the gains of the inputs that want a gradient (cached per pattern)."""
        found = self._reads.get(wanted)
        if found is None:
            found = self._reads[wanted] = frozenset().union(
                *(reads for reads, w in zip(self.grad_reads, wanted, strict=True) if w))
        return found


def op_code(op: ops.Op, params: tuple[Any, ...], batch: bool) -> OpCode:
    """``op`` read once as code with holes (cached: one reading per op, parameters, flavour).

    The parameters are cached by ``repr``, which tells -0.0 from 0.0 (they are equal keys).
    """
    return _op_code(op, tuple(repr(float(p)) for p in params), batch)


@lru_cache(maxsize=256)
def _op_code(op: ops.Op, shown: tuple[str, ...], batch: bool) -> OpCode:
    params = tuple(float(p) for p in shown)
    m = BATCH if batch else SCALAR
    n = len(op.inputs)
    holes = [Code.hole(k, batch) for k in range(n + 2)]
    forward = as_code(ops.call_forward(op, m, holes[:n], params), batch)
    gains = [as_code(item, batch)
             for item in ops.call_grads(op, m, holes[:n], holes[n], holes[n + 1], params)]
    return OpCode(
        forward=Template(forward),
        forward_reads=tuple(forward.reads.count(k) for k in range(n)),
        grads=tuple(Template(gain) for gain in gains),
        grad_reads=tuple(frozenset(r for r in gain.reads if isinstance(r, int)) for gain in gains),
        passes=tuple(gain.text == holes[n + 1].text for gain in gains),
    )


def _op_of(node: Value) -> tuple[ops.Op, tuple[Any, ...]]:
    found = op_of(node._grad_fn)
    if found is not None:
        return found
    hint = (
        " (a call of a jitted function: jit the outer function only, or call the inner one "
        "eagerly)" if node._op.startswith("jit") else ""
    )
    known = ", ".join(dict.fromkeys(op.torch for op in ops.TABLE))
    raise JitError(
        f"engine.jit has no code for the op {node._op!r} of node {_describe(node)}{hint}; "
        f"it compiles the ops of engine.ops ({known}) and everything built from them"
    )

# --- the plan: one record per node ---------------------------------------------------------------


@dataclass(eq=False, slots=True)
class NodePlan:
    """What the code does with one node of the graph.

    Attributes:
        node: the node.
        name: the Python name of its value, or a literal for a constant leaf.
        parents: the parents' positions in the plan, in argument order.
        code: the op's code (None for a leaf).
        users: how many edges leave the node.
        needs: some wanted gradient flows through the node.
        named: the value gets a line and a name of its own (else it is written into its only
            user's line).
        slot: the input position a leaf is read from (None for an op node or a constant).
        reads: the holes its wanted gradients read (``OpCode.reads_when``).
        reads_out: its backward reads its own value (exp, tanh): it needs a name.
        shape: a number equal for two nodes that the same line of code computes, given the
            same names: the same op and parameters, the same gradient flow, and parents that
            are leaves of the same kind or op nodes at the same distance back (how
            ``codegen_roll`` finds alike blocks).
    """

    node: Value
    name: str
    parents: tuple[int, ...]
    code: OpCode | None
    users: int = 0
    needs: bool = False
    named: bool = True
    slot: int | None = None
    reads: frozenset[int] = frozenset()
    reads_out: bool = False
    shape: int = 0


class _Names:
    """Unique value names and their gradient names (``x`` and ``dx``), drawn from one pool.

    Unlabelled op nodes are ``v<position>`` (``dv<position>`` for their gradient), unique by
    construction, so they skip the pool; a label or input name of that shape is taken as used.
    """

    def __init__(self) -> None:
        self._used: set[str] = set()

    def take(self, base: str) -> str:
        used = self._used
        name, k = base, 2
        while name in used or "d" + name in used or _POSITIONAL.fullmatch(name):
            name, k = f"{base}_{k}", k + 1
        used.add(name)
        used.add("d" + name)
        return name


_POSITIONAL = re.compile(r"d?v[0-9]+")


def plan(order: Sequence[Value], inputs: Sequence[Value], wants_grad: Sequence[bool],
         input_names: Sequence[str], batch: bool = False) -> list[NodePlan]:
    """One record per node of ``order`` (see ``generate`` for the arguments).

    A node is written into its user's line when it has one use, no label, is not the output,
    and neither its own backward (reading its output) nor its user's (reading this operand)
    needs its value by name; and when the user's forward reads the operand once.
    """
    number = {node: i for i, node in enumerate(order)}  # a Value hashes and compares by identity
    position = number.__getitem__
    slot_of = {number[leaf]: slot for slot, leaf in enumerate(inputs) if leaf in number}
    take = _Names().take
    records: list[NodePlan] = []
    codes: dict[object, OpCode] = {}
    shapes: dict[tuple[object, ...], int] = {(False,): 0, (True,): 1}  # the leaves' two
    for i, node in enumerate(order):
        prev = node._prev
        if not prev:
            slot = slot_of.get(i)
            if slot is None:
                records.append(NodePlan(node, literal(node.data), (), None))
            else:
                name = take((node.label and identifier(node.label)) or input_names[slot])
                records.append(NodePlan(node, name, (), None, needs=wants_grad[slot], slot=slot,
                                        shape=int(wants_grad[slot])))
            continue
        parents = tuple(map(position, prev))
        wanted = []
        shape: list[object] = [None]
        for p in parents:
            parent = records[p]
            parent.users += 1
            wanted.append(parent.needs)
            shape.append(-1 - parent.needs if parent.code is None else i - p)
        grad_fn = node._grad_fn
        code = codes.get(grad_fn)  # an op without parameters has one backward function
        if code is None:
            op, params = _op_of(node)
            code = op_code(op, params, batch)
            if not params:
                codes[grad_fn] = code
        base = identifier(node.label) if node.label else ""
        name = take(base) if base else f"v{i}"
        shape[0] = id(code)  # one OpCode per op and parameters
        kind = shapes.setdefault(tuple(shape), len(shapes))
        if True in wanted:
            reads = code.reads_when(tuple(wanted))
            records.append(NodePlan(node, name, parents, code, 0, True, True, None, reads,
                                    len(parents) in reads, kind))
        else:
            records.append(NodePlan(node, name, parents, code, shape=kind))
    last = len(order) - 1
    for record in records:
        code = record.code
        if code is None:
            continue
        reads = record.reads
        forward_reads = code.forward_reads
        for k, p in enumerate(record.parents):
            parent = records[p]
            if (parent.users == 1 and parent.code is not None and p != last
                    and forward_reads[k] == 1 and k not in reads and not parent.reads_out
                    and not parent.node.label):
                parent.named = False
    return records
