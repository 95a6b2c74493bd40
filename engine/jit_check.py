"""engine.jit's ``check=True``: the function run eagerly beside the compiled code, and what a
difference between the two points to."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

from .codegen import JitError
from .functional import grad
from .jit_args import Output, aux_items, split_output
from .jit_trace import Entry, Recorder, fingerprint, fresh_leaves, sort_leaves, union_order
from .modes import MODE
from .numeric import close
from .value import Value


class JitMismatchError(JitError):
    """``check=True`` found the compiled code and an eager run disagreeing."""


FROZEN_DATA = (
    "Data read from outside the arguments (a random draw such as np.random.permutation or "
    "random.sample, a global that changed) or a number read from .data is frozen at trace "
    "time: pass the data as arguments (numbers, lists of numbers and NumPy arrays are traced) "
    "and draw minibatches outside the function."
)
FROZEN_BRANCH = (
    "Python control flow on .data (an if, max, a comparison) is frozen when the function is "
    "traced; jit the branch-free part, or pass what decides the branch as a static argument "
    "(a bool, a string, or static_argnames=...) so that each choice gets its own trace."
)

#: Runs the user's function on fresh argument leaves, recording into a Recorder.
Rerun = Callable[[list[Value], Recorder], object]


def check_call(name: str, rerun: Rerun, entry: Entry, leaves: list[Any], out: float,
               compiled_grads: Callable[[], Sequence[float]], aux: Sequence[float],
               where: str = "", rtol: float = 0.0, atol: float = 0.0) -> None:
    """Run the function eagerly on ``leaves`` (one sample's); raise ``JitMismatchError`` if its
    value, a gradient or an auxiliary output differs from the compiled code's (``out``,
    ``compiled_grads()``, ``aux``) by more than ``rtol``/``atol``, naming the likely cause."""
    fresh = fresh_leaves(leaves)
    recorder = Recorder()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # frozen auxiliary numbers: the trace said so once
        result = rerun(fresh, recorder)

    def fail(what: str, want: object, got: object) -> NoReturn:
        cause = _cause(name, entry, result, fresh, leaves, recorder)
        raise JitMismatchError(
            f"engine.jit(check=True): {what} is {want!r} eagerly but {got!r} from the code "
            f"traced before{where}. {cause}"
        )

    eager = result[0] if type(result) is tuple and result else result
    if not isinstance(eager, Value):
        fail(f"{name}'s value", eager, out)
    if not close(eager.data, out, rtol, atol):
        fail(f"{name}'s value", eager.data, out)
    if entry.output.aux is not None:
        _check_aux(entry.output, split_output(result, name), aux, fail, rtol, atol)
    if not MODE.grad_enabled:
        return
    wrt = [fresh[slot] for slot in entry.parent_slots] + list(entry.captured_parents)
    for k, (want, got) in enumerate(zip(grad(eager, wrt), compiled_grads(), strict=True)):
        if not close(want, got, rtol, atol):
            leaf = wrt[k]
            what = leaf.label or (f"argument leaf {entry.parent_slots[k]}"
                                  if k < len(entry.parent_slots) else "a captured Value")
            fail(f"d output / d {what}", want, got)


def _check_aux(output: Output, eager: Output, aux: Sequence[float],
               fail: Callable[[str, object, object], NoReturn], rtol: float,
               atol: float) -> None:
    """The auxiliary outputs of the eager run against the compiled code's ``aux``."""
    traced = output.aux or ()
    if eager.aux is None or len(eager.aux) != len(traced):
        fail("the number of auxiliary outputs", 0 if eager.aux is None else len(eager.aux),
             len(traced))
    eager_values = [v.data for v in eager.aux_values]
    for k, (item, eager_item) in enumerate(zip(traced, eager.aux, strict=True), start=1):
        compiled = list(aux_items(item, aux, f"[{k}]"))
        now = list(aux_items(eager_item, eager_values, f"[{k}]"))
        if len(compiled) != len(now):
            fail(f"the structure of auxiliary output [{k}]", eager_item, item)
        for (path, got), (_, want) in zip(compiled, now, strict=True):
            if not close(float(want), float(got), rtol, atol):  # type: ignore[arg-type]
                fail(f"auxiliary output {path}", want, got)


def _cause(name: str, entry: Entry, result: object, fresh: list[Value], leaves: list[Any],
           recorder: Recorder) -> str:
    """What a difference between the eager run and the trace points to: another graph
    (control flow on .data) or the same graph with other constants (frozen data)."""
    if entry.graph_shape is None:  # check was switched on after the trace
        return f"{FROZEN_BRANCH} {FROZEN_DATA}"
    try:
        output = split_output(result, name)
        order = union_order([output.value, *output.aux_values])
        shape, constants = fingerprint(order, sort_leaves(order, fresh, leaves, recorder).tags)
    except (TypeError, JitError):
        return FROZEN_BRANCH
    traced_shape, traced_constants = entry.graph_shape
    if shape != traced_shape:
        return FROZEN_BRANCH
    for was, now in zip(traced_constants, constants, strict=True):
        if not close(now, was):
            return (f"The eager graph has the shape of the traced one but another constant "
                    f"({was!r} when traced, {now!r} now). {FROZEN_DATA} (If a branch on .data "
                    f"chose the constant instead: {FROZEN_BRANCH})")
    return f"{FROZEN_BRANCH} {FROZEN_DATA}"
