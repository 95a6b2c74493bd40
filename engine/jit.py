"""engine.jit: record a function's graph once, then replay it as generated Python."""

from __future__ import annotations

import functools
import time
import warnings
from collections.abc import Callable, Iterable
from typing import Any, overload

from . import jit_batch
from .codegen import Generated, JitError, generate
from .graph import topological_order
from .jit_args import (
    Output,
    Statics,
    fill_aux,
    flatten_call,
    rebuild_call,
    split_output,
    statics_of,
)
from .jit_check import JitMismatchError, check_call
from .jit_trace import (
    Entry,
    Recorder,
    Run,
    TraceInfo,
    fingerprint,
    fresh_leaves,
    sort_leaves,
    tracing,
    union_order,
)
from .modes import cyclic_gc_paused
from .value import Value, _make_node

__all__ = ["JitError", "JitFunction", "JitMismatchError", "TraceInfo", "jit"]


class JitFunction:
    """A function compiled by ``engine.jit``; call it as the function itself (with NumPy
    arrays for a batch: the Value of the batch mean; ``per_sample`` for every sample's value).

    Attributes:
        traces: how many times the function was traced (once per argument structure).
        check: replay every call eagerly next to the compiled code and raise on a difference.
    """

    def __init__(self, fn: Callable[..., Any], *, check: bool = False,
                 static_argnames: str | Iterable[str] = ()) -> None:
        if not callable(fn):
            raise TypeError(f"engine.jit needs a function, got {fn!r} ({type(fn).__name__})")
        functools.update_wrapper(self, fn)
        self.__name__: str = getattr(fn, "__name__", type(fn).__name__)
        self._fn = fn
        self._statics: Statics = statics_of(fn, static_argnames)
        self.check = check
        self.traces = 0
        self._cache: dict[object, Entry] = {}
        self._last: Entry | None = None

    @property
    def info(self) -> TraceInfo:
        """The latest trace's ``TraceInfo`` (raises ValueError before the first call)."""
        if self._last is None:
            raise ValueError(
                f"{self.__name__} has not been traced yet: call it once, then read .info/.source"
            )
        return self._last.info

    @property
    def source(self) -> str:
        """The Python the latest trace generated: forward lines, then the chain rule."""
        return self.info.source

    def __repr__(self) -> str:
        return f"jit({self.__name__}, traces={self.traces}, check={self.check})"

    def _entry(self, args: tuple[Any, ...], kwargs: dict[str, Any],
               batch_only: bool = False) -> tuple[Entry, list[Any]]:
        """The compiled entry for this call's structure (tracing it the first time), and the
        call's flat leaves; ``batch_only``: refuse a call with no array before tracing it."""
        leaves: list[Any] = []
        key = flatten_call(args, kwargs, self._statics, leaves)
        if batch_only and not any(jit_batch.is_array(leaf) for leaf in leaves):
            raise ValueError(
                f"{self.__name__}.per_sample needs at least one NumPy array argument (a batch); "
                "for numbers and Values call the function itself"
            )
        entry = self._cache.get(key)
        if entry is None:
            with cyclic_gc_paused():  # a big graph and its source hold no cycles to find
                entry = self._trace(args, kwargs, leaves)
            self._cache[key] = entry
        self._last = entry
        return entry, leaves

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        entry, leaves = self._entry(args, kwargs)
        if entry.batch:
            return self._call_batch(args, kwargs, leaves, entry)
        data = entry.data(leaves)
        run = Run(entry.program(data))
        out: float = run.forward()
        parents = tuple(leaves[slot] for slot in entry.parent_slots) + entry.captured_parents
        node = _make_node(out, parents, "jit", run)
        node.label = entry.output.value.label
        aux = [float(next(program(data))) for program in entry.aux_programs]  # type: ignore[arg-type]
        if self.check:
            check_call(self.__name__, self._rerun(args, kwargs), entry, leaves, out,
                       run.per_sample, aux)
        if entry.output.aux is None:
            return node
        traced = entry.output.aux_values
        values = [Value(x, label=v.label) for x, v in zip(aux, traced, strict=True)]
        return (node, *fill_aux(entry.output.aux, values))

    def _call_batch(self, args: tuple[Any, ...], kwargs: dict[str, Any], leaves: list[Any],
                    entry: Entry) -> Any:
        """A call with array arguments: the Value of the batch mean (see ``jit``)."""
        batch, shape = jit_batch.as_batch(leaves)
        data = entry.batch_data(batch)
        run = Run(entry.program(data), shape)
        per_sample = run.forward()
        parents = tuple(leaves[slot] for slot in entry.parent_slots) + entry.captured_parents
        node = _make_node(jit_batch.batch_mean(per_sample, shape), parents, "jit mean", run)
        node.label = entry.output.value.label
        with jit_batch.quiet():
            aux = [jit_batch.per_sample_array(next(program(data)), shape)
                   for program in entry.aux_programs]
        if self.check:
            outs, rerun = jit_batch.flat(per_sample, shape), self._rerun(args, kwargs)
            for index, where in jit_batch.samples(shape):
                def grads(index: int = index) -> list[float]:
                    return [float(jit_batch.flat(g, shape)[index]) for g in run.per_sample()]

                check_call(self.__name__, rerun, entry, jit_batch.sample(batch, shape, index),
                           float(outs[index]), grads, [float(a.flat[index]) for a in aux],
                           where, rtol=1e-9, atol=1e-12)
        return node if entry.output.aux is None else (node, *fill_aux(entry.output.aux, aux))

    def per_sample(self, *args: Any, **kwargs: Any) -> Any:
        """``fn``'s value for every sample of a batch call, as a float64 NumPy array.

        Called like the function, with at least one array argument; the result has the batch
        shape (with auxiliary outputs: the tuple ``(values, *aux)``, each auxiliary Value an
        array too). No graph is recorded and no gradient is computed: for predictions over a
        grid, per-sample losses or accuracy. Traces as a call would (the same cache).
        """
        entry, leaves = self._entry(args, kwargs, batch_only=True)
        batch, shape = jit_batch.as_batch(leaves)
        data = entry.batch_data(batch)
        with jit_batch.quiet():
            values = jit_batch.per_sample_array(next(entry.program(data)), shape)
            aux = [jit_batch.per_sample_array(next(program(data)), shape)
                   for program in entry.aux_programs]
        if entry.output.aux is None:
            return values
        return (values, *fill_aux(entry.output.aux, aux))

    def _run_traced(self, args: tuple[Any, ...], kwargs: dict[str, Any], fresh: list[Value],
                    recorder: Recorder) -> object:
        """``fn`` on the call's arguments with their leaves replaced by ``fresh``."""
        new_args, new_kwargs = rebuild_call(args, kwargs, self._statics, fresh)
        with tracing(recorder):
            return self._fn(*new_args, **new_kwargs)

    def _rerun(self, args: tuple[Any, ...], kwargs: dict[str, Any]
               ) -> Callable[[list[Value], Recorder], object]:
        return lambda fresh, recorder: self._run_traced(args, kwargs, fresh, recorder)

    def _warn_frozen(self, output: Output) -> None:
        """One warning per plain number among the auxiliary outputs: it will never change."""
        for where, number in output.frozen:
            warnings.warn(
                f"engine.jit: {self.__name__}'s auxiliary output {where} is the plain number "
                f"{number!r}, computed when the function was traced: every later call returns "
                "it unchanged (numbers read from .data are frozen); return a Value to get each "
                "call's number",
                UserWarning,
                stacklevel=5,  # the caller of the jitted function
            )

    def _trace(self, args: tuple[Any, ...], kwargs: dict[str, Any], leaves: list[Any]) -> Entry:
        started = time.perf_counter()
        batch = any(jit_batch.is_array(leaf) for leaf in leaves)
        if batch:  # traced on the first sample; the batch code then runs them all
            arrays, shape = jit_batch.as_batch(leaves)
            leaves = jit_batch.sample(arrays, shape, 0)
        fresh = fresh_leaves(leaves)
        recorder = Recorder()
        try:
            result = self._run_traced(args, kwargs, fresh, recorder)
        except TypeError as error:
            if batch:
                error.add_note(f"engine.jit: this call passed NumPy arrays. {jit_batch.BATCH_RULE}")
            raise
        output = split_output(result, self.__name__)
        self._warn_frozen(output)
        out = output.value
        order = topological_order(out)
        every = union_order([out, *output.aux_values]) if output.aux_values else order
        traced = time.perf_counter()
        sorted_leaves = sort_leaves(every, fresh, leaves, recorder)
        graph_shape = fingerprint(every, sorted_leaves.tags) if self.check else None
        del recorder, every

        inputs = sorted_leaves.arg_nodes + sorted_leaves.cap_nodes
        wants = sorted_leaves.arg_wants + sorted_leaves.cap_wants
        names = [f"x{slot}" for slot in sorted_leaves.arg_slots]
        names += [f"p{k}" for k in range(len(sorted_leaves.cap_nodes))]
        generated: Generated = generate(order, inputs, wants, names, self.__name__, batch)
        program = generated.compile()
        aux_programs = [
            generate(topological_order(value), inputs, [False] * len(inputs), names,
                     f"{self.__name__}_aux{k}", batch).compile()
            for k, value in enumerate(output.aux_values)
        ]
        done = time.perf_counter()

        wanted = set(generated.grad_inputs)
        arguments = len(sorted_leaves.arg_slots)
        parent_slots = [sorted_leaves.arg_slots[i] for i in generated.grad_inputs if i < arguments]
        captured_parents = tuple(
            leaf for k, leaf in enumerate(sorted_leaves.captured) if arguments + k in wanted
        )
        self.traces += 1
        info = TraceInfo(
            source=generated.source,
            nodes=generated.nodes,
            forward_lines=generated.forward_lines,
            backward_lines=generated.backward_lines,
            edges=generated.edges,
            arguments=arguments,
            captured=len(sorted_leaves.captured),
            constants=generated.constants,
            trace_seconds=traced - started,
            compile_seconds=done - traced,
            batch=batch,
            aux_values=len(output.aux_values),
            loop=generated.loop,
        )
        return Entry(program, aux_programs, sorted_leaves.arg_slots, sorted_leaves.captured,
                      parent_slots, captured_parents, output, info, batch, graph_shape)


@overload
def jit(fn: Callable[..., Any], *, check: bool = False,
        static_argnames: str | Iterable[str] = ()) -> JitFunction: ...


@overload
def jit(fn: None = None, *, check: bool = False, static_argnames: str | Iterable[str] = ()
        ) -> Callable[[Callable[..., Any]], JitFunction]: ...


def jit(fn: Callable[..., Any] | None = None, *, check: bool = False,
        static_argnames: str | Iterable[str] = ()
        ) -> JitFunction | Callable[[Callable[..., Any]], JitFunction]:
    """Compile ``fn`` (Values in, one Value out) into generated Python, as ``jax.jit``.

    The first call with a given argument structure runs ``fn`` on Values and records its graph;
    the graph is written out as Python source (one line per node forward, one sum per node
    backward, the engine's own formulas, readable in ``.source``; a loss over samples as one
    loop over them, ``engine.codegen_roll``) and compiled once. Later calls with the
    same structure run that code on the current data. The result is a single Value whose
    parents are the argument Values and the Values ``fn`` captured (a model's parameters, read
    by reference, so ``p.data -= lr * p.grad`` between calls is seen); ``.backward()`` on it,
    or on anything built from it, gives every leaf the gradient the eager graph would.

    Where each leaf's number comes from: a leaf ``fn`` was given reads its argument on every
    call; a leaf ``fn`` made (``Value(2.0)``, the constant of ``x * 2.0``) is a constant, except
    a copy ``Value(v)`` or ``v.detach()``, which reads what ``v`` reads; any other leaf is a
    captured parameter.

    Args:
        fn: takes Values, numbers, and lists/tuples of them (numbers are traced like Values but
            get no gradient); any other argument (a bool, a string, None, a model) is static:
            part of the cache key, compared by equality. Returns a Value, or a tuple
            ``(value, *aux)``: ``value`` is differentiated, and ``aux`` (Values, numbers,
            lists, tuples, dicts) comes back beside it, each Value as a new leaf holding this
            call's number, as ``jax``'s ``has_aux``; a plain number in ``aux`` was computed at
            trace time and stays frozen (a warning says so).
        check: also run ``fn`` eagerly on every call and raise ``JitMismatchError`` when its
            value, a gradient or an auxiliary output differs from the compiled code's, naming
            the likely cause. Slow; for debugging.
        static_argnames: parameters whose values are static, each value its own trace, as in
            ``jax.jit``: ints used as sizes or indices (``batch_size``, ``range(n)``,
            ``xs[i]``). Without it an int is traced as a number, and using it as an index
            raises a TypeError saying to name it here.

    Returns:
        A ``JitFunction``: call it like ``fn``; ``.source``, ``.info`` and ``.traces`` describe
        what was compiled. Usable as ``@jit`` or ``@jit(check=True)``.

    Frozen at trace time, as in ``jax.jit``: Python control flow on ``.data`` (``if x.data >
    0``, ``max`` of Values), numbers read from ``.data`` into plain floats, values made under
    ``no_grad()`` inside ``fn``, and data ``fn`` reads from outside its arguments (a random
    draw, a global). A new argument structure (another list length, a Value where a float was,
    another static argument) traces again; the same structure never does.

    Batches: a NumPy array may stand wherever a number may, one number per sample; the arrays
    of a call broadcast to one batch shape (N inputs: arrays of length N). Such a call runs a
    second compiled variant of the same graph once over the whole batch, with NumPy's ufuncs
    giving the engine's IEEE answers (``exp`` overflow ``inf``, ``log(0) = -inf``, ``relu'(0)
    = 0``, no warnings), and returns a Value holding the mean over the batch,

        L = (1/N) sum_i fn(sample i),   dL/dp = (1/N) sum_i d fn(sample i) / dp,

    the reduction torch's losses use by default: ``.backward()`` gives every Value argument and
    captured parameter the gradient of that mean, so full-batch training is the usual step on
    ``jit(loss_of_one_sample)(X, y)``. Arrays get no gradient, as numbers get none;
    ``.per_sample(...)`` returns the per-sample values as an array instead (auxiliary Values
    come back as per-sample arrays). Batch numbers agree with the scalar code to about 1e-12,
    not bit for bit (NumPy's exp, log, tanh and pow may round the last bit apart from the C
    library's); with ``check=True`` every sample is also run eagerly and compared to a relative
    1e-9. An array where a number was is a new structure, traced on the first sample; the batch
    size is not part of the structure. NumPy is imported by the caller, never by the engine.
    """
    if fn is None:
        return functools.partial(JitFunction, check=check, static_argnames=static_argnames)
    return JitFunction(fn, check=check, static_argnames=static_argnames)
