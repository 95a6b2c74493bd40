"""The step-through flipbook: one self-contained HTML page with an SVG frame per backward step."""

from __future__ import annotations

import html
import json
import os
import re
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from engine import BackwardStep, Value
from engine.ops import rule_text

from .dot import draw_dot
from .flipbook_page import CSS, JS
from .format import DIGITS, compact
from .names import node_names
from .trace import format_update, fresh_steps, leaves_of, number, step_names

#: A flipbook holds two SVG frames per step; past this many steps the page gets too big to use.
MAX_STEPS = 300

#: The quiz accepts an answer within this relative error (plus ``QUIZ_ATOL`` near zero).
QUIZ_RTOL = 5e-3
QUIZ_ATOL = 1e-12

def rule_of(op: str) -> str:
    """The local-derivative rule of an op, as text (``""`` for an op without one), from the
    op's row in ``engine.ops``."""
    return rule_text(op)


_PROLOG = re.compile(r"^.*?(?=<svg\b)", re.S)


@dataclass(frozen=True)
class Flipbook:
    """Everything the page shows, before it is written out as HTML.

    Attributes:
        frames: SVG text per frame: frame 0 is the forward graph (no grads), frame k the graph
            after step k with its node and the edges it wrote in orange.
        questions: for each step k (index k - 1), the graph just before step k with that step's
            node in orange: what the quiz shows while the reader works the step out. Empty when
            the quiz is off.
        data: the JSON the page's script reads (arithmetic, quiz answers, leaf grads per frame).
        leaves: the leaves' names and values, in the order of the page's gradient table.
    """

    frames: list[str]
    questions: list[str]
    data: dict[str, object]
    leaves: list[tuple[str, float]]


def clean_svg(svg: str) -> str:
    """Graphviz SVG without its XML prolog, DOCTYPE and comments before ``<svg``, for inlining."""
    return _PROLOG.sub("", svg, count=1).strip()


def build_flipbook(root: Value, *, quiz: bool = True, digits: int = DIGITS) -> Flipbook:
    """Run backward step by step (``engine.backward_steps``) and draw a frame for each step.

    The graph's ``.grad`` values are left as they were. Each frame shows the grads known at that
    point (what ``.grad`` holds so far; ``grad ?`` for none yet) and needs the Graphviz ``dot``
    program. Every frame has the same layout (each node as wide as its widest grad text), so
    nothing moves while the reader steps.

    Args:
        root: the output to step backward from.
        quiz: also draw the question frames the quiz shows before each step.
        digits: significant digits of the numbers on the page.

    Raises:
        ValueError: more than ``MAX_STEPS`` steps (draw a smaller graph).
    """
    order, steps = fresh_steps(root)
    if len(steps) > MAX_STEPS:
        raise ValueError(
            f"the graph has {len(steps)} backward steps, more than the {MAX_STEPS} a flipbook "
            "holds; step through a smaller graph (one neuron, one sample)"
        )
    names = step_names(order)
    ids = node_names(order)
    leaves = leaves_of(order)
    uses = Counter(parent for node in order for parent in node._prev)

    def leaf_row(known: Mapping[Value, float]) -> list[list[str] | None]:
        return [
            [number(known[leaf], digits), repr(known[leaf])] if leaf in known else None
            for leaf in leaves
        ]

    # First the grads each frame shows (what .grad holds so far, None for "grad ?"), then the
    # drawings: every frame is laid out with the same node sizes, so nothing moves between them.
    known: dict[Value, float] = {}
    shown: list[tuple[dict[Value, float], Value | None]] = [({}, None)]
    asked: list[tuple[dict[Value, float], Value | None]] = []
    leaf_grads = [leaf_row(known)]
    records = []
    for step in steps:
        if step.index == 1:
            known[root] = step.upstream  # the seed, d root / d root = 1
        if quiz:
            asked.append((dict(known), step.node))
        for update in step.updates:
            known[update.parent] = update.after
            uses[update.parent] -= 1
        shown.append((dict(known), step.node))
        leaf_grads.append(leaf_row(known))
        records.append(_step_record(root, step, names, ids, uses, digits))

    # An unlabelled inner node has no name in a drawing, yet the arithmetic must name it: label
    # it with its text name (#<i>) while drawing, and give the graph back as it was.
    unnamed = [node for node in order if node._prev and not node.label]
    for node in unnamed:
        node.label = names[node]
    try:
        sizes = _node_sizes(root, order, [grads for grads, _ in shown + asked], digits)

        def render(grads: Mapping[Value, float], focus: Value | None) -> str:
            drawing = draw_dot(root, grads={node: grads.get(node) for node in order},
                               focus=focus, digits=digits, max_nodes=None)
            for name, width in sizes.items():
                drawing.node(name, width=width)  # a minimum: every text fits, so it is exact
            return clean_svg(drawing.pipe(format="svg", encoding="utf-8"))

        frames = [render(grads, focus) for grads, focus in shown]
        questions = [render(grads, focus) for grads, focus in asked]
    finally:
        for node in unnamed:
            node.label = ""
    data: dict[str, object] = {
        "intro": _intro_html(root, names, ids, len(steps)),
        "steps": records,
        "leafGrads": leaf_grads,
        "rtol": QUIZ_RTOL,
        "atol": QUIZ_ATOL,
    }
    return Flipbook(frames, questions, data, [(names[leaf], leaf.data) for leaf in leaves])


def _node_sizes(
    root: Value, order: list[Value], frames: list[Mapping[Value, float]], digits: int
) -> dict[str, str]:
    """Each value node's width over all ``frames`` (inches, as Graphviz writes it): the widest
    of its grad texts, measured by Graphviz.

    Graphviz sizes a node by its text, and ``grad ?`` is narrower than ``grad -0.3333``; a
    single point of width more can move other nodes by tens of points (dot settles ties
    differently). Given to every frame as the node's width, these keep one layout for all
    frames. Drawing ``j`` shows each node's ``j``-th distinct grad text, so a node with ``k``
    texts is measured in ``k`` layouts.
    """
    texts: dict[Value, dict[str, float | None]] = {}
    for node in order:
        seen = texts.setdefault(node, {})
        for frame in frames:
            grad = frame.get(node)
            seen.setdefault("?" if grad is None else compact(grad, digits), grad)
    names = node_names(order)
    widths: dict[str, float] = {}
    for j in range(max(len(seen) for seen in texts.values())):
        grads = {node: list(seen.values())[min(j, len(seen) - 1)] for node, seen in texts.items()}
        drawing = draw_dot(root, grads=grads, digits=digits, max_nodes=None)
        layout = json.loads(drawing.pipe(format="json", encoding="utf-8"))
        drawn = {item["name"]: float(item["width"]) for item in layout.get("objects", [])
                 if "width" in item}
        for name in names.values():
            if name in drawn:
                widths[name] = max(widths.get(name, 0.0), drawn[name])
    # Graphviz writes 4 decimals; a point more keeps a rounded-down width from being outgrown.
    return {name: f"{width + 1 / 72:.4f}" for name, width in widths.items()}


def write_flipbook(
    root: Value, path: str | os.PathLike[str], *, title: str | None = None, quiz: bool = True,
    digits: int = DIGITS,
) -> Path:
    """Write the step-through page of ``root``'s backward pass to ``path`` (one HTML file).

    The page needs no network and no server: every frame is an SVG inside the file, and the
    script and styles are inline. It has previous/next buttons, the arrow keys, a slider, a step
    counter, the arithmetic of the current step under the graph, the leaves' grads so far, and
    (with ``quiz``) a "Quiz me" toggle that asks for each step's new grads before showing them.

    Args:
        root: the output to step backward from (its graph's ``.grad`` values are not changed).
        path: the HTML file to write; its folder is created.
        title: the page's heading; by default "Backward through <root>, step by step".
        quiz: include the quiz (it doubles the number of frames).
        digits: significant digits of the numbers shown.

    Returns:
        The path written.
    """
    book = build_flipbook(root, quiz=quiz, digits=digits)
    if title is None:
        title = f"Backward through {step_names([root])[root]}, step by step"
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page_html(book, title), encoding="utf-8")
    return target


def page_html(book: Flipbook, title: str) -> str:
    """The flipbook as one HTML document (see ``write_flipbook``)."""
    total = len(book.frames) - 1
    quiz = bool(book.questions)
    templates = [f'<template id="frame-{k}">{svg}</template>' for k, svg in enumerate(book.frames)]
    templates += [
        f'<template id="question-{k}">{svg}</template>'
        for k, svg in enumerate(book.questions, start=1)
    ]
    rows = "".join(
        f'<tr data-label="{html.escape(name)}" data-index="{i}"><td>{html.escape(name)}</td>'
        f'<td>{html.escape(number(value))}</td><td class="grad unknown">?</td></tr>'
        for i, (name, value) in enumerate(book.leaves)
    )
    # "</" inside a script element would end it early; JSON allows the escaped form.
    payload = json.dumps(book.data, ensure_ascii=False).replace("</", "<\\/")
    toggle = (
        '<label><input id="quiz-toggle" type="checkbox"> Quiz me</label>' if quiz else ""
    )
    quiz_panel = (
        '<div id="quiz" hidden><div id="quiz-inputs"></div>'
        '<button id="quiz-check" type="button">Check</button>'
        '<button id="quiz-reveal" type="button">Show answer</button>'
        f'<p class="caption">An answer within {QUIZ_RTOL:.1%} counts as right: three '
        "significant digits are enough. Enter checks.</p></div>"
        if quiz else ""
    )
    return "\n".join([
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{html.escape(title)}</title>",
        f"<style>{CSS}</style>",
        "</head><body>",
        f"<h1>{html.escape(title)}</h1>",
        '<p class="intro">Backward runs one node at a time, from the output back to the inputs '
        "(reverse topological order). At each step the node in orange pushes its gradient to "
        "its parents: <code>parent.grad += local derivative &times; node.grad</code>, the local "
        "derivatives being the numbers on the edges.</p>",
        '<div class="toolbar">',
        '<button id="prev" type="button">&#9664; Prev</button>',
        '<button id="next" type="button">Next &#9654;</button>',
        f'<input id="slider" type="range" min="0" max="{total}" value="0" step="1" '
        'aria-label="step">',
        f'<span id="counter">step 0 / {total}</span>',
        '<label><input id="zoom" type="checkbox"> Actual size</label>',
        toggle,
        "</div>",
        '<p class="legend">Keys &larr; &rarr; step too. <b>Orange</b>: the node whose step it is '
        "and the edges its step writes into. <code>grad ?</code>: not computed yet. A grad on a "
        "node is what its <code>.grad</code> holds so far: it is final once every node that uses "
        "it has had its step.</p>",
        '<div id="frame"></div>',
        '<div class="below"><div class="work">',
        '<div id="arithmetic"></div>',
        quiz_panel,
        '<div id="quiz-result" role="status"></div>',
        "</div>",
        '<div class="leaves"><table id="grads"><caption class="caption">Leaves: inputs, '
        "parameters, constants</caption><thead><tr><th>leaf</th><th>value</th><th>grad so far"
        f"</th></tr></thead><tbody>{rows}</tbody></table></div>",
        "</div>",
        *templates,
        f'<script type="application/json" id="flipbook-data">{payload}</script>',
        f"<script>{JS}</script>",
        "</body></html>",
    ]) + "\n"


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
    upstream = number(step.upstream, digits)
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
        f"{_ref(p, names, ids)} holds {number(step_before(step, p), digits)} so far"
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
        "answer": answer,
        "question": question,
        "quiz": [{"name": names[p], "node": ids[p], "answer": repr(last_after[p])}
                 for p in parents],
    }


def step_before(step: BackwardStep, parent: Value) -> float:
    """``parent.grad`` just before ``step`` (its first update's ``before``)."""
    return next(u.before for u in step.updates if u.parent is parent)
