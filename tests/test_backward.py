"""backward() over whole graphs: order, fan-out, reuse, accumulation, modes and deep chains."""

from __future__ import annotations

import math
import random
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, grad, gradcheck, name_scope, no_grad, topological_order
from tests import support


def test_topological_order_puts_parents_first_and_root_last() -> None:
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    d = e + c
    order = topological_order(d)
    assert order[-1] is d
    assert set(order) == {a, b, c, e, d}
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for parent in node._prev:
            assert position[parent] < position[node]


def test_topological_order_is_deterministic() -> None:
    def build() -> list[str]:
        x = Value(1.0, label="x")
        y = (x * 2 + x.exp()) * (x - 1).tanh()
        return [f"{n._op}{n.label}{n.data}" for n in topological_order(y)]

    assert build() == build()


def test_fan_out_sums_contributions() -> None:
    a = Value(3.0)
    out = a * 2 + a.exp() + a**2
    out.backward()
    assert a.grad == pytest.approx(2 + math.exp(3.0) + 6.0, rel=1e-15)


def test_diamond() -> None:
    x = Value(0.5)
    left, right = x.tanh(), x.sigmoid()
    out = left * right
    out.backward()
    t, s = math.tanh(0.5), 1 / (1 + math.exp(-0.5))
    assert x.grad == pytest.approx((1 - t * t) * s + t * s * (1 - s), rel=1e-14)


def test_reuse_of_a_non_leaf_node() -> None:
    a = Value(1.5)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0
    assert b.grad == 2.0


def test_a_times_a_has_two_edges() -> None:
    a = Value(-2.0)
    out = a * a
    assert out._prev == (a, a)
    assert out.local_grads() == (-2.0, -2.0)
    out.backward()
    assert a.grad == -4.0


def test_backward_twice_accumulates_in_leaves_like_torch() -> None:
    a, b = Value(2.0), Value(3.0)
    h = a * b
    out = h.tanh()
    out.backward()
    first = (a.grad, b.grad)
    out.backward()
    assert (a.grad, b.grad) == (2 * first[0], 2 * first[1])
    # Inner nodes are recomputed, not accumulated: h.grad is d out / d h for this call.
    assert h.grad == pytest.approx(1 - math.tanh(6.0) ** 2, rel=1e-15)


def test_backward_on_a_leaf_seeds_it() -> None:
    a = Value(5.0)
    a.backward()
    a.backward()
    assert a.grad == 2.0


def test_manual_walk_matches_backward() -> None:
    """The lecture's walk by hand: seed the root, then _backward() in reverse order."""
    def neuron() -> tuple[Value, list[Value]]:
        nodes = support.neuron()
        return nodes["o"], [nodes[name] for name in support.NEURON_POINT]

    o, leaves = neuron()
    o.grad = 1.0
    for node in reversed(topological_order(o)):
        node._backward()
    by_hand = [leaf.grad for leaf in leaves]
    o2, leaves2 = neuron()
    o2.backward()
    assert by_hand == [leaf.grad for leaf in leaves2]


def test_no_grad_records_no_parents() -> None:
    a = Value(2.0)
    with no_grad():
        b = a * 3 + 1
    assert b._prev == () and b._op == "" and b.data == 7.0
    c = a * 3
    assert c._prev != ()
    b.backward()
    assert a.grad == 0.0


def test_no_grad_restores_on_error() -> None:
    with pytest.raises(RuntimeError), no_grad():
        raise RuntimeError("boom")
    assert (Value(1.0) * 2)._prev != ()


def test_detach_cuts_the_graph() -> None:
    a = Value(2.0)
    b = (a * a).detach()
    out = b * a
    out.backward()
    assert a.grad == 4.0  # only through the second factor: d(b a)/da = b


def test_name_scope_nests_and_tags_nodes() -> None:
    with name_scope("Layer 1"):
        w = Value(0.5, label="w")
        with name_scope("Neuron 1.3") as scope:
            out = w * 2
    assert scope == "Layer 1 / Neuron 1.3"
    assert w.scope == "Layer 1"
    assert out.scope == "Layer 1 / Neuron 1.3"
    assert (w + 1).scope == ""


def test_name_scope_rejects_empty_names() -> None:
    with pytest.raises(ValueError, match="name_scope needs a non-empty string, got ''"), \
            name_scope(""):
        pass


def test_chain_deeper_than_the_recursion_limit() -> None:
    depth = 150_000
    assert depth > 100 * sys.getrecursionlimit()
    x = Value(1.0)
    y = x
    for _ in range(depth):
        y = y * 1.0000001 + 0.0000001
    y.backward()
    assert x.grad == pytest.approx(1.0000001**depth, rel=1e-9)
    del y  # freeing a deep chain must not overflow the C stack either


def test_grad_leaves_every_grad_as_it_was() -> None:
    a, b = Value(2.0), Value(-1.0)
    out = (a * b).exp() + a
    a.grad, b.grad = 10.0, 20.0
    unused = Value(7.0)
    da, db, du = grad(out, [a, b, unused])
    assert da == pytest.approx(-math.exp(-2.0) + 1, rel=1e-15)
    assert db == pytest.approx(2 * math.exp(-2.0), rel=1e-15)
    assert du == 0.0
    assert (a.grad, b.grad, out.grad) == (10.0, 20.0, 0.0)


def test_grad_rejects_non_values() -> None:
    with pytest.raises(TypeError, match=r"grad\(\) inputs must be Values, got 1.0 \(float\)"):
        grad(Value(1.0), [1.0])  # type: ignore[list-item]


# --- random graphs against central differences (no torch needed) -----------------------------

UNARY = ["tanh", "sigmoid", "exp_small", "square", "relu_shift"]
BINARY = ["+", "-", "*"]


def random_graph(rng: random.Random, leaves: list[Value], size: int) -> Value:
    """A random DAG over ``leaves``: each new node uses one or two earlier nodes (fan-out too)."""
    nodes = list(leaves)
    for _ in range(size):
        if rng.random() < 0.4:
            x = rng.choice(nodes)
            kind = rng.choice(UNARY)
            if kind == "exp_small":
                node = (x * 0.1).exp()
            elif kind == "square":
                node = x * x
            elif kind == "relu_shift":
                node = (x + 10.0).relu()  # stays away from the kink for our inputs
            else:
                node = getattr(x, kind)()
        else:
            a, b = rng.choice(nodes), rng.choice(nodes)
            op = rng.choice(BINARY)
            node = a + b if op == "+" else a - b if op == "-" else a * b
        nodes.append(node.tanh() if abs(node.data) > 50 else node)
    return nodes[-1] + sum(nodes[len(leaves):], Value(0.0)) * 0.01


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), xs=st.lists(st.floats(-2, 2), min_size=2, max_size=4),
       size=st.integers(1, 12))
def test_random_graphs_against_central_differences(seed: int, xs: list[float], size: int) -> None:
    def fn(*values: Value) -> Value:
        return random_graph(random.Random(seed), list(values), size)

    report = gradcheck(fn, xs)
    assert report.ok, report.table()
