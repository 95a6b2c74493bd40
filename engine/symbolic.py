"""The helper namespaces an op's rule is read in: floats, and code that prints itself as Python.

An op's forward and derivative rule (``engine.ops``) are small functions of a namespace ``m``
and their operands, written with Python's operators and the helpers named here (``m.where``,
``m.exp``, ``m.log``, ``m.div``, ``m.power``, ...). Calling a rule with ``FLOATS`` computes
numbers; calling it with ``SCALAR`` or ``BATCH`` and ``Code`` operands writes the same float
operations, in the same order, as Python source: ``Code`` objects overload the operators and
print themselves with just the parentheses Python needs. ``SCALAR`` source runs on floats with
``SCALAR_HELPERS`` as globals; ``BATCH`` source runs on NumPy arrays with ``batch_helpers()``.

A ``Code`` operand is either a name (``Code.name("x")``) or a hole (``Code.hole(0)``): a rule
read on holes gives a ``Template`` that later takes any expressions for its holes and wraps
each in parentheses only where its place needs them, so a rule is read once per op, not once
per node.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from . import numeric

# How tightly an expression binds, as Python's grammar says; an operand binding looser than its
# place needs is parenthesised.
LOOSE, OR, AND, NOT, COMPARE, BITOR, BITAND, SUM, PRODUCT, UNARY, ATOM = range(11)

Operand = Any  # a Code, or a float that becomes a literal


def literal(x: float) -> str:
    """A float as source text that evaluates to exactly it (``repr`` round-trips floats)."""
    if math.isfinite(x):
        return repr(x)
    if math.isnan(x):
        return "_nan"
    return "_inf" if x > 0.0 else "-_inf"


class Code:
    """A Python expression built by reading a rule on symbols; operators build bigger ones.

    Attributes:
        text: the source (holes appear as markers until a ``Template`` fills them).
        level: how tightly it binds (``ATOM`` for names, calls and literals).
        batch: written for NumPy arrays (``_where``, ``&``) rather than floats (``if``, ``and``).
        reads: the symbols read, once per occurrence (``("out", "out")`` for ``out * out``).
    """

    __slots__ = ("batch", "level", "reads", "text")
    __hash__ = None  # type: ignore[assignment]  # == builds an expression, not a bool

    def __init__(self, text: str, level: int, batch: bool, reads: tuple[object, ...] = ()) -> None:
        self.text = text
        self.level = level
        self.batch = batch
        self.reads = reads

    @staticmethod
    def name(name: str, batch: bool = False) -> Code:
        """A symbol that prints as ``name`` and is read as ``name``."""
        return Code(name, ATOM, batch, (name,))

    @staticmethod
    def hole(key: int, batch: bool = False) -> Code:
        """Operand ``key`` of a ``Template``: filled later (its text is a marker)."""
        return _Hole(key, batch)

    def __repr__(self) -> str:
        return f"Code({self.text!r})"

    # --- arithmetic: a left-associative operator keeps a right operand of its own level in
    # parentheses, so a + (b + c) is never regrouped into (a + b) + c --------------------------
    def _binary(self, other: Operand, symbol: str, level: int, reflected: bool) -> Code:
        left, right = (as_code(other, self.batch), self) if reflected else (self, other)
        left, right = as_code(left, self.batch), as_code(right, self.batch)
        text = f"{left.embed(level)} {symbol} {right.embed(level + 1)}"
        return Code(text, level, self.batch, left.reads + right.reads)

    def __add__(self, other: Operand) -> Code:
        return self._binary(other, "+", SUM, False)

    def __radd__(self, other: Operand) -> Code:
        return self._binary(other, "+", SUM, True)

    def __sub__(self, other: Operand) -> Code:
        return self._binary(other, "-", SUM, False)

    def __rsub__(self, other: Operand) -> Code:
        return self._binary(other, "-", SUM, True)

    def __mul__(self, other: Operand) -> Code:
        return self._binary(other, "*", PRODUCT, False)

    def __rmul__(self, other: Operand) -> Code:
        return self._binary(other, "*", PRODUCT, True)

    def __truediv__(self, other: Operand) -> Code:
        return self._binary(other, "/", PRODUCT, False)

    def __neg__(self) -> Code:
        return Code(f"-{self.embed(UNARY)}", UNARY, self.batch, self.reads)

    # --- conditions: comparisons never chain, and both sides bind tighter than them -----------
    def _compare(self, other: Operand, symbol: str) -> Code:
        right = as_code(other, self.batch)
        text = f"{self.embed(COMPARE + 1)} {symbol} {right.embed(COMPARE + 1)}"
        return Code(text, COMPARE, self.batch, self.reads + right.reads)

    def __lt__(self, other: Operand) -> Code:
        return self._compare(other, "<")

    def __le__(self, other: Operand) -> Code:
        return self._compare(other, "<=")

    def __gt__(self, other: Operand) -> Code:
        return self._compare(other, ">")

    def __ge__(self, other: Operand) -> Code:
        return self._compare(other, ">=")

    def __eq__(self, other: Operand) -> Code:  # type: ignore[override]
        return self._compare(other, "==")

    def __ne__(self, other: Operand) -> Code:  # type: ignore[override]
        return self._compare(other, "!=")

    def _logic(self, other: Operand, scalar: str, batch: str, scalar_level: int,
               batch_level: int) -> Code:
        # ``a and b`` on floats; ``a & b`` element-wise on arrays, where & binds tighter than
        # the comparisons inside it.
        right = as_code(other, self.batch)
        symbol, level = (batch, batch_level) if self.batch else (scalar, scalar_level)
        text = f"{self.embed(level)} {symbol} {right.embed(level + 1)}"
        return Code(text, level, self.batch, self.reads + right.reads)

    def __and__(self, other: Operand) -> Code:
        return self._logic(other, "and", "&", AND, BITAND)

    def __rand__(self, other: Operand) -> Code:
        return as_code(other, self.batch)._logic(self, "and", "&", AND, BITAND)

    def __or__(self, other: Operand) -> Code:
        return self._logic(other, "or", "|", OR, BITOR)

    def __ror__(self, other: Operand) -> Code:
        return as_code(other, self.batch)._logic(self, "or", "|", OR, BITOR)

    def embed(self, level: int) -> str:
        """The text as an operand in a place that needs at least ``level`` (else parentheses)."""
        return self.text if self.level >= level else f"({self.text})"


_MARK = "\x00"


class _Hole(Code):
    """A symbol whose text a ``Template`` fills in; its marker records what its place needs."""

    __slots__ = ("key",)

    def __init__(self, key: int, batch: bool) -> None:
        super().__init__(f"{_MARK}{key}|0{_MARK}", ATOM, batch, (key,))
        self.key = key

    def embed(self, level: int) -> str:
        return f"{_MARK}{self.key}|{level}{_MARK}"


def as_code(x: Operand, batch: bool) -> Code:
    """A Code as it is; a number as its literal (a negative one binds as ``-x`` does)."""
    if isinstance(x, Code):
        return x
    if isinstance(x, bool):
        return Code(repr(x), ATOM, batch)
    text = literal(float(x))
    return Code(text, UNARY if text.startswith("-") else ATOM, batch)


class Template:
    """An expression with numbered holes, from a rule read once, filled in for each node.

    A fill puts operand k's text where hole k was, parenthesised only if the operand binds
    looser than that place needs; the result binds as the template does (or, when the whole
    template is one hole, as that operand does). The text between holes is kept as a
    ``str.format`` pattern, so a fill is one C-level call however long the rule is.
    """

    __slots__ = ("_by_key", "_by_place", "_hole", "_places", "level", "reads")

    def __init__(self, code: Code) -> None:
        by_key, by_place = [], []
        self._places: list[tuple[int, int]] = []  # (hole, level its place needs), in text order
        for k, piece in enumerate(code.text.split(_MARK)):
            if k % 2 == 0:
                escaped = piece.replace("{", "{{").replace("}", "}}")
                by_key.append(escaped)
                by_place.append(escaped)
            else:
                key, level = piece.split("|")
                by_key.append(f"{{{key}}}")
                by_place.append(f"{{{len(self._places)}}}")
                self._places.append((int(key), int(level)))
        self._by_key = "".join(by_key)
        self._by_place = "".join(by_place)
        self.level = code.level
        self.reads = code.reads
        self._hole = code.key if isinstance(code, _Hole) else None

    def fill_texts(self, operands: Sequence[tuple[str, int]]) -> tuple[str, int]:
        """The template filled with operands given as (text, level) pairs; returns the same."""
        if self._hole is not None:
            return operands[self._hole]
        texts = []
        for key, need in self._places:
            text, level = operands[key]
            texts.append(text if level >= need else f"({text})")
        return self._by_place.format(*texts), self.level

    def fill_names(self, names: Sequence[str]) -> str:
        """The template filled with names or literals, which need no parentheses."""
        if self._hole is not None:
            return names[self._hole]
        return self._by_key.format(*names)


class FloatMath:
    """The helpers on floats, the IEEE answers of ``engine.numeric``: how backward reads a rule.

    ``where(cond, a, b)`` is ``a if cond else b`` (both sides are already computed: every
    helper returns inf or nan where ``math`` would raise, so computing the other side is
    harmless).
    """

    @staticmethod
    def where(cond: object, a: float, b: float) -> float:
        return a if cond else b

    @staticmethod
    def eq(a: float, b: float) -> bool:
        return a == b

    @staticmethod
    def isnan(x: float) -> bool:
        return x != x

    exp = staticmethod(numeric.exp)
    log = staticmethod(numeric.log)
    div = staticmethod(numeric.div)
    power = staticmethod(numeric.power)
    tanh = staticmethod(math.tanh)
    sigmoid = staticmethod(numeric.sigmoid)
    sin = staticmethod(numeric.sin)
    cos = staticmethod(numeric.cos)
    abs = staticmethod(math.fabs)


class CodeMath:
    """The helpers as code: each call prints as ``_name(args)``, run with ``SCALAR_HELPERS``
    (floats) or ``batch_helpers()`` (NumPy arrays) as globals.

    ``where`` prints ``a if cond else b`` for floats and ``_where(cond, a, b)`` for arrays, and
    a condition that is already a bool (a number parameter compared, as ``n == 0.0``) chooses
    its side while the rule is read. ``power(x, 1.0)`` is ``x``: C's ``pow`` returns x exactly.
    """

    def __init__(self, batch: bool) -> None:
        self.batch = batch

    def call(self, helper: str, *args: Operand) -> Code:
        codes = [as_code(arg, self.batch) for arg in args]
        reads = tuple(read for code in codes for read in code.reads)
        text = ", ".join(code.embed(LOOSE) for code in codes)
        return Code(f"_{helper}({text})", ATOM, self.batch, reads)

    def where(self, cond: Operand, a: Operand, b: Operand) -> Operand:
        if isinstance(cond, bool):
            return a if cond else b
        if self.batch:
            return self.call("where", cond, a, b)
        c, x, y = (as_code(item, False) for item in (cond, a, b))
        text = f"{x.embed(LOOSE + 1)} if {c.embed(LOOSE + 1)} else {y.embed(LOOSE)}"
        return Code(text, LOOSE, False, c.reads + x.reads + y.reads)

    def eq(self, a: Operand, b: Operand) -> Operand:
        if not isinstance(a, Code) and not isinstance(b, Code):
            return bool(a == b)
        return as_code(a, self.batch) == as_code(b, self.batch)

    def isnan(self, x: Operand) -> Operand:
        if not isinstance(x, Code):
            return bool(x != x)
        return x != x  # nan is the only float unequal to itself, element-wise too

    def power(self, x: Operand, n: Operand) -> Operand:
        if not isinstance(n, Code) and float(n) == 1.0:
            return x
        return self.call("power", x, n)

    def exp(self, x: Operand) -> Code:
        return self.call("exp", x)

    def log(self, x: Operand) -> Code:
        return self.call("log", x)

    def div(self, a: Operand, b: Operand) -> Code:
        return self.call("div", a, b)

    def tanh(self, x: Operand) -> Code:
        return self.call("tanh", x)

    def sigmoid(self, x: Operand) -> Code:
        return self.call("sigmoid", x)

    def sin(self, x: Operand) -> Code:
        return self.call("sin", x)

    def cos(self, x: Operand) -> Code:
        return self.call("cos", x)

    def abs(self, x: Operand) -> Code:
        return self.call("abs", x)


FLOATS = FloatMath()
SCALAR = CodeMath(batch=False)
BATCH = CodeMath(batch=True)

#: The globals scalar code runs with: the engine's IEEE-safe helpers, nothing else.
SCALAR_HELPERS: dict[str, object] = {
    "__builtins__": {},
    "_power": numeric.power,
    "_exp": numeric.exp,
    "_log": numeric.log,
    "_div": numeric.div,
    "_tanh": math.tanh,
    "_sigmoid": numeric.sigmoid,
    "_sin": numeric.sin,
    "_cos": numeric.cos,
    "_abs": math.fabs,
    "_inf": math.inf,
    "_nan": math.nan,
}


def batch_helpers() -> dict[str, object]:
    """The globals of batch code: NumPy ufuncs with the scalar helpers' IEEE answers.

    Imports NumPy, so it is only called once a caller has passed an array. Each helper takes
    arrays or floats and gives, element by element, what its scalar twin gives (up to the last
    bit or so of exp, log, tanh, sin and cos, where NumPy's vector code and the C library round
    apart): ``exp`` overflows to ``inf``, ``log(0) = -inf``, ``log(x < 0) = nan``, ``1 / 0 =
    inf``, a negative base with a fractional exponent gives ``nan`` (C's ``pow``), ``sin(inf)
    = nan``, and ``sigmoid`` takes the branch ``numeric.sigmoid`` takes, so no exp overflows.
    The caller runs the code under ``numpy.errstate(all="ignore")``: those answers are meant,
    not warned. ``_where`` computes both sides; the side it drops may be inf or nan harmlessly.
    ``power`` follows ``numeric.power``: exponents 0.5 and -0.5 are square roots.
    """
    import numpy as np

    def sigmoid_batch(x: Any) -> Any:
        # e^-|x| is e^-x where x >= 0 and e^x below: the exp of each branch of numeric.sigmoid.
        e = np.exp(-np.abs(x))
        return np.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))

    def power_batch(x: Any, n: Any) -> Any:
        if isinstance(n, float) and n == 0.5:
            return np.sqrt(x)
        if isinstance(n, float) and n == -0.5:
            return np.divide(1.0, np.sqrt(x))
        return np.power(x, n)

    return {
        "__builtins__": {},
        "_power": power_batch,
        "_exp": np.exp,
        "_log": np.log,
        "_div": np.divide,
        "_tanh": np.tanh,
        "_sigmoid": sigmoid_batch,
        "_sin": np.sin,
        "_cos": np.cos,
        "_abs": np.abs,
        "_where": np.where,
        "_inf": math.inf,
        "_nan": math.nan,
    }


def symbols(names: Sequence[str], batch: bool = False) -> list[Code]:
    """One named symbol per name, for reading a rule as code."""
    return [Code.name(name, batch) for name in names]
