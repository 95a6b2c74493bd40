"""demos.newton: the Hessian it steps with, its linear solve, both runs and the files."""

from __future__ import annotations

from pathlib import Path

import pytest

from demos import newton
from engine import hessian
from tests.support import png_size


def rosenbrock_hessian(x: float, y: float) -> list[list[float]]:
    """By hand: f_xx = 2 - 400 (y - x^2) + 800 x^2, f_xy = -400 x, f_yy = 200."""
    return [[2 - 400 * (y - x * x) + 800 * x * x, -400 * x], [-400 * x, 200.0]]


@pytest.mark.parametrize("point", [(-1.2, 1.0), (0.7631, -3.175), (1.0, 1.0), (0.3, 2.5)])
def test_the_engine_hessian_is_rosenbrocks(point: tuple[float, float]) -> None:
    ours = hessian(newton.rosenbrock, list(point))
    for row, expected in zip(ours, rosenbrock_hessian(*point), strict=True):
        assert row == pytest.approx(expected, rel=1e-13)


def test_solve_matches_a_known_system_and_refuses_a_singular_one() -> None:
    # 2x + y - z = 8, -3x - y + 2z = -11, -2x + y + 2z = -3 has x = 2, y = 3, z = -1.
    x = newton.solve([[2, 1, -1], [-3, -1, 2], [-2, 1, 2]], [8, -11, -3])
    assert x == pytest.approx([2.0, 3.0, -1.0], rel=1e-14)
    with pytest.raises(ValueError, match=r"solve\(\): the matrix is singular \(column 1"):
        newton.solve([[1.0, 2.0], [2.0, 4.0]], [1.0, 2.0])


def test_newton_reaches_the_minimum_in_a_few_steps_and_descent_does_not() -> None:
    run = newton.newton(newton.START, steps=50)
    assert len(run) - 1 <= 8
    assert run[-1].point == pytest.approx(newton.MINIMUM, abs=1e-12)
    assert run[-1].gradient_norm <= 1e-12
    for it in run:  # the docstring's claim: every Hessian on the way is positive definite
        (a, b), (_, d) = hessian(newton.rosenbrock, list(it.point))
        assert a > 0 and a * d - b * b > 0
    slow = newton.gradient_descent(newton.START, 2000, 1e-3)
    assert slow[-1].value > 1e-2
    assert slow[-1].value < slow[0].value


def test_main_writes_the_plot_and_the_runs(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                           ) -> None:
    assert newton.main(["--out", str(tmp_path), "--gd-steps", "50"]) == 0
    width, height = png_size(tmp_path / "newton" / "newton.png")
    assert width > 600 and height > 300
    text = (tmp_path / "newton" / "newton.txt").read_text(encoding="utf-8")
    assert "Newton: x <- x - H^-1 grad f" in text and "gradient descent" in text
    assert "1.0                   1.0   0.000e+00" in capsys.readouterr().out


def test_main_refuses_bad_arguments(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        newton.main(["--gd-steps", "0"])
    assert "--gd-steps must be at least 1, got 0" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        newton.main(["--rate", "-1"])
    assert "--rate must be positive, got -1.0" in capsys.readouterr().err


def test_the_report_links_what_it_wrote_and_demos_runs_it(tmp_path: Path) -> None:
    from demos.__main__ import DEMOS

    section = newton.report(tmp_path)
    assert [link.path for link in section.links] == ["newton/newton.png", "newton/newton.txt"]
    assert all((tmp_path / link.path).is_file() for link in section.links)
    assert newton in DEMOS
