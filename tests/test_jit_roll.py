"""engine.codegen_roll: a loss summed over samples compiles to one loop, with the same numbers."""

from __future__ import annotations

import ast
import contextlib
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, jit, topological_order
from engine.codegen import generate
from nn import MLP, make_moons
from tests import random_programs
from tests.support import bits


def batch_loss(program, params, samples):
    """The program run on (parameters..., sample...) for every sample, summed from the first."""
    total = None
    for sample in samples:
        out = program.run([*params, *sample])[0]
        total = out if total is None else total + out
    return total


def np_quiet():
    """NumPy's warnings off for the batch code's nan (the scalar helpers raise none)."""
    try:
        import numpy
    except ImportError:
        return contextlib.nullcontext()
    return numpy.errstate(all="ignore")


def runs(generated, data):
    program = generated.compile()(data)
    return next(program), next(program)


def loops_in(source: str) -> int:
    return sum(isinstance(node, ast.For) for node in ast.walk(ast.parse(source)))


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 9), st.booleans())
def test_a_rolled_loss_gives_the_bits_of_the_straight_code(seed, count, batch):
    """Random programs over every op, one per sample, summed: about nine in ten roll (into a
    forward loop, and a backward loop where the blocks need a gradient); the rest, whose
    samples' code interleaves, stay straight. Either way the numbers are the same bits."""
    rng = random.Random(seed)
    point = [rng.uniform(-2.0, 2.0) for _ in range(4)]
    program = random_programs.draw(rng, point, 10)
    params = [Value(x, label=f"p{k}") for k, x in enumerate(point[:2])]
    samples = [[Value(x + rng.uniform(-0.05, 0.05)) for x in point[2:]] for _ in range(count)]
    out = batch_loss(program, params, samples)
    leaves = [*params, *(x for sample in samples for x in sample)]
    wants = [True, True] + [False] * (len(leaves) - 2)
    names = [f"x{k}" for k in range(len(leaves))]
    order = topological_order(out)
    data: list[object] = [leaf.data for leaf in leaves]
    if batch:
        np = pytest.importorskip("numpy")
        data = [np.array([x, x * 0.5, -x]) for x in data]
    straight = generate(order, leaves, wants, names, "f", batch, roll_at_least=None)
    rolled = generate(order, leaves, wants, names, "f", batch, roll_at_least=1)
    assert loops_in(straight.source) == 0
    with np_quiet():
        (value, grads), (value2, grads2) = runs(straight, data), runs(rolled, data)
    assert bits(value2) == bits(value)
    assert [bits(g) for g in grads2] == [bits(g) for g in grads]
    assert rolled.grad_inputs == straight.grad_inputs == [0, 1]
    assert rolled.edges == straight.edges
    if not batch:
        out.backward()
        assert value == out.data or value != value
        for got, leaf in zip(grads, params, strict=True):
            assert got == pytest.approx(leaf.grad, rel=1e-12, abs=1e-300, nan_ok=True)


def moons_loss(model, points, ys):
    """micrograd's demo loss, as bench/workloads.py writes it."""
    scores = [model(x) for x in points]
    losses = [(1 + -y * s).relu() for y, s in zip(ys, scores, strict=True)]
    return sum(losses) * (1.0 / len(losses)) + 1e-4 * sum(p * p for p in model.parameters())


def test_the_moons_step_compiles_to_one_loop_each_way_with_eager_numbers():
    points, labels = make_moons(40, noise=0.1, seed=0)
    ys = [1.0 if label == 1 else -1.0 for label in labels]
    model = MLP(2, [8, 8, 1], seed=1)
    compiled = jit(lambda xs, ys: moons_loss(model, xs, ys))
    out = compiled(points, ys)
    out.backward()
    got = [p.grad for p in model.parameters()]
    model.zero_grad()
    eager = moons_loss(model, [list(map(Value, x)) for x in points], ys)
    eager.backward()
    assert out.data == eager.data
    assert got == [p.grad for p in model.parameters()]
    source = compiled.source
    assert loops_in(source) == 2
    assert "for _s in _range(" in source and "= _saved[_s]" in source
    blocks, per_block = compiled.info.loop
    assert blocks >= 38 and blocks * per_block > compiled.info.nodes * 0.9
    assert len(source.splitlines()) < compiled.info.nodes / 5
    # the same function written out straight has a line or more per neuron and sample
    straight = generate(topological_order(eager), [], [], [], "f", roll_at_least=None)
    assert len(straight.source.splitlines()) > 3 * len(source.splitlines())


def test_a_sample_leaf_that_wants_a_gradient_keeps_the_code_straight():
    w = Value(0.7, label="w")
    xs = [Value(0.1 * k, label=f"x{k}") for k in range(300)]
    out = sum(((w * x).tanh() * x).exp() for x in xs)
    order = topological_order(out)
    leaves = [w, *xs]
    wanted = generate(order, leaves, [True] * len(leaves), ["w"] + [f"x{k}" for k in range(300)],
                      "f", roll_at_least=1)
    assert loops_in(wanted.source) == 0
    shared_only = generate(order, leaves, [True] + [False] * 300,
                           ["w"] + [f"x{k}" for k in range(300)], "f", roll_at_least=1)
    assert loops_in(shared_only.source) == 2
    out.backward()
    assert runs(shared_only, [leaf.data for leaf in leaves])[1] == (w.grad,)


def test_small_graphs_stay_straight_by_default():
    model = MLP(2, [4, 1], seed=0)
    compiled = jit(lambda xs: sum(model(x) for x in xs))
    compiled([[0.1 * k, -0.2 * k] for k in range(20)]).backward()
    assert compiled.info.nodes < 1000 and loops_in(compiled.source) == 0
    assert compiled.info.loop is None


def test_a_chain_carried_from_block_to_block_stays_straight():
    x = Value(0.5, label="x")
    y = x
    for _ in range(2000):
        y = (y * 1.0001).tanh()
    generated = generate(topological_order(y), [x], [True], ["x"], "f", roll_at_least=1)
    assert loops_in(generated.source) == 0
    y.backward()
    assert runs(generated, [0.5])[1] == (x.grad,)


def test_values_used_after_the_loop_and_a_leaf_used_around_it():
    # The samples are constants (literals in an _in tuple); each block's result reaches the
    # output through a running t = 0.5 t + f, so each gets another gradient (_gout); w is
    # used after the loop too, so its sum starts from that term; b's first term comes from the
    # loop, so its sum starts from -0.0 (x + -0.0 is x for every x) and goes on after it.
    w, b = Value(0.3, label="w"), Value(-0.2, label="b")
    total = Value(0.0)
    for k in range(60):
        total = total * 0.5 + ((w * (0.05 * k - 1.0) + b).tanh() * 2.0 + b).sigmoid()
    out = w * total + b * b
    order = topological_order(out)
    rolled = generate(order, [w, b], [True, True], ["w", "b"], "f", roll_at_least=1)
    straight = generate(order, [w, b], [True, True], ["w", "b"], "f", roll_at_least=None)
    assert loops_in(rolled.source) == 2
    assert "_gout0 = (" in rolled.source and "_in0 = (" in rolled.source
    before_loop = rolled.source.split("for _s in _range(59, -1, -1)")[0].splitlines()
    assert "    db = -0.0" in before_loop and "    dw = v663 * dv665" in before_loop
    got, want = runs(rolled, [0.3, -0.2]), runs(straight, [0.3, -0.2])
    assert bits(got[0]) == bits(want[0]) and [bits(g) for g in got[1]] == [bits(g) for g in want[1]]
    out.backward()
    assert got[0] == out.data and got[1] == (w.grad, b.grad)
