"""engine.jit's arguments and results: the structure key of a call, its traced leaves, the
static arguments, and the auxiliary outputs beside the Value to differentiate."""

from __future__ import annotations

import inspect
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from .jit_batch import is_array
from .value import Value, _as_float

_VALUE = "Value"
_NUMBER = "number"
_ARRAY = "array"


def is_number(obj: object) -> bool:
    """An int or float (subclasses too) or another real scalar (numpy.float32, numpy.int64,
    Fraction): a traced number, not a static argument that would retrace for every value."""
    return isinstance(obj, numbers.Real) and not isinstance(obj, bool)


def leaf_data(leaf: object) -> float:
    """The number a traced leaf holds: a Value's data, or the number itself as a float."""
    return leaf.data if isinstance(leaf, Value) else _as_float(leaf)


@dataclass(frozen=True)
class Statics:
    """The arguments named in ``static_argnames``: by position and by keyword."""

    positions: frozenset[int] = frozenset()
    names: frozenset[str] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.names)


def statics_of(fn: Callable[..., Any], static_argnames: str | Iterable[str]) -> Statics:
    """Where the static arguments sit in ``fn``'s signature.

    Raises:
        TypeError: ``static_argnames`` is not a string or strings.
        ValueError: a name is not a parameter of ``fn`` (and ``fn`` takes no ``**kwargs``).
    """
    names = (static_argnames,) if isinstance(static_argnames, str) else tuple(static_argnames)
    if not all(isinstance(name, str) for name in names):
        raise TypeError(f"engine.jit: static_argnames must be strings, got {static_argnames!r}")
    if not names:
        return Statics()
    try:
        parameters = list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):  # no signature to read (some builtins): keywords only
        return Statics(frozenset(), frozenset(names))
    by_name = {p.name: (index, p.kind) for index, p in enumerate(parameters)}
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    positions = set()
    for name in names:
        if name not in by_name:
            if takes_any:
                continue
            listed = ", ".join(by_name) or "none"
            raise ValueError(
                f"engine.jit: static_argnames names {name!r}, which is not a parameter of "
                f"{getattr(fn, '__name__', fn)!r} (its parameters: {listed})"
            )
        index, kind = by_name[name]
        if kind in positional:
            positions.add(index)
    return Statics(frozenset(positions), frozenset(names))


def _static_key(obj: object, where: str) -> object:
    """An argument that is not traced is part of the key, by equality: it must be hashable."""
    try:
        hash(obj)
    except TypeError:
        raise TypeError(
            f"engine.jit: argument {where}{obj!r} ({type(obj).__name__}) is not a Value, number, "
            "list or tuple, and it cannot be a static argument because it is not hashable"
        ) from None
    return ("static", type(obj), obj)


def flatten(obj: object, leaves: list[Any]) -> object:
    """The structure key of one argument; its Values and numbers are appended to ``leaves``.

    Values, numbers and NumPy arrays (a batch of numbers) are the traced leaves; lists and
    tuples are walked; anything else (None, a bool, a string, a model object) is static: part
    of the key, by equality. An array's shape is not part of the key.
    """
    kind = type(obj)
    if kind is float or kind is int or isinstance(obj, Value):
        leaves.append(obj)
        return _VALUE if isinstance(obj, Value) else _NUMBER
    if kind is list or kind is tuple:
        return (kind, tuple([flatten(item, leaves) for item in obj]))  # type: ignore[attr-defined]
    if is_number(obj):
        leaves.append(obj)
        return _NUMBER
    if is_array(obj):
        leaves.append(obj)
        return _ARRAY
    return _static_key(obj, "")


def _rebuild(obj: object, leaves: Iterator[Any]) -> object:
    """``obj`` with each Value, number or array replaced by the next item of ``leaves``."""
    kind = type(obj)
    if kind is list:
        return [_rebuild(item, leaves) for item in obj]  # type: ignore[attr-defined]
    if kind is tuple:
        return tuple(_rebuild(item, leaves) for item in obj)  # type: ignore[attr-defined]
    if isinstance(obj, Value) or is_number(obj) or is_array(obj):
        return next(leaves)
    return obj


def flatten_call(args: tuple[Any, ...], kwargs: dict[str, Any], statics: Statics,
                 leaves: list[Any]) -> object:
    """The structure key of a call (static arguments by value); its leaves go to ``leaves``."""
    if not statics:
        return (flatten(args, leaves),
                tuple((name, flatten(kwargs[name], leaves)) for name in sorted(kwargs)))
    positional = tuple(
        _static_key(arg, f"{index} ") if index in statics.positions else flatten(arg, leaves)
        for index, arg in enumerate(args)
    )
    keywords = tuple(
        (name, _static_key(kwargs[name], f"{name}=") if name in statics.names
         else flatten(kwargs[name], leaves))
        for name in sorted(kwargs)
    )
    return (positional, keywords)


def rebuild_call(args: tuple[Any, ...], kwargs: dict[str, Any], statics: Statics,
                 leaves: Sequence[Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
    """The call's arguments with their leaves replaced by ``leaves``, statics untouched."""
    stream = iter(leaves)
    if not statics:
        new_args: Any = _rebuild(args, stream)
        return new_args, {name: _rebuild(kwargs[name], stream) for name in sorted(kwargs)}
    new_args = tuple(arg if index in statics.positions else _rebuild(arg, stream)
                     for index, arg in enumerate(args))
    new_kwargs = {name: kwargs[name] if name in statics.names else _rebuild(kwargs[name], stream)
                  for name in sorted(kwargs)}
    return new_args, new_kwargs


# --- the result: one Value to differentiate, and auxiliary outputs -------------------------------


@dataclass(frozen=True)
class AuxSlot:
    """Where the k-th auxiliary Value sits in the auxiliary outputs' structure."""

    position: int


@dataclass(frozen=True)
class Output:
    """What the traced function returned: ``value``, and ``aux`` when it returned a tuple
    ``(value, *aux)`` (``aux`` with every Value replaced by an ``AuxSlot``).

    Attributes:
        value: the Value to differentiate.
        aux: the auxiliary outputs' structure, ``None`` when the function returned a Value.
        aux_values: the Values in ``aux``, in slot order.
        frozen: (where, number) for each plain number in ``aux``: computed once, at trace time.
    """

    value: Value
    aux: tuple[Any, ...] | None
    aux_values: list[Value]
    frozen: list[tuple[str, object]]


def split_output(result: object, name: str) -> Output:
    """The Value ``fn`` returned, or the first item of the tuple it returned, and the rest.

    Raises:
        TypeError: ``result`` is neither a Value nor a tuple whose first item is a Value.
    """
    if isinstance(result, Value):
        return Output(result, None, [], [])
    if type(result) is tuple and result and isinstance(result[0], Value):
        values: list[Value] = []
        frozen: list[tuple[str, object]] = []
        aux = tuple(_template(item, f"[{k}]", values, frozen)
                    for k, item in enumerate(result[1:], start=1))
        return Output(result[0], aux, values, frozen)
    raise TypeError(
        f"engine.jit: {name} must return a Value, or a tuple (value, *aux) whose first item is "
        f"the Value to differentiate; got {result!r} ({type(result).__name__})"
    )


def _template(obj: object, where: str, values: list[Value],
              frozen: list[tuple[str, object]]) -> object:
    if isinstance(obj, Value):
        values.append(obj)
        return AuxSlot(len(values) - 1)
    if type(obj) is list or type(obj) is tuple:
        items = [_template(item, f"{where}[{k}]", values, frozen) for k, item in enumerate(obj)]
        return items if type(obj) is list else tuple(items)
    if type(obj) is dict:
        return {key: _template(item, f"{where}[{key!r}]", values, frozen)
                for key, item in obj.items()}
    if is_number(obj) or isinstance(obj, bool):
        frozen.append((where, obj))
    return obj


def fill_aux(template: object, values: Sequence[object]) -> Any:
    """The auxiliary outputs' structure with each ``AuxSlot`` replaced by this call's value."""
    if isinstance(template, AuxSlot):
        return values[template.position]
    if type(template) is list or type(template) is tuple:
        items = [fill_aux(item, values) for item in template]
        return items if type(template) is list else tuple(items)
    if type(template) is dict:
        return {key: fill_aux(item, values) for key, item in template.items()}
    return template


def aux_items(template: object, values: Sequence[object],
              where: str = "") -> Iterator[tuple[str, object]]:
    """(where, item) for every Value slot and plain number of the auxiliary outputs."""
    if isinstance(template, AuxSlot):
        yield where, values[template.position]
    elif type(template) is list or type(template) is tuple:
        for k, item in enumerate(template):
            yield from aux_items(item, values, f"{where}[{k}]")
    elif type(template) is dict:
        for key, item in template.items():
            yield from aux_items(item, values, f"{where}[{key!r}]")
    elif is_number(template) or isinstance(template, bool):
        yield where, template
