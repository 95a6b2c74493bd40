"""viz.trace: backward as chain-rule text and Markdown, numbers that match the engine's."""

from __future__ import annotations

import math
import re

import pytest

from engine import Value, backward_steps, topological_order
from tests.support import two_paths_graph
from viz.format import float_text
from viz.trace import format_step, text_names, trace, trace_markdown


def neuron() -> tuple[Value, dict[str, Value]]:
    leaves = {
        name: Value(x, label=name)
        for name, x in [("x1", 2.0), ("x2", 0.0), ("w1", -3.0), ("w2", 1.0), ("b", 0.8813735)]
    }
    n = leaves["x1"] * leaves["w1"] + leaves["x2"] * leaves["w2"] + leaves["b"]
    o = n.tanh()
    o.label = "o"
    return o, leaves


def test_the_chain_rule_form_by_hand() -> None:
    z, _, _ = two_paths_graph()
    # The constant 2.0 is unlabelled: it is named by its value, and listed after the inputs.
    assert [n.label for n in topological_order(z)][3] == ""
    assert trace(z) == (
        "backward of z: 3 steps, each node's grad is dz/d(node)\n"
        "step 1  z (+): grad 1.0  ->  u.grad += 1.0 x 1.0 = 1.0;  v.grad += 1.0 x 1.0 = 1.0\n"
        "step 2  u (*): grad 1.0  ->  a.grad += 2.0 x 1.0 = 2.0;  const 2.grad += 3.0 x 1.0 = 3.0\n"
        "step 3  v (*): grad 1.0  ->  a.grad += -4.0 x 1.0 = -4.0 (now -2.0);  "
        "b.grad += 3.0 x 1.0 = 3.0\n"
        "leaf gradients:\n"
        "  a = 3.0: grad -2.0\n"
        "  b = -4.0: grad 3.0\n"
        "  const 2 = 2.0: grad 3.0\n"
    )


def test_full_precision_leaf_gradients_equal_backward() -> None:
    o, leaves = neuron()
    text = trace(o, digits=None)
    shown = dict(re.findall(r"^  (\w+) = \S+: grad (\S+)$", text, flags=re.M))
    o.backward()
    assert set(shown) == set(leaves)
    for name, leaf in leaves.items():
        assert float(shown[name]) == leaf.grad  # repr round-trips exactly
    # The lecture numbers: do/dn = 1 - tanh(n)^2, do/dx1 = w1 (1 - o^2).
    local = 1.0 - o.data**2
    assert float(shown["x1"]) == pytest.approx(-3.0 * local, rel=1e-12)
    assert float(shown["w1"]) == pytest.approx(2.0 * local, rel=1e-12)


def test_every_step_line_has_arithmetic_that_adds_up() -> None:
    o, _ = neuron()
    lines = [line for line in trace(o, digits=None).splitlines() if line.startswith("step ")]
    assert len(lines) == 5
    for line in lines:
        grad = float(re.search(r"grad (\S+)  ->", line).group(1))  # type: ignore[union-attr]
        for local, upstream, product in re.findall(r"\+= (\S+) x (\S+) = ([^\s;]+)", line):
            assert float(upstream) == grad
            assert float(product) == float(local) * grad


def test_trace_leaves_the_graph_grads_as_they_were() -> None:
    z, a, b = two_paths_graph()
    a.grad, b.grad, z.grad = 10.0, 20.0, 30.0
    first = trace(z)
    assert (a.grad, b.grad, z.grad) == (10.0, 20.0, 30.0)
    # ... and a second trace starts from zero again, not from accumulated leaf grads.
    assert trace(z) == first
    assert "a = 3.0: grad -2.0" in first


def test_fan_out_and_a_repeated_parent_show_the_running_sum() -> None:
    a = Value(3.0, label="a")
    square = a * a
    square.label = "sq"
    assert trace(square).splitlines()[1] == (
        "step 1  sq (*): grad 1.0  ->  a.grad += 3.0 x 1.0 = 3.0;  "
        "a.grad += 3.0 x 1.0 = 3.0 (now 6.0)"
    )


def test_duplicate_labels_get_their_position() -> None:
    x, y = Value(1.0, label="x"), Value(2.0, label="x")
    s = x + y
    names = text_names(topological_order(s))
    assert sorted(names.values()) == ["f", "x#0", "x#1"]  # an unlabelled root is f
    assert "x#0.grad += 1.0 x 1.0 = 1.0" in trace(s)


def test_markdown_tables() -> None:
    z, _, _ = two_paths_graph()
    text = trace_markdown(z)
    assert text == trace(z, markdown=True)
    rows = [line for line in text.splitlines() if line.startswith("|")]
    step_rows = rows[2:8]
    # One row per parent update (two per step here), the step's cells only on its first row.
    assert [r.split("|")[1].strip() for r in step_rows] == ["1", "", "2", "", "3", ""]
    cells = [c.strip() for c in step_rows[4].split("|")[1:-1]]
    assert cells == ["3", "`v`", "`*`", "1.0", "`a`", "-4.0", "-4.0", "-2.0"]
    leaf_rows = rows[-3:]
    assert leaf_rows[0] == "| `a` | 3.0 | -2.0 |"
    # every row of a table has the header's number of cells
    assert {r.count("|") for r in rows[:8]} == {9}


def test_markdown_escapes_a_pipe_in_a_label() -> None:
    a = Value(2.0, label="|a|")
    out = a.tanh()
    out.label = "t"
    text = trace(out, markdown=True)
    assert "| `\\|a\\|` | 2.0 |" in text


def test_format_step_while_walking_by_hand() -> None:
    a = Value(0.5, label="a")
    out = (a * 4.0).exp()
    lines = [format_step(step) for step in backward_steps(out)]
    e2 = float_text(math.exp(2.0))
    assert lines == [
        f"exp (exp): grad 1.0  ->  *.grad += {e2} x 1.0 = {e2}",
        f"* (*): grad {e2}  ->  a.grad += 4.0 x {e2} = {float_text(4 * math.exp(2.0))};  "
        f"const 4.grad += 0.5 x {e2} = {float_text(0.5 * math.exp(2.0))}",
    ]


def test_a_leaf_root_has_no_steps() -> None:
    a = Value(2.0, label="a")
    assert trace(a) == (
        "backward of a: 0 steps, each node's grad is da/d(node)\n"
        "leaf gradients:\n"
        "  a = 2.0: grad 1.0\n"
    )


@pytest.mark.parametrize(
    ("x", "digits", "text"),
    [
        (2.0, 6, "2.0"),
        (-0.70710678118, 6, "-0.707107"),
        (1e-7, 6, "1e-7"),
        (123456789.0, 3, "1.23e8"),
        (math.inf, 6, "inf"),
        (-math.inf, 6, "-inf"),
        (math.nan, 6, "nan"),
        (0.1 + 0.2, None, "0.30000000000000004"),
    ],
)
def test_float_text(x: float, digits: int | None, text: str) -> None:
    assert float_text(x, digits) == text


def test_bad_inputs_name_what_was_expected() -> None:
    with pytest.raises(ValueError, match=r"digits must be an int >= 1 or None, got 0"):
        float_text(1.0, 0)
    with pytest.raises(TypeError, match=r"expected a Value root, got 'o' \(str\)"):
        trace("o")  # type: ignore[arg-type]


def test_nodes_are_named_by_scope_and_op() -> None:
    from engine import name_scope
    from viz.names import reading_leaves, text_names

    x = [Value(1.0, label="x1"), Value(2.0, label="x2")]
    with name_scope("Layer 1"), name_scope("Neuron 1.3"):
        w = [Value(0.5, label="w1.3.0"), Value(-0.5, label="w1.3.1")]
        b = Value(0.1, label="b1.3")
        total = b + w[0] * x[0] + w[1] * x[1]
        out = total.tanh()
    loss = (out - 1.0) ** 2
    order = topological_order(loss)
    names = text_names(order)
    assert names[out] == "Neuron 1.3 · tanh"
    assert names[total] == "Neuron 1.3 · Σ" and names[total._prev[0]] == "Neuron 1.3 · Σ0"
    assert names[total._prev[0]._prev[1]] == "Neuron 1.3 · *0"  # w1.3.0 * x1
    assert names[loss] == "f"  # an unlabelled root
    assert len(set(names.values())) == len(order)  # each name means one node
    leaves = [names[n] for n in reading_leaves(loss, order)]
    assert leaves == ["x1", "x2", "b1.3", "w1.3.0", "w1.3.1", "const -1"]
    assert "Neuron 1.3 · tanh (tanh): grad" in trace(loss)
