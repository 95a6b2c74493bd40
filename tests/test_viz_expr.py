"""viz.parse_expression: arithmetic builds the graph; anything else is refused by name."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, topological_order
from viz import ExpressionError, parse_expression
from viz.expr import parse_variables


def test_the_lecture_expression_and_its_gradients() -> None:
    root, leaves = parse_expression("tanh(a*b + c)", {"a": 2.0, "b": -3.0, "c": 10.0})
    assert list(leaves) == ["a", "b", "c"] and leaves["a"].label == "a"
    assert root._op == "tanh" and root.data == math.tanh(4.0)
    root.backward()
    slope = 1.0 - math.tanh(4.0) ** 2
    assert leaves["a"].grad == pytest.approx(slope * -3.0, rel=1e-12)
    assert leaves["b"].grad == pytest.approx(slope * 2.0, rel=1e-12)
    assert leaves["c"].grad == pytest.approx(slope, rel=1e-12)


def test_constants_are_float_leaves_and_constant_exponents_are_number_powers() -> None:
    root, leaves = parse_expression("x**2 + -3 * x / 2", {"x": 1.5})
    assert root.data == 1.5**2 - 3 * 1.5 / 2
    ops = [n._op for n in topological_order(root)]
    assert "**2" in ops  # x**2 is one op with one parent, not x ** Value(2)
    constants = [n.data for n in topological_order(root) if not n._prev and not n.label]
    assert -3.0 in constants  # -3 is one constant, not 3 * -1
    root.backward()
    assert leaves["x"].grad == pytest.approx(2 * 1.5 - 1.5, rel=1e-12)
    root, _ = parse_expression("2 ** x", {"x": 3.0})
    assert root._op == "**" and root.data == 8.0  # a Value exponent keeps both parents


def test_every_engine_function_by_bare_name() -> None:
    for name in ("exp", "log", "tanh", "sigmoid", "relu", "sqrt"):
        root, leaves = parse_expression(f"{name}(x)", {"x": 0.7})
        expected = getattr(Value(0.7), name)()
        assert root.data == expected.data and root._prev == (leaves["x"],)


def test_huge_powers_are_inf_at_once() -> None:
    root, _ = parse_expression("9**9**9", {})
    assert root.data == math.inf
    root, _ = parse_expression("-(10**400)", {})  # int literal arithmetic never happens
    assert root.data == -math.inf
    with pytest.raises(ExpressionError, match="too large for a float"):
        parse_expression("1" + "0" * 400, {})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("__import__('os')", "call of '__import__' is not allowed; allowed functions: exp, log"),
        ("().__class__", r"attribute access is not allowed: \(\).__class__"),
        ("open('x')", "call of 'open' is not allowed"),
        ("a.data", "attribute access is not allowed: a.data"),
        ("lambda: 1", "lambda is not allowed"),
        ("a[0]", r"subscript is not allowed: a\[0\]"),
        ("[a for a in b]", "list comprehension is not allowed"),
        ("'text'", "string constant 'text' is not allowed; only int and float numbers are"),
        ("True", "bool constant True is not allowed"),
        ("a if b else c", r"conditional expression \(if/else\) is not allowed"),
        ("a < b", "comparison is not allowed"),
        ("a // b", "operator // is not allowed; use"),
        ("~a", "unary operator ~ is not allowed"),
        ("d * a", "undeclared name 'd'; declare it as d=<number>"),
        ("exp", r"exp is a function: call it, as in exp\(x\)"),
        ("exp(a, b)", r"exp\(\) takes exactly one argument"),
        ("math.exp(a)", "call of 'math.exp' is not allowed"),
        ("(a := 2)", r"assignment expression \(:=\) is not allowed"),
        ("a +", "is not a valid expression"),
        ("f'{a}'", "f-string is not allowed"),
        ("1j", "complex constant 1j is not allowed"),
        ("exp(x=a)", r"exp\(\) takes no keyword arguments: exp\(x=a\); write exp\(x\)"),
        ("exp(**{'x': a})", r"exp\(\) takes no keyword arguments"),
        ("exp(*[a])", r"starred expression is not allowed: \*\[a\]"),
        ("(1).real", "attribute access is not allowed: 1 .real"),
        ("1.0.hex()", "call of '1.0.hex' is not allowed"),
        ("exp(a)(b)", r"call of 'exp\(a\)' is not allowed"),
        ("\u00e9 * a", "undeclared name '\u00e9'"),
    ],
)
def test_hostile_or_unsupported_input_is_refused_by_name(text: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        parse_expression(text, {"a": 1.0, "b": 2.0, "c": 3.0})


def test_size_and_nesting_limits() -> None:
    root, leaves = parse_expression("+".join(["a"] * 2000), {"a": 1.0})
    root.backward()
    assert root.data == 2000.0 and leaves["a"].grad == 2000.0  # long sums evaluate iteratively
    with pytest.raises(ExpressionError, match="more than the 10000 allowed"):
        parse_expression("a+" * 6000 + "a", {"a": 1.0})
    with pytest.raises(ExpressionError, match="nested too deeply to parse: '------"):
        parse_expression("-" * 3000 + "a", {"a": 1.0})
    unclosed = r"'\(\(\(.*\.\.\.' is not a valid expression: too many"
    with pytest.raises(ExpressionError, match=unclosed):
        parse_expression("(" * 3000 + "a" + ")" * 3000, {"a": 1.0})


def test_variables() -> None:
    assert parse_variables(["a=2", "b=-3.5", "c=1e3"]) == {"a": 2.0, "b": -3.5, "c": 1000.0}
    with pytest.raises(ExpressionError, match="must look like name=number"):
        parse_variables(["a"])
    with pytest.raises(ExpressionError, match="variable 'a': 'two' is not a number"):
        parse_variables(["a=two"])
    with pytest.raises(ExpressionError, match="variable 'a' is given twice"):
        parse_variables(["a=1", "a=2"])
    with pytest.raises(ExpressionError, match="variable name '1a' is not a valid identifier"):
        parse_expression("1", {"1a": 1.0})
    with pytest.raises(ExpressionError, match=r"'exp' is taken by the function exp\(\)"):
        parse_expression("1", {"exp": 1.0})
    # Python reads the fullwidth letters as "a" and "exp" (NFKC); so do the variables.
    root, leaves = parse_expression("\uff41 * a", {"\uff41": 3.0})
    assert root.data == 9.0 and list(leaves) == ["a"] and leaves["a"].label == "a"
    with pytest.raises(ExpressionError, match="is given twice \\(Python reads it as 'a'\\)"):
        parse_expression("a", {"a": 1.0, "\uff41": 2.0})
    with pytest.raises(ExpressionError, match=r"is taken by the function exp\(\)"):
        parse_expression("1", {"\uff45\uff58\uff50": 1.0})


# Random expression trees, written out as text and computed directly on torch tensors.
Tree = Any
leaf = st.one_of(st.sampled_from(["a", "b", "c"]),
                 st.floats(0.25, 4.0).map(lambda x: round(x, 3)))


def extend(children: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
    return st.one_of(
        st.tuples(st.sampled_from(["+", "-", "*", "/"]), children, children),
        st.tuples(st.sampled_from(["tanh", "sigmoid", "neg"]), children),
    )


trees = st.recursive(leaf, extend, max_leaves=8)


def text_of(tree: Tree) -> str:
    if isinstance(tree, str | float):
        return str(tree)
    if len(tree) == 3:
        return f"({text_of(tree[1])} {tree[0]} {text_of(tree[2])})"
    if tree[0] == "neg":
        return f"-({text_of(tree[1])})"
    return f"{tree[0]}({text_of(tree[1])})"


def torch_of(tree: Tree, env: dict[str, Any], torch: Any) -> Any:
    if isinstance(tree, str):
        return env[tree]
    if isinstance(tree, float):
        return torch.tensor(tree, dtype=torch.float64)
    if len(tree) == 3:
        left, right = torch_of(tree[1], env, torch), torch_of(tree[2], env, torch)
        if tree[0] == "/":
            return left * right**-1  # the engine's a / b is a * b^-1, written out the same
        return {"+": left + right, "-": left - right, "*": left * right}[tree[0]]
    inner = torch_of(tree[1], env, torch)
    return -inner if tree[0] == "neg" else getattr(torch, tree[0])(inner)


@pytest.mark.torch
@settings(max_examples=40, deadline=None)
@given(tree=trees, values=st.tuples(*[st.floats(-2.0, 2.0)] * 3))
def test_random_expressions_match_torch(tree: Tree, values: tuple[float, float, float]) -> None:
    torch = pytest.importorskip("torch")
    variables = dict(zip("abc", values, strict=True))
    root, leaves = parse_expression(text_of(tree), variables)
    root.backward()
    env = {k: torch.tensor(x, dtype=torch.float64, requires_grad=True)
           for k, x in variables.items()}
    out = torch_of(tree, env, torch)
    if not out.requires_grad:
        return  # a tree of constants only
    out.backward()
    assert root.data == pytest.approx(out.item(), rel=1e-9, abs=1e-12, nan_ok=True)
    for name, leaf_value in leaves.items():
        expected = 0.0 if env[name].grad is None else env[name].grad.item()
        assert leaf_value.grad == pytest.approx(expected, rel=1e-9, abs=1e-9, nan_ok=True)
