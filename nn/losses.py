"""Loss functions on Values: mean squared error, binary cross-entropy, hinge, L2 penalty.

Each takes predictions and targets (one Value and one number, or two equal-length sequences)
and returns one Value, the mean over the samples, as torch's ``reduction="mean"``.
"""

from __future__ import annotations

from collections.abc import Sequence

from engine import Value

Predictions = Value | Sequence[Value]
#: Targets are numbers, or Values (as torch accepts target tensors: ``engine.jit`` passes them
#: so, and a loss must not freeze them into constants by calling ``float`` on them).
Target = float | Value
Targets = Target | Sequence[Target]


def _target(name: str, t: object) -> Target:
    if isinstance(t, Value):
        return t
    if isinstance(t, bool) or not isinstance(t, int | float):
        raise TypeError(
            f"{name}: targets must be numbers or Values, got {t!r} ({type(t).__name__})"
        )
    return float(t)


def _pairs(name: str, predictions: Predictions, targets: Targets) -> list[tuple[Value, Target]]:
    """Predictions and targets zipped as lists, or a ValueError naming what does not match."""
    if isinstance(predictions, Value):
        if not isinstance(targets, int | float | Value) or isinstance(targets, bool):
            raise TypeError(f"{name}: one prediction needs one number as target, got {targets!r}")
        return [(predictions, _target(name, targets))]
    preds = list(predictions)
    if isinstance(targets, int | float | Value):
        raise TypeError(f"{name}: {len(preds)} predictions need a sequence of targets")
    goals = [_target(name, t) for t in targets]
    if len(preds) != len(goals) or not preds:
        raise ValueError(
            f"{name}: got {len(preds)} predictions and {len(goals)} targets; "
            "expected the same non-zero number"
        )
    for p in preds:
        if not isinstance(p, Value):
            raise TypeError(f"{name}: predictions must be Values, got {p!r} ({type(p).__name__})")
    return list(zip(preds, goals, strict=True))


def _mean_over_samples(terms: list[Value]) -> Value:
    """A loss's ``reduction="mean"``: the per-sample loss terms summed in order, then divided
    by their number, as one Value (a single term is returned as it is, with no division)."""
    total = terms[0]
    for term in terms[1:]:
        total = total + term
    return total if len(terms) == 1 else total / len(terms)


def mse_loss(predictions: Predictions, targets: Targets) -> Value:
    """Mean squared error, ``mean_i (p_i - y_i)^2``, with d/dp_i = 2 (p_i - y_i) / n.

    As ``torch.nn.functional.mse_loss``.
    """
    return _mean_over_samples([(p - y) ** 2 for p, y in _pairs("mse_loss", predictions, targets)])


def binary_cross_entropy_with_logits(logits: Predictions, targets: Targets) -> Value:
    """Binary cross-entropy on logits z and targets y in [0, 1], stable for any z:

        loss = mean_i  max(z, 0) - z y + log(1 + e^(-|z|)),    d loss/dz = sigmoid(z) - y (/ n).

    As ``torch.nn.functional.binary_cross_entropy_with_logits``. ``-|z|`` is written as
    ``min(z, 0) - relu(z)`` so that the gradient is torch's sigmoid(z) - y everywhere: 0.5 - y
    at exactly z = 0 (``-relu(z) - relu(-z)`` would give -y there), and 1 - y or -y at
    z = +-inf (``z - 2 relu(z)`` gave nan at +inf). No exp can overflow. The value is
    right to float64 rounding in absolute terms; without a log1p, a loss below ~1e-16 (a very
    confident right answer) reads as 0.
    """
    terms = []
    for z, y in _pairs("binary_cross_entropy_with_logits", logits, targets):
        positive = z.relu()
        # -|z| = min(z, 0) - max(z, 0): clamp passes the gradient at its bound (as torch's), so
        # d/dz at 0 is sigmoid(0) - y; z - 2 relu(z) was inf - inf = nan at z = +inf.
        minus_abs = z.clamp(max=0.0) - positive
        terms.append(positive - z * y + (1.0 + minus_abs.exp()).log())
    return _mean_over_samples(terms)


def hinge_loss(scores: Predictions, targets: Targets) -> Value:
    """The max-margin loss of micrograd's demo: ``mean_i relu(1 - y_i s_i)`` for labels
    y in {-1, +1}; d/ds_i = -y_i / n where ``y_i s_i < 1``, else 0."""
    pairs = _pairs("hinge_loss", scores, targets)
    for _, y in pairs:
        # A Value target (as engine.jit passes them) is checked by its number, read on purpose.
        if (y.data if isinstance(y, Value) else y) not in (-1.0, 1.0):
            raise ValueError(f"hinge_loss targets must be -1 or +1, got {y!r}")
    return _mean_over_samples([(1.0 - y * s).relu() for s, y in pairs])


def l2_penalty(parameters: Sequence[Value], alpha: float) -> Value:
    """L2 regularization, ``alpha * sum_j p_j^2``, with d/dp_j = 2 alpha p_j.

    micrograd's demo adds it to the hinge loss with alpha = 1e-4.
    """
    params = list(parameters)
    if not params:
        raise ValueError("l2_penalty needs at least one parameter, got none")
    total = params[0] * params[0]
    for p in params[1:]:
        total = total + p * p
    return alpha * total
