"""engine.jit's code generator: a recorded graph written out as straight-line Python source.

Two passes. ``codegen_plan.plan`` makes one record per node (its name, op, parents, whether a
wanted gradient flows through it, whether its value is written into its user's line);
``_Emitter`` writes the forward lines, then the backward lines, from those records. Every op's
code comes from its row in ``engine.ops``: its forward and its rule are read once per op on
holes (``symbolic.Template``) and filled with each node's operand names, so the code does the
eager engine's float operations in the eager engine's order.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

from .codegen_plan import JitError, NodePlan, identifier, plan
from .symbolic import ATOM, SCALAR_HELPERS, SUM, batch_helpers, literal
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

# --- the emitters --------------------------------------------------------------------------------

#: An inlined expression deeper than this gets a line of its own, and a gradient with more terms
#: is summed over several lines (``dx = dx + ...``, the same order): Python's parser and
#: compiler recurse into nested expressions and stop at a few hundred or thousand levels.
MAX_DEPTH = 40


def _comment(text: str) -> str:
    return " ".join(text.split())


def _wrapped(head: str, text: str, width: int = 96) -> list[str]:
    """The line ``head + text``, broken at spaces inside brackets when it is wider than
    ``width`` (the generated code has no strings, so every space sits between two tokens):
    each continuation line holds as many words as fit, or one word wider than the line."""
    if len(head) + len(text) <= width:
        return [head + text]
    bracketed = text.startswith("(") and text.endswith(")") and text.count("(") == 1
    rest = text[1:-1] if bracketed else text
    lines = [f"{head}("]
    room = width - len(_INDENT)
    while len(rest) > room:
        cut = rest.rfind(" ", 0, room + 1)
        if cut <= 0:  # a first word wider than the line: it stands alone
            cut = rest.find(" ", 1)
            if cut < 0:
                break
        lines.append(_INDENT + rest[:cut].rstrip())
        rest = rest[cut + 1:]
    lines.append((_INDENT + rest).rstrip())
    lines.append("    )")
    return lines


_INDENT = " " * 8


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
        records = self.records
        exprs = [(record.name, ATOM) for record in records]
        depth = [0] * len(records)
        for i, record in enumerate(records):
            code = record.code
            if code is None:
                continue
            parents = record.parents
            value = code.forward.fill_texts(list(map(exprs.__getitem__, parents)))
            deepest = 0
            for p in parents:
                if depth[p] > deepest:
                    deepest = depth[p]
            if not record.named and deepest + 1 < MAX_DEPTH:
                exprs[i] = value
                depth[i] = deepest + 1
                continue
            record.named = True
            self.write(record.node.scope, _wrapped(f"    {record.name} = ", value[0]))
            self.forward_lines += 1
        self.lines.append(f"    yield {records[-1].name}")

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
        # Each node's terms so far, each already parenthesised for its place in the sum.
        terms: list[list[str] | None] = [None] * len(records)
        self.bare = [False] * len(records)  # the only term is an upstream gradient, unscaled
        grad: dict[int, str] = {}
        self.grad = grad
        names = [record.name for record in records]
        if records[last].needs:
            grad[last] = f"d{records[last].name}"
            self.lines.append(f"    {grad[last]} = 1.0")
        edges = 0
        for i in range(last, -1, -1):
            record = records[i]
            code = record.code
            if code is None or not record.needs:
                continue
            if i != last:
                self.settle(i, terms[i] or [])
            parents = record.parents
            operands = list(map(names.__getitem__, parents))
            operands.append(record.name)
            operands.append(grad[i])
            for k, p in enumerate(parents):
                if records[p].needs:
                    gain = code.grads[k]
                    text = gain.fill_names(operands)
                    found = terms[p]
                    if found is None:
                        terms[p] = [text if gain.level >= SUM else f"({text})"]
                    else:
                        found.append(text if gain.level > SUM else f"({text})")
                    self.bare[p] = code.passes[k]
                    edges += 1
        self.edges += edges
        self.terms = terms
        return grad

    def settle(self, i: int, found: list[str]) -> None:
        """Write (or alias) the gradient of node ``i``: every term is known by now."""
        record = self.records[i]
        if len(found) == 1 and self.bare[i]:
            self.grad[i] = found[0]  # one use, passed on unchanged: the same number
            return
        name = self.grad[i] = f"d{record.name}"
        head = f"    {name} = "
        written = _wrapped(head, " + ".join(found[:MAX_DEPTH]))
        for start in range(MAX_DEPTH, len(found), MAX_DEPTH):
            written += _wrapped(head, f"{name} + {' + '.join(found[start:start + MAX_DEPTH])}")
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
        elif found := emit.terms[i]:
            if not grad_inputs:
                emit.section("inputs and parameters: the sum over every use")
            emit.settle(i, found)
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
