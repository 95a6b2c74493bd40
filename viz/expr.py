"""A safe parser for arithmetic over Values: ``ast`` with a short allow-list, never eval."""

from __future__ import annotations

import ast
import unicodedata
from collections.abc import Callable, Mapping

from engine import Value, ops

#: The engine functions an expression may call, by bare name, with one argument.
FUNCTIONS: dict[str, Callable[[Value], Value]] = {
    name: getattr(Value, name) for name in ops.FUNCTIONS  # engine.ops' names
}

BINARY: dict[type[ast.operator], Callable[[Value, Value], Value]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: lambda a, b: a / b,
}

#: Longer input is refused before parsing: nobody draws a graph that big from a command line.
MAX_LENGTH = 10_000

_REFUSED_NAMES = {
    ast.Attribute: "attribute access",
    ast.Subscript: "subscript",
    ast.Slice: "slice",
    ast.Lambda: "lambda",
    ast.ListComp: "list comprehension",
    ast.SetComp: "set comprehension",
    ast.DictComp: "dict comprehension",
    ast.GeneratorExp: "generator expression",
    ast.Compare: "comparison",
    ast.BoolOp: "boolean operator (and/or)",
    ast.IfExp: "conditional expression (if/else)",
    ast.NamedExpr: "assignment expression (:=)",
    ast.Tuple: "tuple",
    ast.List: "list",
    ast.Set: "set",
    ast.Dict: "dict",
    ast.JoinedStr: "f-string",
    ast.Starred: "starred expression",
    ast.Await: "await",
    ast.Yield: "yield",
    ast.YieldFrom: "yield from",
}

_OPERATOR_TEXT = {
    ast.FloorDiv: "//", ast.Mod: "%", ast.MatMult: "@", ast.LShift: "<<", ast.RShift: ">>",
    ast.BitOr: "|", ast.BitXor: "^", ast.BitAnd: "&", ast.Invert: "~", ast.Not: "not",
}


class ExpressionError(ValueError):
    """An expression or variable the parser refuses; the message names what and why."""


def parse_variables(assignments: list[str]) -> dict[str, float]:
    """``["a=2", "b=-3"]`` -> ``{"a": 2.0, "b": -3.0}``, refusing malformed or repeated names."""
    variables: dict[str, float] = {}
    for item in assignments:
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep:
            raise ExpressionError(f"variable {item!r} must look like name=number, e.g. a=2")
        try:
            value = float(number)
        except ValueError:
            raise ExpressionError(
                f"variable {name!r}: {number.strip()!r} is not a number"
            ) from None
        if name in variables:
            raise ExpressionError(f"variable {name!r} is given twice")
        variables[name] = value
    return variables


def parse_expression(text: str, variables: Mapping[str, float]) -> tuple[Value, dict[str, Value]]:
    """Build the graph of an arithmetic expression such as ``"tanh(a*b + c)"``.

    Allowed: numbers (int or float literals), the declared variable names, ``+ - * / **``,
    unary ``-`` and ``+``, and calls of ``exp log tanh sigmoid relu sqrt`` with one argument.
    Everything else (attribute access, subscripts, other calls, lambdas, strings, ...) is
    refused with a message naming it. Nothing is passed to ``eval``; every number becomes a
    float Value before any arithmetic, so ``9**9**9`` is ``inf`` at once instead of a huge int.

    Args:
        text: the expression.
        variables: name -> value of each variable; each becomes a leaf labelled with its name.

    Returns:
        ``(root, leaves)``: the expression's Value and the variables' leaves by name.

    Raises:
        ExpressionError: a ValueError naming what was refused.
    """
    if not isinstance(text, str):
        raise ExpressionError(f"the expression must be a string, got {text!r}")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(
            f"the expression has {len(text)} characters, more than the {MAX_LENGTH} allowed"
        )
    leaves = _leaves(variables)
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"{_shorten(text)!r} is not a valid expression: {error.msg}")\
            from None
    except (RecursionError, MemoryError):
        # CPython's parser recurses: a few thousand nested terms exhaust its stack.
        raise ExpressionError(
            f"the expression is nested too deeply to parse: {_shorten(text)!r}"
        ) from None
    return _evaluate(tree, leaves), leaves


def _leaves(variables: Mapping[str, float]) -> dict[str, Value]:
    """A leaf per variable, keyed and labelled by its name as Python reads it (NFKC: the parser
    reads ``ａ`` as ``a``, so a variable declared as ``ａ`` must be found under ``a``)."""
    leaves: dict[str, Value] = {}
    for given, number in variables.items():
        if not isinstance(given, str) or not given.isidentifier():
            raise ExpressionError(f"variable name {given!r} is not a valid identifier")
        name = unicodedata.normalize("NFKC", given)
        if name in FUNCTIONS:
            raise ExpressionError(f"variable name {given!r} is taken by the function {name}()")
        if name in leaves:
            raise ExpressionError(
                f"variable {given!r} is given twice (Python reads it as {name!r})"
            )
        leaves[name] = Value(number, label=name)
    return leaves


def _evaluate(tree: ast.Expression, leaves: Mapping[str, Value]) -> Value:
    """Check every node of ``tree`` against the allow-list, then compute it bottom up.

    Both walks use explicit stacks: a long sum such as ``a+a+...+a`` nests as deep as it is long.
    """
    nodes: list[ast.AST] = []
    stack: list[ast.AST] = [tree.body]
    while stack:
        node = stack.pop()
        _allow(node, leaves)
        nodes.append(node)
        stack.extend(_operands(node))
    # ``nodes`` lists every node before its operands, so reversed it lists operands first.
    results: dict[int, Value | float] = {}
    for node in reversed(nodes):
        results[id(node)] = _apply(node, [results[id(child)] for child in _operands(node)], leaves)
    root = results[id(tree.body)]
    return root if isinstance(root, Value) else Value(root)


def _operands(node: ast.AST) -> list[ast.expr]:
    if isinstance(node, ast.BinOp):
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        return list(node.args)
    return []


def _allow(node: ast.AST, leaves: Mapping[str, Value]) -> None:
    """Raise ExpressionError unless ``node`` is on the allow-list."""
    if isinstance(node, ast.Constant):
        kind = type(node.value)
        if kind is not int and kind is not float:
            what = "string" if kind is str else type(node.value).__name__
            raise ExpressionError(
                f"{what} constant {node.value!r} is not allowed; only int and float numbers are"
            )
    elif isinstance(node, ast.Name):
        if node.id in FUNCTIONS:
            raise ExpressionError(f"{node.id} is a function: call it, as in {node.id}(x)")
        if node.id not in leaves:
            raise ExpressionError(
                f"undeclared name {node.id!r}; declare it as {node.id}=<number>"
            )
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in BINARY and not isinstance(node.op, ast.Pow):
            text = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            raise ExpressionError(f"operator {text} is not allowed; use + - * / **")
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, ast.USub | ast.UAdd):
            text = _OPERATOR_TEXT.get(type(node.op), type(node.op).__name__)
            raise ExpressionError(f"unary operator {text} is not allowed; use - or +")
    elif isinstance(node, ast.Call):
        allowed = ", ".join(FUNCTIONS)
        if not isinstance(node.func, ast.Name):
            raise ExpressionError(
                f"call of {ast.unparse(node.func)!r} is not allowed; only {allowed} by bare name"
            )
        if node.func.id not in FUNCTIONS:
            raise ExpressionError(
                f"call of {node.func.id!r} is not allowed; allowed functions: {allowed}"
            )
        if node.keywords:
            raise ExpressionError(
                f"{node.func.id}() takes no keyword arguments: {_snippet(node)}; write "
                f"{node.func.id}(x)"
            )
        if len(node.args) != 1:
            raise ExpressionError(f"{node.func.id}() takes exactly one argument")
    else:
        what = _REFUSED_NAMES.get(type(node), f"{type(node).__name__} expression")
        raise ExpressionError(f"{what} is not allowed: {_snippet(node)}")


def _apply(node: ast.AST, args: list[Value | float], leaves: Mapping[str, Value]) -> Value | float:
    """One allowed node's result. Numbers stay plain floats until they meet a Value, so a
    constant exponent is drawn as the op ``**2`` and a negative literal as one constant."""
    if isinstance(node, ast.Constant):
        return _finite_float(node.value)  # type: ignore[arg-type]  # _allow: int or float
    if isinstance(node, ast.Name):
        return leaves[node.id]
    if isinstance(node, ast.UnaryOp):
        (operand,) = args
        return -operand if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.Call):
        (argument,) = args
        return FUNCTIONS[node.func.id](_as_value(argument))  # type: ignore[attr-defined]
    assert isinstance(node, ast.BinOp)  # _allow let nothing else through
    left, right = args
    if isinstance(node.op, ast.Pow):
        # A float exponent: x ** 2.0 draws as the op "**2"; a Value exponent as "**".
        return _as_value(left) ** right
    return BINARY[type(node.op)](_as_value(left), _as_value(right))


def _as_value(x: Value | float) -> Value:
    return x if isinstance(x, Value) else Value(x)


def _finite_float(number: int | float) -> float:
    try:
        return float(number)
    except OverflowError:
        raise ExpressionError(f"the number {str(number)[:20]}... is too large for a float")\
            from None


def _snippet(node: ast.AST) -> str:
    try:
        text = ast.unparse(node)
    except Exception:  # the snippet only decorates the message
        return type(node).__name__
    return _shorten(text)


def _shorten(text: str, width: int = 40) -> str:
    return text if len(text) <= width else text[: width - 3] + "..."

