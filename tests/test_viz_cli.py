"""python -m viz: draw an expression from the command line, or hand it to the flipbook."""

from __future__ import annotations

import math
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from engine import Value
from viz import __main__ as viz_main
from viz.__main__ import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.dot
def test_draws_the_expression_and_prints_the_gradients(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "graph.svg"
    code = main(["tanh(a*b + c)", "a=2", "b=-3", "c=10", "-o", str(out), "--highlight", "a",
                 "--rankdir", "TB"])
    assert code == 0
    printed = capsys.readouterr().out.splitlines()
    slope = 1.0 - math.tanh(4.0) ** 2
    assert printed[0] == f"tanh(a*b + c) = {math.tanh(4.0)!r}"
    assert float(printed[1].split(" = ")[1]) == pytest.approx(slope * -3.0, rel=1e-12)
    assert printed[-1] == f"wrote {out}"
    svg = ET.parse(out).getroot()
    words = [t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "∂f/∂a = sum over 1 path of the product of local derivatives" in words
    assert sum(1 for g in svg.iter("{http://www.w3.org/2000/svg}g")
               if g.get("class") == "node") == 3 + 3 * 2  # a b c; *, +, tanh and their ops


def test_dot_output_needs_no_graphviz_and_refusals_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "g.dot"
    assert main(["x**2", "x=3", "-o", str(out), "--no-local"]) == 0
    assert 'label="**2"' in out.read_text(encoding="utf-8")
    capsys.readouterr()
    assert main(["__import__('os').system('true')", "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: call of \"__import__('os').system\" is not allowed")
    assert main(["a*b", "a=1", "-o", str(out)]) == 2
    assert "undeclared name 'b'" in capsys.readouterr().err
    assert main(["a", "a=1", "-o", str(out), "--highlight", "z"]) == 2
    assert "--highlight 'z' is not a declared variable" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["a", "a=1", "-o", str(tmp_path / "g.jpeg")])
    assert "the name must end in one of .svg" in capsys.readouterr().err


@pytest.mark.parametrize(
    "text",
    ["__import__('os')", "().__class__", "open('x')", "a.data", "lambda: 0", "a[0]",
     "[x for x in ()]", "exec('1')", "globals()"],
)
def test_hostile_expressions_are_refused(text: str, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    assert main([text, "a=1", "-o", str(tmp_path / "g.dot")]) == 2
    assert "is not allowed" in capsys.readouterr().err
    assert not (tmp_path / "g.dot").exists()


def test_too_big_to_draw_or_step_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["+".join(["a"] * 300), "a=1", "-o", str(tmp_path / "g.dot")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: the graph is too big a shape to lay out") and "collapse=" in err
    assert main(["step", "+".join(["a"] * 302), "a=1", "-o", str(tmp_path / "s.html")]) == 2
    assert capsys.readouterr().err.startswith("error: the graph is too big a shape")
    assert list(tmp_path.iterdir()) == []


def test_huge_power_is_handled(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["9**9**9 * a", "a=1", "-o", str(tmp_path / "g.dot")]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == ["9**9**9 * a = inf", "  df/da = inf"]


def test_step_hands_the_graph_to_the_flipbook(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    calls: list[tuple[Value, Path]] = []

    def write_flipbook(root: Value, path: Path) -> Path:
        calls.append((root, path))
        return path

    monkeypatch.setattr(viz_main, "write_flipbook", write_flipbook)
    out = tmp_path / "steps.html"
    assert main(["step", "relu(a*b)", "a=2", "b=3", "-o", str(out)]) == 0
    (root, path), = calls
    assert root._op == "relu" and root.data == 6.0 and path == out
    assert capsys.readouterr().out.strip() == f"wrote {out}"


@pytest.mark.dot
def test_runs_as_a_program(tmp_path: Path) -> None:
    out = tmp_path / "graph.png"
    done = subprocess.run(
        [sys.executable, "-m", "viz", "sigmoid(x*w) + log(x)", "x=1.5", "w=-0.5", "-o", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "df/dw = " in done.stdout
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


@pytest.mark.dot
def test_step_writes_the_real_flipbook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "steps.html"
    assert main(["step", "tanh(a*b)", "a=0.5", "b=-2", "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    page = out.read_text(encoding="utf-8")
    assert page.lstrip().lower().startswith("<!doctype html") and "<svg" in page


@pytest.mark.parametrize("argv", [
    ["-a*b", "a=2", "b=3"],
    ["--", "-a*b", "a=2", "b=3"],
    ["draw", "-a*b", "a=2", "b=3"],
])
def test_an_expression_may_start_with_a_minus(argv: list[str], tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "g.dot"
    assert main([*argv, "-o", str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed[:3] == ["-a*b = -6.0", "  df/da = -3.0", "  df/db = -2.0"]
    assert 'label="{f | data -6' in out.read_text(encoding="utf-8")


def test_the_root_is_named_in_captions(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                       ) -> None:
    out = tmp_path / "g.dot"
    assert main(["a*b + a", "a=2", "b=3", "--highlight", "a", "--name", "L", "-o", str(out)]) == 0
    assert "  dL/da = 4.0" in capsys.readouterr().out
    text = out.read_text(encoding="utf-8")
    assert "∂L/∂a = sum over 2 paths" in text and "∂+/∂" not in text


def test_help_lists_every_subcommand_with_an_example(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    text = capsys.readouterr().out
    for name in viz_main.SUBCOMMANDS:
        (line,) = [row for row in text.splitlines() if row.strip().startswith(name + " ")]
        assert f"python -m viz {name} " in line
    assert main([]) == 2  # nothing to draw: the same help, as an error
    assert "subcommands:" in capsys.readouterr().out
    with pytest.raises(SystemExit) as exit_info:
        main(["step", "--help"])
    assert exit_info.value.code == 0
    assert "--name" in capsys.readouterr().out
