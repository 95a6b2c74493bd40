"""hessian, hvp, jvp and jacobian against torch.func on random programs over every op, and
the messages for bad input."""

from __future__ import annotations

import random
from collections.abc import Sequence

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, grad, hessian, hvp, jacobian, jvp
from tests.random_programs import STEPS, Program, draw

RTOL = 1e-10
#: Where the true value cancels to 0 (x / x is 1, so its Hessian is 0), both engines return
#: rounding noise of the terms that cancelled (-1.1e-16 here, 5.6e-17 torch): no relative
#: measure applies there, so an error this small always passes.
ATOL = 1e-12

points = st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4)
seeds = st.integers(0, 2**32 - 1)


def relative_error(ours: Sequence[float], theirs: Sequence[float]) -> float:
    """max_i |ours_i - theirs_i| over max_i |theirs_i|: normwise, so an entry that cancels to
    near 0 is held to the scale of the others, not to itself. An error below ``ATOL`` counts
    as 0 (see there)."""
    assert len(ours) == len(theirs)
    scale = max((abs(t) for t in theirs), default=0.0)
    worst = max((abs(o - t) for o, t in zip(ours, theirs, strict=True)), default=0.0)
    if worst <= ATOL:
        return 0.0
    return worst / scale if scale else worst


def flat(rows: Sequence[Sequence[float]]) -> list[float]:
    return [x for row in rows for x in row]


def torch_function(program: Program, outputs: int = 1):  # type: ignore[no-untyped-def]
    """The program as a function of one float64 tensor, as torch.func wants it."""
    import torch

    def f(x):  # type: ignore[no-untyped-def]
        results = program.run(list(x.unbind()))
        return results[0] if outputs == 1 else torch.stack(results)

    return f


def tensor(xs: Sequence[float]):  # type: ignore[no-untyped-def]
    import torch

    return torch.tensor(list(xs), dtype=torch.float64)


def test_the_programs_cover_every_op() -> None:
    program = draw(random.Random(0), [0.7, -1.3], size=400)
    assert {step.op for step in program.steps} >= set(STEPS)


@pytest.mark.torch
@pytest.mark.slow  # torch.func's first call costs ~9 s; each example ~0.15 s after it
@settings(max_examples=25, deadline=None)
@given(seed=seeds, xs=points, size=st.integers(1, 24))
def test_hessian_matches_torch_func(seed: int, xs: list[float], size: int) -> None:
    import torch.func

    program = draw(random.Random(seed), xs, size)
    ours = hessian(program.scalar, xs)
    theirs = torch.func.hessian(torch_function(program))(tensor(xs)).tolist()
    assert relative_error(flat(ours), flat(theirs)) <= RTOL, (ours, theirs)
    assert relative_error(flat(ours), flat(map(list, zip(*ours, strict=True)))) <= RTOL


@pytest.mark.torch
@settings(max_examples=40, deadline=None)
@given(seed=seeds, xs=points, size=st.integers(1, 24), data=st.data())
def test_hvp_and_jvp_match_torch_func(seed: int, xs: list[float], size: int,
                                      data: st.DataObject) -> None:
    import torch
    import torch.func

    program = draw(random.Random(seed), xs, size)
    v = data.draw(st.lists(st.floats(-3.0, 3.0), min_size=len(xs), max_size=len(xs)))
    f = torch_function(program)
    out, ours = hvp(program.scalar, xs, v)
    _, theirs = torch.func.jvp(torch.func.grad(f), (tensor(xs),), (tensor(v),))  # H v
    assert relative_error(ours, theirs.tolist()) <= RTOL
    assert relative_error([out], [f(tensor(xs)).item()]) <= 1e-12

    value, tangent = jvp(program.scalar, xs, v)
    t_value, t_tangent = torch.func.jvp(f, (tensor(xs),), (tensor(v),))
    assert relative_error([value], [t_value.item()]) <= 1e-12
    assert relative_error([tangent], [t_tangent.item()]) <= RTOL


@pytest.mark.torch
@settings(max_examples=30, deadline=None)
@given(seed=seeds, xs=points, size=st.integers(1, 24), outputs=st.integers(1, 4))
def test_jacobian_both_modes_match_jacrev_and_jacfwd(seed: int, xs: list[float], size: int,
                                                    outputs: int) -> None:
    import torch.func

    program = draw(random.Random(seed), xs, size, outputs=outputs)
    count = len(program.outputs)

    def f(*values: Value) -> list[Value]:
        return program.run(values)

    forward = jacobian(f, xs, mode="forward")
    reverse = jacobian(f, xs, mode="reverse")
    assert len(forward) == len(reverse) == count and all(len(r) == len(xs) for r in forward)
    g = torch_function(program, outputs=count if count > 1 else 2)
    if count == 1:
        def g(x):  # type: ignore[no-untyped-def]
            return program.run(list(x.unbind()))[0].reshape(1)
    for ours, transform in ((forward, torch.func.jacfwd), (reverse, torch.func.jacrev)):
        theirs = transform(g)(tensor(xs)).tolist()
        assert relative_error(flat(ours), flat(theirs)) <= RTOL, (ours, theirs)


def test_jvp_of_several_outputs_and_a_named_point() -> None:
    def f(x: Value, y: Value) -> tuple[Value, Value]:
        return x * y, x.exp() + y

    values, tangents = jvp(f, {"x": 0.5, "y": -2.0}, {"y": 1.0, "x": 3.0})
    assert values == [-1.0, pytest.approx(0.5 + 2.718281828459045 ** 0.5 - 2.5, rel=1e-15)]
    # d(xy) = y dx + x dy = -6 + 0.5; d(e^x + y) = e^x dx + dy.
    assert tangents[0] == pytest.approx(-5.5, rel=1e-15)
    assert tangents[1] == pytest.approx(3.0 * 2.718281828459045 ** 0.5 + 1.0, rel=1e-15)


def test_hessian_of_a_quadratic_is_its_matrix() -> None:
    # f = x^2 + 3xy - 2y^2 + 5x has the Hessian [[2, 3], [3, -4]] everywhere.
    def f(x: Value, y: Value) -> Value:
        return x * x + 3 * x * y - 2 * y**2 + 5 * x

    assert hessian(f, [1.5, -0.25]) == [[2.0, 3.0], [3.0, -4.0]]
    assert hessian(f, {"y": 0.0, "x": 0.0}) == [[-4.0, 3.0], [3.0, 2.0]]


def test_an_input_the_output_ignores_has_zero_rows_and_columns() -> None:
    def f(x: Value, y: Value, z: Value) -> Value:
        return (x * z).tanh()

    h = hessian(f, [0.3, 5.0, -0.7])
    assert h[1] == [0.0, 0.0, 0.0] and [row[1] for row in h] == [0.0, 0.0, 0.0]
    assert jacobian(f, [0.3, 5.0, -0.7], mode="forward")[0][1] == 0.0
    assert jvp(f, [0.3, 5.0, -0.7], [0.0, 1.0, 0.0])[1] == 0.0


def test_grad_create_graph_false_is_the_float_path() -> None:
    x = Value(0.5)
    y = (x * x).exp()
    assert grad(y, [x], create_graph=False) == grad(y, [x])
    assert type(grad(y, [x])[0]) is float


# --- bad input ------------------------------------------------------------------------------

def two(x: Value, y: Value) -> Value:
    return x * y


def test_hessian_needs_f_to_return_one_value() -> None:
    with pytest.raises(TypeError, match=r"hessian\(\) needs f to return one Value, got \[.*list"):
        hessian(lambda x, y: [x, y], [1.0, 2.0])
    with pytest.raises(TypeError, match=r"hessian\(\) needs f to return one Value, got 3.0 "):
        hessian(lambda x, y: 3.0, [1.0, 2.0])


def test_a_point_of_the_wrong_length_names_both_lengths() -> None:
    with pytest.raises(ValueError, match=r"hessian\(\): the point has 3 coordinates, which do "
                                         r"not fit f\(x: 'Value', y: 'Value'\)"):
        hessian(two, [1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=r"jvp\(\): the point has 1 coordinates"):
        jvp(two, [1.0], [1.0])


def test_a_direction_of_the_wrong_shape_or_kind_is_refused() -> None:
    with pytest.raises(ValueError, match=r"hvp\(\): v has 3 entries but the point has 2"):
        hvp(two, [1.0, 2.0], [1.0, 0.0, 0.0])
    with pytest.raises(TypeError, match=r"jvp\(\): tangent\[1\] must be a number or a Value, "
                                        r"got 'up' \(str\)"):
        jvp(two, [1.0, 2.0], [1.0, "up"])
    with pytest.raises(TypeError, match=r"jvp\(\): tangent must be a sequence of numbers like "
                                        r"the point, got 1.0 \(float\)"):
        jvp(two, [1.0, 2.0], 1.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=r"missing \['y'\], unexpected \['z'\]"):
        jvp(two, {"x": 1.0, "y": 2.0}, {"x": 1.0, "z": 2.0})


def test_a_bad_point_or_output_is_named() -> None:
    with pytest.raises(TypeError, match=r"hessian\(\): point\[0\] must be a number or a Value, "
                                        r"got None \(NoneType\)"):
        hessian(two, [None, 2.0])  # type: ignore[list-item]
    with pytest.raises(TypeError, match=r"jacobian\(\): f returned a list whose item 1 is 2 "
                                        r"\(int\), not a Value"):
        jacobian(lambda x, y: [x, 2], [1.0, 2.0])
    with pytest.raises(ValueError, match=r"jacobian\(\) mode must be 'forward' or 'reverse', "
                                         r"got 'forward-mode'"):
        jacobian(two, [1.0, 2.0], mode="forward-mode")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"hessian\(\) needs a function f, got 3 \(int\)"):
        hessian(3, [1.0])  # type: ignore[arg-type]


def test_values_in_the_point_give_their_data() -> None:
    a = Value(2.0)
    assert hessian(lambda x: x**3, [a]) == [[12.0]]
    assert a.grad == 0.0 and a._prev == ()
