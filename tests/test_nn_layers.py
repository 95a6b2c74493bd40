"""Tests for nn.layers: MLP shape, names, scopes, seeds, and whole-network gradients vs torch."""

from __future__ import annotations

import random
import re

import pytest

from engine import Value
from nn import MLP, Layer, Neuron, hinge_loss, l2_penalty, make_moons, mse_loss


def test_micrograd_mlp_has_337_parameters_and_returns_one_value() -> None:
    model = MLP(2, [16, 16, 1], seed=0)
    assert len(model.parameters()) == 337 == model.num_parameters()
    assert all(isinstance(p, Value) for p in model.parameters())
    out = model([Value(0.5), Value(-1.0)])
    assert isinstance(out, Value)
    assert isinstance(model([0.5, -1.0]), Value)
    assert [layer.activation for layer in model.layers] == ["relu", "relu", "linear"]


def test_width_two_output_is_a_list_and_layers_always_return_lists() -> None:
    model = MLP(2, [3, 2], seed=1)
    out = model([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2
    single = Layer(3, 1, seed=0)([1.0, 2.0, 3.0])
    assert isinstance(single, list) and len(single) == 1
    assert "returns one Value" in repr(MLP(2, [4, 1], seed=0))
    assert "returns a list of 2 Values" in repr(model)


def test_parameters_are_labelled_and_scoped_by_layer_and_neuron() -> None:
    model = MLP(2, [3, 1], seed=0)
    labels = [p.label for p in model.parameters()]
    assert labels == [
        "w1.1.0", "w1.1.1", "b1.1",
        "w1.2.0", "w1.2.1", "b1.2",
        "w1.3.0", "w1.3.1", "b1.3",
        "w2.1.0", "w2.1.1", "w2.1.2", "b2.1",
    ]  # fmt: skip
    assert model.layers[0].neurons[2].w[1].scope == "Layer 1 / Neuron 1.3"
    out = model([0.3, 0.7])
    assert out.scope == "Layer 2 / Neuron 2.1"
    # every node the forward pass made carries its neuron's scope (inputs were plain floats)
    from engine import topological_order

    made = [node for node in topological_order(out) if node._op]
    assert made and all(
        node.scope.startswith("Layer ") and " / Neuron " in node.scope for node in made
    )
    assert {node.scope for node in made} >= {"Layer 1 / Neuron 1.1", "Layer 1 / Neuron 1.3"}


def test_weights_follow_the_documented_distribution_and_seed() -> None:
    neuron = Neuron(3, seed=7)
    rng = random.Random(7)
    assert [w.data for w in neuron.w] == [rng.uniform(-1.0, 1.0) for _ in range(3)]
    assert neuron.b.data == 0.0
    wide = Neuron(2, seed=7, weight_scale=2.0)
    rng = random.Random(7)
    assert [w.data for w in wide.w] == [rng.uniform(-2.0, 2.0) for _ in range(2)]
    first = [p.data for p in MLP(2, [5, 1], seed=3).parameters()]
    again = [p.data for p in MLP(2, [5, 1], seed=3).parameters()]
    other = [p.data for p in MLP(2, [5, 1], seed=4).parameters()]
    assert first == again != other


def test_mistakes_raise_messages_that_name_them() -> None:
    with pytest.raises(ValueError, match=re.escape("unknown activation 'swish'; expected one of")):
        MLP(2, [3, 1], "swish")
    with pytest.raises(ValueError, match=re.escape("Neuron 1.1 expects 2 inputs, got 3")):
        MLP(2, [1], seed=0)([1.0, 2.0, 3.0])
    with pytest.raises(ValueError, match=re.escape("non-empty list of layer widths, got 3")):
        MLP(2, 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=re.escape("seed must be an int, a random.Random or None")):
        MLP(2, [1], seed="0")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=re.escape("Layer nout must be a positive int, got 0")):
        Layer(2, 0)
    with pytest.raises(ValueError, match=re.escape("MLP nin must be a positive int, got 0")):
        MLP(0, [3, 1])


def test_output_activation_and_micrograds_nonlin_spellings() -> None:
    lecture = MLP(3, [4, 4, 1], "tanh", output_activation="tanh", seed=0)
    assert [layer.activation for layer in lecture.layers] == ["tanh", "tanh", "tanh"]
    assert repr(lecture).startswith("MLP(3 -> [4, 4, 1], tanh hidden, tanh output, 41 parameters")
    out = lecture([2.0, 3.0, -1.0])
    assert out._op == "tanh" and -1.0 < out.data < 1.0
    # micrograd: Neuron(nin, nonlin=True) is ReLU, nonlin=False linear, also positionally.
    assert Neuron(2).activation == "relu" == Neuron(2, nonlin=True).activation
    assert Neuron(2, nonlin=False).activation == "linear" == Neuron(2, False).activation
    assert Neuron(2, True).activation == "relu"
    assert [n.activation for n in Layer(3, 2, nonlin=False).neurons] == ["linear", "linear"]
    assert Layer(3, 2, False).activation == "linear" and Layer(3, 2).activation == "relu"
    x = [Value(-1.0), Value(-2.0)]
    neuron = Neuron(2, nonlin=False, seed=0)
    expected = neuron.w[0].data * -1.0 + neuron.w[1].data * -2.0
    assert neuron(x).data == pytest.approx(expected, rel=1e-15)  # not clipped by a ReLU


def test_spelling_mistakes_raise_messages() -> None:
    with pytest.raises(ValueError, match=re.escape(
            "give activation='tanh' or micrograd's nonlin=True, not both")):
        Neuron(2, "tanh", nonlin=True)
    with pytest.raises(TypeError, match=re.escape("got nonlin twice: positionally (False)")):
        Layer(2, 3, False, nonlin=False)
    with pytest.raises(TypeError, match=re.escape("nonlin must be True (ReLU) or False (linear)")):
        Neuron(2, nonlin=1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=re.escape("unknown activation 'softmax'")):
        MLP(2, [3, 1], output_activation="softmax")
    with pytest.raises(TypeError, match=re.escape("MLP activations are names such as 'tanh'")):
        MLP(2, [3, 1], False)  # type: ignore[arg-type]


def test_zero_grad_clears_every_parameter() -> None:
    model = MLP(2, [3, 1], seed=0)
    mse_loss(model([1.0, -1.0]), 1.0).backward()
    assert any(p.grad != 0.0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0.0 for p in model.parameters())


def test_micrograd_demo_loop_runs_unchanged() -> None:
    points, labels = make_moons(20, noise=0.1, seed=0)
    ys = [2 * y - 1 for y in labels]
    model = MLP(2, [16, 16, 1], seed=0)
    losses = []
    for _ in range(3):
        scores = [model(list(map(Value, x))) for x in points]
        loss = hinge_loss(scores, ys) + l2_penalty(model.parameters(), 1e-4)
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.1 * p.grad
        losses.append(loss.data)
    assert losses[-1] < losses[0]


def _torch_mlp(model: MLP):  # type: ignore[no-untyped-def]
    """torch.nn.Linear layers (float64) holding the same weights as ``model``."""
    import torch

    layers = []
    for layer in model.layers:
        linear = torch.nn.Linear(layer.nin, layer.nout, dtype=torch.float64)
        with torch.no_grad():
            linear.weight.copy_(
                torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64)
            )
            linear.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        layers.append(linear)
    return layers


@pytest.mark.torch
@pytest.mark.parametrize(
    ("activation", "output"),
    [("relu", "linear"), ("tanh", "linear"), ("sigmoid", "linear"), ("linear", "linear"),
     ("tanh", "tanh"), ("relu", "sigmoid")],
)
def test_mlp_and_mse_gradients_match_torch(activation: str, output: str) -> None:
    import torch

    model = MLP(3, [5, 4, 2], activation, output_activation=output, seed=11)
    assert [layer.activation for layer in model.layers] == [activation, activation, output]
    rng = random.Random(5)
    xs = [[rng.uniform(-2, 2) for _ in range(3)] for _ in range(4)]
    targets = [[rng.uniform(-1, 1) for _ in range(2)] for _ in range(4)]
    outputs = [o for x in xs for o in model(x)]  # type: ignore[union-attr]
    loss = mse_loss(outputs, [t for pair in targets for t in pair])
    model.zero_grad()
    loss.backward()

    layers = _torch_mlp(model)
    acts = {"relu": torch.relu, "tanh": torch.tanh, "sigmoid": torch.sigmoid,
            "linear": lambda t: t}
    h = torch.tensor(xs, dtype=torch.float64)
    for i, linear in enumerate(layers):
        h = acts[activation if i < len(layers) - 1 else output](linear(h))
    reference = torch.nn.functional.mse_loss(h, torch.tensor(targets, dtype=torch.float64))
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), rel=1e-12)
    ours = [p.grad for p in model.parameters()]
    theirs = []
    for linear in layers:
        for j in range(linear.out_features):
            theirs += [*linear.weight.grad[j].tolist(), linear.bias.grad[j].item()]
    assert ours == pytest.approx(theirs, rel=1e-12, abs=1e-15)


@pytest.mark.torch
def test_micrograd_step_gradients_match_torch() -> None:
    """Hinge loss plus L2 on MLP(2, [16, 16, 1]) over moons, as micrograd's demo step."""
    import torch

    points, labels = make_moons(30, noise=0.1, seed=2)
    ys = [2.0 * y - 1.0 for y in labels]
    model = MLP(2, [16, 16, 1], seed=0)
    scores = [model(x) for x in points]
    loss = hinge_loss(scores, ys) + l2_penalty(model.parameters(), 1e-4)
    model.zero_grad()
    loss.backward()

    layers = _torch_mlp(model)
    h = torch.tensor(points, dtype=torch.float64)
    h = layers[2](torch.relu(layers[1](torch.relu(layers[0](h))))).squeeze(1)
    y = torch.tensor(ys, dtype=torch.float64)
    params = [t for linear in layers for t in (linear.weight, linear.bias)]
    reference = torch.relu(1 - y * h).mean() + 1e-4 * sum((p * p).sum() for p in params)
    reference.backward()
    assert loss.data == pytest.approx(reference.item(), rel=1e-12)
    theirs = []
    for linear in layers:
        for j in range(linear.out_features):
            theirs += [*linear.weight.grad[j].tolist(), linear.bias.grad[j].item()]
    assert [p.grad for p in model.parameters()] == pytest.approx(theirs, rel=1e-11, abs=1e-15)
