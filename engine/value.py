"""Value: one scalar node of the computational graph, its ops, and backward."""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterable
from numbers import Real

from . import display, eager, numeric, ops
from .anomaly import check_local_grads, check_new_node
from .eager import GradFn, make_method
from .graph import walk
from .modes import MODE, cyclic_gc_paused


def _as_float(data: object) -> float:
    """The float a Value holds; int and float only (bool, str, None, complex are mistakes)."""
    kind = type(data)
    if kind is float:
        return data  # type: ignore[return-value]
    if kind is not int and (isinstance(data, bool) or not isinstance(data, Real)):
        raise TypeError(
            f"Value needs an int or float, got {_shown(data)} ({type(data).__name__})"
        )
    try:
        return float(data)  # type: ignore[arg-type]
    except OverflowError:
        raise ValueError(f"Value got {_shown(data)}, which is too large for a float") from None


class Value:
    """A scalar in the graph: its ``data``, its ``grad``, the parents and op that made it.

    Each primitive op (``engine.ops``: its forward and its derivative rule, defined once) makes
    a node that holds the op's backward function in ``_grad_fn``: given the node and its grad, it
    returns what each parent's grad gains. ``_backward()`` adds those into the parents: the chain
    rule is applied there and nowhere else. Backward functions read the current ``data`` of the
    node and its parents, as micrograd's closures do, and hold no reference to the node they
    belong to, so a graph is freed by reference counting alone (no reference cycles for
    Python's cyclic garbage collector to chase).

    Attributes:
        data: the value, a float.
        grad: d root / d self after ``root.backward()``; starts at 0.0.
        label: a name for drawings and messages (``Value(2.0, label="a")``, or set it later).
        scope: the ``name_scope`` in force when the node was made (``"Layer 1 / Neuron 3"``).
        _prev: the parents, a tuple in argument order (``a * a`` has ``a`` twice).
        _op: the op that made the node (``"+"``, ``"*"``, ``"tanh"``, ...); ``""`` for a leaf.
        _grad_fn: the op's backward function, ``grad_fn(node, upstream)``; None for a leaf.
    """

    # _origin is set only inside detect_anomaly(): the user's file and line that made the node.
    # _mark belongs to graph walks (engine.graph.walk).
    __slots__ = ("_grad_fn", "_mark", "_op", "_origin", "_prev", "data", "grad", "label", "scope")

    data: float
    grad: float
    label: str
    scope: str
    _prev: tuple[Value, ...]
    _op: str
    _grad_fn: GradFn | None
    _origin: tuple[str, int, str] | None
    _mark: object

    def __init__(self, data: float | Value, label: str = "") -> None:
        if not isinstance(label, str):
            raise TypeError(f"Value label must be a str, got {label!r} ({type(label).__name__})")
        source = None
        if isinstance(data, Value):  # a detached copy, as torch.tensor(t); see _warn_copy
            source, data = data, data.data
            if MODE.leaves_made is None:
                _warn_copy(source)
        self.data = _as_float(data)
        self.grad = 0.0
        self.label = label
        self.scope = MODE.scope
        self._prev = ()
        self._op = ""
        self._grad_fn = None
        self._mark = None
        made = MODE.leaves_made
        if made is not None:
            made.append(self)
            if source is not None:
                made.append((self, source))

    # --- the primitive ops: each method is written from its row of engine.ops -----------------
    # (its forward and derivative rule live there; eager.source_of(Value.exp) shows the code)

    __add__ = make_method(ops.ADD, "__add__")  # a + b
    __mul__ = make_method(ops.MUL, "__mul__")  # a * b
    __truediv__ = make_method(ops.DIV, "__truediv__")  # a / b
    _pow_value = make_method(ops.POW, "_pow_value")  # a ** b for a Value b
    _pow_number = make_method(ops.POW_NUMBER, "_pow_number")  # x ** n for a number n
    exp = make_method(ops.EXP, "exp")
    log = make_method(ops.LOG, "log")
    tanh = make_method(ops.TANH, "tanh")
    sigmoid = make_method(ops.SIGMOID, "sigmoid")
    relu = make_method(ops.RELU, "relu")
    sin = make_method(ops.SIN, "sin")
    cos = make_method(ops.COS, "cos")
    abs = make_method(ops.ABS, "abs")
    maximum = make_method(ops.MAXIMUM, "maximum")  # torch.maximum: a Value or a number
    minimum = make_method(ops.MINIMUM, "minimum")
    _clamp = make_method(ops.CLAMP, "_clamp")  # both bounds given, as numbers

    def __pow__(self, other: Value | float) -> Value:
        """x ** n for a number n (the node shows ``**n``) or a Value exponent (``**``)."""
        if isinstance(other, Value):
            return self._pow_value(other)
        return self._pow_number(_number(other, "**"))

    # Everything below is built from the primitives above, one line each.
    def __radd__(self, other: float) -> Value:  # other + self
        return self + other

    def __rmul__(self, other: float) -> Value:  # other * self
        return self * other

    def __neg__(self) -> Value:  # -self
        return self * -1.0

    def __sub__(self, other: Value | float) -> Value:  # self - other
        return self + (-other if isinstance(other, Value) else -_number(other, "-"))

    def __rsub__(self, other: float) -> Value:  # other - self
        return (-self) + other

    def __rtruediv__(self, other: float) -> Value:  # other * self^-1
        # As torch's number / tensor, which is tensor.reciprocal() * number (so 0 / 1e-310 is
        # 0 * inf = nan there too), unlike Value / Value, the div row.
        return other * self**-1

    def __rpow__(self, other: float) -> Value:  # other ** self, a number base
        return Value(_number(other, "**"))._pow_value(self)

    # Torch-named spellings of the operators, so code written for tensors runs on Values.
    def pow(self, exponent: Value | float) -> Value:  # self ** exponent
        return self**exponent

    def sqrt(self) -> Value:  # self ** 0.5
        return self**0.5

    def neg(self) -> Value:  # -self
        return -self

    def __abs__(self) -> Value:  # abs(self)
        return self.abs()

    def clamp(self, min: float | None = None, max: float | None = None) -> Value:
        """x limited to [min, max], as ``Tensor.clamp``; a missing bound is no bound (an
        infinite one). d/dx = 1 from min to max, bounds included, else 0 (torch's)."""
        if min is None and max is None:
            raise ValueError("clamp needs min or max (or both), as torch.clamp does")
        low = -numeric.INF if min is None else _number(min, "clamp")
        high = numeric.INF if max is None else _number(max, "clamp")
        return self._clamp(low, high)

    # --- backward -----------------------------------------------------------------------------

    def local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each parent, in the order of ``_prev``; ``()`` for a leaf.

        The op's backward function with an upstream gradient of 1.0.
        """
        grad_fn = self._grad_fn
        return () if grad_fn is None else grad_fn(self, 1.0)

    def _backward(self) -> None:
        """The chain rule at this node: ``parent.grad += (d self / d parent) * self.grad``.

        The op's backward function computes each parent's share of ``self.grad`` (for most ops
        d self / d parent times it; relu selects it); here it is added in. Called by
        ``backward()`` for every node in reverse topological order; call it by hand, node by
        node, to walk backward as micrograd's lecture does.
        """
        grad_fn = self._grad_fn
        if grad_fn is None:
            return
        for parent, gained in zip(self._prev, grad_fn(self, self.grad)):  # noqa: B905
            parent.grad += gained

    def backward(self, *, detect_anomaly: bool = False) -> None:
        """Fill ``.grad`` of every node this one depends on with d self / d node.

        Seeds this node with 1.0 and runs ``_backward()`` over the nodes in reverse topological
        order. Leaves (inputs and parameters) accumulate: calling ``backward()`` twice, or on two
        losses, adds the gradients, as torch does; call ``zero_grad()`` on your model (or set
        ``p.grad = 0.0``) between steps. Inner nodes start from zero on every call, so their
        ``.grad`` always shows d self / d node for this call.

        With ``detect_anomaly=True`` (or inside ``engine.detect_anomaly()``), a local derivative
        that is inf or nan while the node's inputs are finite raises ``FloatingPointError``
        naming the op, its inputs and, when known, the line that made it.
        """
        with cyclic_gc_paused():  # the walk makes no cycles; see cyclic_gc_paused
            order = prepare_backward(self)
            step = Value._backward
            if detect_anomaly or MODE.anomaly:
                for node in reversed(order):
                    if node._grad_fn is not None:
                        check_local_grads(node)
                        step(node)
                return
            for node in reversed(order):
                if node._grad_fn is not None:
                    step(node)

    # --- conversions and display -------------------------------------------------------------
    # A Value is a node of the graph. Python's implicit conversions would turn it into a plain
    # float and drop it out of the graph without a word (``x * math.exp(x)`` would get the
    # gradient e instead of 2e), so they raise; comparisons, bool and format read ``.data`` and
    # return plain Python objects that control flow or text use. docs/numbers.md has the why.

    def detach(self) -> Value:
        """A new leaf with the same data and label and no history, as ``Tensor.detach()``."""
        copy = Value(self.data, self.label)
        made = MODE.leaves_made
        if made is not None:  # engine.jit is tracing: the copy reads what self reads
            made.append((copy, self))
        return copy

    def item(self) -> float:
        """The data as a Python float, as ``Tensor.item()``."""
        return self.data

    def __float__(self) -> float:
        """Refused: ``float(v)``, ``math.exp(v)`` and ``"%f" % v`` would detach v silently."""
        raise TypeError(
            f"a Value does not turn into a float by itself (data={self.data!r}): math.exp(v), "
            "float(v) and the like would drop it out of the graph and its gradient would be "
            "silently wrong. Stay in the graph with the Value's methods (v.exp(), v.log(), "
            "v.tanh(), v ** 0.5, ...), or take the number on purpose with v.item() or v.data"
        )

    def __bool__(self) -> bool:
        """``v.data != 0``, as ``bool(tensor)``: ``bool(Value(0.0))`` is False, nan is True."""
        return self.data != 0.0

    # == and hash are the node's identity, as micrograd's and as object's: Values sit in sets
    # and dicts (the lecture's build_topo keeps a set() of visited nodes). Comparing a node with
    # a number by == would silently say False, so that raises and names .data.
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        """``a == b`` for Values is ``a is b`` (the same node); with a number it raises."""
        if isinstance(other, Value):
            return self is other
        if isinstance(other, Real):
            raise TypeError(_number_equality(self, other, "=="))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        """``a != b`` for Values is ``a is not b``; with a number it raises."""
        if isinstance(other, Value):
            return self is not other
        if isinstance(other, Real):
            raise TypeError(_number_equality(self, other, "!="))
        return NotImplemented

    # <, <=, >, >= compare the data with another Value's or with a number and return a bool,
    # so max(a, b), min and sorted pick Values by their data, as they pick tensors.
    def __lt__(self, other: Value | float) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data < o

    def __le__(self, other: Value | float) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data <= o

    def __gt__(self, other: Value | float) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data > o

    def __ge__(self, other: Value | float) -> bool:
        o = _compared(other)
        return NotImplemented if o is None else self.data >= o

    def __format__(self, spec: str) -> str:
        """``f"{v:.3f}"`` formats ``v.data`` as a float; ``f"{v}"`` with no spec is ``str(v)``."""
        return format(self.data, spec) if spec else str(self)

    def __index__(self) -> int:
        raise TypeError(
            f"a Value cannot be used as an integer (a size, an index, range()): got {self!r}; "
            "use int(v.data) for its number. Under engine.jit an int argument is traced as a "
            "number, like a float: name it in jit(fn, static_argnames=(...)) so that each value "
            "gets a trace of its own"
        )

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    def _repr_mimebundle_(self, include: Iterable[str] | None = None,
                          exclude: Iterable[str] | None = None) -> dict[str, str]:
        """A notebook's display: the graph drawn once viz is imported (``engine.display``)."""
        return display.value_bundle(self, include, exclude)


def prepare_backward(root: Value) -> list[Value]:
    """Order the graph, clear the inner nodes' grads and seed ``root`` with 1.0.

    Shared by ``Value.backward()`` and the step-by-step walkers so that they agree exactly.

    Returns:
        The topological order (leaves first, root last).
    """
    order = walk(root, clear_inner_grads=True)
    # ``p.grad = None`` is torch's way to zero a gradient; here None counts as 0.0 (the leaves
    # accumulate from it). A check here, not at assignment: a property on .grad would slow
    # every += of backward. docs/numbers.md.
    for node in order:
        if node.grad is None:
            node.grad = 0.0
    if root._grad_fn is None:
        root.grad += 1.0  # a leaf accumulates like any other
    else:
        root.grad = 1.0
    return order


_new_value = object.__new__


def _make_node(data: float, parents: tuple[Value, ...], op: str,
               grad_fn: GradFn | None) -> Value:
    """Make the node an op returns (a constant when it has no parents); under ``no_grad()``
    it is a leaf with no history."""
    out: Value = _new_value(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    mode = MODE
    out.scope = mode.scope
    out._mark = None
    if mode.grad_enabled:
        out._prev = parents
        out._op = op
        out._grad_fn = grad_fn
    else:
        out._prev = ()
        out._op = ""
        out._grad_fn = None
        made = mode.leaves_made
        if made is not None and parents:  # a constant is recorded by _as_value
            made.append(out)
    if mode.anomaly:
        check_new_node(out)
    return out


def _number(other: object, op: str) -> float:
    """A plain number operand, or a TypeError naming it and the op."""
    try:
        return _as_float(other)
    except TypeError:
        raise TypeError(
            f"unsupported operand for {op}: Value and {other!r} ({type(other).__name__}); "
            "expected a Value, int or float"
        ) from None


def _as_value(other: object, op: str) -> Value:
    """The one door for mixed operands: a Value passes, an int or float becomes a constant."""
    if isinstance(other, Value):
        return other
    # Floats, by far the usual constant, skip the checks of _number.
    out = _make_node(other if type(other) is float else _number(other, op), (), "", None)
    made = MODE.leaves_made
    if made is not None:
        made.append(out)
    return out


def _warn_copy(source: Value) -> None:
    warnings.warn(
        f"Value(v) of the Value {source!r} makes a new leaf holding its number, detached from "
        "its graph (no gradient flows back to v), as torch.tensor(t) does; write v.detach() to "
        "say so, or use v itself to keep the gradient",
        UserWarning,
        stacklevel=3,
    )


# --- conversions and display: helpers ------------------------------------------------------

#: Longest repr a message quotes in full; longer ones are cut (``Value(10**400)`` would print
#: 401 digits, and Python refuses to print an int of more than 4300 digits at all).
_SHOWN_CHARS = 40


def _shown(thing: object) -> str:
    """``repr(thing)`` for a message, cut to a readable length (``10**400`` as its digit count)."""
    if isinstance(thing, int) and not isinstance(thing, bool) and thing.bit_length() > 128:
        digits = int(thing.bit_length() * math.log10(2.0))  # digits - 1 or digits
        digits += abs(thing) >= 10**digits
        sign = "-" if thing < 0 else ""
        lead = abs(thing) // 10 ** (digits - 10)
        return f"{sign}{lead}...{abs(thing) % 1000:03d} (an int of {digits} digits)"
    text = repr(thing)
    if len(text) <= _SHOWN_CHARS:
        return text
    return f"{text[:_SHOWN_CHARS - 10]}...{text[-5:]} ({len(text)} characters)"


def _compared(other: object) -> float | None:
    """What a Value's data is compared with in ``<`` and friends: another Value's data or a
    number (not a bool, as ``Value(True)`` is refused); None lets Python raise its TypeError."""
    if isinstance(other, Value):
        return other.data
    if isinstance(other, Real) and not isinstance(other, bool):
        return other  # type: ignore[return-value]  # int, float, Fraction compare exactly
    return None


def _number_equality(value: Value, number: object, op: str) -> str:
    """The message for ``Value == number``, which would otherwise be a silent False."""
    return (
        f"Value(data={value.data!r}) {op} {_shown(number)}: == and != on a Value compare "
        f"nodes (the same node or not), not numbers; compare the number with "
        f"v.data {op} {_shown(number)}"
    )


eager.link(Value=Value, _make_node=_make_node, _as_value=_as_value)
