"""Derivatives as functions: grad, and the Hessian, HVP, JVP and Jacobian built on it."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Literal, overload

from .forward import joint_order, push_tangents
from .graph import topological_order
from .higher import gradient_graph
from .value import Value, _as_float

#: A point to evaluate ``f`` at: numbers (or Values, whose data is used) passed positionally,
#: or a mapping of argument names to numbers passed by keyword (as ``gradcheck`` takes them).
Point = Sequence[float | Value] | Mapping[str, float | Value]

#: A direction at a point (a tangent, the ``v`` of an HVP): the point's shape, numbers or Values.
Direction = Sequence[float | Value] | Mapping[str, float | Value]


@contextmanager
def fresh_grads(output: Value) -> Iterator[list[Value]]:
    """Inside the block every ``.grad`` in the graph of ``output`` starts at 0.0; after it, each
    holds what it held before (also when the block raises).

    Yields:
        ``topological_order(output)``: the nodes whose grads were set aside.
    """
    order = topological_order(output)
    saved = [node.grad for node in order]
    try:
        for node in order:
            node.grad = 0.0
        yield order
    finally:
        for node, before in zip(order, saved, strict=True):
            node.grad = before


@overload
def grad(output: Value, inputs: Sequence[Value], *,
         create_graph: Literal[False] = False) -> list[float]: ...
@overload
def grad(output: Value, inputs: Sequence[Value], *,
         create_graph: Literal[True]) -> list[Value]: ...
@overload
def grad(output: Value, inputs: Sequence[Value], *,
         create_graph: bool) -> list[float] | list[Value]: ...
def grad(output: Value, inputs: Sequence[Value], *,
         create_graph: bool = False) -> list[float] | list[Value]:
    """d output / d input for each input, as ``torch.autograd.grad`` does for scalars.

    Every ``.grad`` in the graph is left as it was. An input that ``output`` does not depend on
    gets 0.0.

    With ``create_graph=True`` the gradients are Values whose graph can be differentiated again
    (``grad`` of a gradient is a second derivative), built from each op's local-derivative rule
    read on Values (``engine.higher.gradient_graph``); their data equals the floats of
    ``create_graph=False``. Unlike torch, ``create_graph`` is keyword-only, and the floats of
    the default are plain floats, not tensors: the default is the fast path ``backward()`` runs.

    Args:
        output: the node to differentiate.
        inputs: the nodes to differentiate with respect to.
        create_graph: return Values carrying the derivative's graph instead of floats.

    Returns:
        One float (or, with ``create_graph``, one Value) per input, in order.
    """
    if not isinstance(output, Value):
        raise TypeError(f"grad() needs a Value output, got {output!r} ({type(output).__name__})")
    for item in inputs:
        if not isinstance(item, Value):
            raise TypeError(f"grad() inputs must be Values, got {item!r} ({type(item).__name__})")
    if create_graph:
        return gradient_graph(output, inputs)
    with fresh_grads(output) as order:
        in_graph = set(order)
        output.backward()
        return [item.grad if item in in_graph else 0.0 for item in inputs]


def hessian(f: Callable[..., Value], point: Point) -> list[list[float]]:
    """The matrix of second derivatives d^2 f / dx_i dx_j at ``point``, as a list of rows.

    Reverse over reverse: one ``grad(..., create_graph=True)`` gives the gradient as Values, and
    one plain backward through each of its entries gives a row. Rows and columns follow the
    point's order (a mapping's key order). As ``torch.autograd.functional.hessian(f, inputs)``,
    which also calls ``f(*inputs)``; ``torch.func.hessian(f)(x)`` is the same matrix as a
    function transform. Lists instead of a tensor: the engine is scalar and standard-library only.

    Raises:
        TypeError: ``f`` does not return one Value, or a coordinate is not a number.
        ValueError: the point's length does not fit ``f``'s arguments.
    """
    leaves, call = _leaves("hessian", f, point)
    out = _one_value("hessian", call(leaves))
    first = gradient_graph(out, leaves)
    return [grad(entry, leaves) for entry in first]


def hvp(f: Callable[..., Value], point: Point, v: Direction) -> tuple[float, list[float]]:
    """f at ``point`` and the Hessian-vector product H v, without forming H.

    Forward over reverse: ``grad(..., create_graph=True)`` builds the gradient's graph, then one
    forward-mode pass along ``v`` through that graph gives d(grad f)/dt = H v, at the cost of a
    few passes whatever the size of H. Returns ``(f(point), Hv)`` with arguments in the order of
    ``torch.autograd.functional.hvp(func, inputs, v)``.

    Raises:
        TypeError: ``f`` does not return one Value, or an entry is not a number or a Value.
        ValueError: ``v`` does not have the point's shape, or the point does not fit ``f``.
    """
    leaves, call = _leaves("hvp", f, point)
    direction = _direction("hvp", "v", point, v)
    out = _one_value("hvp", call(leaves))
    first = gradient_graph(out, leaves)
    tangent = push_tangents(joint_order(first),
                            {id(x): t for x, t in zip(leaves, direction, strict=True)})
    return out.data, [tangent.get(id(entry), 0.0) for entry in first]


@overload
def jvp(f: Callable[..., Value], point: Point, tangent: Direction) -> tuple[float, float]: ...
@overload
def jvp(f: Callable[..., Sequence[Value]], point: Point,
        tangent: Direction) -> tuple[list[float], list[float]]: ...
def jvp(f: Callable[..., Value | Sequence[Value]], point: Point,
        tangent: Direction) -> tuple[float, float] | tuple[list[float], list[float]]:
    """f at ``point`` and its directional derivative J t along ``tangent``, by forward mode.

    Each node's tangent is the sum over its parents of (local derivative) x (parent's tangent),
    pushed from the inputs to the outputs (``engine.forward.push_tangents``): the numbers on the
    edges are the ones ``backward()`` pulls back, pushed forward instead. As
    ``torch.func.jvp(f, primals, tangents)`` returns ``(f(primals), J t)``, the result mirrors
    what ``f`` returns: a float for one Value, lists for a sequence of Values.

    Raises:
        TypeError: ``f`` returns something else, or an entry is not a number or a Value.
        ValueError: ``tangent`` does not have the point's shape, or the point does not fit ``f``.
    """
    leaves, call = _leaves("jvp", f, point)
    direction = _direction("jvp", "tangent", point, tangent)
    result = call(leaves)
    outputs = [result] if isinstance(result, Value) else _values("jvp", result)
    pushed = push_tangents(joint_order(outputs),
                           {id(x): t for x, t in zip(leaves, direction, strict=True)})
    values = [out.data for out in outputs]
    tangents = [pushed.get(id(out), 0.0) for out in outputs]
    if isinstance(result, Value):
        return values[0], tangents[0]
    return values, tangents


def jacobian(f: Callable[..., Value | Sequence[Value]], point: Point,
             mode: Literal["forward", "reverse"] = "reverse") -> list[list[float]]:
    """The matrix d f_i / d x_j at ``point``: one row per output, one column per coordinate.

    ``mode="reverse"`` runs one backward pass per output (``torch.func.jacrev``);
    ``mode="forward"`` one forward-mode pass per coordinate over the same graph
    (``torch.func.jacfwd``). Both give the same numbers; the cheaper one has the fewer passes.
    A function returning one Value gives one row. Torch spells the choice
    ``strategy="reverse-mode"``; ``mode`` is the issue's and JAX's shorter word.

    Raises:
        TypeError: ``f`` does not return a Value or a sequence of Values.
        ValueError: an unknown ``mode``, or the point does not fit ``f``.
    """
    if mode not in ("forward", "reverse"):
        raise ValueError(f"jacobian() mode must be 'forward' or 'reverse', got {mode!r}")
    leaves, call = _leaves("jacobian", f, point)
    result = call(leaves)
    outputs = [result] if isinstance(result, Value) else _values("jacobian", result)
    if mode == "reverse":
        return [grad(out, leaves) for out in outputs]
    order = joint_order(outputs)
    columns = []
    for leaf in leaves:
        pushed = push_tangents(order, {id(leaf): 1.0})
        columns.append([pushed.get(id(out), 0.0) for out in outputs])
    return [list(row) for row in zip(*columns, strict=True)] if columns else [[] for _ in outputs]


# --- checking what the user passed ------------------------------------------------------------

def _number(name: str, where: str, item: object) -> float:
    """A coordinate as a float: a Value's data, or an int or float."""
    if isinstance(item, Value):
        return item.data
    try:
        return _as_float(item)
    except (TypeError, ValueError):
        raise TypeError(
            f"{name}(): {where} must be a number or a Value, got {item!r} ({type(item).__name__})"
        ) from None


def _leaves(name: str, f: Callable[..., object],
            point: Point) -> tuple[list[Value], Callable[[list[Value]], object]]:
    """Fresh leaves at ``point`` (labelled by argument) and a call of ``f`` on them, after
    checking that ``f`` is callable and the point fits its arguments."""
    if not callable(f):
        raise TypeError(f"{name}() needs a function f, got {f!r} ({type(f).__name__})")
    if isinstance(point, Mapping):
        names = [str(key) for key in point]
        leaves = [Value(_number(name, f"point[{key!r}]", point[key]), label=key) for key in names]
        args: tuple[object, ...] = ()
        kwargs = dict(zip(names, leaves, strict=True))
    elif isinstance(point, Sequence) and not isinstance(point, str):
        leaves = [Value(_number(name, f"point[{i}]", x), label=f"x{i}")
                  for i, x in enumerate(point)]
        args, kwargs = tuple(leaves), {}
    else:
        raise TypeError(f"{name}() needs a point as a sequence of numbers or a mapping of names "
                        f"to numbers, got {point!r} ({type(point).__name__})")
    try:
        signature = inspect.signature(f)
    except (TypeError, ValueError):  # builtins without a signature: let the call speak
        signature = None
    if signature is not None:
        try:
            signature.bind(*args, **kwargs)
        except TypeError as error:
            raise ValueError(f"{name}(): the point has {len(leaves)} coordinates, which do not "
                             f"fit f{signature}: {error}") from None

    def call(values: list[Value]) -> object:
        if kwargs:
            return f(**dict(zip(names, values, strict=True)))
        return f(*values)

    return leaves, call


def _direction(name: str, what: str, point: Point, direction: Direction) -> list[float]:
    """``direction`` as floats in the point's order, after checking it has the point's shape."""
    if isinstance(point, Mapping):
        if not isinstance(direction, Mapping):
            raise TypeError(f"{name}(): the point is a mapping, so {what} must be one too, with "
                            f"the same keys; got {direction!r} ({type(direction).__name__})")
        missing = [key for key in point if key not in direction]
        extra = [key for key in direction if key not in point]
        if missing or extra:
            raise ValueError(f"{name}(): {what} must have the point's keys {list(point)}; "
                             f"missing {missing}, unexpected {extra}")
        return [_number(name, f"{what}[{key!r}]", direction[key]) for key in point]
    if not isinstance(direction, Sequence) or isinstance(direction, str | Mapping):
        raise TypeError(f"{name}(): {what} must be a sequence of numbers like the point, got "
                        f"{direction!r} ({type(direction).__name__})")
    if len(direction) != len(point):
        raise ValueError(f"{name}(): {what} has {len(direction)} entries but the point has "
                         f"{len(point)}")
    return [_number(name, f"{what}[{i}]", t) for i, t in enumerate(direction)]


def _one_value(name: str, result: object) -> Value:
    if not isinstance(result, Value):
        raise TypeError(f"{name}() needs f to return one Value, got {result!r} "
                        f"({type(result).__name__})")
    return result


def _values(name: str, result: object) -> list[Value]:
    """The outputs of ``f`` when it returns a sequence: each must be a Value."""
    if not isinstance(result, Sequence) or isinstance(result, str):
        raise TypeError(f"{name}() needs f to return a Value or a sequence of Values, got "
                        f"{result!r} ({type(result).__name__})")
    for i, item in enumerate(result):
        if not isinstance(item, Value):
            raise TypeError(f"{name}(): f returned a {type(result).__name__} whose item {i} is "
                            f"{item!r} ({type(item).__name__}), not a Value")
    return list(result)
