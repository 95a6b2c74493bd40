"""Checking the engine's gradients: against central differences and against PyTorch."""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from .display import report_html
from .functional import grad
from .modes import no_grad
from .numeric import close
from .table import text_table
from .value import Value, _as_float

Inputs = Sequence[float] | Mapping[str, float]

INF = math.inf

TORCH_MISSING = (
    "compare_with_torch needs PyTorch, which glassgrad never installs by itself. Install the CPU "
    "build with: pip install torch==2.13.0 (or run `make test`, which does)."
)


@dataclass(frozen=True)
class Row:
    """One input's line in a report: the engine's gradient beside a reference gradient."""

    name: str
    value: float
    engine: float
    reference: float
    abs_error: float
    rel_error: float
    ok: bool
    #: Set by gradcheck when f has no derivative along this input at the point: the slopes
    #: from the left and from the right (``one_sided``) disagree, or f jumps. ``kink`` says so
    #: in words; the row is not ok, as no gradient can be checked there.
    one_sided: tuple[float, float] | None = None
    kink: str = ""


@dataclass(frozen=True)
class CheckReport:
    """The outcome of a gradient check; ``print(report)`` shows the table.

    Attributes:
        ok: every gradient (and, against torch, the output) agrees within tolerance, and f is
            differentiable at the point.
        reference: what the engine was compared with (``"numeric"`` or ``"torch"``).
        output: the function's value from the engine.
        reference_output: the function's value from the reference.
        rows: one ``Row`` per input.
        max_abs_error: the largest absolute gradient error.
        max_rel_error: the largest relative gradient error.
    """

    ok: bool
    reference: str
    output: float
    reference_output: float
    rows: list[Row] = field(default_factory=list)

    @property
    def differentiable(self) -> bool:
        """False when gradcheck found f not differentiable along some input at the point."""
        return not any(row.kink for row in self.rows)

    @property
    def max_abs_error(self) -> float:
        return max((row.abs_error for row in self.rows), default=0.0)

    @property
    def max_rel_error(self) -> float:
        return max((row.rel_error for row in self.rows), default=0.0)

    def cells(self) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
        """The table's header and one row of text cells per input (text and HTML show these)."""
        header: tuple[str, ...] = ("input", "value", "engine grad", f"{self.reference} grad",
                                   "abs err", "rel err", "")
        lines: list[tuple[str, ...]] = [
            (
                row.name,
                repr(row.value),
                repr(row.engine),
                repr(row.reference),
                f"{row.abs_error:.2e}",
                f"{row.rel_error:.2e}",
                "ok" if row.ok else "NOT DIFFERENTIABLE" if row.kink else "MISMATCH",
            )
            for row in self.rows
        ]
        return header, lines

    def summary(self) -> str:
        """The verdict line: both outputs, the largest errors, ok or FAILED."""
        verdict = "ok" if self.ok else "FAILED" if self.differentiable else (
            "FAILED: not differentiable at this point")
        return (
            f"output: engine {self.output!r}, {self.reference} {self.reference_output!r}; "
            f"max abs err {self.max_abs_error:.2e}, max rel err {self.max_rel_error:.2e}: {verdict}"
        )

    def table(self) -> str:
        """The report as aligned text: value, engine gradient, reference gradient, errors."""
        text = text_table(*self.cells()).splitlines()
        text.extend(f"{row.name} = {row.value!r}: {row.kink}" for row in self.rows if row.kink)
        text.append(self.summary())
        return "\n".join(text)

    def _repr_html_(self) -> str:
        """The table in a notebook cell (``engine.display.report_html``)."""
        return report_html(self)

    def __str__(self) -> str:
        return self.table()


def _errors(actual: float, expected: float) -> tuple[float, float]:
    if close(actual, expected):
        return 0.0, 0.0
    abs_error = abs(actual - expected)
    if math.isnan(abs_error):
        return math.inf, math.inf
    return abs_error, abs_error / abs(expected) if expected else math.inf


def _named(inputs: Inputs, check: str) -> tuple[list[str], list[float]]:
    """The inputs' names and floats, by the rule of ``Value(x)`` (int or float; a bool, a
    string or a Value is refused) and with a message naming the input that breaks it."""
    if isinstance(inputs, Mapping):
        names = [str(name) for name in inputs]
        given = [inputs[name] for name in inputs]
    else:
        given = list(inputs)
        names = [f"x{i}" for i in range(len(given))]
    values = []
    for name, x in zip(names, given, strict=True):
        try:
            values.append(_as_float(x))
        except (TypeError, ValueError) as error:
            raise type(error)(f"{check} input {name!r}: {error}") from None
    return names, values


def _call(fn: Callable[..., Any], inputs: Inputs, args: Sequence[Any]) -> Any:
    if isinstance(inputs, Mapping):
        return fn(**dict(zip(inputs, args, strict=True)))
    return fn(*args)


def _engine_run(fn: Callable[..., Any], inputs: Inputs, check: str
                ) -> tuple[list[str], list[float], float, list[float]]:
    names, values = _named(inputs, check)
    leaves = [Value(x, label=name) for name, x in zip(names, values, strict=True)]
    out = _call(fn, inputs, leaves)
    if not isinstance(out, Value):
        raise TypeError(f"the function must return a Value, got {out!r} ({type(out).__name__})")
    return names, values, out.data, grad(out, leaves)


def _report(reference: str, names: list[str], values: list[float], output: float,
            reference_output: float, engine: list[float], expected: list[float], rtol: float,
            atols: list[float], check_output: bool) -> CheckReport:
    rows = []
    for name, x, got, want, atol in zip(names, values, engine, expected, atols, strict=True):
        abs_error, rel_error = _errors(got, want)
        rows.append(Row(name, x, got, want, abs_error, rel_error, close(got, want, rtol, atol)))
    ok = all(row.ok for row in rows)
    if check_output:
        ok = ok and close(output, reference_output, rtol, min(atols, default=0.0))
    return CheckReport(ok, reference, output, reference_output, rows)


#: The rounding allowed for each of f(x + h) and f(x - h), in units of their size: f comes out
#: of many float operations, each off by up to half an ulp, so a few dozen epsilons.
_ROUNDING = 64.0 * sys.float_info.epsilon
_TINY = math.ulp(0.0)  # the smallest subnormal, 5e-324


def _central_difference(f: Callable[[list[float]], float], values: list[float], i: int,
                        h: float) -> tuple[float, float]:
    """The derivative along input i from central differences, and a bound on its error.

    D(h) = (f(x + h e_i) - f(x - h e_i)) / 2h, divided by the step actually taken,
    ``(x + h) - (x - h)``. As D(h) = f' + c h^2 + ..., the estimate is Richardson's
    (4 D(h/2) - D(h)) / 3, and |D(h) - D(h/2)| / 3 (the h^2 term that D(h/2) still carries)
    bounds the truncation left in it. Rounding f(x +- h) moves D(h) by about |f| epsilon / h:
    for a large f and a small step that can be far above rtol times the derivative, and the
    bound counts it too.
    """

    def difference(step: float) -> tuple[float, float]:
        plus, minus = list(values), list(values)
        plus[i], minus[i] = values[i] + step, values[i] - step
        f_plus, f_minus = f(plus), f(minus)
        taken = plus[i] - minus[i]
        scale = max(abs(f_plus), abs(f_minus))
        # Rounding of f, at least one unit in the last place of zero: a difference below the
        # smallest subnormal cannot show at all.
        noise = (_ROUNDING * scale + _TINY) / taken if math.isfinite(scale) else 0.0
        return (f_plus - f_minus) / taken, noise

    coarse, coarse_noise = difference(h)
    fine, fine_noise = difference(h / 2.0)
    estimate = (4.0 * fine - coarse) / 3.0
    bound = abs(coarse - fine) / 3.0 + (4.0 * fine_noise + coarse_noise) / 3.0
    return estimate, bound if math.isfinite(bound) else 0.0


def _kink(f: Callable[[list[float]], float], values: list[float], i: int, h: float, f0: float,
          rtol: float) -> tuple[tuple[float, float], str] | None:
    """The one-sided slopes along input i and why f has no derivative there; None if it may.

    On each side, S(h) = (f(x + h) - f(x)) / h (with -h on the left) is f' + f'' h / 2 + ...:
    Richardson's 2 S(h/2) - S(h) estimates the one-sided derivative, and |S(h) - S(h/2)| (the
    h term itself, a generous bound) plus rounding bounds its error. Where f is smooth both
    sides estimate f' and agree within their bounds; at a kink (relu at 0) they do not, and
    at a jump (a branch on ``x > 0`` that changes the value) f(x + h/2) - f(x) does not halve
    with the step, so one slope grows as 1/h.
    """
    slopes, bounds, jumps = [], [], []
    for side in (-1.0, 1.0):
        differences = []
        for step in (side * h, side * h / 2.0):
            moved = list(values)
            moved[i] = values[i] + step
            f1 = f(moved)
            taken = moved[i] - values[i]
            noise = (_ROUNDING * max(abs(f1), abs(f0)) + _TINY) / abs(taken)
            differences.append((f1 - f0, (f1 - f0) / taken, noise))
        (d_coarse, coarse, coarse_noise), (d_fine, fine, fine_noise) = differences
        slopes.append(2.0 * fine - coarse)
        bounds.append(abs(coarse - fine) + 2.0 * fine_noise + coarse_noise)
        if abs(d_fine) > 0.75 * abs(d_coarse) and abs(d_fine) > fine_noise * h:
            jumps.append((side, d_fine))
    left, right = slopes
    gap = abs(right - left)
    if not gap > sum(bounds) + rtol * max(abs(left), abs(right)):  # nan: no verdict
        return None
    if jumps:
        side, change = jumps[0]
        return (left, right), (
            f"f jumps here: a step of {h / 2.0:.3g} to the {'left' if side < 0 else 'right'} "
            f"changes f by {change:.6g}, and halving the step does not halve that. f is not "
            "continuous, so no gradient can be checked; try a point off the jump"
        )
    return (left, right), (
        f"f is not differentiable here: its slope from the left is {left:.6g} and from the "
        f"right {right:.6g}, so no gradient can be checked (a kink, as relu's at 0); "
        "try a point off the kink"
    )


def gradcheck(fn: Callable[..., Value], inputs: Inputs, *, eps: float = 1e-6,
              rtol: float = 1e-4, atol: float = 0.0) -> CheckReport:
    """Compare the engine's gradients of ``fn`` with central differences.

    The numeric derivative along input i comes from central differences,
    (f(x + h e_i) - f(x - h e_i)) / 2h at the steps h and h/2, combined by Richardson
    extrapolation, with a bound on its error: the truncation left (read from how far the two
    steps disagree) plus rounding, about |f| epsilon / h. The step is h = eps * max(1, |x_i|);
    for 0 < |x_i| < 1 the step h = eps * |x_i| is tried as well, which stays inside the scale
    on which functions such as log and sqrt curve near a small x_i, and the row shows the
    estimate that agrees better with the engine. A gradient passes when

        |engine - numeric| <= atol + rtol * |numeric| + the estimate's error bound,

    so a correct derivative passes however large f or its third derivative is, and a wrong
    one fails however tiny the gradients are (there is no fixed absolute slack unless
    ``atol`` asks for one). Before a failing row is called a mismatch, the slopes from the
    left and from the right are estimated: where they disagree (relu at 0, a branch on the
    data) or f jumps, there is no derivative to check, and the row says NOT DIFFERENTIABLE
    with both slopes (``row.one_sided``, ``row.kink``, ``report.differentiable``) instead of
    comparing with the meaningless central estimate. Needs nothing but the engine.

    Args:
        fn: takes one Value per input (positionally, or by name when ``inputs`` is a mapping)
            and returns a Value.
        inputs: the point, as floats (``[2.0, -3.0]`` or ``{"a": 2.0, "b": -3.0}``).
        eps: relative step of the difference.
        rtol, atol: the relative and the extra absolute slack of the test above.

    Returns:
        A report with ``.ok`` and a readable table (``print(report)``).
    """
    names, values, output, engine = _engine_run(fn, inputs, "gradcheck")

    def f(point: list[float]) -> float:
        with no_grad():
            return float(_call(fn, inputs, [Value(x) for x in point]).data)

    def misfit(got: float, estimate: tuple[float, float]) -> float:
        numeric, noise = estimate
        return abs(got - numeric) - noise - rtol * abs(numeric) if numeric == numeric else INF

    numeric, atols, kinks = [], [], {}
    for i, (x, got) in enumerate(zip(values, engine, strict=True)):
        steps = [eps * max(1.0, abs(x))]
        if 0.0 < abs(x) < 1.0 and x + eps * abs(x) / 2.0 != x:  # not for a subnormal x
            steps.append(eps * abs(x))
        estimates = [_central_difference(f, values, i, h) for h in steps]
        # The tightest estimate, unless the engine fits only a looser one (log at a tiny x_i:
        # the step eps * max(1, |x_i|) overshoots the scale, the other one does not).
        best, noise = min(estimates, key=lambda estimate: estimate[1])
        if misfit(got, (best, noise)) > atol:
            best, noise = min(estimates, key=lambda estimate: misfit(got, estimate))
        numeric.append(best)
        atols.append(atol + noise)
        if misfit(got, (best, noise)) > atol:
            # Before calling it a mismatch: is there a derivative here to match at all?
            kink = _kink(f, values, i, steps[0], output, rtol)
            if kink is not None:
                kinks[i] = kink
    report = _report("numeric", names, values, output, output, engine, numeric, rtol, atols,
                     check_output=False)
    for i, (one_sided, why) in kinks.items():
        report.rows[i] = replace(report.rows[i], ok=False, one_sided=one_sided, kink=why)
    return report


def compare_with_torch(fn: Callable[..., Any], inputs: Inputs, *, rtol: float = 1e-9,
                       atol: float = 1e-12) -> CheckReport:
    """Run ``fn`` on Values and on float64 torch tensors, backpropagate both and compare.

    ``fn`` must use only what both types share: arithmetic operators and the torch-named methods
    (``exp``, ``log``, ``tanh``, ``sigmoid``, ``relu``, ``pow``, ``sqrt``). torch is imported here
    and only here.

    Args:
        fn: takes one Value (or tensor) per input and returns a scalar of the same kind.
        inputs: the point, as floats or a name-to-float mapping.
        rtol, atol: a number passes when |engine - torch| <= atol + rtol * |torch|.

    Returns:
        A report with ``.ok``, ``.max_abs_error``, ``.max_rel_error`` and a table.

    Raises:
        ImportError: torch is not installed; the message says how to install it.
    """
    try:
        import torch
    except ImportError as error:
        raise ImportError(TORCH_MISSING) from error

    names, values, output, engine = _engine_run(fn, inputs, "compare_with_torch")
    tensors = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in values]
    torch_out = _call(fn, inputs, tensors)
    if not isinstance(torch_out, torch.Tensor) or torch_out.numel() != 1:
        raise TypeError(f"on tensors the function must return a scalar tensor, got {torch_out!r}")
    torch_out.backward()
    expected = [0.0 if t.grad is None else float(t.grad.item()) for t in tensors]
    return _report("torch", names, values, output, float(torch_out.item()), engine, expected, rtol,
                   [atol] * len(names), check_output=True)
