"""The live explorer's arithmetic: a graph from an expression or a function, checked and as JSON.

The local server (``viz.serve``) and the notebook widget (``viz.explore``) share this module: it
turns "what to explore" (an expression, a preset, or a Python function) and the variables' values
into the graph, refuses anything past a size or cost limit with a message, and describes the
result as JSON-ready dicts for the page. Nothing here draws or serves; nothing here keeps state
between requests, so a recompute is a fresh graph (same expression, same structure).
"""

from __future__ import annotations

import ast
import hashlib
import inspect
import math
import threading
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field

from engine import Value, topological_order

from .expr import FUNCTIONS, MAX_LENGTH, ExpressionError, parse_expression
from .names import node_names
from .scopes import Collapse

#: A function source: takes one Value per variable (by keyword) and returns the output Value.
GraphFunction = Callable[..., Value]

#: The engine's switches (grad mode, name scope) are process-wide, so two threads building graphs
#: at once could tag each other's nodes. Every graph the explorer builds or walks is built under
#: this lock; Graphviz layouts (subprocesses) run outside it.
ENGINE_LOCK = threading.RLock()


@dataclass(frozen=True)
class Limits:
    """What the explorer accepts. Past any of these the request is refused with a message.

    Attributes:
        max_chars: characters in an expression.
        max_terms: nodes of the expression's syntax tree (numbers, names, operators, calls).
        max_depth: nesting depth of the expression: calls, signs and right operands nest
            (``tanh(-(a*(b+c)))`` is 5 deep), a flat chain ``a + b + c`` is 2 deep.
        max_exponent: the largest |n| of a number exponent ``x ** n``.
        max_variables: variables (sliders) in one graph.
        max_nodes: engine nodes in the built graph (values, ops and constants).
        max_drawn: nodes handed to Graphviz (values, ops, collapsed boxes).
        max_abs_value: the largest |value| a variable may be given.
    """

    max_chars: int = 2_000
    max_terms: int = 400
    max_depth: int = 64
    max_exponent: float = 100.0
    max_variables: int = 64
    max_nodes: int = 2_000
    max_drawn: int = 400
    max_abs_value: float = 1e100

    def __post_init__(self) -> None:
        if self.max_chars > MAX_LENGTH:
            raise ValueError(f"max_chars may not exceed the parser's {MAX_LENGTH}")


DEFAULT_LIMITS = Limits()

#: A variable that a new expression introduces starts at this value.
DEFAULT_VALUE = 1.0


class RefusedError(ValueError):
    """The request is understood but refused (too big, malformed values); the message says why."""


@dataclass(frozen=True)
class Source:
    """What to explore: an expression, or a function of named Values (a preset or the user's).

    Attributes:
        expression: the expression text (``""`` for a function source).
        function: builds the output from one Value per variable, by keyword.
        names: the variables, in slider order.
        defaults: each variable's starting value.
        title: a heading for the page.
        collapse: passed to ``draw_dot`` (``"neuron"`` for networks).
        preset: the preset's key when the source is one (it goes in the page's URL).
    """

    expression: str = ""
    function: GraphFunction | None = None
    names: tuple[str, ...] = ()
    defaults: Mapping[str, float] = field(default_factory=dict)
    title: str = ""
    collapse: Collapse = None
    preset: str = ""

    @property
    def key(self) -> str:
        """What identifies the graph's structure across value changes (for layout caching)."""
        if self.preset:
            return f"preset:{self.preset}"
        if self.expression:
            return f"expr:{self.expression}"
        return f"function:{id(self.function)}"


def expression_source(text: object, limits: Limits = DEFAULT_LIMITS) -> Source:
    """A source for an expression, after the size and cost checks (nothing is built yet).

    The variables are the names the expression uses, in order of first appearance.

    Raises:
        ExpressionError: not a string, too long, too deep, too many terms, an exponent too large,
            or anything ``viz.parse_expression`` refuses (checked when the graph is built).
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be a string, got {type(text).__name__}")
    text = text.strip()
    if not text:
        raise ExpressionError("the expression is empty; try tanh(a*b + c)")
    if len(text) > limits.max_chars:
        raise ExpressionError(
            f"the expression has {len(text)} characters, more than the {limits.max_chars} "
            "the explorer draws"
        )
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, RecursionError, MemoryError, ValueError):
        parse_expression(text, {})  # raises the parser's own message
        raise ExpressionError(f"{text[:40]!r} is not a valid expression") from None
    names = _check_cost(tree, limits)
    return Source(expression=text, names=tuple(names), title=text)


def function_source(function: GraphFunction, values: Mapping[str, float], *, title: str = "",
                    collapse: Collapse = None, preset: str = "") -> Source:
    """A source for a Python function ``function(**variables) -> Value``.

    The variables are ``values``' names, then any other parameter of ``function`` that has no
    default (starting at ``DEFAULT_VALUE``).
    """
    if not callable(function):
        raise TypeError(f"explore needs an expression string or a function, got {function!r}")
    names = list(values)
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):  # builtins without a signature: only the given values
        parameters = []  # type: ignore[assignment]
    for parameter in parameters:
        if (parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY)
                and parameter.default is parameter.empty and parameter.name not in names):
            names.append(parameter.name)
    defaults = {name: float(values.get(name, DEFAULT_VALUE)) for name in names}
    name = getattr(function, "__name__", "function")
    return Source(function=function, names=tuple(names), defaults=defaults,
                  title=title or f"{name}({', '.join(names)})", collapse=collapse, preset=preset)


def _check_cost(tree: ast.Expression, limits: Limits) -> list[str]:
    """Count terms, depth and exponents of ``tree`` with an explicit stack; return its names."""
    names: dict[str, None] = {}
    terms = 0
    stack: list[tuple[ast.AST, int]] = [(tree.body, 1)]
    while stack:
        node, depth = stack.pop()
        terms += 1
        if terms > limits.max_terms:
            raise ExpressionError(
                f"the expression has more than {limits.max_terms} terms; the explorer draws "
                "smaller graphs (draw big ones with viz.save and collapse=)"
            )
        if depth > limits.max_depth:
            raise ExpressionError(
                f"the expression is nested more than {limits.max_depth} deep"
            )
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = _constant_of(node.right)
            if exponent is not None and not abs(exponent) <= limits.max_exponent:
                raise ExpressionError(
                    f"the exponent {exponent:g} is larger than the "
                    f"{limits.max_exponent:g} the explorer allows"
                )
        if isinstance(node, ast.Name):
            name = unicodedata.normalize("NFKC", node.id)
            if name not in FUNCTIONS:
                names.setdefault(name)
        # Calls are children through their arguments only: the called name is no variable.
        children = node.args if isinstance(node, ast.Call) else list(ast.iter_child_nodes(node))
        for child in reversed(children):
            if isinstance(child, ast.operator | ast.unaryop | ast.expr_context):
                continue
            # A flat sum a + b + c + ... parses as a chain of left operands: as long as it is,
            # yet nested only as deep as it reads. Right operands, calls and signs do nest.
            flat = isinstance(node, ast.BinOp) and child is node.left
            stack.append((child, depth if flat else depth + 1))
    if len(names) > limits.max_variables:
        raise ExpressionError(
            f"the expression has {len(names)} variables, more than the {limits.max_variables} "
            "allowed"
        )
    return list(names)


def _constant_of(node: ast.AST) -> float | None:
    """The number a literal (or a signed literal) stands for; None for anything else."""
    sign = 1.0
    while isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        sign = -sign if isinstance(node.op, ast.USub) else sign
        node = node.operand
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        try:
            return sign * float(node.value)
        except OverflowError:
            return math.inf
    return None


def check_values(source: Source, given: object, limits: Limits = DEFAULT_LIMITS
                 ) -> dict[str, float]:
    """The value of every variable of ``source``: ``given`` where it names one, else its default.

    Raises:
        RefusedError: ``given`` is not a mapping of names to finite numbers within the limits.
    """
    if given is None:
        given = {}
    if not isinstance(given, Mapping):
        raise RefusedError(f"values must be an object of name: number, got {type(given).__name__}")
    if len(given) > limits.max_variables * 4:
        raise RefusedError(f"values has {len(given)} entries; at most "
                           f"{limits.max_variables * 4} are read")
    values: dict[str, float] = {}
    for name in source.names:
        number = given.get(name, source.defaults.get(name, DEFAULT_VALUE))
        if isinstance(number, bool) or not isinstance(number, int | float):
            raise RefusedError(f"value of {name!r} must be a number, got {number!r:.40}")
        try:
            number = float(number)
        except OverflowError:
            raise RefusedError(f"value of {name!r} is too large for a float") from None
        if not abs(number) <= limits.max_abs_value:
            raise RefusedError(
                f"value of {name!r} must be a finite number of magnitude at most "
                f"{limits.max_abs_value:g}, got {number!r}"
            )
        values[name] = number
    return values


@dataclass(eq=False)
class Built:
    """One graph, built and backpropagated, with the names the page knows its nodes by.

    Attributes:
        source: what it was built from.
        values: each variable's value.
        root: the output.
        leaves: each variable's leaf, by name.
        order: ``topological_order(root)``.
        ids: each node's drawing name (``v3``; see ``viz.node_names``).
    """

    source: Source
    values: dict[str, float]
    root: Value
    leaves: dict[str, Value]
    order: list[Value]
    ids: dict[Value, str]

    @property
    def structure(self) -> str:
        """A digest of the graph's shape (ops, wiring, labels, scopes): equal digests draw
        alike, so the page may keep its layout and only rewrite numbers."""
        index = {node: i for i, node in enumerate(self.order)}
        variables = {leaf: name for name, leaf in self.leaves.items()}
        digest = hashlib.sha256()
        for node in self.order:
            wiring = ",".join(str(index[p]) for p in node._prev)
            digest.update(f"{node._op}|{wiring}|{node.label}|{node.scope}|"
                          f"{variables.get(node, '')}\n".encode())
        return digest.hexdigest()[:16]

    def node(self, node_id: object) -> Value:
        """The node the page calls ``node_id``."""
        if isinstance(node_id, str):
            for node, name in self.ids.items():
                if name == node_id:
                    return node
        raise RefusedError(f"there is no node {node_id!r:.40} in this graph")


def build(source: Source, values: Mapping[str, float], limits: Limits = DEFAULT_LIMITS) -> Built:
    """Build ``source`` at ``values`` and run backward (under ``ENGINE_LOCK``).

    Raises:
        ExpressionError: the parser refused the expression.
        RefusedError: the graph has more than ``limits.max_nodes`` nodes, or the function did
            not return a Value.
    """
    with ENGINE_LOCK:
        if source.function is None:
            root, leaves = parse_expression(source.expression, values)
        else:
            leaves = {name: Value(x, label=name) for name, x in values.items()}
            root = source.function(**leaves)
            if not isinstance(root, Value):
                raise RefusedError(
                    f"the function must return a Value, got {type(root).__name__}"
                )
        order = topological_order(root)
        if len(order) > limits.max_nodes:
            raise RefusedError(
                f"the graph has {len(order)} nodes, more than the {limits.max_nodes} the "
                "explorer handles"
            )
        for node in order:
            node.grad = 0.0
        for leaf in leaves.values():
            leaf.grad = 0.0
        root.backward()
        return Built(source, dict(values), root, leaves, order, node_names(order))


@contextmanager
def engine_lock() -> Iterator[None]:
    """Hold ``ENGINE_LOCK`` (for walks over a built graph from another thread)."""
    with ENGINE_LOCK:
        yield
