"""``viz.explore``: the live explorer as a Jupyter widget (anywidget), the kernel doing the math.

The widget's page is the served explorer's (``viz/web/explorer.js``); its requests reach
``viz.explore_api`` over the widget's comm, and its values, numbers and drawing live in
traitlets: ``w.values`` and ``w.expr`` can be read and set from Python, ``w.grads`` and
``w.value`` read back what the page shows. anywidget is imported on first use (the
``notebook`` extra installs it), so ``import viz`` stays light.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from engine import Value

from .explore_api import ExplorerAPI
from .explore_model import GraphFunction, RefusedError
from .explore_page import widget_css, widget_module
from .explore_presets import Preset
from .expr import ExpressionError
from .paths import ChainRulePaths, chain_rule_paths

#: The preset key under which the widget keeps a Python function it explores.
FUNCTION_KEY = "function"


def explore(source: str | GraphFunction | Preset, /, **values: float) -> Any:
    """Show the live explorer for an expression, a function or a preset in a notebook cell.

    Args:
        source: an expression such as ``"tanh(a*b + c)"`` (the grammar of ``python -m viz``),
            a function taking one Value per variable by keyword and returning a Value, or a
            ``viz.explore_presets.Preset``.
        values: each variable's starting value (others start at 1).

    Returns:
        The widget: display it (the last expression of a cell does); read ``w.values``,
        ``w.grads``, ``w.value``; set ``w.values = {...}`` or ``w.expr = "..."`` and the
        drawing follows.

    Raises:
        ImportError: anywidget is missing (``pip install glassgrad[notebook]``).
        ExpressionError, ValueError: the expression or the values are refused.
    """
    return explorer_class()(source, values)


@functools.cache
def explorer_class() -> type:
    """The widget class, built on first use: anywidget is an optional dependency."""
    widget_base, traitlets = _widget_modules()

    class Explorer(widget_base):  # type: ignore[valid-type,misc]  # AnyWidget, imported late
        """The live explorer in a notebook; see ``viz.explore``."""

        _esm = widget_module()
        _css = widget_css()
        expr = traitlets.Unicode("").tag(sync=True)
        values = traitlets.Dict().tag(sync=True)
        graph = traitlets.Dict().tag(sync=True)
        state = traitlets.Dict().tag(sync=True)
        error = traitlets.Unicode("").tag(sync=True)
        presets: Any = traitlets.List().tag(sync=True)

        def __init__(self, source: Any, values: Mapping[str, float]) -> None:
            start, extra = _first_request(source, values)
            super().__init__()
            self._api = ExplorerAPI(extra)
            self._source: dict[str, Any] = start
            self._quiet = False
            self.presets = self._api.presets_payload()
            self._request("graph", {**start, "values": dict(values)}, strict=True)
            self.on_msg(self._on_message)
            self.observe(self._on_values, names="values")
            self.observe(self._on_expr, names="expr")

        # --- what Python reads ------------------------------------------------------------

        @property
        def grads(self) -> dict[str, float]:
            """Each variable's gradient d output / d variable, as the page shows it."""
            return {v["name"]: float(v["grad"]) for v in self.state.get("variables", [])}

        @property
        def value(self) -> float:
            """The output's value."""
            return float(self.state["root"]["data"])

        def paths(self, name: str) -> ChainRulePaths:
            """d output / d ``name`` as the sum over chain-rule paths (a fresh graph)."""
            built = self._api.built({**self._source, "values": dict(self.values)})
            if name not in built.leaves:
                raise ValueError(f"{name!r} is not a variable; variables: {list(built.leaves)}")
            return chain_rule_paths(built.root, built.leaves[name])

        def graph_value(self) -> Value:
            """The output Value of a fresh graph at the current values (for more analysis)."""
            return self._api.built({**self._source, "values": dict(self.values)}).root

        def set(self, **values: float) -> None:
            """Change some variables (``w.set(a=3)``); the drawing's numbers follow."""
            self.values = {**self.values, **values}

        # --- requests from the page and changes from Python ---------------------------------

        def _request(self, route: str, body: Any, strict: bool = False) -> tuple[int, Any]:
            status, reply = self._api.handle(route, body)
            if status != 200:
                if strict:
                    raise ExpressionError(reply["error"])
                self.error = reply["error"]
                return status, reply
            self.error = ""
            if route in ("graph", "values"):
                self._quiet = True
                try:
                    _show(self, route, body, reply)
                finally:
                    self._quiet = False
            return status, reply

        def _on_message(self, _widget: Any, content: Any, _buffers: Any) -> None:
            if not isinstance(content, dict) or content.get("kind") != "request":
                return
            status, reply = self._request(str(content.get("route")), content.get("body"))
            self.send({"kind": "reply", "id": content.get("id"), "status": status,
                       "reply": reply})

        def _on_values(self, change: Mapping[str, Any]) -> None:
            if self._quiet:
                return
            body = {**self._source, "values": dict(change["new"])}
            status, reply = self._request("values", body)
            if status == 200 and reply["structure"] != self.graph["state"]["structure"]:
                self._request("graph", body)
            elif status != 200:
                raise RefusedError(reply["error"])

        def _on_expr(self, change: Mapping[str, Any]) -> None:
            if self._quiet:
                return
            status, reply = self._request("graph", {"expr": change["new"],
                                                    "values": dict(self.values)})
            if status != 200:
                raise ExpressionError(reply["error"])

    return Explorer


def _widget_modules() -> tuple[Any, Any]:
    """``anywidget.AnyWidget`` and ``traitlets``, imported on first use (the ``notebook`` extra
    installs them)."""
    try:
        import anywidget
        import traitlets
    except ImportError as error:
        raise ImportError(
            "viz.explore needs anywidget and ipywidgets: pip install 'glassgrad[notebook]'"
        ) from error
    return anywidget.AnyWidget, traitlets


def _first_request(source: object, values: Mapping[str, float]) -> tuple[dict[str, Any],
                                                                         list[Preset]]:
    """The widget's first request for ``explore``'s ``source`` (an expression, a function or a
    preset), and the presets it adds to the built-in ones."""
    if isinstance(source, Preset):
        extra = [] if source.key in ("neuron", "abc") else [source]
        return {"preset": source.key}, extra
    if isinstance(source, str):
        return {"expr": source}, []
    if callable(source):
        name = getattr(source, "__name__", "function")
        preset = Preset(FUNCTION_KEY, f"{name} (your function)", source, dict(values))
        return {"preset": FUNCTION_KEY}, [preset]
    raise TypeError(f"explore needs an expression, a function or a Preset, got {source!r:.60}")


def _show(widget: Any, route: str, body: Mapping[str, Any], reply: Mapping[str, Any]) -> None:
    """Put a ``graph`` or ``values`` reply into the widget's traitlets (its source, expression,
    values, drawing and numbers), which the page follows."""
    state = reply["state"] if route == "graph" else reply
    widget._source = {k: body[k] for k in ("expr", "preset") if body.get(k)}
    widget.expr = str(body.get("expr") or "")
    widget.values = {v["name"]: v["value"] for v in state["variables"]}
    if route == "graph":
        widget.graph = reply
    widget.state = state

