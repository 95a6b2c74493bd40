"""The explorer's "Compare with PyTorch": the same graph replayed on float64 tensors.

The graph is replayed node by node (its ops in topological order), so any graph compares,
whether it came from an expression, a preset or an ``nn`` model. torch is imported here only,
when the comparison is asked for.
"""

from __future__ import annotations

import importlib.util
import math
from typing import Any

from engine.eager import op_of

from .explore_model import ENGINE_LOCK, Built
from .explore_payload import number

#: torch's float64 gradient should agree with the engine's to rounding.
RTOL = 1e-9
ATOL = 1e-12


def torch_available() -> bool:
    """True when torch can be imported (without importing it)."""
    return importlib.util.find_spec("torch") is not None


def compare_payload(built: Built) -> dict[str, Any]:
    """torch's data and grad for every node beside the engine's, and the worst disagreement.

    Returns ``{"available": False, "message": ...}`` when torch is missing or the graph has an op
    this replay does not know.
    """
    if not torch_available():
        return {"available": False,
                "message": "torch is not installed: pip install torch==2.13.0 (CPU) to compare"}
    import torch

    with ENGINE_LOCK:
        tensors: dict[Any, Any] = {}
        for node in built.order:
            if not node._prev:
                tensors[node] = torch.tensor(node.data, dtype=torch.float64, requires_grad=True)
                continue
            args = [tensors[p] for p in node._prev]
            try:
                tensors[node] = _replay(torch, node, args)
            except KeyError:
                return {"available": False,
                        "message": f"the op {node._op!r} has no torch replay here"}
            tensors[node].retain_grad()
        out = tensors[built.root]
        out.backward()
        rows = {}
        worst = 0.0
        for node in built.order:
            tensor = tensors[node]
            grad = 0.0 if tensor.grad is None else float(tensor.grad.item())
            data = float(tensor.item())
            error = _relative(node.grad, grad)
            worst = max(worst, error)
            rows[built.ids[node]] = {"data": number(data), "grad": number(grad),
                                     "ok": _close(node.grad, grad) and _close(node.data, data)}
    variables = [{"name": name, "engine": number(leaf.grad),
                  "torch": rows[built.ids[leaf]]["grad"]}
                 for name, leaf in built.leaves.items() if leaf in built.ids]
    return {"available": True, "version": torch.__version__, "nodes": rows,
            "variables": variables, "max_rel_error": number(worst),
            "ok": all(row["ok"] for row in rows.values()), "rtol": RTOL, "atol": ATOL}


def _replay(torch: Any, node: Any, args: list[Any]) -> Any:
    """The node's op on tensors, by its torch name in engine.ops; KeyError for a node no op of
    the table made."""
    found = op_of(node._grad_fn)
    if found is None:
        raise KeyError(node._op)
    op, params = found
    return getattr(torch, op.torch)(*args, *params)


def _close(engine: float, reference: float) -> bool:
    if math.isnan(engine) or math.isnan(reference):
        return math.isnan(engine) and math.isnan(reference)
    return engine == reference or abs(engine - reference) <= ATOL + RTOL * abs(reference)


def _relative(engine: float, reference: float) -> float:
    if engine == reference or not (math.isfinite(engine) and math.isfinite(reference)):
        return 0.0
    return abs(engine - reference) / max(abs(reference), 1e-300)
