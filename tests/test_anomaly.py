"""Anomaly mode: the first op that turns finite inputs into inf or nan is named, with its line."""

from __future__ import annotations

import inspect
import math
import os
import sys
from pathlib import Path

import pytest

from engine import Value, detect_anomaly, first_anomaly, nonfinite_nodes, origin, topological_order


def line_of(marker: str, fn: object) -> int:
    """The line number in this file of the source line of ``fn`` that contains ``marker``."""
    lines, start = inspect.getsourcelines(fn)  # type: ignore[arg-type]
    for offset, text in enumerate(lines):
        if marker in text:
            return start + offset
    raise AssertionError(f"{marker!r} not in {fn}")


def log_of_zero() -> Value:
    x = Value(0.0, label="x")
    return x.log()  # the anomaly


def test_log_of_zero_raises_with_the_right_line() -> None:
    with pytest.raises(FloatingPointError) as error, detect_anomaly():
        log_of_zero()
    message = str(error.value)
    assert message.startswith("log gave -inf from finite inputs (x = 0.0); created at ")
    assert f"{__file__}:{line_of('# the anomaly', log_of_zero)} in log_of_zero" in message
    assert message.endswith("return x.log()  # the anomaly")


def test_overflow_names_the_op_and_its_inputs() -> None:
    a = Value(500.0, label="a")
    with pytest.raises(FloatingPointError, match=r"^exp gave inf from finite inputs \(input 0 = "
                                                 r"1000\.0\)"), detect_anomaly():
        (a * 2).exp()


@pytest.mark.parametrize("x", [1000.0, -1000.0])
def test_saturating_functions_never_raise(x: float) -> None:
    with detect_anomaly():
        v = Value(x, label="v")
        out = v.sigmoid() + v.tanh() + v.relu() * 0.0
        out.backward()
    assert math.isfinite(out.data) and v.grad == 0.0


def test_an_infinite_local_derivative_raises_at_the_op() -> None:
    x = Value(0.0, label="x")
    with pytest.raises(FloatingPointError, match=r"\*\*0\.5 gave a local derivative d/dx = inf "
                                                 r"from finite inputs \(x = 0\.0\)"), \
            detect_anomaly():
        x.sqrt()


def test_backward_flag_checks_a_graph_built_outside() -> None:
    x = Value(0.0, label="x")
    y = x.sqrt() * 3  # value 0, finite; the derivative of sqrt at 0 is inf
    with pytest.raises(FloatingPointError, match=r"unknown \(build the graph inside"):
        y.backward(detect_anomaly=True)


def test_outside_anomaly_mode_numbers_flow_as_torch_gives_them() -> None:
    x = Value(0.0)
    y = x.log() * 2
    y.backward()
    assert y.data == -math.inf and x.grad == math.inf
    assert origin(y) is None


def test_non_finite_inputs_are_not_blamed_again() -> None:
    inf = Value(math.inf, label="inf")
    with detect_anomaly():
        out = inf * 2 + 1  # inf in, inf out: the trouble started before this op
    assert out.data == math.inf


def test_first_anomaly_and_nonfinite_nodes() -> None:
    a = Value(800.0, label="a")
    big = a.exp()  # inf: the first anomaly
    big.label = "big"
    out = big * 0.0 + 1.0  # nan, then nan
    assert first_anomaly(out) is big
    assert [n.label for n in nonfinite_nodes(out)] == ["big", "", ""]
    assert first_anomaly(Value(1.0) + 2) is None


def test_nodes_made_in_anomaly_mode_remember_their_line() -> None:
    with detect_anomaly():
        node = Value(2.0) * 3  # remembered
    place = origin(node)
    assert place is not None and place.endswith("node = Value(2.0) * 3  # remembered")


def test_drawing_marks_the_non_finite_nodes_and_the_first_one() -> None:
    from viz import draw_dot, node_names
    from viz import style as viz_style

    a = Value(800.0, label="a")
    with detect_anomaly():
        ok = a * 0.5  # finite
    big = a.exp()  # inf: drawn outside anomaly mode, so no line is known
    big.label = "big"
    out = big * 0.0 + ok  # nan, then nan
    out.label = "out"
    names = node_names(topological_order(out))
    source = draw_dot(out, anomalies=True).source
    first = viz_style.FIRST_ANOMALY["fillcolor"]
    plain = viz_style.ANOMALY["fillcolor"]
    # Node statements (``v4 [label=...]``), not edges (``v4 -> v5op [...]``).
    lines = {parts[0]: line for line in source.splitlines()
             if len(parts := line.split()) > 1 and parts[1].startswith("[")}
    assert first in lines[names[big]] and "the first non-finite node" in lines[names[big]]
    assert plain in lines[names[out]] and first not in lines[names[out]]
    assert plain not in lines[names[ok]] and first not in lines[names[ok]]
    assert "first non-finite node: big = inf from finite inputs (800)" in source
    assert "build the graph inside engine.detect_anomaly() to see its line" in source
    assert plain not in draw_dot(out).source  # only when asked


def test_drawing_shows_the_line_of_a_node_made_in_anomaly_mode() -> None:
    from viz import draw_dot

    a = Value(800.0, label="a")
    try:
        with detect_anomaly():
            a.exp()
    except FloatingPointError:
        pass
    with detect_anomaly():
        half = a * 0.5
    half.label = "half"
    source = draw_dot(half, anomalies=True).source
    assert "made at" not in source  # finite: nothing to mark
    x = Value(math.inf, label="x")
    with detect_anomaly():
        y = x * 2  # not blamed: its input was already inf
    assert "first non-finite node: x = inf" in draw_dot(y, anomalies=True).source


def test_a_node_made_inside_nn_is_blamed_on_the_users_line() -> None:
    """Frames in engine/ and nn/ are skipped: the line named is the caller's model(x) or loss."""
    from nn import MLP, mse_loss

    model = MLP(2, [3, 1], activation="linear", seed=0)

    def forward() -> Value:
        return model([1e200, 1e200])  # the forward line

    def loss(out: Value) -> Value:
        return mse_loss([out], [0.0])  # the loss line

    for p in model.parameters():
        p.data = 1e200
    with pytest.raises(FloatingPointError) as error, detect_anomaly():
        forward()
    assert str(error.value).startswith("* gave inf from finite inputs (w1.1.0 = 1e+200")
    assert f"{__file__}:{line_of('# the forward line', forward)} in forward" in str(error.value)

    for p in model.parameters():
        p.data = 1e100
    out = model([1e100, 1e100])  # 6e300: finite
    with pytest.raises(FloatingPointError) as error, detect_anomaly():
        loss(out)
    assert str(error.value).startswith("**2 gave inf from finite inputs")
    assert f"{__file__}:{line_of('# the loss line', loss)} in loss" in str(error.value)


def test_the_engine_skips_only_the_folders_registered_with_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine lists no folder above it: nn registers itself, and any library can do the
    same. Without its registration a node made inside nn is blamed on nn's own line."""
    from engine import anomaly
    from nn import MLP

    monkeypatch.setattr(anomaly, "_library_folders", anomaly._library_folders)
    engine_only = tuple(f for f in anomaly._library_folders if f.endswith(f"engine{os.sep}"))
    assert len(engine_only) == 1 and len(anomaly._library_folders) >= 2  # nn registered itself
    model = MLP(1, [1], activation="linear", seed=0)
    model.parameters()[0].data = 1e200
    monkeypatch.setattr(anomaly, "_library_folders", engine_only)
    with pytest.raises(FloatingPointError) as error, detect_anomaly():
        model([1e200])
    assert f"{os.sep}nn{os.sep}layers.py:" in str(error.value)

    # A library of one's own: its frames are skipped once its folder is registered.
    library = tmp_path / "mylib"
    library.mkdir()
    (library / "blow.py").write_text(
        "def square(v):\n    return v * v  # inside the library\n", encoding="utf-8"
    )
    monkeypatch.syspath_prepend(str(library))
    import blow  # type: ignore[import-not-found]

    def caller() -> Value:
        return blow.square(Value(1e200))  # the caller's line

    with pytest.raises(FloatingPointError) as error, detect_anomaly():
        caller()
    assert "# inside the library" in str(error.value)
    anomaly.register_library_folder(str(library))
    anomaly.register_library_folder(str(library) + os.sep)  # twice: registered once
    assert anomaly._library_folders.count(os.path.join(str(library), "")) == 1
    with pytest.raises(FloatingPointError) as error, detect_anomaly():
        caller()
    assert f"{__file__}:{line_of('# the caller', caller)} in caller" in str(error.value)
    monkeypatch.delitem(sys.modules, "blow")
