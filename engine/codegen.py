"""engine.jit's code generator: a recorded graph written out as Python source.

Three steps. ``codegen_plan.plan`` makes one record per node (its name, op, parents, whether a
wanted gradient flows through it, whether its value is written into its user's line);
``codegen_roll.find_region`` looks for a run of alike blocks to write once as a loop;
``codegen_emit.Emitter`` writes the forward lines, then the backward lines. Every op's
code comes from its row in ``engine.ops``: its forward and its rule are read once per op on
holes (``symbolic.Template``) and filled with each node's operand names, so the code does the
eager engine's float operations in the eager engine's order.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass

from .codegen_emit import Emitter, comment, wrapped
from .codegen_plan import JitError, identifier, plan
from .codegen_roll import ROLL_AT_LEAST, find_region
from .symbolic import SCALAR_HELPERS, batch_helpers, literal
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
            are written into their user's line; a loop's body counts once).
        backward_lines: lines of the chain rule, one per node whose gradient is a sum of terms
            (a loop's body counts once).
        edges: terms in those sums, one per edge that carries a gradient.
        constants: leaves written into the code as numbers.
        loop: (blocks, nodes per block) of the run of alike blocks written once as a ``for``
            loop (``codegen_roll``), or None when every node is written out.
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
    loop: tuple[int, int] | None = None
    batch: bool = False

    def compile(self) -> Program:
        """``compile()`` the source once and return the generator function it defines."""
        code = compile(self.source, f"<engine.jit {self.name}>", "exec")
        namespace = batch_namespace() if self.batch else dict(NAMESPACE)
        namespace["_range"] = range  # the loops' counter (the code sees no builtins)
        exec(code, namespace)
        function: Program = namespace[self.name]  # type: ignore[assignment]
        return function

def generate(
    order: Sequence[Value],
    inputs: Sequence[Value],
    wants_grad: Sequence[bool],
    input_names: Sequence[str],
    name: str = "traced",
    batch: bool = False,
    roll_at_least: int | None = ROLL_AT_LEAST,
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
        roll_at_least: write a run of alike blocks (a loss summed over samples by a Python
            loop) once, as a ``for`` loop, when that saves at least this many nodes
            (``codegen_roll``); None writes every node out.

    Raises:
        JitError: a node was made by an op that is not in the op table.
    """
    records = plan(order, inputs, wants_grad, input_names, batch)
    function = identifier(name) or "traced"
    region = None if roll_at_least is None else find_region(records, roll_at_least)
    emit = Emitter(records, region)
    emit.lines.append(f"def {function}(_inputs):")
    for record in sorted((r for r in records if r.slot is not None), key=lambda r: r.slot or 0):
        if record.slot is not None:
            label = comment(record.node.label)
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
    emit.lines.extend(wrapped("    yield ", f"({', '.join(results)}{comma})"))
    return Generated(
        source="\n".join(emit.lines) + "\n",
        name=function,
        grad_inputs=grad_inputs,
        nodes=len(records),
        forward_lines=emit.forward_lines,
        backward_lines=emit.backward_lines,
        edges=emit.edges,
        constants=sum(1 for r in records if r.code is None and r.slot is None),
        loop=None if region is None else (region.count, region.period),
        batch=batch,
    )
