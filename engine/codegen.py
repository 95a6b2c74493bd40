"""engine.jit's code generator: a recorded graph written out as straight-line Python source.

Two passes. ``plan`` makes one record per node (its name, op, parents, whether a wanted gradient
flows through it, whether its value is written into its user's line); ``_Emitter`` writes the
forward lines, then the backward lines, from those records. Every op's code comes from its row
in ``engine.ops``: its forward and its rule are read once per op on holes (``symbolic.Template``)
and filled with each node's operand names, so the code does the eager engine's float
operations in the eager engine's order.
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from . import ops
from .eager import op_of
from .symbolic import (
    ATOM,
    BATCH,
    SCALAR,
    SCALAR_HELPERS,
    SUM,
    Code,
    Template,
    as_code,
    batch_helpers,
    literal,
)
from .value import Value

__all__ = ["NAMESPACE", "Generated", "JitError", "Program", "batch_namespace", "generate",
           "identifier", "literal", "plan"]

#: The compiled program: called with the data of every input (in order), it yields the output's
#: value, then, when resumed, the tuple of d output / d input for the inputs that want a gradient.
Program = Callable[[Sequence[float]], Generator[object, None, None]]

#: The globals the scalar code runs with: the engine's own IEEE-safe helpers, nothing else.
NAMESPACE = SCALAR_HELPERS


def batch_namespace() -> dict[str, object]:
    """The globals of the batch code: NumPy helpers with the scalar helpers' IEEE answers
    (``symbolic.batch_helpers``; imports NumPy)."""
    return batch_helpers()


class JitError(ValueError):
    """A graph that ``engine.jit`` cannot turn into code (an op that is not in the table)."""


@dataclass(frozen=True)
class Generated:
    """The source for one recorded graph and what its yields mean.

    Attributes:
        source: a generator function named ``name``: forward lines, ``yield`` of the output,
            backward lines, ``yield`` of the gradients.
        name: the function's name in ``source``.
        grad_inputs: positions (in the ``inputs`` given to ``generate``) of the inputs whose
            gradients the second ``yield`` returns, in that order.
        nodes: nodes in the recorded graph (leaves included).
        forward_lines: lines computing a node's value (nodes used once inside an expression
            are written into their user's line).
        backward_lines: lines of the chain rule, one per node whose gradient is a sum of terms.
        edges: terms in those sums, one per edge that carries a gradient.
        constants: leaves written into the code as numbers.
        batch: the code is the batch variant (NumPy helpers, ``_where`` for conditionals),
            run on arrays of samples; ``False`` for the scalar code on floats.
    """

    source: str
    name: str
    grad_inputs: list[int]
    nodes: int
    forward_lines: int
    backward_lines: int
    edges: int
    constants: int
    batch: bool = False

    def compile(self) -> Program:
        """``compile()`` the source once and return the generator function it defines."""
        code = compile(self.source, f"<engine.jit {self.name}>", "exec")
        namespace = batch_namespace() if self.batch else dict(NAMESPACE)
        exec(code, namespace)
        function: Program = namespace[self.name]  # type: ignore[assignment]
        return function


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
        reads_out: its backward reads its own value (exp, tanh): it needs a name.
    """

    node: Value
    name: str
    parents: tuple[int, ...]
    code: OpCode | None
    users: int = 0
    needs: bool = False
    named: bool = True
    slot: int | None = None
    reads_out: bool = False


class _Names:
    """Unique value names and their gradient names (``x`` and ``dx``), drawn from one pool."""

    def __init__(self) -> None:
        self._used: set[str] = set()

    def take(self, base: str) -> str:
        name, k = base, 2
        while name in self._used or f"d{name}" in self._used:
            name, k = f"{base}_{k}", k + 1
        self._used.add(name)
        self._used.add(f"d{name}")
        return name


def plan(order: Sequence[Value], inputs: Sequence[Value], wants_grad: Sequence[bool],
         input_names: Sequence[str], batch: bool = False) -> list[NodePlan]:
    """One record per node of ``order`` (see ``generate`` for the arguments).

    A node is written into its user's line when it has one use, no label, is not the output,
    and neither its own backward (reading its output) nor its user's (reading this operand)
    needs its value by name; and when the user's forward reads the operand once.
    """
    number = {id(node): i for i, node in enumerate(order)}
    slot_of = {number[id(leaf)]: slot for slot, leaf in enumerate(inputs) if id(leaf) in number}
    names = _Names()
    records: list[NodePlan] = []
    codes: dict[object, OpCode] = {}
    for i, node in enumerate(order):
        parents = tuple(number[id(p)] for p in node._prev)
        for p in parents:
            records[p].users += 1
        if not parents:
            slot = slot_of.get(i)
            if slot is None:
                records.append(NodePlan(node, literal(node.data), parents, None))
            else:
                name = names.take((node.label and identifier(node.label)) or input_names[slot])
                records.append(NodePlan(node, name, parents, None, needs=wants_grad[slot],
                                        slot=slot))
            continue
        grad_fn = node._grad_fn
        code = codes.get(grad_fn)  # an op without parameters has one backward function
        if code is None:
            op, params = _op_of(node)
            code = op_code(op, params, batch)
            if not params:
                codes[grad_fn] = code
        name = names.take((node.label and identifier(node.label)) or f"v{i}")
        wanted = [records[p].needs for p in parents]
        record = NodePlan(node, name, parents, code, needs=any(wanted))
        if record.needs:
            out = len(parents)
            record.reads_out = any(out in code.grad_reads[k] for k, w in enumerate(wanted) if w)
        records.append(record)
    last = len(order) - 1
    for record in records:
        code = record.code
        if code is None:
            continue
        read: set[int] = set()
        if record.needs:
            for k, p in enumerate(record.parents):
                if records[p].needs:
                    read |= code.grad_reads[k]
        for k, p in enumerate(record.parents):
            parent = records[p]
            if (parent.code is not None and parent.users == 1 and p != last
                    and not parent.node.label and code.forward_reads[k] == 1
                    and k not in read and not parent.reads_out):
                parent.named = False
    return records


# --- the emitters --------------------------------------------------------------------------------

#: An inlined expression deeper than this gets a line of its own, and a gradient with more terms
#: is summed over several lines (``dx = dx + ...``, the same order): Python's parser and
#: compiler recurse into nested expressions and stop at a few hundred or thousand levels.
MAX_DEPTH = 40


def _comment(text: str) -> str:
    return " ".join(text.split())


def _wrapped(head: str, text: str, width: int = 96) -> list[str]:
    """The line ``head + text``, broken at spaces inside brackets when it is wider than
    ``width`` (the generated code has no strings, so every space sits between two tokens)."""
    if len(head) + len(text) <= width:
        return [head + text]
    bracketed = text.startswith("(") and text.endswith(")") and text.count("(") == 1
    inner = text[1:-1] if bracketed else text
    lines, line = [f"{head}("], "        "
    for word in inner.split(" "):
        if len(line) + len(word) > width and line.strip():
            lines.append(line.rstrip())
            line = "        "
        line += word + " "
    lines.append(line.rstrip())
    lines.append("    )")
    return lines


class _Emitter:
    """Writes a plan as the lines of one generator function, with a ``# scope`` comment
    wherever the scope changes, and counts what it wrote."""

    def __init__(self, records: list[NodePlan], batch: bool) -> None:
        self.records = records
        self.batch = batch
        self.lines: list[str] = []
        self.scope = ""
        self.forward_lines = 0
        self.backward_lines = 0
        self.edges = 0

    def section(self, title: str) -> None:
        self.lines.append(f"    # {title}")
        self.scope = ""

    def write(self, scope: str, lines: list[str]) -> None:
        if scope != self.scope:
            self.scope = scope
            self.lines.append(f"    # {_comment(scope) or '(no scope)'}")
        self.lines.extend(lines)

    def forward(self) -> None:
        """A line per named op node in topological order: ``v12 = v10 * v11``; an inlined
        node's expression goes into its user's line, in the same order of operations."""
        self.section("forward: every node's value, in topological order")
        exprs = [(record.name, ATOM) for record in self.records]
        depth = [0] * len(self.records)
        for i, record in enumerate(self.records):
            if record.code is None:
                continue
            value = record.code.forward.fill_texts([exprs[p] for p in record.parents])
            depth[i] = max(depth[p] for p in record.parents) + 1
            if not record.named and depth[i] < MAX_DEPTH:
                exprs[i] = value
                continue
            record.named = True
            depth[i] = 0
            self.write(record.node.scope, _wrapped(f"    {record.name} = ", value[0]))
            self.forward_lines += 1
        self.lines.append(f"    yield {self.records[-1].name}")

    def backward(self) -> dict[int, str]:
        """``Value.backward``'s chain rule, one line per node: its gradient is the sum of what
        its uses give it, in the order backward adds them (summing from the first term instead
        of 0.0 can only change the sign of a zero). A use that passes the upstream gradient
        unchanged (an add) to a parent with no other use hands it over by name.

        Returns:
            The name holding each node's gradient, by position.
        """
        self.section("backward: d output / d node, each the sum over the node's uses")
        records = self.records
        last = len(records) - 1
        terms: list[list[tuple[str, int]]] = [[] for _ in records]
        self.bare = [False] * len(records)  # the only term is an upstream gradient, unscaled
        self.grad: dict[int, str] = {}
        if records[last].needs:
            self.grad[last] = f"d{records[last].name}"
            self.lines.append(f"    {self.grad[last]} = 1.0")
        for i in range(last, -1, -1):
            record = records[i]
            if record.code is None or not record.needs:
                continue
            if i != last:
                self.settle(i, terms[i])
            operands = [records[p].name for p in record.parents]
            operands.append(record.name)
            operands.append(self.grad[i])
            code = record.code
            for k, p in enumerate(record.parents):
                if records[p].needs:
                    gain = code.grads[k]
                    terms[p].append((gain.fill_names(operands), gain.level))
                    self.bare[p] = code.passes[k]
                    self.edges += 1
        self.terms = terms
        return self.grad

    def settle(self, i: int, found: list[tuple[str, int]]) -> None:
        """Write (or alias) the gradient of node ``i``: every term is known by now."""
        record = self.records[i]
        if len(found) == 1 and self.bare[i]:
            self.grad[i] = found[0][0]  # one use, passed on unchanged: the same number
            return
        name = self.grad[i] = f"d{record.name}"
        texts = [text if level >= SUM + (k > 0) else f"({text})"
                 for k, (text, level) in enumerate(found)]
        written = _wrapped(f"    {name} = ", " + ".join(texts[:MAX_DEPTH]))
        for start in range(MAX_DEPTH, len(texts), MAX_DEPTH):
            more = " + ".join(texts[start:start + MAX_DEPTH])
            written += _wrapped(f"    {name} = ", f"{name} + {more}")
        self.write(record.node.scope, written)
        self.backward_lines += 1


def generate(
    order: Sequence[Value],
    inputs: Sequence[Value],
    wants_grad: Sequence[bool],
    input_names: Sequence[str],
    name: str = "traced",
    batch: bool = False,
) -> Generated:
    """Write a recorded graph as one generator function: forward, ``yield``, backward, ``yield``.

    Forward: a line per node in topological order, ``v12 = v10 * v11``. An unlabelled node
    with a single use whose value the backward code never reads (the products and partial sums
    inside a neuron's ``b + w·x``) is written into its user's line instead, so a neuron reads
    ``s = b + w0 * x0 + w1 * x1``. Backward: one line per node, the sum over its uses of what
    each op's rule gives it, in the order backward adds them, so every number equals the eager
    engine's. Code no wanted gradient depends on is left out.

    Args:
        order: the graph, leaves first and the output last (``topological_order``).
        inputs: the leaves read on every call, in the order the program receives their data;
            every other leaf is a constant and written into the code as a number.
        wants_grad: per input, whether its gradient is returned.
        input_names: per input, the name to use when its label gives none (``"x0"``).
        name: the function's name (made a valid identifier).
        batch: write the batch variant: the same lines, run on NumPy arrays of samples (the
            helpers of ``batch_namespace``; conditionals become ``_where``), so every value and
            gradient is an array over the batch, or a float where it depends on no array.

    Raises:
        JitError: a node was made by an op that is not in the op table.
    """
    records = plan(order, inputs, wants_grad, input_names, batch)
    function = identifier(name) or "traced"
    emit = _Emitter(records, batch)
    emit.lines.append(f"def {function}(_inputs):")
    for record in sorted((r for r in records if r.slot is not None), key=lambda r: r.slot or 0):
        if record.slot is not None:
            label = _comment(record.node.label)
            note = f"  # {label}" if label and label != record.name else ""
            emit.lines.append(f"    {record.name} = _inputs[{record.slot}]{note}")
    emit.forward()
    grad = emit.backward()

    last = len(records) - 1
    grad_inputs: list[int] = []
    results: list[str] = []
    at = {record.slot: i for i, record in enumerate(records) if record.slot is not None}
    for slot in range(len(inputs)):
        i = at.get(slot, -1)
        if i < 0 or not wants_grad[slot]:
            continue
        record = records[i]
        if i == last:  # the output is an input itself: d output / d output = 1
            grad_inputs.append(slot)
            results.append(grad[i])
        elif emit.terms[i]:
            if not grad_inputs:
                emit.section("inputs and parameters: the sum over every use")
            emit.settle(i, emit.terms[i])
            if grad[i] != f"d{record.name}":  # passed on by an add: name it after the leaf
                emit.write(record.node.scope, [f"    d{record.name} = {grad[i]}"])
                grad[i] = f"d{record.name}"
                emit.backward_lines += 1
            grad_inputs.append(slot)
            results.append(grad[i])
    comma = "," if len(results) == 1 else ""
    emit.lines.extend(_wrapped("    yield ", f"({', '.join(results)}{comma})"))
    return Generated(
        source="\n".join(emit.lines) + "\n",
        name=function,
        grad_inputs=grad_inputs,
        nodes=len(records),
        forward_lines=emit.forward_lines,
        backward_lines=emit.backward_lines,
        edges=emit.edges,
        constants=sum(1 for r in records if r.code is None and r.slot is None),
        batch=batch,
    )
