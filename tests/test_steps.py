"""engine.backward_steps: backward one node at a time, bit for bit the same as backward()."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import BackwardStep, Value, backward_steps, eager, ops, topological_order
from tests.support import bits, neuron, two_paths_graph

# Ops the random graphs draw from; each keeps values finite for inputs in [-3, 3] and the
# smooth ones keep outputs in a small range, so deep graphs neither overflow nor go nan.
BINARY: list[Callable[[Value, Value], Value]] = [
    lambda a, b: a + b,
    lambda a, b: a * b,
    lambda a, b: a - b,
    lambda a, b: a / (1.0 + b * b),
    lambda a, b: (a * b).tanh(),
]
UNARY: list[Callable[[Value], Value]] = [
    lambda a: a.tanh(),
    lambda a: a.sigmoid(),
    lambda a: a.relu(),
    lambda a: a * a,  # the same parent twice
    lambda a: a.tanh().exp(),
    lambda a: a**2,
    lambda a: 3.0 * a + 1.0,  # constants are leaves too
]


@st.composite
def graphs(draw: st.DrawFn) -> tuple[Value, list[Value]]:
    """A random graph: a few leaves, then ops on any earlier nodes (fan-out and reuse)."""
    values = draw(st.lists(st.floats(-3.0, 3.0), min_size=1, max_size=4))
    nodes = [Value(x, label=f"x{i}") for i, x in enumerate(values)]
    leaves = list(nodes)
    for _ in range(draw(st.integers(1, 25))):
        pick = st.integers(0, len(nodes) - 1)
        if draw(st.booleans()):
            op2 = BINARY[draw(st.integers(0, len(BINARY) - 1))]
            nodes.append(op2(nodes[draw(pick)], nodes[draw(pick)]))
        else:
            op1 = UNARY[draw(st.integers(0, len(UNARY) - 1))]
            nodes.append(op1(nodes[draw(pick)]))
    # Sum a few earlier nodes into the root so that inner nodes fan out to several users.
    root = nodes[-1]
    for index in draw(st.lists(pick_from(len(nodes)), max_size=3)):
        root = root + nodes[index]
    return root, leaves


def pick_from(n: int) -> st.SearchStrategy[int]:
    return st.integers(0, n - 1)


@settings(max_examples=150, deadline=None)
@given(graphs())
def test_steps_leave_exactly_the_gradients_of_backward(graph: tuple[Value, list[Value]]) -> None:
    root, _ = graph
    order = topological_order(root)
    steps = list(backward_steps(root))
    stepped = [bits(node.grad) for node in order]
    for node in order:
        node.grad = 0.0
    root.backward()
    assert stepped == [bits(node.grad) for node in order]
    assert len(steps) == sum(1 for node in order if node._prev)


#: Ops whose backward is not local * upstream as one product: relu and max/min/clamp select
#: the upstream gradient, log and div divide it (g / x, g / b, as torch does).
SELECTING_OR_DIVIDING = {ops.RELU, ops.LOG, ops.DIV, ops.MAXIMUM, ops.MINIMUM, ops.CLAMP}


@settings(max_examples=100, deadline=None)
@given(graphs())
def test_each_record_holds_the_chain_rule_arithmetic(graph: tuple[Value, list[Value]]) -> None:
    root, _ = graph
    steps = list(backward_steps(root))
    stepped: set[Value] = set()
    for number, step in enumerate(steps, start=1):
        assert (step.index, step.total) == (number, len(steps))
        assert step.node._prev, "a leaf is never a step"
        # Reverse topological order: a node is stepped before every one of its parents.
        assert not stepped.intersection(step.node._prev)
        stepped.add(step.node)
        assert [u.parent for u in step.updates] == list(step.node._prev)
        assert [u.position for u in step.updates] == list(range(len(step.node._prev)))
        assert [u.local for u in step.updates] == list(step.node.local_grads())
        last_after: dict[Value, float] = {}
        gains = step.node._grad_fn(step.node, step.upstream)  # type: ignore[misc]
        found = eager.op_of(step.node._grad_fn)
        for update in step.updates:
            # What the op's backward function gives; for the ops that multiply, that is
            # local * upstream exactly.
            assert bits(update.contribution) == bits(gains[update.position])
            if found is not None and found[0] not in SELECTING_OR_DIVIDING:
                assert bits(update.contribution) == bits(update.local * step.upstream)
            assert bits(update.after) == bits(update.before + update.contribution)
            if update.parent in last_after:  # a repeated parent continues from its last write
                assert bits(update.before) == bits(last_after[update.parent])
            last_after[update.parent] = update.after
    assert steps[0].node is root and steps[0].upstream == 1.0


def test_the_issue_example_by_hand() -> None:
    z, a, b = two_paths_graph()  # z = u + v with u = 2a, v = a*b: dz/da = 2 + b, dz/db = a
    steps = list(backward_steps(z))
    assert [s.node.label for s in steps] == ["z", "u", "v"]
    first = steps[0]
    assert first.upstream == 1.0
    rows = [(x.parent.label, x.local, x.contribution, x.before, x.after) for x in first.updates]
    assert rows == [("u", 1.0, 1.0, 0.0, 1.0), ("v", 1.0, 1.0, 0.0, 1.0)]
    mul_u = steps[1]
    assert [(x.parent.label, x.local, x.before, x.after) for x in mul_u.updates] == [
        ("a", 2.0, 0.0, 2.0),
        ("", 3.0, 0.0, 3.0),  # the constant 2.0 is a leaf too
    ]
    mul_v = steps[2]
    # a fans out to u and v: its grad accumulates, 2 + (-4) = -2 = 2 + b.
    assert [(x.parent.label, x.local, x.before, x.after) for x in mul_v.updates] == [
        ("a", -4.0, 2.0, -2.0),
        ("b", 3.0, 0.0, 3.0),
    ]
    assert (a.grad, b.grad) == (-2.0, 3.0)


def test_repeated_parent_gets_two_updates() -> None:
    a = Value(3.0, label="a")
    square = a * a
    (step,) = backward_steps(square)
    assert [u.parent for u in step.updates] == [a, a]
    assert [(u.before, u.after) for u in step.updates] == [(0.0, 3.0), (3.0, 6.0)]
    assert a.grad == 6.0  # d(a^2)/da = 2a


def test_reused_inner_node() -> None:
    # b = a + a; c = b + b: dc/da = 4, with b stepped once after both of c's uses.
    a = Value(1.5, label="a")
    b = a + a
    c = b + b
    steps = list(backward_steps(c))
    assert [s.node for s in steps] == [c, b]
    assert steps[1].upstream == 2.0
    assert a.grad == 4.0


def test_lecture_neuron_step_by_step() -> None:
    x1, x2, w1, w2, b, n, o = neuron().values()
    walker = backward_steps(o)
    first = next(walker)
    assert first.node is o and first.upstream == 1.0
    (update,) = first.updates
    assert update.parent is n
    assert update.local == pytest.approx(1.0 - math.tanh(n.data) ** 2, rel=1e-12)
    assert update.local == pytest.approx(0.5, rel=1e-12)
    # Part-way through: only the root's parent has a grad so far, the leaves none.
    assert n.grad == update.after
    assert (x1.grad, w1.grad, b.grad) == (0.0, 0.0, 0.0)
    for _ in walker:
        pass
    assert x1.grad == pytest.approx(-3.0 * 0.5, rel=1e-12)
    assert w1.grad == pytest.approx(2.0 * 0.5, rel=1e-12)
    assert x2.grad == pytest.approx(0.5, rel=1e-12)
    assert w2.grad == 0.0


def test_nothing_happens_before_the_first_next() -> None:
    a = Value(2.0)
    c = a.exp()
    c.grad = 7.0
    walker = backward_steps(c)
    assert c.grad == 7.0
    step = next(walker)
    assert isinstance(step, BackwardStep)
    assert c.grad == 1.0  # prepare_backward ran and seeded the root
    assert a.grad == math.exp(2.0)


def test_a_leaf_root_has_no_steps_and_accumulates_like_backward() -> None:
    a = Value(2.0)
    a.grad = 0.5
    assert list(backward_steps(a)) == []
    assert a.grad == 1.5


def test_a_non_value_root_is_a_type_error() -> None:
    message = r"backward_steps\(\) needs a Value root, got 3.0 \(float\)"
    with pytest.raises(TypeError, match=message):
        list(backward_steps(3.0))  # type: ignore[arg-type]


def test_records_are_frozen() -> None:
    (step,) = backward_steps(Value(1.0) * 2.0)
    with pytest.raises(AttributeError):
        step.upstream = 2.0  # type: ignore[misc]
