"""viz.chain_rule_paths and viz.format: the chain rule written out as a sum over paths."""

from __future__ import annotations

import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value
from tests.support import neuron
from viz import chain_rule_paths
from viz.format import compact, full, record_text


def test_single_path_factors_are_the_hand_derived_local_derivatives() -> None:
    v = neuron()
    o, w1 = v["o"], v["w1"]
    o.backward()
    paths = chain_rule_paths(o, w1)
    assert paths.count == 1 and not paths.truncated
    (path,) = paths.paths
    # o = tanh(n), n = s + b, s = x1w1 + x2w2, x1w1 = x1 * w1
    assert path.factors == (1.0 - o.data**2, 1.0, 1.0, v["x1"].data)
    assert path.nodes[0] is o and path.nodes[-1] is w1
    assert math.isclose(path.value, w1.grad, rel_tol=1e-12)
    assert math.isclose(paths.total, w1.grad, rel_tol=1e-12)
    assert path.text() == "o ← n ← + ← * ← w1:  0.5 × 1 × 1 × 2 = 1"


def test_a_parent_used_twice_gives_two_paths_named_by_argument() -> None:
    a = Value(3.0, label="a")
    q = a * a + a
    q.label = "q"
    q.backward()
    paths = chain_rule_paths(q, a)
    assert paths.count == 3
    assert [p.value for p in paths.paths] == [3.0, 3.0, 1.0]
    assert paths.total == a.grad == 2 * 3.0 + 1
    texts = [p.text() for p in paths.paths]
    assert texts[0] == "q ← * ← a (arg 1):  1 × 3 = 3"
    assert texts[1] == "q ← * ← a (arg 2):  1 × 3 = 3"
    assert texts[2] == "q ← a:  1 = 1"
    assert str(paths).splitlines()[-1] == "  sum = 7"


def test_exponentially_many_paths_are_counted_not_enumerated() -> None:
    a = Value(1.0, label="a")
    b = a
    for _ in range(200):
        b = b + b  # each level doubles the number of paths: 2**200 in all
    paths = chain_rule_paths(b, a, limit=5)
    assert paths.count == 2**200
    assert len(paths.paths) == 5 and paths.truncated
    assert paths.total == 2.0**200  # exact: every partial sum is a power of two
    assert all(len(p.factors) == 200 and p.value == 1.0 for p in paths.paths)
    assert f"{2**200 - 5} more paths not listed" in str(paths)


def test_paths_stop_at_an_inner_target_and_the_root_is_one_empty_path() -> None:
    v = neuron()
    o, n = v["o"], v["n"]
    paths = chain_rule_paths(o, n)
    assert paths.count == 1 and paths.paths[0].nodes == (o, n)
    assert paths.total == 1.0 - o.data**2
    itself = chain_rule_paths(o, o)
    assert itself.count == 1 and itself.paths[0].factors == () and itself.total == 1.0


def test_mistakes_are_named() -> None:
    v = neuron()
    stranger = Value(1.0, label="z")
    with pytest.raises(ValueError, match=r"'z' .* is not in the graph of 'o'"):
        chain_rule_paths(v["o"], stranger)
    with pytest.raises(TypeError, match=r"needs a Value as target, got 2\.0"):
        chain_rule_paths(v["o"], 2.0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="limit must be an int >= 0, got -1"):
        chain_rule_paths(v["o"], v["w1"], limit=-1)


def random_graph(seed: int, size: int) -> tuple[Value, list[Value]]:
    """A random DAG over three leaves with reuse of inner nodes (fan-out) at every step."""
    rng = random.Random(seed)
    leaves = [Value(rng.uniform(-1.5, 1.5), label=f"x{i}") for i in range(3)]
    nodes = list(leaves)
    for _ in range(size):
        a, b = rng.choice(nodes), rng.choice(nodes)
        kind = rng.randrange(5)
        if kind == 0:
            out = a + b
        elif kind == 1:
            out = a * b
        elif kind == 2:
            out = a.tanh()
        elif kind == 3:
            out = a.sigmoid() * 2.0
        else:
            out = a - b
        nodes.append(out)
    root = nodes[-1]
    for node in nodes[3:-1]:
        root = root + node * 0.5  # every node reaches the root
    return root, leaves


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), size=st.integers(1, 12))
def test_the_sum_over_paths_is_the_gradient(seed: int, size: int) -> None:
    root, leaves = random_graph(seed, size)
    root.backward()
    for leaf in leaves:
        try:
            paths = chain_rule_paths(root, leaf, limit=5000)
        except ValueError:
            assert leaf.grad == 0.0  # leaf unused: no path, no gradient
            continue
        # The sums reorder the same products: bound the rounding by the size of the terms.
        scale = math.fsum(abs(p.value) for p in paths.paths)
        assert abs(paths.total - leaf.grad) <= 1e-12 * scale + 1e-300
        if not paths.truncated:
            assert abs(paths.listed_sum - leaf.grad) <= 1e-12 * scale + 1e-300


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (2.0, "2"),
        (-0.70710678118, "-0.7071"),
        (123456.0, "1.235e5"),
        (1e-7, "1e-7"),
        (-2.5e-12, "-2.5e-12"),
        (0.001340950683, "0.001341"),
        (math.inf, "inf"),
        (-math.inf, "-inf"),
        (math.nan, "nan"),
        (1.0 - 1e-12, "1"),
    ],
)
def test_compact_numbers(x: float, text: str) -> None:
    assert compact(x) == text


def test_compact_digits_and_full_precision() -> None:
    assert compact(math.pi, digits=2) == "3.1"
    assert full(0.1 + 0.2) == "0.30000000000000004"
    with pytest.raises(ValueError, match="digits must be an int >= 1, got 0"):
        compact(1.0, digits=0)


def test_record_text_escapes_the_record_syntax() -> None:
    assert record_text('a|b{c}<d>"e\\') == 'a\\|b\\{c\\}\\<d\\>\\"e\\\\'


def test_a_signed_zero_is_drawn_as_zero_and_kept_in_full() -> None:
    from viz.format import float_text

    assert compact(-0.0) == "0" and float_text(-0.0) == "0.0"
    assert full(-0.0) == "-0.0" and float_text(-0.0, None) == "-0.0"  # every digit, and the sign
    assert compact(-1e-300) == "-1e-300"  # a tiny negative is still negative
