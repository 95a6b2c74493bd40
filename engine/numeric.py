"""IEEE-754 float arithmetic that returns inf and nan where Python's math module raises.

PyTorch computes in IEEE floats: ``exp(1000)`` is ``inf``, ``log(0)`` is ``-inf`` and ``1 / 0`` is
``inf``. Python's ``math`` raises ``OverflowError``, ``ValueError`` or ``ZeroDivisionError`` at
the same points. These helpers give the IEEE answer so the engine follows torch's float64 numbers.
"""

from __future__ import annotations

import math

INF = math.inf
NAN = math.nan


def div(a: float, b: float) -> float:
    """``a / b`` with IEEE semantics: ``1/0 = inf``, ``-1/0 = -inf``, ``0/0 = nan``."""
    try:
        return a / b
    except ZeroDivisionError:
        if a == 0.0 or a != a:
            return NAN
        return math.copysign(INF, a) * math.copysign(1.0, b)


def exp(x: float) -> float:
    """``e**x``, ``inf`` on overflow."""
    try:
        return math.exp(x)
    except OverflowError:
        return INF


def log(x: float) -> float:
    """Natural log: ``log(0) = -inf``, ``log(x < 0) = nan``, ``log(inf) = inf``."""
    if x > 0.0:
        return math.log(x)
    if x == 0.0:
        return -INF
    return NAN  # negative or nan


def _is_odd_integer(n: float) -> bool:
    return n.is_integer() and n % 2.0 == 1.0


def sqrt(x: float) -> float:
    """The square root, correctly rounded: ``sqrt(-0.0) = -0.0``, ``sqrt(x < 0) = nan``
    (``-inf`` included), ``sqrt(inf) = inf``."""
    if x >= 0.0:  # -0.0 too, as IEEE and torch give it
        return math.sqrt(x)
    return x if x == INF else NAN  # negative, or nan


def power(x: float, n: float) -> float:
    """``x ** n`` as C's ``pow``: a negative base with a fractional exponent gives ``nan``
    (Python would return a complex number), ``0 ** -1 = inf``, overflow gives ``+-inf``.

    ``n = 0.5`` and ``n = -0.5`` are ``sqrt(x)`` and ``1 / sqrt(x)``, as torch computes them:
    C's ``pow`` rounds differently in the last bit (about 1 input in 1000) and gives
    ``pow(-inf, 0.5) = inf`` and ``pow(-0.0, 0.5) = 0.0`` where the square root is ``nan``
    and ``-0.0``.
    """
    if n == 0.5:
        return sqrt(x)
    if n == -0.5:
        return div(1.0, sqrt(x))
    try:
        return math.pow(x, n)
    except OverflowError:
        negative = x < 0.0 and _is_odd_integer(n)
        # |x| > 1 with n > 0 overflows to inf; |x| < 1 with n < 0 likewise.
        return -INF if negative else INF
    except ValueError:
        if x == 0.0 and n < 0.0:
            negative = math.copysign(1.0, x) < 0.0 and _is_odd_integer(n)
            return -INF if negative else INF
        return NAN


def sin(x: float) -> float:
    """The sine: ``sin(+-inf) = nan`` (Python raises ValueError there)."""
    return math.sin(x) if x - x == 0.0 else NAN  # x - x is nan for inf and nan


def cos(x: float) -> float:
    """The cosine: ``cos(+-inf) = nan`` (Python raises ValueError there)."""
    return math.cos(x) if x - x == 0.0 else NAN


def is_finite(x: float) -> bool:
    """True for every float but ``inf``, ``-inf`` and ``nan``."""
    return math.isfinite(x)


def sigmoid(x: float) -> float:
    """The logistic function 1 / (1 + e^-x), computed as e^x / (1 + e^x) for negative x so that
    no exp overflows: exactly 1.0 at x = 1000 and 0.0 at x = -1000."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # x < 0 (or nan): cannot overflow
    return e / (1.0 + e)


def close(actual: float, expected: float, rtol: float = 0.0, atol: float = 0.0) -> bool:
    """|actual - expected| <= atol + rtol |expected| (torch.allclose's rule), for floats.

    nan equals nan, and an infinity equals only the same infinity: the engine's answers at
    overflow and 0/0 are numbers to compare, not failures. With no tolerance it is ``==`` with
    nan equal to itself: the test of code that repeats the same float operations.
    """
    if actual == expected:
        return True
    if math.isnan(actual) or math.isnan(expected):
        return math.isnan(actual) and math.isnan(expected)
    if math.isinf(actual) or math.isinf(expected):
        return False  # unequal, and at least one is infinite
    return abs(actual - expected) <= atol + rtol * abs(expected)
