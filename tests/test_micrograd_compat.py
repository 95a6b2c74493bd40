"""Code written for micrograd and its lecture runs on glassgrad with only the imports changed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from engine import Value
from nn import MLP, make_moons


def test_values_labels_repr_prev_and_op() -> None:
    a = Value(2.0, label="a")
    b = Value(-3.0, label="b")
    e = a * b
    e.label = "e"
    assert e.label == "e"
    assert repr(a) == "Value(data=2.0, grad=0.0)"
    assert e._prev == (a, b)
    assert e._op == "*"
    assert set(e._prev) == {a, b}  # micrograd keeps a set; code that iterates it still works


def lecture_neuron() -> dict[str, Value]:
    """The lecture's neuron typed as in the lecture, every intermediate labelled the lecture's
    way (``x1*w1``, ...): what this file checks is that such code runs, so it does not use
    ``tests/support.neuron``, which labels only the leaves, ``n`` and ``o``."""
    x1 = Value(2.0, label="x1")
    x2 = Value(0.0, label="x2")
    w1 = Value(-3.0, label="w1")
    w2 = Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    x1w1x2w2 = x1w1 + x2w2
    x1w1x2w2.label = "x1*w1 + x2*w2"
    n = x1w1x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    return {v.label: v for v in (x1, x2, w1, w2, b, x1w1, x2w2, x1w1x2w2, n, o)}


def test_lecture_walk_through_backward_by_hand() -> None:
    v = lecture_neuron()
    v["o"].grad = 1.0
    v["o"]._backward()
    assert v["n"].grad == pytest.approx(0.5, rel=1e-12)  # 1 - tanh(n)^2 = 1 - 0.7071^2
    v["n"]._backward()
    v["b"]._backward()  # a leaf: nothing to push
    v["x1*w1 + x2*w2"]._backward()
    v["x2*w2"]._backward()
    v["x1*w1"]._backward()
    by_hand = {name: v[name].grad for name in ("x1", "x2", "w1", "w2", "b")}
    assert by_hand == pytest.approx(
        {"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5}, rel=1e-12)

    auto = lecture_neuron()
    auto["o"].backward()
    assert by_hand == {name: auto[name].grad for name in by_hand}


def sanity_check(value: type) -> tuple[object, object]:
    """micrograd's first engine test expression, written out."""
    x = value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    return x, y


def more_ops(value: type) -> tuple[list[object], object]:
    """micrograd's second engine test expression, written out (in-place ops included)."""
    a = value(-4.0)
    b = value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return [a, b], g


@pytest.mark.torch
def test_micrograd_engine_expressions_against_torch() -> None:
    import torch

    def tensor(x: float) -> torch.Tensor:
        return torch.tensor(x, dtype=torch.float64, requires_grad=True)

    x, y = sanity_check(Value)
    y.backward()  # type: ignore[attr-defined]
    xt, yt = sanity_check(tensor)  # type: ignore[arg-type]
    yt.backward()  # type: ignore[attr-defined]
    assert y.data == pytest.approx(yt.item(), rel=1e-12)  # type: ignore[attr-defined]
    assert x.grad == pytest.approx(xt.grad.item(), rel=1e-12)  # type: ignore[attr-defined]

    leaves, g = more_ops(Value)
    g.backward()  # type: ignore[attr-defined]
    leaves_t, gt = more_ops(tensor)  # type: ignore[arg-type]
    gt.backward()  # type: ignore[attr-defined]
    assert g.data == pytest.approx(gt.item(), rel=1e-12)  # type: ignore[attr-defined]
    for ours, theirs in zip(leaves, leaves_t, strict=True):
        assert ours.grad == pytest.approx(theirs.grad.item(), rel=1e-12)  # type: ignore[attr-defined]


def test_micrograd_demo_loop_reaches_full_accuracy() -> None:
    """micrograd's demo notebook loop, unchanged but for the imports and the data source.

    Seeded with 1337 as the demo is; the demo's data come from scikit-learn, ours from
    ``nn.make_moons`` with the same size and noise.
    """
    X, y = make_moons(100, noise=0.1, seed=1337)
    y = [1 if label == 1 else -1 for label in y]
    model = MLP(2, [16, 16, 1], seed=1337)
    assert len(model.parameters()) == 337

    def loss() -> tuple[Value, float]:
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(y, scores, strict=True)]
        return total_loss, sum(accuracy) / len(accuracy)

    first_loss = None
    acc = 0.0
    for k in range(100):
        total_loss, acc = loss()
        first_loss = first_loss if first_loss is not None else total_loss.data
        model.zero_grad()
        total_loss.backward()
        learning_rate = 1.0 - 0.9 * k / 100
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        if acc == 1.0:
            break
    assert acc == 1.0, f"accuracy {acc} after {k + 1} steps"
    assert total_loss.data < first_loss


def lecture_losses(model: MLP, steps: int) -> list[float]:
    """The lecture's training loop on its four samples, as typed in the lecture."""
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    losses = []
    for _ in range(steps):
        ypred = [model(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for ygt, yout in zip(ys, ypred, strict=True))
        for p in model.parameters():
            p.grad = 0.0
        loss.backward()  # type: ignore[union-attr]
        for p in model.parameters():
            p.data += -0.05 * p.grad
        losses.append(loss.data)  # type: ignore[union-attr]
    return losses


@pytest.mark.parametrize("seed", range(10))
def test_the_lectures_tanh_network_is_one_line_and_learns(seed: int) -> None:
    """The lecture's MLP(3, [4, 4, 1]) has tanh in every layer, output included; micrograd's
    default (ReLU hidden, linear output) sits at loss 4.0 for several seeds on this loop."""
    model = MLP(3, [4, 4, 1], "tanh", output_activation="tanh", seed=seed)
    assert model.num_parameters() == 41
    losses = lecture_losses(model, 50)
    assert losses[-1] < 0.05 and losses[-1] < losses[0] / 10
    assert all(-1.0 < model(x).data < 1.0 for x in ([2.0, 3.0, -1.0], [9.0, 9.0, 9.0]))


def micrograd_spellings(nn_module: Any) -> list[Any]:
    """Networks written with micrograd's own constructor spellings."""
    return [
        nn_module.Neuron(3),
        nn_module.Neuron(3, nonlin=False),
        nn_module.Neuron(3, False),
        nn_module.Layer(3, 2),
        nn_module.Layer(3, 2, nonlin=False),
        nn_module.MLP(3, [4, 4, 2]),
    ]


def test_micrograds_spellings_build_the_same_networks_as_micrograd() -> None:
    """Each spelling, run on both libraries with the same weights, gives the same outputs and
    gradients: micrograd's ``nonlin`` means ReLU or linear here too."""
    micrograd_nn = pytest.importorskip("micrograd.nn")
    import nn

    x = [-1.5, 0.5, 2.0]
    for theirs, ours in zip(micrograd_spellings(micrograd_nn), micrograd_spellings(nn),
                            strict=True):
        assert len(ours.parameters()) == len(theirs.parameters())
        for mine, other in zip(ours.parameters(), theirs.parameters(), strict=True):
            mine.data = other.data
        out_theirs, out_ours = theirs(x), ours(x)
        out_theirs = out_theirs if isinstance(out_theirs, list) else [out_theirs]
        out_ours = out_ours if isinstance(out_ours, list) else [out_ours]
        # Same sums in the same order: the forward values agree to the last bit.
        assert [v.data for v in out_ours] == [v.data for v in out_theirs]
        sum(out_theirs).backward()
        sum(out_ours).backward()
        # Gradients reaching a node along several paths may be added in another order.
        assert [p.grad for p in ours.parameters()] == pytest.approx(
            [p.grad for p in theirs.parameters()], rel=1e-12, abs=1e-300)


@pytest.mark.dot
def test_notebook_drawing_calls(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from viz import draw_dot

    monkeypatch.chdir(tmp_path)
    root = lecture_neuron()["o"]
    root.backward()
    dot = draw_dot(root)
    written = dot.render("gout")
    assert Path(written).exists()
    svg = Path(dot.render("gout", format="svg"))
    assert svg.suffix == ".svg"
    tree = ET.parse(svg)
    assert tree.getroot().tag.endswith("svg")
    texts = "".join(tree.getroot().itertext())
    assert "x1" in texts and "tanh" in texts
    tb = draw_dot(root, format="svg", rankdir="TB")
    assert "rankdir=TB" in tb.source
    assert tb.format == "svg"
    assert ET.fromstring(tb.pipe(encoding="utf-8")).tag.endswith("svg")
