"""Value: one scalar node of the computational graph, its ops and their local derivatives."""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable
from numbers import Real

from . import numeric
from .anomaly import check_local_grads, check_new_node
from .graph import walk
from .modes import MODE, cyclic_gc_paused

#: An op's local-derivative rule: given the node the op made, return d node / d parent for each
#: parent, in the order of ``node._prev``.
LocalGrads = Callable[["Value"], tuple[float, ...]]


def _as_float(data: object) -> float:
    """The float a Value holds; int and float only (bool, str, None, complex are mistakes)."""
    kind = type(data)
    if kind is float:
        return data  # type: ignore[return-value]
    if kind is not int and (isinstance(data, bool) or not isinstance(data, Real)):
        raise TypeError(
            f"Value needs an int or float, got {data!r} ({type(data).__name__})"
        )
    try:
        return float(data)  # type: ignore[arg-type]
    except OverflowError:
        raise ValueError(f"Value got {data!r}, which is too large for a float") from None


class Value:
    """A scalar in the graph: its ``data``, its ``grad``, the parents and op that made it.

    Each op method computes the forward value and names, right below it, the rule that returns the
    op's local derivatives (d out / d parent, one per parent). ``_backward()`` multiplies those by
    the node's grad and adds them into the parents: the chain rule lives there and nowhere else.
    Rules read the current ``data`` of the node and its parents, as micrograd's closures do, and
    hold no reference to the node they belong to, so a graph is freed by reference counting alone
    (no reference cycles for Python's cyclic garbage collector to chase).

    Attributes:
        data: the value, a float.
        grad: d root / d self after ``root.backward()``; starts at 0.0.
        label: a name for drawings and messages (``Value(2.0, label="a")``, or set it later).
        scope: the ``name_scope`` in force when the node was made (``"Layer 1 / Neuron 3"``).
        _prev: the parents, a tuple in argument order (``a * a`` has ``a`` twice).
        _op: the op that made the node (``"+"``, ``"*"``, ``"tanh"``, ...); ``""`` for a leaf.
    """

    # _origin is set only inside detect_anomaly(): the user's file and line that made the node.
    # _mark belongs to graph walks (engine.graph.walk).
    __slots__ = ("_local", "_mark", "_op", "_origin", "_prev", "data", "grad", "label", "scope")

    data: float
    grad: float
    label: str
    scope: str
    _prev: tuple[Value, ...]
    _op: str
    _local: LocalGrads | None
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
        self._local = None
        self._mark = None
        made = MODE.leaves_made
        if made is not None:
            made.append(self)
            if source is not None:
                made.append((self, source))

    # --- arithmetic --------------------------------------------------------------------------

    def __add__(self, other: Value | float) -> Value:
        """a + b, with d/da = 1 and d/db = 1."""
        other = other if type(other) is Value else _as_value(other, "+")
        return _result(self.data + other.data, (self, other), "+", Value._add_local)

    @staticmethod
    def _add_local(out: Value) -> tuple[float, ...]:
        return (1.0, 1.0)

    def __mul__(self, other: Value | float) -> Value:
        """a * b, with d/da = b and d/db = a."""
        other = other if type(other) is Value else _as_value(other, "*")
        return _result(self.data * other.data, (self, other), "*", Value._mul_local)

    @staticmethod
    def _mul_local(out: Value) -> tuple[float, ...]:
        a, b = out._prev
        return (b.data, a.data)

    def __pow__(self, other: Value | float) -> Value:
        """x ** n. For a number n: d/dx = n x^(n-1) (0 when n = 0, as torch).

        For a Value exponent see ``_pow_value``.
        """
        if isinstance(other, Value):
            return self._pow_value(other)
        n = _number(other, "**")
        return _result(numeric.power(self.data, n), (self,), f"**{n:g}", PowByNumber(n))

    def _pow_value(self, exponent: Value) -> Value:
        """a ** b for Values, with d/da = b a^(b-1) (0 when b = 0) and d/db = a^b ln a
        (0 when a = 0 and b >= 0), the values torch uses at those points."""
        return _result(
            numeric.power(self.data, exponent.data), (self, exponent), "**", Value._pow_local
        )

    @staticmethod
    def _pow_local(out: Value) -> tuple[float, ...]:
        a, b = out._prev[0].data, out._prev[1].data
        d_base = 0.0 if b == 0.0 else b * numeric.power(a, b - 1.0)
        d_exponent = 0.0 if (a == 0.0 and b >= 0.0) else out.data * numeric.log(a)
        return (d_base, d_exponent)

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

    def __truediv__(self, other: Value | float) -> Value:  # self * other^-1
        if isinstance(other, Value):
            return self * other**-1
        return self * numeric.div(1.0, _number(other, "/"))

    def __rtruediv__(self, other: float) -> Value:  # other * self^-1
        return other * self**-1

    def __rpow__(self, other: float) -> Value:  # other ** self, a number base
        return Value(_number(other, "**"))._pow_value(self)

    # --- functions, named as torch.Tensor names them ------------------------------------------

    def exp(self) -> Value:
        """e^x, with d/dx e^x = e^x (read from the output). ``exp(1000)`` is ``inf``."""
        return _result(numeric.exp(self.data), (self,), "exp", Value._exp_local)

    @staticmethod
    def _exp_local(out: Value) -> tuple[float, ...]:
        return (out.data,)

    def log(self) -> Value:
        """ln x, with d/dx ln x = 1/x. ``log(0)`` is ``-inf`` and ``log(-1)`` is ``nan``."""
        return _result(numeric.log(self.data), (self,), "log", Value._log_local)

    @staticmethod
    def _log_local(out: Value) -> tuple[float, ...]:
        return (numeric.div(1.0, out._prev[0].data),)

    def tanh(self) -> Value:
        """tanh x, with d/dx tanh x = 1 - tanh(x)^2 (read from the output)."""
        return _result(math.tanh(self.data), (self,), "tanh", Value._tanh_local)

    @staticmethod
    def _tanh_local(out: Value) -> tuple[float, ...]:
        t = out.data
        # Factored so it rounds like torch's fused 1 - t*t, not twice as the plain form would.
        return ((1.0 - t) * (1.0 + t),)

    def sigmoid(self) -> Value:
        """s(x) = 1 / (1 + e^-x), with d/dx s(x) = s(x) (1 - s(x)) (read from the output).

        Computed as e^x / (1 + e^x) for negative x so that no exp overflows: exact at +-1000.
        """
        return _result(numeric.sigmoid(self.data), (self,), "sigmoid", Value._sigmoid_local)

    @staticmethod
    def _sigmoid_local(out: Value) -> tuple[float, ...]:
        s = out.data
        return (s * (1.0 - s),)

    def relu(self) -> Value:
        """max(0, x), with d/dx = 1 for x > 0 and 0 for x <= 0 (relu'(0) = 0, as torch)."""
        x = self.data
        return _result(0.0 if x <= 0.0 else x, (self,), "relu", Value._relu_local)

    @staticmethod
    def _relu_local(out: Value) -> tuple[float, ...]:
        # nan passes through with derivative 1, as torch's threshold_backward does.
        return (0.0 if out.data <= 0.0 else 1.0,)

    # Torch-named spellings of the operators, so code written for tensors runs on Values.
    def pow(self, exponent: Value | float) -> Value:  # self ** exponent
        return self**exponent

    def sqrt(self) -> Value:  # self ** 0.5
        return self**0.5

    def neg(self) -> Value:  # -self
        return -self

    # --- backward -----------------------------------------------------------------------------

    def local_grads(self) -> tuple[float, ...]:
        """d self / d parent for each parent, in the order of ``_prev``; ``()`` for a leaf."""
        local = self._local
        return () if local is None else local(self)

    def _backward(self) -> None:
        """The chain rule at this node: ``parent.grad += (d self / d parent) * self.grad``.

        Called by ``backward()`` for every node in reverse topological order; call it by hand,
        node by node, to walk backward as micrograd's lecture does.
        """
        local = self._local
        if local is None:
            return
        upstream = self.grad
        for parent, derivative in zip(self._prev, local(self)):  # noqa: B905 - equal by design
            parent.grad += derivative * upstream

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
                    if node._local is not None:
                        check_local_grads(node)
                        step(node)
                return
            for node in reversed(order):
                if node._local is not None:
                    step(node)

    # --- conversions and display -------------------------------------------------------------

    def detach(self) -> Value:
        """A new leaf with the same data and label and no history, as ``Tensor.detach()``."""
        return Value(self.data, self.label)

    def item(self) -> float:
        """The data as a Python float, as ``Tensor.item()``."""
        return self.data

    def __float__(self) -> float:
        return self.data

    def __index__(self) -> int:
        raise TypeError(
            f"a Value cannot be used as an integer (a size, an index, range()): got {self!r}; "
            "use int(v.data) for its number. Under engine.jit an int argument is traced as a "
            "number, like a float: name it in jit(fn, static_argnames=(...)) so that each value "
            "gets a trace of its own"
        )

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"


class PowByNumber:
    """The local-derivative rule of ``x ** n`` for a number n: d/dx = n x^(n-1), 0 when n = 0.

    A rule object rather than a closure so the exact exponent stays readable (``.exponent``;
    the op string ``"**0.333333"`` rounds it for show), as ``engine.jit`` needs it.
    """

    __slots__ = ("exponent",)

    def __init__(self, exponent: float) -> None:
        self.exponent = exponent

    def __call__(self, out: Value) -> tuple[float, ...]:
        n = self.exponent
        if n == 0.0:
            return (0.0,)
        return (n * numeric.power(out._prev[0].data, n - 1.0),)


def prepare_backward(root: Value) -> list[Value]:
    """Order the graph, clear the inner nodes' grads and seed ``root`` with 1.0.

    Shared by ``Value.backward()`` and the step-by-step walkers so that they agree exactly.

    Returns:
        The topological order (leaves first, root last).
    """
    order = walk(root, clear_inner_grads=True)
    if root._local is None:
        root.grad += 1.0  # a leaf accumulates like any other
    else:
        root.grad = 1.0
    return order


_new_value = object.__new__


def _result(data: float, parents: tuple[Value, ...], op: str,
            local: LocalGrads | None) -> Value:
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
        out._local = local
    else:
        out._prev = ()
        out._op = ""
        out._local = None
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
    out = _result(other if type(other) is float else _number(other, op), (), "", None)
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
