"""Number and text formatting for drawings: compact numbers, full-precision tooltips, escaping."""

from __future__ import annotations

import math

#: Significant digits shown in node and edge labels; tooltips carry the full ``repr``.
DIGITS = 4


def compact(x: float, digits: int = DIGITS) -> str:
    """``x`` in at most ``digits`` significant digits, with a short exponent when needed.

    ``compact(2.0) == "2"``, ``compact(-0.70710678) == "-0.7071"``, ``compact(123456.0) ==
    "1.235e5"``, ``compact(1e-7) == "1e-7"``; ``inf``, ``-inf`` and ``nan`` stay as they are.
    """
    if not isinstance(digits, int) or isinstance(digits, bool) or digits < 1:
        raise ValueError(f"digits must be an int >= 1, got {digits!r}")
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    text = f"{x:.{digits}g}"
    mantissa, sep, exponent = text.partition("e")
    if not sep:
        return text
    # "1.235e+05" -> "1.235e5": the sign and leading zeros only add width to a small node.
    power = int(exponent)
    return f"{mantissa}e{power}"


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
