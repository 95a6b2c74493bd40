"""engine.jit: compiled values and gradients equal the eager ones; tracing, check mode, source."""

from __future__ import annotations

import ast
import itertools
import math
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from engine import Value, codegen_emit, linalg, name_scope, no_grad
from engine.codegen import JitError, generate, identifier
from engine.graph import topological_order
from engine.jit import JitMismatchError, jit
from engine.numeric import close
from engine.value import _make_node
from nn import MLP, hinge_loss, make_moons

#: The batch code agrees with the scalar code up to rounding: NumPy's exp, log, tanh and pow may
#: round the last bit apart from the C library's. The scalar code is compared exactly.
BATCH_TOL = 1e-12


def eager_and_jit(fn, make_args, params=()):
    """Run ``fn`` eagerly and through jit on equal fresh arguments; return both outputs and the
    gradients of every argument Value and parameter after ``backward()``."""
    results = []
    for runner in (fn, jit(fn)):
        for p in params:
            p.grad = 0.0
        args = make_args()
        out = runner(*args)
        out.backward()
        leaves = [a for a in _values(args)]
        results.append((out.data, [v.grad for v in leaves] + [p.grad for p in params]))
    return results


def _values(obj):
    if isinstance(obj, Value):
        yield obj
    elif isinstance(obj, list | tuple):
        for item in obj:
            yield from _values(item)


# --- random graphs -------------------------------------------------------------------------------

UNARY = {
    "exp": lambda a: a.exp(),
    "log": lambda a: a.log(),
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "relu": lambda a: a.relu(),
    "neg": lambda a: -a,
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
    "sqrt": lambda a: a.sqrt(),
    "recip": lambda a: a**-1,
    "third": lambda a: a ** (1.0 / 3.0),  # an exponent the op string rounds ("**0.333333")
    "pow0": lambda a: a**0,
    "scale": lambda a: a * 0.7,
    "shift": lambda a: 1.5 - a,
    "rpow": lambda a: 2.0**a,
}
BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b,
    "pow": lambda a, b: a**b,
}

step = st.one_of(
    st.tuples(st.sampled_from(sorted(UNARY)), st.integers(0, 50)),
    st.tuples(st.sampled_from(sorted(BINARY)), st.integers(0, 50), st.integers(0, 50)),
)
program = st.lists(step, min_size=1, max_size=25)
point = st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=3, max_size=3)


def run_program(steps, xs):
    """Apply the steps to a growing list of nodes (indices wrap around), summing the last few."""
    nodes = list(xs)
    for op, *picks in steps:
        args = [nodes[k % len(nodes)] for k in picks]
        fn = UNARY.get(op) or BINARY[op]
        nodes.append(fn(*args))
    total = nodes[-1]
    for node in nodes[-3:-1]:
        total = total + node
    return total if isinstance(total, Value) else Value(total)


@settings(max_examples=60, deadline=None)
@given(program, point, st.booleans())
def test_random_graphs_match_eager_exactly(steps, xs, second_is_float):
    w = Value(0.3, label="w")  # captured, as a parameter would be

    def fn(a, b, c):
        return run_program(steps, [a, b * w, c])

    def make_args():
        b = xs[1] if second_is_float else Value(xs[1], label="b")
        return [Value(xs[0], label="a"), b, Value(xs[2])]

    (eager_out, eager_grads), (jit_out, jit_grads) = eager_and_jit(fn, make_args, [w])
    assert close(jit_out, eager_out)
    assert all(close(g, e) for g, e in zip(jit_grads, eager_grads, strict=True)), (
        jit_grads, eager_grads)


@settings(max_examples=30, deadline=None)
@given(program, point)
def test_replay_on_new_data_matches_eager(steps, xs):
    """Traced once at one point, replayed at another: same numbers as an eager run there."""
    compiled = jit(lambda a, b, c: run_program(steps, [a, b, c]))
    compiled(Value(1.0), Value(2.0), Value(0.5))
    leaves = [Value(x) for x in xs]
    out = compiled(*leaves)
    out.backward()
    eager_leaves = [Value(x) for x in xs]
    eager = run_program(steps, eager_leaves)
    eager.backward()
    assert compiled.traces == 1
    assert close(out.data, eager.data)
    for got, want in zip(leaves, eager_leaves, strict=True):
        assert close(got.grad, want.grad)


def test_edge_values_follow_the_engine():
    """inf, nan, log(0), 0 ** 0 and relu(0) give the eager engine's numbers and gradients."""

    def fn(a, b, c):
        return (a.log() + (b**c) + (c * 1000.0).exp() + a.relu() + (a**0.5)) * b.sigmoid()

    for point in ([0.0, 0.0, 0.0], [0.0, -1.0, 2.0], [-1.0, 2.0, 1.0], [1e-300, 3.0, -2.0]):
        (eager_out, eager_grads), (jit_out, jit_grads) = eager_and_jit(
            fn, lambda point=point: [Value(x) for x in point])
        assert close(jit_out, eager_out)
        assert all(close(g, e) for g, e in zip(jit_grads, eager_grads, strict=True))


# --- the graphs of the labs ----------------------------------------------------------------------


def lab_mlp(seed):
    """nn's 2-4-4-1 network with tanh hidden layers (scopes and labels as nn names them)."""
    return MLP(2, [4, 4, 1], "tanh", seed=seed)


def mse(model, xs, ys):
    total = Value(0.0)
    for x, y in zip(xs, ys, strict=True):
        total = total + (model(x) - y) ** 2
    return total / len(xs)


def assert_same_weights(eager_model, jit_model, grad_rel, grad_abs):
    """The two models' weights agree to rounding after training, and their last gradients to
    ``grad_rel``/``grad_abs``."""
    for p, q in zip(eager_model.parameters(), jit_model.parameters(), strict=True):
        assert q.data == pytest.approx(p.data, rel=1e-12, abs=1e-15)
        assert q.grad == pytest.approx(p.grad, rel=grad_rel, abs=grad_abs)


def test_mlp_training_matches_eager_step_for_step():
    """Three SGD steps, eager and jitted from the same weights: identical losses and weights,
    so parameter updates between calls are seen by the compiled code."""
    rng = random.Random(0)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(8)]
    ys = [rng.choice([-1.0, 1.0]) for _ in range(8)]
    eager_model, jit_model = lab_mlp(1), lab_mlp(1)
    compiled = jit(lambda: mse(jit_model, xs, ys))
    for _ in range(3):
        for model, loss_fn in ((eager_model, lambda: mse(eager_model, xs, ys)),
                               (jit_model, compiled)):
            model.zero_grad()
            loss = loss_fn()
            loss.backward()
            for p in model.parameters():
                p.data -= 0.1 * p.grad
    assert_same_weights(eager_model, jit_model, grad_rel=1e-12, grad_abs=1e-15)
    assert compiled.traces == 1
    assert compiled.info.captured == len(jit_model.parameters())


def test_mlp_source_reads_like_the_chain_rule():
    model = lab_mlp(2)
    compiled = jit(lambda x0, x1: model([x0, x1]))
    compiled(0.5, -0.25)
    source = compiled.source
    tree = ast.parse(source)  # valid Python
    assert isinstance(tree.body[0], ast.FunctionDef)
    assert "w1_1_0 = _inputs[" in source and "# w1.1.0" in source
    assert "# Layer 1 / Neuron 1.1" in source
    # the first neuron as its formula: the sum has one use and tanh's derivative reads the output
    assert "= _tanh(b1_1 + w1_1_0 * x0 + w1_1_1 * x1)" in source
    assert "(1.0 - v" in source
    assert "dw1_1_0 = x0 * d" in source


def test_nn_mlp_with_hinge_loss_matches_eager():
    model = MLP(2, [8, 8, 1], seed=3)
    points, labels = make_moons(20, seed=4)
    targets = [1.0 if label == 1 else -1.0 for label in labels]

    def loss():
        scores = [model(x) for x in points]
        return hinge_loss(scores, targets) + 1e-4 * sum((p * p for p in model.parameters()),
                                                        Value(0.0))

    model.zero_grad()
    eager = loss()
    eager.backward()
    eager_grads = [p.grad for p in model.parameters()]
    model.zero_grad()
    compiled = jit(loss)
    out = compiled()
    out.backward()
    assert out.data == eager.data
    for p, want in zip(model.parameters(), eager_grads, strict=True):
        assert close(p.grad, want)


def abc_loss(x, a, b, c):
    """y = A x, u = sigmoid(y), v = B x, z = u + v, w = C z, L = ||w||^2, with engine.linalg,
    each block in a scope of its own."""
    with name_scope("y"):
        y = linalg.matvec(a, x)
    with name_scope("u"):
        u = linalg.vmap(Value.sigmoid, y)
    with name_scope("v"):
        v = linalg.matvec(b, x)
    with name_scope("z"):
        z = linalg.vadd(u, v)
    with name_scope("w"):
        w = linalg.matvec(c, z)
    with name_scope("L"):
        return linalg.squared_norm(w)


def test_abc_graph_matches_eager_and_torch():
    rng = random.Random(5)

    def mat(k, name):
        return linalg.matrix([[rng.uniform(-1, 1) for _ in range(k)] for _ in range(k)], name)

    x = linalg.vector([rng.uniform(-1, 1) for _ in range(3)], "x")
    a, b, c = mat(3, "A"), mat(3, "B"), mat(3, "C")
    leaves = [*x, *(e for m in (a, b, c) for row in m for e in row)]
    eager = abc_loss(x, a, b, c)
    eager.backward()
    want = [leaf.grad for leaf in leaves]
    for leaf in leaves:
        leaf.grad = 0.0
    compiled = jit(abc_loss)
    out = compiled(x, a, b, c)
    out.backward()
    assert out.data == eager.data
    assert all(close(leaf.grad, g) for leaf, g in zip(leaves, want, strict=True))
    assert "# u" in compiled.source and "_sigmoid(" in compiled.source

    torch = pytest.importorskip("torch")
    tx = torch.tensor([leaf.data for leaf in x], dtype=torch.float64, requires_grad=True)
    ta, tb, tc = (torch.tensor([[e.data for e in row] for row in m], dtype=torch.float64,
                               requires_grad=True) for m in (a, b, c))
    loss = ((tc @ (torch.sigmoid(ta @ tx) + tb @ tx)) ** 2).sum()
    loss.backward()
    assert out.data == pytest.approx(loss.item(), rel=1e-12)
    torch_grads = [*tx.grad.tolist(), *(g for t in (ta, tb, tc) for row in t.grad.tolist()
                                        for g in row)]
    for leaf, g in zip(leaves, torch_grads, strict=True):
        assert leaf.grad == pytest.approx(g, rel=1e-12, abs=1e-14)


# --- tracing -------------------------------------------------------------------------------------


def test_traces_once_per_argument_structure():
    compiled = jit(lambda xs, scale: sum((x * scale for x in xs), Value(0.0)))
    compiled([1.0, 2.0], 3.0)
    compiled([4.0, 5.0], 6.0)
    compiled([Value(4.0), Value(5.0)], 6.0)  # Values where floats were: a new trace
    assert compiled.traces == 2
    compiled([1.0, 2.0, 3.0], 1.0)  # another length
    assert compiled.traces == 3
    out = compiled([1.0, 2.0], Value(0.5))  # a Value scale
    assert compiled.traces == 4
    assert out.data == 1.5
    for _ in range(3):
        compiled([7.0, 8.0], 2.0)
        compiled([Value(7.0), Value(8.0)], 2.0)
    assert compiled.traces == 4
    assert compiled([7.0, 8.0], 2.0).data == 30.0


def test_real_scalars_of_other_types_are_numbers_not_static_arguments():
    from fractions import Fraction

    np = pytest.importorskip("numpy")
    compiled = jit(lambda x, y: x * y)
    w = Value(2.0)
    values = [compiled(w, n).data for n in (np.float32(1.5), np.int64(3), Fraction(1, 4), 7)]
    assert values == [3.0, 6.0, 0.5, 14.0]
    assert compiled.traces == 1  # every one of them is the same structure: (Value, number)


def test_static_arguments_are_part_of_the_key():
    compiled = jit(lambda x, act: getattr(x, act)())
    assert compiled(Value(-1.0), "relu").data == 0.0
    assert compiled(Value(0.5), "tanh").data == math.tanh(0.5)
    assert compiled(Value(0.7), "relu").data == 0.7
    assert compiled.traces == 2
    with pytest.raises(TypeError, match="not hashable"):
        compiled(Value(1.0), {"act": "relu"})


def test_keyword_arguments():
    compiled = jit(lambda x, *, y: x * y)
    out = compiled(Value(2.0), y=Value(3.0))
    assert out.data == 6.0
    assert compiled(Value(2.0), y=4.0).data == 8.0
    assert compiled.traces == 2


def test_check_catches_a_branch_that_went_the_other_way():
    def branchy(x):
        return x * 2.0 if x.data > 0 else x * -3.0

    compiled = jit(branchy, check=True)
    assert compiled(Value(1.0)).data == 2.0
    assert compiled(Value(5.0)).data == 10.0  # same branch: fine
    with pytest.raises(JitMismatchError, match="frozen when the function is traced"):
        compiled(Value(-1.0))
    unchecked = jit(branchy)
    unchecked(Value(1.0))
    assert unchecked(Value(-1.0)).data == -2.0  # the frozen branch, silently


def test_check_catches_a_gradient_difference():
    def kinked(x):
        # relu by hand: at x = 0 both branches give 0.0, but their slopes are 1 and 0
        return x * 1.0 if x.data > 0 else x * 0.0

    compiled = jit(kinked, check=True)
    compiled(Value(1.0, label="x"))
    with pytest.raises(JitMismatchError, match=r"d output / d x is 0\.0 eagerly but 1\.0"):
        compiled(Value(0.0, label="x"))


def test_parameters_read_by_reference_and_constants_folded():
    w = Value(2.0, label="w")

    def fn(x):
        return x * w + Value(10.0) * 3.0  # 10.0 and 3.0: nobody else holds them

    compiled = jit(fn)
    x = Value(1.0, label="x")
    assert compiled(x).data == 32.0
    w.data = -1.0
    out = compiled(x)
    assert out.data == 29.0
    out.backward()
    assert (x.grad, w.grad) == (-1.0, 1.0)
    assert compiled.info.captured == 1
    assert compiled.info.constants == 2
    assert "v4 = 10.0 * 3.0" in compiled.source or "10.0 * 3.0" in compiled.source


def test_backward_through_something_built_on_top():
    a, b = Value(0.4, label="a"), Value(-1.3, label="b")

    def fn(x, y):
        return (x * y).tanh() + x.exp()

    compiled = jit(fn)
    outer = compiled(a, b) * 3.0 + a * compiled(a, b)
    outer.backward()
    got = (outer.data, a.grad, b.grad)
    a.grad = b.grad = 0.0
    eager = fn(a, b) * 3.0 + a * fn(a, b)
    eager.backward()
    assert got[0] == pytest.approx(eager.data, rel=1e-12)
    assert got[1] == pytest.approx(a.grad, rel=1e-12)
    assert got[2] == pytest.approx(b.grad, rel=1e-12)
    # backward twice accumulates into the leaves, as for any graph
    before = a.grad
    node = compiled(a, b)
    node.backward()
    node.backward()
    assert a.grad == pytest.approx(before + 2 * (1.0 - math.tanh(0.4 * -1.3) ** 2) * -1.3
                                   + 2 * math.exp(0.4), rel=1e-12)


def test_argument_with_history_passes_gradient_on():
    """A non-leaf Value passed in is a leaf of the trace; its history still gets gradients."""
    p = Value(3.0, label="p")
    compiled = jit(lambda h: h * h)
    h = p * 2.0
    out = compiled(h)
    out.backward()
    assert out.data == 36.0
    assert p.grad == 24.0  # d (2p)^2 / dp = 8p
    assert compiled.info.nodes == 2


def test_same_value_passed_twice_and_captured():
    w = Value(1.5, label="w")
    compiled = jit(lambda x, y: x * y * w)
    out = compiled(w, w)
    out.backward()
    assert out.data == 1.5**3
    assert w.grad == pytest.approx(3 * 1.5**2, rel=1e-12)


def test_output_that_is_an_argument_or_a_parameter():
    w = Value(4.0, label="w")
    ident = jit(lambda x: x)
    x = Value(2.0, label="x")
    out = ident(x)
    out.backward()
    assert (out.data, x.grad) == (2.0, 1.0)
    param = jit(lambda: w)
    out = param()
    out.backward()
    assert (out.data, w.grad) == (4.0, 1.0)
    unused = jit(lambda x, y: x * 2.0)
    y = Value(1.0)
    unused(x, y).backward()
    assert y.grad == 0.0


def test_no_grad_call_gives_a_leaf_and_still_traces():
    w = Value(2.0)
    compiled = jit(lambda x: x * w)
    with no_grad():
        out = compiled(Value(3.0))
    assert out.data == 6.0 and out._prev == () and out._op == ""
    out2 = compiled(Value(3.0))
    assert out2._prev and compiled.traces == 1


def test_decorator_forms_and_repr():
    @jit
    def f(x):
        return x + 1.0

    @jit(check=True)
    def g(x):
        return x * 2.0

    assert f(Value(1.0)).data == 2.0 and g(Value(1.0)).data == 2.0
    assert g.check and not f.check
    assert f.__name__ == "f" and "traces=1" in repr(f)
    assert "def f(_inputs):" in f.source


def test_errors_are_clear():
    compiled = jit(lambda x: 3.0)
    with pytest.raises(TypeError, match=r"must return a Value, or a tuple \(value, \*aux\)"):
        compiled(Value(1.0))
    with pytest.raises(ValueError, match="has not been traced yet"):
        _ = jit(lambda x: x).source
    with pytest.raises(TypeError, match="needs a function"):
        jit(42)  # type: ignore[arg-type]

    def custom(x):
        return _make_node(x.data**2, (x,), "square", lambda out, g: (2.0 * out._prev[0].data * g,))

    with pytest.raises(JitError, match="no code for the op 'square'"):
        jit(custom)(Value(1.0))
    inner = jit(lambda x: x * 2.0)
    with pytest.raises(JitError, match="jit the outer function only"):
        jit(lambda x: inner(x) + 1.0)(Value(1.0))


def test_deep_and_wide_graphs_compile():
    """Inlining and long sums are cut so Python's parser never meets a deep expression."""

    def chain(x):
        y = x
        for _ in range(3000):
            y = y * 1.0001 + 0.0001
        return y

    def fan(x):
        return sum((x * float(k) for k in range(3000)), Value(0.0))

    for fn in (chain, fan):
        x = Value(0.5)
        out = jit(fn)(x)
        out.backward()
        got = x.grad
        x.grad = 0.0
        eager = fn(x)
        eager.backward()
        assert close(out.data, eager.data) and close(got, x.grad)


# --- names ---------------------------------------------------------------------------------------


def test_names_are_sanitised_and_unique():
    assert identifier("w1.3.0") == "w1_3_0"
    assert identifier("x[2]") == "x_2"
    assert identifier("ŷ") == ""
    assert identifier("lambda") == "lambda_"
    assert identifier("_private") == "private"
    assert identifier("3rd") == "rd"
    x, dx, x2 = Value(1.0, label="x"), Value(2.0, label="dx"), Value(3.0, label="x")
    out = (x * dx + x2) * Value(1.0, label="x")
    order = topological_order(out)
    generated = generate(order, [x, dx, x2], [True] * 3, ["a", "b", "c"], "f")
    ast.parse(generated.source)
    program = generated.compile()
    run = program([1.0, 2.0, 3.0])
    assert next(run) == 5.0
    assert next(run) == (2.0, 1.0, 1.0)
    assigned = [line.split(" = ")[0].strip() for line in generated.source.splitlines()
                if " = " in line and not line.strip().startswith("#")]
    assert len(assigned) == len(set(assigned))


def test_labels_shaped_like_positional_names_never_clash_with_them():
    # Unlabelled nodes are named v<position> (dv<position> for their gradient) without a
    # lookup, so labels of that shape must step aside rather than shadow one of them.
    v1, dv3 = Value(0.5, label="v1"), Value(-2.0, label="dv3")
    out = ((v1 * dv3).tanh() + v1) * (dv3 * Value(1.5)).exp()
    order = topological_order(out)
    generated = generate(order, [v1, dv3], [True, True], ["a", "b"], "f")
    run = generated.compile()([0.5, -2.0])
    assert next(run) == out.data
    out.backward()
    assert next(run) == (v1.grad, dv3.grad)
    assigned = [line.split(" = ")[0].strip() for line in generated.source.splitlines()
                if " = " in line and not line.strip().startswith("#")]
    assert len(assigned) == len(set(assigned))
    assert "    v1_2 = _inputs[0]  # v1" in generated.source.splitlines()


@given(st.lists(st.text("ab1_*+", min_size=1, max_size=30), min_size=1, max_size=60),
       st.integers(20, 100))
def test_long_lines_wrap_at_spaces_within_the_width(words, width):
    head = "    d = "
    lines = codegen_emit.wrapped(head, " ".join(words), width)
    if len(head) + len(" ".join(words)) <= width:
        assert lines == [head + " ".join(words)]
        return
    assert lines[0] == head + "(" and lines[-1] == "    )"
    body = lines[1:-1]
    assert all(line.startswith(" " * 8) for line in body)
    assert all(len(line) <= width or " " not in line.strip() for line in body)
    assert " ".join(line.strip() for line in body).split() == " ".join(words).split()
    # greedy: no line could have taken the next line's first word
    for line, after in itertools.pairwise(body):
        assert len(line) + 1 + len(after.split()[0]) > width


# --- batches: NumPy arrays in place of numbers ---------------------------------------------------


def test_engine_and_scalar_jit_never_import_numpy():
    import subprocess
    import sys

    code = ("import sys, engine; f = engine.jit(lambda x: (x * 2.0).tanh()); "
            "f(engine.Value(0.5)).backward(); f(0.25); print('numpy' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True)
    assert done.stdout.strip() == "False"


def near(a: float, b: float) -> bool:
    """The batch code's number against the scalar code's (see BATCH_TOL)."""
    return close(a, b, BATCH_TOL, BATCH_TOL)


@pytest.mark.filterwarnings("error")  # inf and nan are answers: no warning may escape
@settings(max_examples=40, deadline=None)
@given(program, st.lists(point, min_size=1, max_size=4))
def test_random_graphs_batch_matches_scalar_jit_per_sample(steps, samples):
    """Every op of the tables, on a batch: each sample's value equals the scalar jit's, and
    the gradient of the batch mean equals the mean of the per-sample gradients."""
    np = pytest.importorskip("numpy")
    w = Value(0.3, label="w")  # captured, as a parameter would be
    v = Value(-0.8, label="v")  # a scalar Value argument beside the arrays

    def fn(a, b, c, v):
        return run_program(steps, [a, b * w, c * v])

    scalar, batched = jit(fn), jit(fn)
    values, grads = [], []
    for a, b, c in samples:
        w.grad = v.grad = 0.0
        out = scalar(a, b, c, v)
        out.backward()
        values.append(out.data)
        grads.append((w.grad, v.grad))
    a, b, c = (np.array(column) for column in zip(*samples, strict=True))
    got = batched.per_sample(a, b, c, v)
    assert got.shape == (len(samples),)
    assert all(near(g, want) for g, want in zip(got.tolist(), values, strict=True)), (
        got, values)
    w.grad = v.grad = 0.0
    mean = batched(a, b, c, v)
    mean.backward()
    with np.errstate(invalid="ignore"):  # the mean of inf and -inf is nan
        want_mean = float(np.mean(values))
        want_grads = [float(np.mean([g[k] for g in grads])) for k in (0, 1)]
    assert near(mean.data, want_mean)
    assert near(w.grad, want_grads[0]) and near(v.grad, want_grads[1]), (w.grad, v.grad, grads)
    # One sample at a time (a batch of one), the gradients themselves, not only their mean.
    for (a, b, c), want in zip(samples, grads, strict=True):
        w.grad = v.grad = 0.0
        batched(np.array([a]), np.array([b]), np.array([c]), v).backward()
        assert near(w.grad, want[0]) and near(v.grad, want[1]), ((w.grad, v.grad), want)
    assert batched.traces == 1 and batched.info.batch


@pytest.mark.filterwarnings("error")
def test_edge_values_in_a_batch_follow_the_scalar_path():
    """inf, nan, 0, -0, log(0), 0 ** 0, x ** fraction of a negative x, relu(0), exp overflow
    and sigmoid at +-1000, per sample: the scalar code's values and gradients."""
    np = pytest.importorskip("numpy")
    p, q = Value(1.0, label="p"), Value(1.0, label="q")

    def fn(a, b, c):
        ap, bq = a * p, b * q
        return ((ap.log() + bq**c + (c * q * 1000.0).exp() + (a * q).relu() + ap**0.5)
                * (bq * 1000.0).sigmoid() + ap ** (c * q) + (b * p).tanh() / ap)

    inf, nan = math.inf, math.nan
    points = [(0.0, 0.0, 0.0), (0.0, -1.0, 2.0), (-1.0, 2.0, 1.0), (1e-300, 3.0, -2.0),
              (-0.0, 0.5, -1.0), (-8.0, -2.0, 1.0 / 3.0), (inf, 1.0, 1.0), (2.0, -inf, 0.5),
              (nan, 1.0, 1.0), (3.0, 2.0, 1.0), (-2.0, -3.0, -0.5), (0.5, 1.0, inf)]
    scalar, batched = jit(fn), jit(fn)
    for point in points:
        p.grad = q.grad = 0.0
        out = scalar(*point)
        out.backward()
        want = (out.data, p.grad, q.grad)
        p.grad = q.grad = 0.0
        batch_out = batched(*(np.array([x]) for x in point))
        batch_out.backward()
        got = (batch_out.data, p.grad, q.grad)
        assert all(near(g, e) for g, e in zip(got, want, strict=True)), (point, got, want)
    columns = [np.array(column) for column in zip(*points, strict=True)]
    values = batched.per_sample(*columns)
    for point, value in zip(points, values.tolist(), strict=True):
        assert near(value, scalar(*point).data), point
    mean = batched(*columns)  # the mean over inf and nan samples, and its gradients
    mean.backward()
    assert math.isnan(mean.data) and math.isnan(p.grad)
    assert "_where(" in batched.source and "_where(" not in scalar.source


def test_abc_mean_loss_over_ten_thousand_inputs_in_one_call():
    """K = 3, N = 10,000 inputs as three arrays: the mean loss and its gradients with respect
    to A, B and C equal the hand formulas of demos.abc_hand, looped over the samples."""
    np = pytest.importorskip("numpy")
    from demos.abc_hand import gradients

    rng = random.Random(7)
    k, n = 3, 10_000
    mats = [[[rng.uniform(-1, 1) for _ in range(k)] for _ in range(k)] for _ in range(3)]
    a, b, c = (linalg.matrix(m, name) for name, m in zip("ABC", mats, strict=True))
    gen = np.random.default_rng(8)
    xs = gen.uniform(-2.0, 2.0, size=(k, n))
    compiled = jit(abc_loss)
    loss = compiled(list(xs), a, b, c)
    loss.backward()
    assert compiled.traces == 1 and compiled.info.batch

    totals = {"L": 0.0, "A": np.zeros((k, k)), "B": np.zeros((k, k)), "C": np.zeros((k, k))}
    for column in xs.T.tolist():
        hand = gradients(column, *mats)
        totals["L"] += hand.L
        for name, g in zip("ABC", (hand.dA, hand.dB, hand.dC), strict=True):
            totals[name] += g
    assert loss.data == pytest.approx(totals["L"] / n, rel=1e-12)
    for name, m in zip("ABC", (a, b, c), strict=True):
        got = np.array([[e.grad for e in row] for row in m])
        np.testing.assert_allclose(got, totals[name] / n, rtol=1e-10, atol=1e-13)
    # and the same Values per sample, from the batch, match the scalar path
    per_sample = compiled.per_sample(list(xs[:, :50]), a, b, c)
    scalar = jit(abc_loss)
    for index, value in enumerate(per_sample.tolist()):
        assert near(value, scalar(xs[:, index].tolist(), a, b, c).data)


def test_full_batch_sgd_matches_eager_mean_loss():
    """Three SGD steps on the batch mean: the same weights as eager steps on the mean of the
    per-sample losses, so parameter updates between calls are seen by the batch code too."""
    np = pytest.importorskip("numpy")
    rng = random.Random(9)
    xs = [[rng.uniform(-1, 1), rng.uniform(-1, 1)] for _ in range(16)]
    ys = [rng.choice([-1.0, 1.0]) for _ in range(16)]
    eager_model, jit_model = lab_mlp(1), lab_mlp(1)
    compiled = jit(lambda x0, x1, y: (jit_model([x0, x1]) - y) ** 2)
    x0, x1 = (np.array(column) for column in zip(*xs, strict=True))
    params = eager_model.parameters() + jit_model.parameters()
    for _ in range(3):
        for p in params:
            p.grad = 0.0
        mse(eager_model, xs, ys).backward()
        compiled(x0, x1, np.array(ys)).backward()
        for p in params:
            p.data -= 0.1 * p.grad
    assert_same_weights(eager_model, jit_model, grad_rel=1e-10, grad_abs=1e-14)
    assert compiled.traces == 1


def test_batch_structure_broadcasting_and_errors():
    np = pytest.importorskip("numpy")
    compiled = jit(lambda x, y: x * y + 1.0)
    compiled(2.0, 3.0)
    assert compiled(np.array([1.0, 2.0]), 3.0).data == 5.5  # arrays: a structure of their own
    assert compiled(np.array([1.0, 2.0, 3.0]), 4.0).data == 9.0  # another N: the same code
    assert compiled.traces == 2
    grid = compiled.per_sample(np.array([[1.0], [2.0]]), np.array([1.0, 2.0, 3.0]))
    np.testing.assert_array_equal(grid, [[2.0, 3.0, 4.0], [3.0, 5.0, 7.0]])
    assert compiled(np.array(2), np.array([1, 2])).data == 4.0  # ints, a 0-d array
    with pytest.raises(ValueError, match=r"one batch shape .*got shapes \(3,\), \(5,\)"):
        compiled(np.zeros(3), np.zeros(5))
    with pytest.raises(ValueError, match=r"empty batch shape \(0,\)"):
        compiled(np.zeros(0), 1.0)
    with pytest.raises(TypeError, match=r"real numbers .* dtype bool"):
        compiled(np.array([True, False]), 1.0)
    with pytest.raises(ValueError, match="needs at least one NumPy array"):
        compiled.per_sample(1.0, 2.0)
    constant = jit(lambda x: Value(2.0, label="k") * 3.0)  # the output reads no array
    assert constant(np.arange(4.0)).data == 6.0
    assert constant.per_sample(np.arange(4.0)).tolist() == [6.0] * 4


def test_batch_gradients_reach_scalar_value_arguments_only():
    """Arrays are data, as numbers are: no gradient. A Value argument beside them gets the
    gradient of the batch mean, and under no_grad the call is a leaf."""
    np = pytest.importorskip("numpy")
    scale = Value(2.0, label="scale")
    compiled = jit(lambda x, s: (x * s).exp())
    x = np.array([0.0, 1.0, -1.0])
    out = compiled(x, scale)
    out.backward()
    assert out.data == pytest.approx(np.mean(np.exp(2.0 * x)), rel=1e-15)
    assert scale.grad == pytest.approx(np.mean(x * np.exp(2.0 * x)), rel=1e-15)
    assert out._op == "jit mean" and out._prev == (scale,)
    with no_grad():
        assert compiled(x, scale)._prev == ()
    # A 2 x 3 grid whose gradient varies along the first axis only: each row counts 3 times.
    scale.grad = 0.0
    grid = jit(lambda x, y, s: (x * s).exp() + y)(x[:2, None], np.array([1.0, 2.0, 3.0]), scale)
    grid.backward()
    assert grid.data == pytest.approx(np.mean(np.exp(2.0 * x[:2])) + 2.0, rel=1e-15)
    assert scale.grad == pytest.approx(np.mean(x[:2] * np.exp(2.0 * x[:2])), rel=1e-15)


def test_check_catches_a_branch_that_went_the_other_way_in_a_batch():
    np = pytest.importorskip("numpy")

    def branchy(x):
        return x * 2.0 if x.data > 0 else x * -3.0

    compiled = jit(branchy, check=True)
    assert compiled(np.array([1.0, 5.0])).data == 6.0
    with pytest.raises(JitMismatchError, match=r"at sample 2\. .*frozen when the function"):
        compiled(np.array([1.0, 5.0, -1.0]))
    w = Value(0.0, label="w")
    kinked = jit(lambda x: x + w if x.data > 0 else x * 1.0, check=True)  # equal at x = 0
    kinked(np.array([[2.0], [3.0]]))
    with pytest.raises(JitMismatchError, match=r"d output / d w is 0\.0 eagerly but 1\.0 .*"
                                               r"at sample \(1, 0\)"):
        kinked(np.array([[2.0], [0.0]]))


# --- leaves the function makes, copies it makes with Value(v), and what it returns ----------------


def test_a_leaf_the_function_made_is_a_constant_even_when_held_elsewhere():
    """The rule needs no reference counts: a leaf made while tracing is a constant, a leaf the
    function reached without making it or being given it is a parameter."""
    w = Value(2.0, label="w")
    kept = []

    def fn(x):
        k = Value(3.0, label="k")
        kept.append(k)  # held outside the graph, yet made by the function: still a constant
        return x * k * w

    compiled = jit(fn)
    assert compiled(Value(1.0)).data == 6.0
    assert (compiled.info.captured, compiled.info.constants) == (1, 1)
    kept[0].data = 100.0  # the eager function would make a new k = 3.0 on the next call too
    w.data = 5.0  # the parameter is read by reference
    assert compiled(Value(1.0)).data == 15.0 == fn(Value(1.0)).data


def test_value_of_a_traced_number_stays_linked_to_the_argument():
    compiled = jit(lambda x, y: Value(x) * Value(Value(y)) + 1.0)
    assert compiled(2.0, 3.0).data == 7.0
    assert compiled(5.0, -1.0).data == -4.0  # the new numbers, not the first ones baked in
    assert compiled.traces == 1 and compiled.info.constants == 1  # only the 1.0


def test_value_of_a_value_is_a_detached_copy_outside_and_inside_jit():
    v = Value(3.0, label="v")
    with pytest.warns(UserWarning, match=r"detached from its graph .* torch\.tensor\(t\)"):
        copy = Value(v)
    (copy * 2.0).backward()
    assert (copy.data, copy._prev, v.grad) == (3.0, (), 0.0)  # no gradient flows back to v
    w = Value(4.0, label="w")
    compiled = jit(lambda x: Value(x) * x + Value(w) * w)
    out = compiled(v)
    out.backward()
    assert out.data == 3.0 * 3.0 + 4.0 * 4.0
    assert (v.grad, w.grad) == (3.0, 4.0)  # through the uses of x and w only, as eagerly
    w.data = 1.0
    assert compiled(Value(2.0)).data == 2.0 * 2.0 + 1.0  # the copy of w reads w by reference
    with pytest.raises(JitError, match=r"Value\(v\) or v\.detach\(\) of the computed Value "
                                       r".* freeze"):
        jit(lambda x: Value(x * 2.0) + x)(Value(1.0))
    with pytest.raises(JitError, match=r"v\.detach\(\) of the computed Value"):
        jit(lambda x: (x * 2.0).detach() + x)(Value(1.0))
    detached = jit(lambda x: x.detach() * x)  # detach of an argument reads the argument
    assert (detached(2.0).data, detached(3.0).data, detached.traces) == (4.0, 9.0, 1)


def test_auxiliary_outputs_come_back_as_computed_on_this_call():
    w = Value(0.5, label="w")

    def fn(x, y):
        score = x * w
        loss = (score - y) ** 2
        score.label = "score"
        return loss, {"score": score, "both": [score, y * 1.0]}, "tag"

    compiled = jit(fn)
    for x, y in ((1.0, 2.0), (3.0, -1.0)):
        loss, aux, tag = compiled(x, y)
        eager_loss, _, _ = fn(x, y)
        assert loss.data == eager_loss.data and tag == "tag"
        assert aux["score"].data == x * w.data and aux["score"].label == "score"
        assert [v.data for v in aux["both"]] == [x * w.data, y]
        assert aux["score"]._prev == ()  # aux is not differentiated: a leaf holding the number
        loss.backward()
    assert compiled.traces == 1 and compiled.info.aux_values == 3
    np = pytest.importorskip("numpy")
    loss, aux, _ = compiled(np.array([1.0, 3.0]), np.array([2.0, -1.0]))
    assert aux["score"].tolist() == [0.5, 1.5]  # a batch: every sample's number
    values, aux, _ = compiled.per_sample(np.array([1.0, 3.0]), np.array([2.0, -1.0]))
    assert values.tolist() == [2.25, 6.25] and aux["both"][1].tolist() == [2.0, -1.0]


def test_a_plain_number_among_the_auxiliary_outputs_is_frozen_and_said_to_be():
    def fn(x):
        return x * 2.0, x.data > 0  # a bool read from .data: computed once, at trace time

    compiled = jit(fn)
    with pytest.warns(UserWarning, match=r"auxiliary output \[1\] is the plain number True"):
        assert compiled(1.0)[1] is True
    assert compiled(-1.0)[1] is True  # frozen, as the warning said
    checked = jit(fn, check=True)
    with pytest.warns(UserWarning):
        checked(1.0)
    with pytest.raises(JitMismatchError, match=r"auxiliary output \[1\] is False eagerly but "
                                               r"True"):
        checked(-1.0)


def test_ints_used_as_sizes_or_indices_are_static_arguments_by_name():
    def first_n(xs, n, i):
        return sum(xs[:n], Value(0.0)) * xs[i]

    xs = [Value(float(k)) for k in range(1, 6)]
    with pytest.raises(TypeError, match=r"cannot be used as an integer .*static_argnames"):
        jit(first_n)(xs, 2, 0)
    compiled = jit(first_n, static_argnames=("n", "i"))
    assert compiled(xs, 2, 0).data == 3.0
    assert compiled(xs, n=3, i=4).data == 30.0
    assert compiled(xs, 2, 0).data == 3.0
    assert compiled.traces == 2  # one per value of (n, i); positional or keyword alike
    with pytest.raises(ValueError, match=r"'m', which is not a parameter .*xs, n, i"):
        jit(first_n, static_argnames="m")
    with pytest.raises(TypeError, match=r"argument n=\[1\] .* not hashable"):
        compiled(xs, n=[1], i=0)


def test_numpy_dataset_of_rows_says_what_batch_mode_takes():
    np = pytest.importorskip("numpy")
    X, y = np.zeros((100, 2)), np.zeros(100)

    def loss(rows, targets):
        return sum(((Value(x[0]) - t) ** 2 for x, t in zip(rows, targets, strict=True)),
                   Value(0.0))

    with pytest.raises(ValueError, match=r"got shapes \(100, 2\), \(100,\)\. Batch mode takes "
                                         r"one array per scalar input.*X\.tolist\(\)"):
        jit(loss)(X, y)
    with pytest.raises(TypeError) as raised:
        jit(loss)(X, y[:, None])  # broadcasts, then the function iterates a number
    assert any("one array per scalar input" in note for note in raised.value.__notes__)
    assert jit(loss)(X.tolist(), y.tolist()).data == 0.0


# --- micrograd's demo loss as written -----------------------------------------------------------


@pytest.fixture
def moons():
    np = pytest.importorskip("numpy")
    points, labels = make_moons(24, noise=0.1, seed=0)
    return np.array(points), np.array(labels) * 2.0 - 1.0  # targets -1 / +1, as the demo's


def demo_loss_as_written(model, X, y):
    """micrograd's demo loss as its notebook writes it (our words): a minibatch drawn inside
    with NumPy when batch_size is given, inputs wrapped by Value, the SVM max-margin loss with
    L2, and the accuracy returned beside it."""
    np = pytest.importorskip("numpy")

    def loss(batch_size=None):
        if batch_size is None:
            Xb, yb = X, y
        else:
            ri = np.random.permutation(X.shape[0])[:batch_size]
            Xb, yb = X[ri], y[ri]
        inputs = [list(map(Value, xrow)) for xrow in Xb]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores)]  # noqa: B905
        data_loss = sum(losses) * (1.0 / len(losses))
        alpha = 1e-4
        reg_loss = alpha * sum(p * p for p in model.parameters())
        total_loss = data_loss + reg_loss
        accuracy = [(yi > 0) == (scorei.data > 0) for yi, scorei in zip(yb, scores)]  # noqa: B905
        return total_loss, sum(accuracy) / len(accuracy)

    return loss


def sgd_steps(model, loss_fn, steps, arguments):
    """The demo's training loop: ``loss_fn(*arguments(k))`` at step k, SGD with a decaying rate;
    returns the losses."""
    losses = []
    for k in range(steps):
        total_loss, _ = loss_fn(*arguments(k))
        model.zero_grad()
        total_loss.backward()
        for p in model.parameters():
            p.data -= (1.0 - 0.9 * k / steps) * p.grad
        losses.append(total_loss.data)
    return losses


def test_demo_loss_as_written_trains_under_jit_like_eager(moons):
    X, y = moons
    eager_model, jit_model = MLP(2, [8, 8, 1], seed=1), MLP(2, [8, 8, 1], seed=1)
    eager = sgd_steps(eager_model, demo_loss_as_written(eager_model, X, y), 4, lambda k: ())
    compiled = jit(demo_loss_as_written(jit_model, X, y))
    with pytest.warns(UserWarning, match=r"auxiliary output \[1\] is the plain number"):
        losses = sgd_steps(jit_model, compiled, 4, lambda k: ())
    assert losses == eager and compiled.traces == 1
    assert eager[-1] < eager[0]


def test_demo_minibatch_drawn_inside_is_reported_as_frozen_data(moons):
    X, y = moons
    model = MLP(2, [8, 8, 1], seed=1)
    compiled = jit(demo_loss_as_written(model, X, y), check=True, static_argnames="batch_size")
    pytest.importorskip("numpy").random.seed(0)
    # The check's eager run draws another minibatch than the trace did: caught on the first call.
    with pytest.warns(UserWarning), pytest.raises(
            JitMismatchError, match=r"loss's value is .* the shape of the traced one but another "
                                    r"constant .*\. Data read from outside the arguments \(a "
                                    r"random draw .*frozen at trace time"):
        compiled(batch_size=10)


def test_demo_loss_the_jit_friendly_way_sees_each_batch_and_equals_eager(moons):
    """The minibatch is drawn outside and passed in (X.tolist(): numbers, traced); Value(x)
    inside, as the demo writes it, stays linked to the argument; the scores come back as
    auxiliary Values, so the accuracy is this step's."""
    np = pytest.importorskip("numpy")
    X, y = moons

    def make_loss(model):
        def loss(Xb, yb):
            inputs = [list(map(Value, xrow)) for xrow in Xb]
            scores = list(map(model, inputs))
            losses = [(1 + -yi * scorei).relu() for yi, scorei in zip(yb, scores, strict=True)]
            data_loss = sum(losses) * (1.0 / len(losses))
            return data_loss + 1e-4 * sum(p * p for p in model.parameters()), scores

        return loss

    batches = [np.random.default_rng(k).permutation(len(X))[:10] for k in range(4)]

    def batch(k):
        return X[batches[k]].tolist(), y[batches[k]].tolist()

    eager_model, jit_model = MLP(2, [8, 8, 1], seed=1), MLP(2, [8, 8, 1], seed=1)
    eager = sgd_steps(eager_model, make_loss(eager_model), 4, batch)
    compiled = jit(make_loss(jit_model), check=True)
    assert sgd_steps(jit_model, compiled, 4, batch) == eager
    assert compiled.traces == 1 and len(set(eager)) == 4
    _, scores = compiled(*batch(0))
    want = [jit_model(x).data for x in X[batches[0]].tolist()]
    assert [s.data for s in scores] == want  # this call's scores, for this call's accuracy
