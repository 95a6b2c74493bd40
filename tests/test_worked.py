"""Tests for demos.worked: the demos' lecture neuron is the tests' fixture, and its printout."""

from __future__ import annotations

import pytest

from demos import worked
from engine import topological_order
from tests.support import NEURON_POINT, neuron


def test_the_demo_builder_makes_the_fixtures_graph() -> None:
    ours, fixture = worked.lecture_neuron(), neuron()
    assert worked.POINT == NEURON_POINT and list(ours) == list(fixture)
    order = [(n.label, n._op, n.data) for n in topological_order(ours["o"])]
    assert order == [(n.label, n._op, n.data) for n in topological_order(fixture["o"])]
    ours["o"].backward()
    assert [v.grad for v in ours.values()] == [v.grad for v in neuron(backward=True).values()]


def test_the_printout_has_every_gradient() -> None:
    text = worked.run()
    assert "o = 0.70710678118654" in text
    for name, grad in {"x1": -1.5, "x2": 0.5, "w1": 1.0, "b": 0.5}.items():
        line = next(ln for ln in text.splitlines() if ln.startswith(f"do/d{name} = "))
        assert float(line.split(" = ")[1]) == pytest.approx(grad, rel=1e-12)
    assert "do/dw2 = 0.0" in text
