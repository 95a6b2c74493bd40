"""The step-through flipbook: one self-contained HTML page, one laid-out SVG and a frame of data
per backward step, shown by the front end in viz/web/ (see docs/frontend.md)."""

from __future__ import annotations

import html
import os
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from engine import BackwardStep, Value
from engine.ops import rule_text

from . import frontend
from .dot import DrawOptions, guard_layout, in_edge_id
from .format import DIGITS, compact, float_text, full
from .layout import clean_svg, graph_payload, widest_grads
from .names import node_names, reading_leaves, short_name, text_names
from .progress import Progress
from .scene import select_scene
from .trace import format_update, fresh_steps

__all__ = ["MAX_STEPS", "Flipbook", "StepBook", "build_book", "build_flipbook", "clean_svg",
           "page_html", "rule_of", "write_flipbook"]

#: Past this many steps a page is too long to step through (each step is about 1 kB of text).
MAX_STEPS = 2000

#: The quiz accepts an answer within this relative error (plus ``QUIZ_ATOL`` near zero).
QUIZ_RTOL = 5e-3
QUIZ_ATOL = 1e-12

def rule_of(op: str) -> str:
    """The local-derivative rule of an op, as text (``""`` for an op without one), from the
    op's row in ``engine.ops``."""
    return rule_text(op)




@dataclass(frozen=True)
class Flipbook:
    """Everything the page shows, before it is written out as HTML.

    Attributes:
        graph: the laid-out drawing, as ``viz.layout.graph_payload`` gives it (one SVG).
        book: the steps as data: each step's node, the edges it writes, its arithmetic and quiz
            as HTML, and each node's grad timeline (``[[from_frame, text, every digit], ...]``).
        quiz: whether the page offers the quiz.
    """

    graph: dict[str, Any]
    book: dict[str, Any]
    quiz: bool

    @property
    def frames(self) -> int:
        """Frames the page steps through: the forward graph, then one per step."""
        return len(self.book["steps"]) + 1


def build_flipbook(root: Value, *, quiz: bool = True, digits: int = DIGITS) -> Flipbook:
    """Run backward step by step (``engine.backward_steps``) and lay the graph out once.

    The graph's ``.grad`` values are left as they were. Frame k shows the grads known after
    step k (what ``.grad`` holds so far; ``grad ?`` for none yet); the page writes them into
    the one SVG, each node laid out as wide as its widest grad text, so nothing moves while the
    reader steps. Needs the Graphviz ``dot`` program.

    Args:
        root: the output to step backward from.
        quiz: offer the quiz, which asks for each step's new grads before showing them.
        digits: significant digits of the numbers on the drawing.

    Raises:
        ValueError: more than ``MAX_STEPS`` steps, or a graph whose shape dot would lay out
            for minutes (``viz.cost``); both at once, before any work.
    """
    scene = select_scene(root)
    total = sum(1 for node in scene.order if node._prev)
    _check_steps(total)
    options = DrawOptions(digits=digits)
    cost, _ = guard_layout(scene, options)  # refuse a shape dot would take minutes on, at once
    progress = Progress("steps", total + 2)
    steps = build_book(root, digits=digits, progress=progress)
    with progress.waiting(f"laying out {cost.nodes} nodes with dot"):
        graph = graph_payload(scene, options, steps.sizing, names=steps.names,
                              record_names=steps.record_names)
    progress.advance(1, "done")
    progress.close()
    return Flipbook(graph, steps.book, quiz and bool(steps.book["steps"]))


@dataclass(frozen=True)
class StepBook:
    """The steps as data (``build_book``) and what laying them out needs.

    Attributes:
        book: the JSON the stepper reads (see ``Flipbook.book``).
        sizing: each node's widest grad over the steps (``viz.layout.widest_grads``).
        record_names: the names written in the records of unlabelled nodes.
        names: each node's name in text.
    """

    book: dict[str, Any]
    sizing: dict[Value, float | None]
    record_names: dict[Value, str]
    names: dict[Value, str]


def build_book(root: Value, *, digits: int = DIGITS,
               progress: Progress | None = None) -> StepBook:
    """The steps of ``root``'s backward as data, and no layout: what ``build_flipbook`` lays
    out once, and what the live explorer rebuilds after every value change (same graph, new
    numbers) without running Graphviz. The graph's ``.grad`` values are left as they were.

    Raises:
        ValueError: more than ``MAX_STEPS`` steps.
    """
    order, steps = fresh_steps(root)
    _check_steps(len(steps))
    names = text_names(order)
    ids = node_names(order)
    uses = Counter(parent for node in order for parent in node._prev)

    # Each node's grad timeline: the frames from which on it shows a new grad.
    timelines: dict[str, list[list[object]]] = {}
    known: dict[Value, float] = {}

    def learn(node: Value, grad: float, frame: int) -> None:
        known[node] = grad
        timelines.setdefault(ids[node], []).append([frame, compact(grad, digits), full(grad)])

    records = []
    for step in steps:
        if step.index == 1:
            learn(root, step.upstream, 1)  # the seed, d root / d root = 1
        for update in step.updates:
            learn(update.parent, update.after, step.index)
            uses[update.parent] -= 1
        records.append(_step_record(root, step, names, ids, uses, digits))
        if progress is not None and step.index % 50 == 0:
            progress.advance(50)
    if progress is not None:
        progress.advance(len(steps) % 50)
    if not steps:
        learn(root, 1.0, 0)

    every_grad = [{update.parent: update.after} for step in steps for update in step.updates]
    sizing = widest_grads(order, [*every_grad, {root: known[root]}], digits)
    # The text names every node it speaks of; so does the drawing, inside the scope's box.
    record_names = {node: short_name(names[node]) for node in order
                    if node._prev and not node.label}
    leaves = reading_leaves(root, order)
    book: dict[str, Any] = {
        "root": ids[root],
        "intro": _intro_html(root, names, ids, len(steps)),
        "steps": records,
        "grads": timelines,
        "leaves": [{"node": ids[leaf], "name": names[leaf], "data": float_text(leaf.data)}
                   for leaf in leaves],
        "rtol": QUIZ_RTOL,
        "atol": QUIZ_ATOL,
    }
    return StepBook(book, sizing, record_names, names)


def _check_steps(total: int) -> None:
    if total > MAX_STEPS:
        raise ValueError(
            f"the graph has {total} backward steps, more than the {MAX_STEPS} a flipbook "
            "holds; step through a smaller graph (one neuron, one sample)"
        )


def write_flipbook(
    root: Value, path: str | os.PathLike[str], *, title: str | None = None, quiz: bool = True,
    digits: int = DIGITS,
) -> Path:
    """Write the step-through page of ``root``'s backward pass to ``path`` (one HTML file).

    The page needs no network and no server: the SVG, the script and the styles are inside the
    file. It has previous/next buttons, the arrow keys, a slider, a step counter, the arithmetic
    of the current step under the graph, the leaves' grads so far, an "Actual size" view that
    keeps the current node in sight, and (with ``quiz``) a "Quiz me" toggle that asks for each
    step's new grads before showing them.

    Args:
        root: the output to step backward from (its graph's ``.grad`` values are not changed).
        path: the HTML file to write; its folder is created.
        title: the page's heading; by default "Backward through <root>, step by step".
        quiz: include the quiz.
        digits: significant digits of the numbers shown.

    Returns:
        The path written.
    """
    book = build_flipbook(root, quiz=quiz, digits=digits)
    if title is None:
        title = f"Backward through {text_names([root])[root]}, step by step"
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page_html(book, title), encoding="utf-8")
    return target


def page_html(book: Flipbook, title: str) -> str:
    """The flipbook as one HTML document: viz/web/flipbook.html with the stylesheet, the
    bundled ES modules and the book's JSON inlined (see ``write_flipbook``)."""
    script = frontend.bundle([*frontend.STEPPER_MODULES, "flipbook.js"])
    if "</script" in script.lower():
        raise ValueError("a front-end module contains '</script', which would end the page's "
                         "inline script early")
    payload = {"graph": book.graph, "book": book.book, "quiz": book.quiz}
    return frontend.fill(frontend.asset("flipbook.html"), {
        "title": html.escape(title),
        "css": frontend.asset(frontend.STYLESHEET),
        "data": frontend.script_json(payload),
        "js": script,
    })


def _ref(node: Value, names: Mapping[Value, str], ids: Mapping[Value, str]) -> str:
    """A node's name that outlines the node in the drawing when hovered."""
    return (
        f'<span class="node-ref" data-node="{ids[node]}">{html.escape(names[node])}</span>'
    )


def _intro_html(
    root: Value, names: Mapping[Value, str], ids: Mapping[Value, str], total: int
) -> str:
    if total == 0:
        return (
            f'<div class="head">{_ref(root, names, ids)} is a leaf: backward has no steps, '
            f"its grad is d{html.escape(names[root])}/d{html.escape(names[root])} = 1.</div>"
        )
    name = html.escape(names[root])
    return (
        '<div class="head">Step 0: the forward pass is done.</div>'
        f"<div>Every node holds its data; no grad is known yet. Backward starts at "
        f"{_ref(root, names, ids)} with its grad seeded to d{name}/d{name} = 1, then takes "
        f"{total} steps. Press <b>Next</b> or &rarr;.</div>"
    )


def _step_record(
    root: Value, step: BackwardStep, names: Mapping[Value, str], ids: Mapping[Value, str],
    remaining: Mapping[Value, int], digits: int,
) -> dict[str, object]:
    """The page's data for one step: its arithmetic, its quiz, both as HTML and numbers.

    ``remaining`` counts, for each node, the uses of it whose step is still to come.
    """
    node = step.node
    upstream = float_text(step.upstream, digits)
    root_name = html.escape(names[root])
    head = (
        f'<div class="head">Step {step.index} of {step.total}: {_ref(node, names, ids)} '
        f"({html.escape(node._op)}) has grad {upstream} "
        f"(= d{root_name}/d{html.escape(names[node])}).</div>"
    )
    rule = rule_of(node._op)
    rule_html = f'<div class="rule">local derivative: {html.escape(rule)}</div>' if rule else ""
    lines = []
    for update in step.updates:
        name = names[update.parent]
        text = format_update(name, update, step.upstream, digits)
        lines.append(
            f'<span class="line">{_ref(update.parent, names, ids)}'
            f"{html.escape(text[len(name):])}</span>"
        )
    parents = list(dict.fromkeys(u.parent for u in step.updates))
    notes = []
    for parent in parents:
        left = remaining[parent]
        if left:
            notes.append(
                f"{_ref(parent, names, ids)} is used {left} more time{'s' if left > 1 else ''} "
                "further back: its grad is not final yet."
            )
    if step.index == step.total:
        notes.append("Backward is done: every grad is final (the leaves are in the table).")
    notes_html = "".join(f'<div class="note">{note}</div>' for note in notes)
    answer = head + rule_html + "".join(lines) + notes_html

    holding = [
        f"{_ref(p, names, ids)} holds {float_text(step_before(step, p), digits)} so far"
        for p in parents if step_before(step, p) != 0.0
    ]
    question = (
        head + rule_html
        + "<div>Each parent gets <code>parent.grad += local &times; "
        f"{upstream}</code>, the local derivatives being on the orange edges. What does each "
        "parent's grad hold after this step?</div>"
        + (f'<div class="note">{"; ".join(holding)}.</div>' if holding else "")
    )
    last_after = {u.parent: u.after for u in step.updates}
    return {
        "index": step.index,
        "node": ids[node],
        "edges": [in_edge_id(ids[node], slot) for slot in range(len(node._prev))],
        "upstream": [compact(step.upstream, digits), full(step.upstream)],
        "answer": answer,
        "question": question,
        "quiz": [{"name": names[p], "node": ids[p], "answer": repr(last_after[p])}
                 for p in parents],
    }


def step_before(step: BackwardStep, parent: Value) -> float:
    """``parent.grad`` just before ``step`` (its first update's ``before``)."""
    return next(u.before for u in step.updates if u.parent is parent)
