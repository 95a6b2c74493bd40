"""The explorer's JSON API, independent of HTTP: a request dict in, a status and a reply out.

``viz.serve`` puts it behind HTTP; the notebook widget calls the same functions. Every reply is
a JSON-ready dict; a refused request is a 4xx with ``{"error": message}``.

Requests (each names its graph with ``expr`` or ``preset``, plus ``values``):
    graph   the drawing laid out once, node and edge metadata, and the numbers
    values  the numbers only (same structure as the drawing: nothing moves)
    paths   ``node``'s gradient as the sum over chain-rule paths
    torch   torch's data and grads beside the engine's
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from typing import Any

from .dot import DrawOptions, guard_layout
from .explore_model import (
    DEFAULT_LIMITS,
    ENGINE_LOCK,
    Built,
    Limits,
    RefusedError,
    Source,
    build,
    check_values,
    expression_source,
)
from .explore_payload import paths_payload, values_payload
from .explore_presets import Preset, registry
from .explore_torch import compare_payload, torch_available
from .expr import ExpressionError
from .flipbook_writer import build_book, rule_of
from .format import DIGITS
from .layout import graph_payload
from .scene import select_scene

ROUTES = ("graph", "values", "paths", "torch")

#: Laid-out drawings kept, by source and structure (a slider's recompute never needs Graphviz).
LAYOUT_CACHE_SIZE = 64

Reply = tuple[int, dict[str, Any]]


class ExplorerAPI:
    """Answers the explorer's requests for one set of presets and limits (thread-safe)."""

    def __init__(self, presets: Iterable[Preset] = (), limits: Limits = DEFAULT_LIMITS) -> None:
        self.presets = registry(presets)
        self.limits = limits
        self._layouts: OrderedDict[tuple[str, str], str] = OrderedDict()  # SVG by structure
        self._layout_lock = threading.Lock()
        self._sources: dict[str, Source] = {}

    def presets_payload(self) -> list[dict[str, Any]]:
        """The presets the page's menu lists."""
        return [{"key": p.key, "title": p.title, "expression": p.expression,
                 "values": dict(p.values)} for p in self.presets.values()]

    def handle(self, route: str, request: object) -> Reply:
        """Answer one request; never raises for anything a client can send."""
        if route not in ROUTES:
            return 404, {"error": f"unknown request {route!r:.40}; one of {', '.join(ROUTES)}"}
        if not isinstance(request, dict):
            return 400, {"error": "the request body must be a JSON object"}
        try:
            built = self.built(request)
            if route == "graph":
                return 200, self.graph_payload(built)
            if route == "values":
                return 200, values_payload(built)
            if route == "paths":
                return 200, paths_payload(built, request.get("node"))
            return 200, compare_payload(built)
        except (ExpressionError, RefusedError) as error:
            return 400, {"error": str(error)}
        except (ArithmeticError, ValueError, TypeError) as error:
            # The user's expression at their values: e.g. 0 ** -1 in the engine.
            return 400, {"error": f"cannot compute this graph: {error}"}

    def source(self, request: Mapping[str, Any]) -> Source:
        """The source a request names: ``preset`` (a key) or ``expr`` (an expression)."""
        preset, expression = request.get("preset"), request.get("expr")
        if preset not in (None, ""):
            if not isinstance(preset, str) or preset not in self.presets:
                known = ", ".join(self.presets)
                raise RefusedError(f"unknown preset {preset!r:.40}; known: {known}")
            if preset not in self._sources:  # inspect.signature costs a tenth of a recompute
                self._sources[preset] = self.presets[preset].source()
            return self._sources[preset]
        if expression is None:
            raise RefusedError('the request needs "expr" (an expression) or "preset"')
        return expression_source(expression, self.limits)

    def built(self, request: Mapping[str, Any]) -> Built:
        """The graph a request names, built at its values and backpropagated."""
        source = self.source(request)
        return build(source, check_values(source, request.get("values"), self.limits),
                     self.limits)

    def graph_payload(self, built: Built) -> dict[str, Any]:
        """The drawing (laid out once per structure) with its metadata, and the numbers."""
        key = (built.source.key, built.structure)
        with self._layout_lock:
            svg = self._layouts.get(key)
            if svg is not None:
                self._layouts.move_to_end(key)
        graph = self._layout(built, svg)
        if svg is None:
            with self._layout_lock:
                self._layouts[key] = graph["svg"]
                while len(self._layouts) > LAYOUT_CACHE_SIZE:
                    self._layouts.popitem(last=False)
        source = built.source
        return {"graph": graph, "rules": _rules(built), "title": source.title,
                "expr": source.expression, "preset": source.preset,
                "torch": torch_available(), "state": values_payload(built)}

    def _layout(self, built: Built, svg: str | None) -> dict[str, Any]:
        """The GraphView's payload; Graphviz runs only when ``svg`` is None (a new structure).

        Live values change every number's text, so the layout is made on a copy of the graph
        whose numbers all read ``SIZING`` (as wide as a 4-digit number usually gets): every
        later text fits its field and no node ever needs to move.
        """
        sized = build(built.source, built.values, self.limits)
        with ENGINE_LOCK:
            steps = build_book(sized.root)
            for node in sized.order:
                node.data = SIZING
            scene = select_scene(sized.root, collapse=built.source.collapse,
                                 max_nodes=self.limits.max_drawn)
            options = DrawOptions(digits=DIGITS)
            if svg is None:
                try:
                    guard_layout(scene, options)  # a shape dot would take minutes on: refused
                except ValueError as error:
                    raise RefusedError(str(error)) from None
            sizing = {node: SIZING for node in sized.order}
            graph = graph_payload(scene, options, sizing, names=steps.names,
                                  record_names=steps.record_names, svg=svg)
        return graph


#: The number every field is laid out with: ten characters, as wide as compact() writes
#: anything but a three-digit exponent.
SIZING = -0.0008888


def _rules(built: Built) -> dict[str, str]:
    """Each op's rule for people, by the op as nodes show it."""
    return {node._op: rule_of(node._op) for node in built.order if node._prev}
