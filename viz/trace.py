"""Backward written out as the chain rule, one line per step (`viz.trace`), as text or Markdown."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from engine import BackwardStep, ParentUpdate, Value, backward_steps
from engine.display import html_table
from engine.functional import fresh_grads

from .format import TEXT_DIGITS, float_text
from .names import describe, reading_leaves, text_names

__all__ = ["DIGITS", "Trace", "final_grads", "format_step", "format_update", "fresh_steps",
           "leaves_of", "text_names", "trace", "trace_markdown"]

#: Significant digits of the numbers in a trace; ``digits=None`` prints every digit (``repr``).
DIGITS = TEXT_DIGITS

#: The columns of a trace's table of steps (Markdown and HTML), and their alignment.
STEP_HEADER = ("step", "node", "op", "node.grad", "parent", "local", "local x grad",
               "parent.grad after")
STEP_ALIGN = "><<><>"


class Trace(str):
    """A trace: its text (a ``str``: print it, write it, compare it), shown in a notebook as
    HTML tables, one row per parent update, then the leaves."""

    html: str

    def __new__(cls, text: str, html: str) -> Trace:
        made = super().__new__(cls, text)
        made.html = html
        return made

    def _repr_mimebundle_(self, include: object = None,
                          exclude: object = None) -> dict[str, str]:
        """Jupyter's display: the tables, and the text for a front end without HTML."""
        return {"text/plain": str(self), "text/html": self.html}


def fresh_steps(root: Value) -> tuple[list[Value], list[BackwardStep]]:
    """Run ``backward_steps(root)`` from zero grads and put every ``.grad`` back afterwards.

    A trace or a flipbook shows one clean backward (each leaf starting from 0), whatever grads
    the graph held, and leaves them as they were: a user may still call ``backward()`` after.

    Returns:
        The topological order and the step records.
    """
    if not isinstance(root, Value):
        raise TypeError(f"expected a Value root, got {root!r} ({type(root).__name__})")
    with fresh_grads(root) as order:
        return order, list(backward_steps(root))


def leaves_of(order: Sequence[Value]) -> list[Value]:
    """The nodes without parents in reading order: inputs, parameters (by layer, neuron and
    place), constants (``viz.names.reading_leaves``); ``order[-1]`` is the root."""
    return reading_leaves(order[-1], order)


def final_grads(order: Sequence[Value], steps: Sequence[BackwardStep]) -> dict[Value, float]:
    """d root / d node for every node, read from the records (the root's seed is 1.0)."""
    grads = dict.fromkeys(order, 0.0)
    grads[order[-1]] = 1.0
    for step in steps:
        for update in step.updates:
            grads[update.parent] = update.after
    return grads


def format_update(
    parent_name: str, update: ParentUpdate, upstream: float, digits: int | None = DIGITS
) -> str:
    """``u.grad += 1.0 x 2.0 = 2.0``: local derivative x upstream grad = contribution.

    When the parent already had a grad (fan-out, or a repeated parent), ``(now 5.0)`` follows
    with the sum it holds after this addition.
    """
    text = (
        f"{parent_name}.grad += {float_text(update.local, digits)} x "
        f"{float_text(upstream, digits)} = {float_text(update.contribution, digits)}"
    )
    if update.before != 0.0:
        text += f" (now {float_text(update.after, digits)})"
    return text


def format_step(
    step: BackwardStep, names: Mapping[Value, str] | None = None, digits: int | None = DIGITS
) -> str:
    """One step as the chain rule: ``z (+): grad 2.0  ->  u.grad += 1.0 x 2.0 = 2.0;  ...``.

    ``node.grad`` is the upstream gradient d root / d node; each parent receives
    ``local x upstream`` (its local derivative d node / d parent times that). Use it to print the
    steps as you walk them: ``for s in backward_steps(o): print(viz.format_step(s))``.

    Args:
        step: a record from ``engine.backward_steps``.
        names: node names (``text_names(order)``); by default ``viz.names.describe``.
        digits: significant digits, or None for every digit.
    """
    def name(node: Value) -> str:
        if names is not None and node in names:
            return names[node]
        return describe(node)

    writes = ";  ".join(
        format_update(name(u.parent), u, step.upstream, digits) for u in step.updates
    )
    upstream = float_text(step.upstream, digits)
    return f"{name(step.node)} ({step.node._op}): grad {upstream}  ->  {writes}"


def trace(root: Value, *, markdown: bool = False, digits: int | None = DIGITS) -> str:
    """The whole backward of ``root`` as text: one line per step, then every leaf's gradient.

    The steps come in the order ``backward()`` takes them (reverse topological): at each node,
    ``parent.grad += (d node / d parent) x node.grad`` for every use of every parent. The graph's
    ``.grad`` values are left as they were (see ``fresh_steps``).

    Args:
        root: the node to differentiate (usually the loss).
        markdown: give Markdown tables instead of plain text.
        digits: significant digits of every number, or None for all of them.

    Returns:
        The trace, ending with a newline: a ``Trace``, a ``str`` that a notebook shows as
        HTML tables.
    """
    order, steps = fresh_steps(root)
    names = text_names(order)
    tables = _html(order, steps, names, digits)
    if markdown:
        return Trace(_markdown(order, steps, names, digits), tables)
    root_name = names[root]
    lines = [
        f"backward of {root_name}: {len(steps)} steps, each node's grad is d{root_name}/d(node)",
    ]
    width = len(str(len(steps)))
    for step in steps:
        lines.append(f"step {step.index:>{width}}  {format_step(step, names, digits)}")
    lines.append("leaf gradients:")
    grads = final_grads(order, steps)
    for leaf in leaves_of(order):
        data, grad = float_text(leaf.data, digits), float_text(grads[leaf], digits)
        lines.append(f"  {names[leaf]} = {data}: grad {grad}")
    return Trace("\n".join(lines) + "\n", tables)


def trace_markdown(root: Value, *, digits: int | None = DIGITS) -> str:
    """``trace(root, markdown=True)``: a Markdown table of the steps and one of the leaves."""
    return trace(root, markdown=True, digits=digits)


def _code(text: str) -> str:
    """Text as Markdown inline code; ``|`` is escaped because it would split a table cell."""
    return "`" + text.replace("`", "'").replace("|", "\\|") + "`"


def _step_rows(steps: Sequence[BackwardStep], names: Mapping[Value, str],
               digits: int | None) -> list[list[str]]:
    """One row per use of each parent (``STEP_HEADER``); a step's first row names its node."""
    rows = []
    for step in steps:
        for i, u in enumerate(step.updates):
            head = ([str(step.index), names[step.node], step.node._op,
                     float_text(step.upstream, digits)] if i == 0 else ["", "", "", ""])
            rows.append([*head, names[u.parent], float_text(u.local, digits),
                         float_text(u.contribution, digits), float_text(u.after, digits)])
    return rows


def _leaf_rows(order: Sequence[Value], steps: Sequence[BackwardStep],
               names: Mapping[Value, str], digits: int | None) -> list[list[str]]:
    grads = final_grads(order, steps)
    return [[names[leaf], float_text(leaf.data, digits), float_text(grads[leaf], digits)]
            for leaf in leaves_of(order)]


def _html(order: Sequence[Value], steps: Sequence[BackwardStep], names: Mapping[Value, str],
          digits: int | None) -> str:
    """The trace as two HTML tables (``engine.display.html_table``): the steps, the leaves."""
    root_name = names[order[-1]]
    caption = (f"Backward of {root_name} in {len(steps)} steps: at each node, every parent gets "
               f"parent.grad += local x node.grad, where node.grad = d{root_name}/d(node).")
    return (html_table(STEP_HEADER, _step_rows(steps, names, digits), caption=caption,
                       align=STEP_ALIGN)
            + html_table(("leaf", "value", "grad"), _leaf_rows(order, steps, names, digits),
                         caption="leaf gradients"))


def _markdown(
    order: Sequence[Value], steps: Sequence[BackwardStep], names: Mapping[Value, str],
    digits: int | None,
) -> str:
    root_name = names[order[-1]]
    code = {1, 2, 4}  # the columns that name nodes and ops, set as inline code
    lines = [
        f"Backward of {_code(root_name)} in {len(steps)} steps. At each node, every parent gets "
        f"`parent.grad += local x node.grad`, where `node.grad` = d{root_name}/d(node).",
        "",
        "| " + " | ".join(STEP_HEADER) + " |",
        "|---:|---|---|---:|---|---:|---:|---:|",
    ]
    for row in _step_rows(steps, names, digits):
        cells = [_code(c) if i in code and c else c for i, c in enumerate(row)]
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "| leaf | value | grad |", "|---|---:|---:|"]
    for name, data, grad in _leaf_rows(order, steps, names, digits):
        lines.append(f"| {_code(name)} | {data} | {grad} |")
    return "\n".join(lines) + "\n"
