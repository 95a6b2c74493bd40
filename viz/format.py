"""Number and text formatting for drawings: compact numbers, full-precision tooltips, escaping."""

from __future__ import annotations

import math

#: Significant digits shown in node and edge labels; tooltips carry the full ``repr``.
DIGITS = 4

#: Significant digits of the numbers in text (traces, the flipbook's arithmetic), which has the
#: room a node label lacks.
TEXT_DIGITS = 6


def compact(x: float, digits: int = DIGITS) -> str:
    """``x`` in at most ``digits`` significant digits, with a short exponent when needed.

    ``compact(2.0) == "2"``, ``compact(-0.70710678) == "-0.7071"``, ``compact(123456.0) ==
    "1.235e5"``, ``compact(1e-7) == "1e-7"``; ``inf``, ``-inf`` and ``nan`` stay as they are.
    """
    if not isinstance(digits, int) or isinstance(digits, bool) or digits < 1:
        raise ValueError(f"digits must be an int >= 1, got {digits!r}")
    return _significant(x, digits)


def float_text(x: float, digits: int | None = TEXT_DIGITS) -> str:
    """``x`` as ``compact`` writes it, keeping ``.0`` on whole numbers (``2.0``, not ``2``), so
    that a number in running text reads as a float; ``digits=None`` gives Python's shortest
    exact ``repr``."""
    if digits is None or not math.isfinite(x):
        return repr(float(x))
    if isinstance(digits, bool) or not isinstance(digits, int) or digits < 1:
        raise ValueError(f"digits must be an int >= 1 or None, got {digits!r}")
    text = _significant(x, digits)
    return text if "." in text or "e" in text else text + ".0"


def _significant(x: float, digits: int) -> str:
    """The one float format of viz: ``digits`` significant digits, ``1.235e5`` for exponents.

    ``-0.0`` is written ``0``: an MLP's ReLU and zero biases make signed zeros everywhere, and
    a reader would take ``-0`` for a small negative number. The sign of a zero changes no sum
    or product a student reads off a drawing, only what dividing by it gives (``1/-0.0`` is
    ``-inf``, which the drawing then shows); tooltips and ``digits=None`` keep it (``-0.0``).
    """
    if x == 0.0:
        return "0"
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{digits}g}"
    mantissa, sep, exponent = text.partition("e")
    if not sep:
        return text
    # "1.235e+05" -> "1.235e5": the sign and leading zeros only add width to a small node.
    return f"{mantissa}e{int(exponent)}"


def full(x: float) -> str:
    """``x`` with every digit (Python's shortest round-tripping ``repr``), for tooltips."""
    return repr(float(x))


_RECORD_SPECIALS = set('{}|<>"\\')


def record_text(text: str) -> str:
    """``text`` made safe inside a Graphviz record field: ``{ } | < > " \\`` are escaped."""
    out = []
    for char in text:
        if char in _RECORD_SPECIALS:
            out.append("\\" + char)
        elif char == "\n":
            out.append("\\n")
        else:
            out.append(char)
    return "".join(out)
