"""The eager engine's code for each op, written once at import from the op table's rules.

For every ``Op`` of ``engine.ops`` this module writes two small Python functions from the op's
forward and rule read as code (``symbolic.SCALAR``), then compiles them:

- the op's **method**, ``Value.__mul__``, ``Value.exp``...: the forward on the inputs' data and
  one call of the node maker, as a hand-written method would be::

      def __mul__(self, other):
          if type(other) is not Value:
              other = _as_value(other, '*')
          a = self.data
          b = other.data
          return _make_node(a * b, (self, other), '*', _grad_fn)

- the op's **backward function**, the node's ``_grad_fn``: given the node and its upstream
  gradient, what each parent gains::

      def mul_grad_fn(node, g):
          a, b = node._prev
          a = a.data
          b = b.data
          return (b * g, a * g)

Written out rather than calling the rule on floats so that each node costs one call, as
micrograd's methods and closures do. ``inspect.getsource`` shows the code of each function
(``eager.source_of(Value.exp)``). The same reading writes ``engine.jit``'s code, so an
op rounds alike everywhere; ``tests/test_ops.py`` checks every reading against the floats.
"""

from __future__ import annotations

import functools
import linecache
import os
from collections.abc import Callable
from typing import Any

from .ops import Op
from .symbolic import SCALAR, SCALAR_HELPERS, Code, as_code

#: The node's backward function: ``grad_fn(node, upstream) -> what each parent gains``.
GradFn = Callable[[Any, float], tuple[float, ...]]

# Generated code is filed under the engine's folder, so anomaly mode, which looks for the first
# frame outside the library, never takes it for the user's line.
_HERE = os.path.dirname(os.path.abspath(__file__))

_OP_OF: dict[object, Op] = {}
_SOURCES: dict[object, str] = {}

# The globals of every generated function: the helpers, the backward functions by name, and
# (once ``link`` is called by engine.value) ``Value``, ``_make_node`` and ``_as_value``.
_NAMESPACE: dict[str, Any] = dict(
    SCALAR_HELPERS, __builtins__={"type": type}, _partial=functools.partial
)


def _compile(source: str, name: str, namespace: dict[str, Any]) -> Any:
    filename = os.path.join(_HERE, f"<ops: {name}>")
    # Registered with linecache so tracebacks and inspect.getsource show the code.
    lines = source.splitlines(keepends=True)
    linecache.cache[filename] = (len(source), None, lines, filename)
    exec(compile(source, filename, "exec"), namespace)
    function = namespace[name]
    _SOURCES[function] = source
    return function


def _binding(names: tuple[str, ...], read: set[object], holder: str) -> list[str]:
    """Lines taking the data of the inputs the code reads from ``holder`` (a tuple)."""
    if not any(name in read for name in names):
        return []
    if len(names) == 1:
        return [f"    {names[0]} = {holder}[0].data"]
    lines = [f"    {', '.join(names)} = {holder}"]
    lines += [f"    {name} = {name}.data" for name in names if name in read]
    return lines


def backward_source(op: Op, name: str) -> str:
    """The source of ``op``'s backward function ``name(*params, node, g)``."""
    inputs = [Code.name(n) for n in op.inputs]
    params = [Code.name(p) for p in op.params]
    grads = op.grads(SCALAR, *inputs, Code.name("out"), Code.name("g"), *params)
    codes = [item if isinstance(item, Code) else _constant(item) for item in grads]
    read = {r for code in codes for r in code.reads}
    lines = [f"def {name}({''.join(p + ', ' for p in op.params)}node, g):"]
    lines += _binding(op.inputs, read, "node._prev")
    if "out" in read:
        lines.append("    out = node.data")
    lines.append(f"    return ({''.join(code.text + ', ' for code in codes).rstrip()})")
    return "\n".join(lines) + "\n"


def _constant(x: object) -> Code:
    return as_code(x, False)


def method_source(op: Op, name: str) -> str:
    """The source of ``op``'s Value method: inputs (the first is ``self``), then parameters."""
    args = ["self", "other"][: len(op.inputs)]
    inputs = [Code.name(n) for n in op.inputs]
    params = [Code.name(p) for p in op.params]
    out = op.forward(SCALAR, *inputs, *params)
    code = out if isinstance(out, Code) else _constant(out)
    lines = [f"def {name}({', '.join(args + list(op.params))}):"]
    if len(args) == 2:
        lines += ["    if type(other) is not Value:",
                  f"        other = _as_value(other, {op.name!r})"]
    lines += [f"    {n} = {arg}.data" for n, arg in zip(op.inputs, args, strict=True)
              if n in code.reads]
    shown = f"f{op.name!r}" if op.params else repr(op.name)
    grad_fn = f"_{key(op)}_grad_fn"
    if op.params:
        grad_fn = f"_partial({grad_fn}, {', '.join(op.params)})"
    parents = f"({', '.join(args)},)"
    lines.append(f"    return _make_node({code.text}, {parents}, {shown}, {grad_fn})")
    return "\n".join(lines) + "\n"


def key(op: Op) -> str:
    """A Python name for the op: torch's, with its parameters (``pow`` and ``pow_n``)."""
    return "_".join((op.torch, *op.params))


def _grad_fn(op: Op) -> GradFn:
    """``op``'s backward function, compiled on first use (called with the parameters first)."""
    name = f"_{key(op)}_grad_fn"
    function: GradFn | None = _NAMESPACE.get(name)
    if function is None:
        function = _compile(backward_source(op, name), name, _NAMESPACE)
        _OP_OF[function] = op
    return function


def make_method(op: Op, name: str) -> Callable[..., Any]:
    """Compile ``op``'s Value method ``name``: the first input is ``self``, then the second
    input (a Value or a number), then the parameters. Callable once ``link`` has run."""
    _grad_fn(op)
    method = _compile(method_source(op, name), name, _NAMESPACE)
    del _NAMESPACE[name]  # a method is reached through Value, not by name here
    method.__doc__ = f"{op.spelling}; {op.text} (its row in engine.ops)."
    method.__qualname__ = f"Value.{name}"
    return method


def link(**names: Any) -> None:
    """Give the generated methods the Value module's ``Value``, ``_make_node``, ``_as_value``."""
    _NAMESPACE.update(names)


def op_of(grad_fn: object) -> tuple[Op, tuple[Any, ...]] | None:
    """The op and parameters whose backward function ``grad_fn`` is; None for any other
    (a jitted call's, a user's own)."""
    if isinstance(grad_fn, functools.partial):
        op = _OP_OF.get(grad_fn.func)
        return None if op is None else (op, grad_fn.args)
    op = _OP_OF.get(grad_fn)
    return None if op is None else (op, ())


def source_of(function: object) -> str:
    """The generated source of an op's method or backward function."""
    if isinstance(function, functools.partial):
        function = function.func
    return _SOURCES[function]


