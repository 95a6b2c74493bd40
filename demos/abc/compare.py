"""One A/B/C sample three ways: the engine's backward, the hand formulas and torch autograd."""

from __future__ import annotations

from dataclasses import dataclass

from demos import abc_hand
from demos.abc.graph import AbcGraph, build_from_floats, random_point
from demos.abc_hand import Mat, Vec
from engine import linalg
from engine.table import text_table


@dataclass(frozen=True)
class Block:
    """One gradient (a matrix, or a vector as a column) from the engine, by hand and from torch."""

    name: str
    engine: Mat
    hand: Mat
    torch: Mat | None

    def max_abs_diff(self, other: Mat | None) -> float | None:
        """The largest |engine - other| over the entries (None when ``other`` is missing)."""
        return None if other is None else max_abs_diff(self.engine, other)


def max_abs_diff(first: Mat, second: Mat) -> float:
    """max_ij |first_ij - second_ij|."""
    return max(abs(p - q) for r, s in zip(first, second, strict=True)
               for p, q in zip(r, s, strict=True))


@dataclass(frozen=True)
class Comparison:
    """One sample's point, forward values and gradients computed three ways at that point."""

    graph: AbcGraph
    hand: abc_hand.HandResult
    torch_loss: float | None
    blocks: list[Block]
    torch_note: str


def _column(v: Vec) -> Mat:
    return [[item] for item in v]


def torch_gradients(x: Vec, a: Mat, b: Mat, c: Mat) -> tuple[float, dict[str, Mat]]:
    """L and dL/dA, dL/dB, dL/dC, dL/dx from torch autograd in float64 (torch imported here)."""
    import torch

    def leaf(data: Vec | Mat) -> torch.Tensor:
        return torch.tensor(data, dtype=torch.float64, requires_grad=True)

    tx, ta, tb, tc = leaf(x), leaf(a), leaf(b), leaf(c)
    w = tc @ (torch.sigmoid(ta @ tx) + tb @ tx)
    loss = (w * w).sum()
    loss.backward()
    grads = {"A": ta.grad.tolist(), "B": tb.grad.tolist(), "C": tc.grad.tolist(),
             "x": _column(tx.grad.tolist())}
    return float(loss.item()), grads


def compare(k: int = 3, seed: int = 0, use_torch: bool = True) -> Comparison:
    """Build one sample, backpropagate, and compute the same gradients by hand and with torch.

    All three read the same floats x, A, B, C, so every difference is rounding alone.
    """
    x, a, b, c = random_point(k, seed)
    graph = build_from_floats(x, a, b, c)
    graph.L.backward()
    hand = abc_hand.gradients(x, a, b, c)
    torch_loss: float | None = None
    torch_grads: dict[str, Mat] = {}
    note = "torch: float64 autograd at the same point"
    if use_torch:
        try:
            torch_loss, torch_grads = torch_gradients(x, a, b, c)
        except ImportError:
            note = "torch is not installed: engine vs hand only (pip install torch==2.13.0)"
    else:
        note = "torch comparison switched off: engine vs hand only"
    engine = {"A": linalg.grad_of(graph.A), "B": linalg.grad_of(graph.B),
              "C": linalg.grad_of(graph.C), "x": _column([item.grad for item in graph.x])}
    by_hand = {"A": hand.dA, "B": hand.dB, "C": hand.dC, "x": _column(hand.dx)}
    blocks = [Block(name, engine[name], by_hand[name], torch_grads.get(name))
              for name in ("A", "B", "C", "x")]
    return Comparison(graph, hand, torch_loss, blocks, note)


# --- as text ----------------------------------------------------------------------------------


def _format_vector(name: str, values: Vec) -> str:
    return f"{name} = [" + ", ".join(repr(item) for item in values) + "]"


def _entry_name(block: str, i: int, j: int) -> str:
    if block == "x":
        return f"dL/dx[{i + 1}]"
    return f"dL/d{block}[{i + 1},{j + 1}]"


def format_point_and_forward(result: Comparison) -> list[str]:
    """The sample's x, A, B, C, then the forward values (engine, and hand where they differ)."""
    g, hand = result.graph, result.hand
    lines = [_format_vector("x", [item.data for item in g.x])]
    for name, m in (("A", g.A), ("B", g.B), ("C", g.C)):
        lines.append(f"{name} =")
        lines += ["  [" + ", ".join(repr(item) for item in row) + "]" for row in linalg.data_of(m)]
    lines.append("")
    lines.append("forward (engine; the hand computation gives the same floats unless noted):")
    for name in ("y", "u", "v", "z", "w"):
        engine_values = [item.data for item in getattr(g, name)]
        lines.append(_format_vector(name, engine_values))
        if engine_values != getattr(hand, name):
            lines.append(_format_vector(f"{name} (hand)", getattr(hand, name)))
    lines.append(f"L = {g.L.data!r}   (hand {hand.L!r}"
                 + (f", torch {result.torch_loss!r})" if result.torch_loss is not None else ")"))
    return lines


def format_block(block: Block) -> list[str]:
    """One gradient's entries as engine | hand | torch in full precision (repr), then its largest
    differences."""
    rows = [
        (_entry_name(block.name, i, j), repr(value), repr(block.hand[i][j]),
         repr(block.torch[i][j]) if block.torch is not None else "-")
        for i, row in enumerate(block.engine) for j, value in enumerate(row)
    ]
    lines = text_table(("entry", "engine", "hand", "torch"), rows, align="<>").splitlines()
    summary = f"max |engine - hand| = {max_abs_diff(block.engine, block.hand):.3e}"
    if block.torch is None:
        summary += ", torch: -"
    else:
        summary += (f", max |engine - torch| = {max_abs_diff(block.engine, block.torch):.3e}"
                    f", max |hand - torch| = {max_abs_diff(block.hand, block.torch):.3e}")
    return [*lines, f"dL/d{block.name}: {summary}"]


def format_comparison(result: Comparison) -> str:
    """The sample as text: point, forward values (engine beside hand), then each gradient entry
    as engine | hand | torch in full precision (repr), with the largest differences per block."""
    lines = ["One sample: y = A x, u = sigma(y), v = B x, z = u + v, w = C z, L = ||w||^2", ""]
    lines += format_point_and_forward(result)
    lines.append("")
    lines.append(f"gradients: engine backward | hand formulas | {result.torch_note}")
    for block in result.blocks:
        lines.append("")
        lines += format_block(block)
    return "\n".join(lines)
