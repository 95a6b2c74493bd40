"""engine.jit's code generator: a recorded graph written out as straight-line Python source."""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from . import ops
from .eager import op_of
from .symbolic import SCALAR_HELPERS, batch_helpers, literal
from .value import Value

#: The compiled program: called with the data of every input (in order), it yields the output's
#: value, then, when resumed, the tuple of d output / d input for the inputs that want a gradient.
Program = Callable[[Sequence[float]], Generator[object, None, None]]


class JitError(ValueError):
    """A graph that ``engine.jit`` cannot turn into code (an op it has no template for)."""


#: The globals the scalar code runs with: the engine's own IEEE-safe helpers, nothing else.
NAMESPACE = SCALAR_HELPERS


def batch_namespace() -> dict[str, object]:
    """The globals of the batch code (``symbolic.batch_helpers``)."""
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


def identifier(label: str) -> str:
    """A label made into an ASCII Python name (``"w1.3"`` -> ``"w1_3"``); ``""`` if nothing is left.

    Names never start with ``_`` (the generated code's helpers do) or a digit.
    """
    text = re.sub(r"[^0-9A-Za-z]+", "_", label).strip("_")
    text = text.lstrip("0123456789_")
    if keyword.iskeyword(text):
        text += "_"
    return text


def _pow_exponent(node: Value) -> float:
    """The number n of a ``x ** n`` node, read from its rule (the op string rounds n for show)."""
    found = op_of(node._grad_fn)
    if found is not None and found[0] is ops.POW_NUMBER:
        return float(found[1][0])
    raise JitError(
        f"engine.jit cannot read the exponent of the {node._op!r} node {_describe(node)}"
    )


def _describe(node: Value) -> str:
    parts = [f"data={node.data!r}"]
    if node.label:
        parts.insert(0, f"label={node.label!r}")
    if node.scope:
        parts.append(f"scope={node.scope!r}")
    return f"({', '.join(parts)})"


def op_kind(node: Value) -> str:
    """``"+"``, ``"*"``, ``"**n"``, ``"**"``, ``"exp"``, ... for a node made by an engine op.

    Raises:
        JitError: the node's rule is not one of the engine's (a custom op, or a jitted call
            inside a function being jitted).
    """
    found = op_of(node._grad_fn)
    if found is not None:
        return "**n" if found[0] is ops.POW_NUMBER else found[0].name
    hint = (
        " (a call of a jitted function: jit the outer function only, or call the inner one "
        "eagerly)" if node._op.startswith("jit") else ""
    )
    raise JitError(
        f"engine.jit has no code for the op {node._op!r} of node {_describe(node)}{hint}; "
        "it compiles +, *, ** (by a number or a Value), exp, log, tanh, sigmoid, relu and "
        "everything built from them"
    )


# How tightly an expression binds, to parenthesise it only where Python would regroup it.
_LOOSE, _SUM, _PRODUCT, _ATOM = 0, 1, 2, 3


class _Expr(NamedTuple):
    text: str
    level: int
    depth: int = 0  # operators nested in it: the parser and compiler recurse on them


#: An inlined expression deeper than this gets a line of its own, and a gradient with more terms
#: is summed over several lines (``dx = dx + ...``, the same order): Python's parser and
#: compiler recurse into nested expressions and stop at a few hundred or thousand levels.
MAX_DEPTH = 40


def _operand(expr: _Expr, level: int, right: bool) -> str:
    """``expr`` as an operand of a left-associative operator of ``level``: the right operand
    of an equal level keeps its parentheses, so ``a + (b + c)`` is never regrouped."""
    if expr.level > level or (expr.level == level and not right):
        return expr.text
    return f"({expr.text})"


def _forward(kind: str, node: Value, a: _Expr, b: _Expr, batch: bool) -> _Expr:
    """A node's value from its parents' expressions, the same float operations as the op
    (``batch``: the same operations element-wise, through the batch helpers)."""
    depth = max(a.depth, b.depth) + 1
    if kind == "+":
        return _Expr(f"{_operand(a, _SUM, False)} + {_operand(b, _SUM, True)}", _SUM, depth)
    if kind == "*":
        text = f"{_operand(a, _PRODUCT, False)} * {_operand(b, _PRODUCT, True)}"
        return _Expr(text, _PRODUCT, depth)
    if kind == "**n":
        return _Expr(f"_power({a.text}, {literal(_pow_exponent(node))})", _ATOM, depth)
    if kind == "**":
        return _Expr(f"_power({a.text}, {b.text})", _ATOM, depth)
    if kind == "relu":
        if batch:
            return _Expr(f"_where({a.text} <= 0.0, 0.0, {a.text})", _ATOM, depth)
        return _Expr(f"0.0 if {a.text} <= 0.0 else {a.text}", _LOOSE, depth)
    return _Expr(f"_{kind}({a.text})", _ATOM, depth)  # exp, log, tanh, sigmoid


def _local(kind: str, node: Value, out: str, a: str, b: str, k: int, batch: bool) -> str | None:
    """d node / d parent k as an expression, the same float operations as the engine's rule.

    The result is multiplied on the right by the upstream gradient (``expr * dout``), so an
    expression that binds looser than ``*`` comes in parentheses. ``None`` means exactly 1.0,
    whose product with the upstream gradient is that gradient unchanged. With ``batch``, the
    rules that branch (``**`` at 0, relu) choose element by element with ``_where``.
    """
    if kind == "+":
        return None
    if kind == "*":
        return b if k == 0 else a
    if kind == "**n":
        n = _pow_exponent(node)
        if n == 0.0:
            return "0.0"
        if n - 1.0 == 1.0:
            return f"{literal(n)} * {a}"  # pow(x, 1.0) is x exactly
        return f"{literal(n)} * _power({a}, {literal(n - 1.0)})"
    if kind == "**":
        if batch:
            if k == 0:
                return f"_where({b} == 0.0, 0.0, {b} * _power({a}, {b} - 1.0))"
            return f"_where(({a} == 0.0) & ({b} >= 0.0), 0.0, {out} * _log({a}))"
        if k == 0:
            return f"(0.0 if {b} == 0.0 else {b} * _power({a}, {b} - 1.0))"
        return f"(0.0 if ({a} == 0.0 and {b} >= 0.0) else {out} * _log({a}))"
    if kind == "exp":
        return out
    if kind == "log":
        return f"_div(1.0, {a})"
    if kind == "tanh":
        return f"(1.0 - {out}) * (1.0 + {out})"
    if kind == "sigmoid":
        return f"{out} * (1.0 - {out})"
    if batch:
        return f"_where({out} <= 0.0, 0.0, 1.0)"  # relu
    return f"(0.0 if {out} <= 0.0 else 1.0)"  # relu


def _reads_parent(kind: str, k: int, wanted: Sequence[bool]) -> bool:
    """Does the backward code of a node of ``kind`` read the value of its parent ``k``, given
    which parents want a gradient (``wanted``)? Its forward code reads every parent."""
    if kind == "*":
        return wanted[1 - k]  # d/da = b, d/db = a
    if kind == "**":
        return any(wanted)
    if kind in ("**n", "log"):
        return wanted[0]
    return False  # +, and the ops whose derivative reads the output only


_READS_OUTPUT = frozenset({"**", "exp", "tanh", "sigmoid", "relu"})


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


class _Writer:
    """The function's lines, with a ``# scope`` comment wherever the scope changes."""

    def __init__(self, lines: list[str]) -> None:
        self.lines = lines
        self.scope = ""

    def section(self, title: str) -> None:
        self.lines.append(f"    # {title}")
        self.scope = ""

    def write(self, scope: str, lines: list[str]) -> None:
        if scope != self.scope:
            self.scope = scope
            self.lines.append(f"    # {_comment(scope) or '(no scope)'}")
        self.lines.extend(lines)


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
    inside a neuron's ``b + w·x``) is written into its user's line instead, in the same order of
    operations, so a neuron reads ``s = b + w0 * x0 + w1 * x1``.

    Backward: ``Value.backward``'s chain rule with the engine's own local-derivative formulas,
    one line per node: its gradient is the sum over its uses, ``dx = (d u1 / dx) * du1 + ...``,
    in the order backward adds them, so every number equals the eager engine's (summing from
    the first term instead of 0.0 can only change the sign of a zero). An add hands its
    gradient to a parent with no other use by name, and code no wanted gradient depends on is
    left out.

    Args:
        order: the graph, leaves first and the output last (``topological_order``).
        inputs: the leaves read on every call, in the order the program receives their data;
            every other leaf is a constant and written into the code as a number.
        wants_grad: per input, whether its gradient is returned.
        input_names: per input, the name to use when its label gives none (``"x0"``).
        name: the function's name (made a valid identifier).
        batch: write the batch variant: the same lines, run on NumPy arrays of samples (the
            helpers of ``batch_namespace``; the conditionals of relu and ``**`` become
            ``_where``), so every value and gradient is an array over the batch, or a float
            where it depends on no array.

    Raises:
        JitError: a node was made by an op that has no code template.
    """
    # Nodes are numbered by their place in ``order``; every table below is a list by number.
    number = {id(node): i for i, node in enumerate(order)}
    parents = [[number[id(p)] for p in node._prev] for node in order]
    slot_of = {number[id(leaf)]: slot for slot, leaf in enumerate(inputs) if id(leaf) in number}
    size = len(order)
    names = _Names()
    var = [""] * size  # the value's name, or a literal for a constant
    kinds = [""] * size  # "" for a leaf
    needs = [False] * size  # some wanted gradient flows through the node
    users = [0] * size  # how many times the node is a parent
    constants = 0
    for i, node in enumerate(order):
        ps = parents[i]
        for p in ps:
            users[p] += 1
        if not ps:
            slot = slot_of.get(i)
            if slot is None:
                var[i] = literal(node.data)
                constants += 1
            else:
                var[i] = names.take((node.label and identifier(node.label)) or input_names[slot])
                needs[i] = wants_grad[slot]
            continue
        kinds[i] = op_kind(node)
        var[i] = names.take((node.label and identifier(node.label)) or f"v{i}")
        for p in ps:
            if needs[p]:
                needs[i] = True
                break

    # Inline the nodes whose value only their single user's forward line reads.
    last = size - 1
    inline = [False] * size
    for i in range(size):
        kind = kinds[i]
        if not kind or kind == "relu":  # a leaf; relu's line reads its operand twice
            continue
        ps = parents[i]
        wanted = [needs[p] for p in ps]
        for k, p in enumerate(ps):
            if (
                kinds[p]
                and users[p] == 1
                and p != last
                and not order[p].label
                and not (needs[p] and kinds[p] in _READS_OUTPUT)
                and not (needs[i] and _reads_parent(kind, k, wanted))
            ):
                inline[p] = True

    function = identifier(name) or "traced"
    lines = [f"def {function}(_inputs):"]
    for slot, leaf in enumerate(inputs):
        at = number.get(id(leaf))
        if at is not None:
            i = at
            label = _comment(leaf.label)
            note = f"  # {label}" if label and label != var[i] else ""
            lines.append(f"    {var[i]} = _inputs[{slot}]{note}")

    out = _Writer(lines)
    out.section("forward: every node's value, in topological order")
    expr = [_Expr(text, _ATOM) for text in var]
    forward_lines = 0
    for i, node in enumerate(order):
        if not kinds[i]:
            continue
        ps = parents[i]
        value = _forward(kinds[i], node, expr[ps[0]], expr[ps[-1]], batch)
        if inline[i] and value.depth < MAX_DEPTH:
            expr[i] = value
            continue
        out.write(node.scope, _wrapped(f"    {var[i]} = ", value.text))
        forward_lines += 1
    lines.append(f"    yield {var[last]}")

    out.section("backward: d output / d node, each the sum over the node's uses")
    terms: list[list[str]] = [[] for _ in range(size)]  # the gradient's terms, in order
    bare = [False] * size  # the only term is an upstream gradient, unscaled (through an add)
    grad = [""] * size  # the name holding the node's gradient
    backward_lines = 0

    def settle(i: int) -> None:
        """Write (or alias) the gradient of node ``i``: every term is known by now."""
        nonlocal backward_lines
        found = terms[i]
        if len(found) == 1 and bare[i]:
            grad[i] = found[0]  # one use, through an add: the same number under its name
            return
        grad[i] = f"d{var[i]}"
        written = _wrapped(f"    {grad[i]} = ", " + ".join(found[:MAX_DEPTH]))
        for start in range(MAX_DEPTH, len(found), MAX_DEPTH):
            more = " + ".join(found[start:start + MAX_DEPTH])
            written += _wrapped(f"    {grad[i]} = ", f"{grad[i]} + {more}")
        out.write(order[i].scope, written)
        backward_lines += 1

    edges = 0
    if needs[last]:
        grad[last] = f"d{var[last]}"
        lines.append(f"    {grad[last]} = 1.0")
    for i in range(last, -1, -1):
        kind = kinds[i]
        if not kind or not needs[i]:
            continue
        node = order[i]
        if i != last:
            settle(i)
        upstream = grad[i]
        ps = parents[i]
        a, b = var[ps[0]], var[ps[-1]]
        for k, p in enumerate(ps):
            if not needs[p]:
                continue
            local = _local(kind, node, var[i], a, b, k, batch)
            terms[p].append(upstream if local is None else f"{local} * {upstream}")
            bare[p] = local is None
            edges += 1

    grad_inputs = []
    results = []
    for slot, leaf in enumerate(inputs):
        at = number.get(id(leaf))
        if at is None or not wants_grad[slot]:
            continue
        i = at
        if i == last:  # the output is an input itself: d output / d output = 1
            grad_inputs.append(slot)
            results.append(grad[i])
        elif terms[i]:
            if not grad_inputs:
                out.section("inputs and parameters: the sum over every use")
            settle(i)
            if grad[i] != f"d{var[i]}":  # passed on by an add: name it after the leaf
                out.write(leaf.scope, [f"    d{var[i]} = {grad[i]}"])
                grad[i] = f"d{var[i]}"
                backward_lines += 1
            grad_inputs.append(slot)
            results.append(grad[i])
    comma = "," if len(results) == 1 else ""
    lines.extend(_wrapped("    yield ", f"({', '.join(results)}{comma})"))
    return Generated(
        source="\n".join(lines) + "\n",
        name=function,
        grad_inputs=grad_inputs,
        nodes=size,
        forward_lines=forward_lines,
        backward_lines=backward_lines,
        edges=edges,
        constants=constants,
        batch=batch,
    )
