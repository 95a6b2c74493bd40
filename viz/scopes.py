"""Scopes in drawings: nested clusters from ``name_scope`` paths, and which scopes to collapse."""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable

#: How ``engine.name_scope`` joins nested scope names.
SEPARATOR = " / "

#: ``collapse=`` keywords and the scope-name prefix each one collapses (as ``nn`` names them).
KINDS = {"neuron": "Neuron", "layer": "Layer"}

Collapse = str | Collection[str] | None


def prefixes(scope: str) -> list[str]:
    """``"Layer 1 / Neuron 1.3"`` -> ``["Layer 1", "Layer 1 / Neuron 1.3"]``; ``""`` -> ``[]``."""
    if not scope:
        return []
    parts = scope.split(SEPARATOR)
    return [SEPARATOR.join(parts[: i + 1]) for i in range(len(parts))]


def leaf_name(scope: str) -> str:
    """The innermost name of a scope path: ``"Layer 1 / Neuron 1.3"`` -> ``"Neuron 1.3"``."""
    return scope.rsplit(SEPARATOR, 1)[-1]


def parent_scope(scope: str) -> str:
    """The enclosing scope path, ``""`` at the top: ``"Layer 1 / Neuron 1.3"`` -> ``"Layer 1"``."""
    return scope.rsplit(SEPARATOR, 1)[0] if SEPARATOR in scope else ""


def collapser(collapse: Collapse, scopes: Iterable[str]) -> Callable[[str], str | None]:
    """A function from a node's scope to the scope box it is drawn inside, or ``None``.

    Args:
        collapse: ``"neuron"`` or ``"layer"`` (every scope whose innermost name starts with
            ``Neuron`` / ``Layer``), a collection of scope names (full paths such as
            ``"Layer 1 / Neuron 1.3"`` or innermost names such as ``"Neuron 1.3"``), or ``None``.
        scopes: the scopes present in the graph, to check that named scopes exist.

    The outermost matching scope wins: collapsing a layer swallows its neurons.

    Raises:
        ValueError: an unknown keyword, or names that match no scope in the graph.
        TypeError: ``collapse`` is neither a string nor a collection of strings.
    """
    if collapse is None:
        return lambda scope: None
    match: Callable[[str], bool]
    if isinstance(collapse, str):
        if collapse not in KINDS:
            raise ValueError(
                f"collapse={collapse!r} is not one of {sorted(KINDS)}; to collapse named scopes "
                f"pass a set of names, e.g. collapse={{{collapse!r}}}"
            )
        stem = KINDS[collapse]
        def match(path: str) -> bool:
            return leaf_name(path).startswith(stem)
    else:
        if not isinstance(collapse, Collection) or not all(isinstance(n, str) for n in collapse):
            raise TypeError(
                f"collapse must be 'neuron', 'layer' or a collection of scope names, "
                f"got {collapse!r}"
            )
        names = set(collapse)
        present = {path for scope in scopes for path in prefixes(scope)}
        known = present | {leaf_name(path) for path in present}
        unknown = sorted(names - known)
        if unknown:
            shown = ", ".join(repr(p) for p in sorted(present)[:8]) or "none"
            raise ValueError(
                f"collapse names {unknown} match no scope in this graph; its scopes: {shown}"
            )
        def match(path: str) -> bool:
            return path in names or leaf_name(path) in names

    cache: dict[str, str | None] = {}

    def box_of(scope: str) -> str | None:
        if scope not in cache:
            cache[scope] = next((path for path in prefixes(scope) if match(path)), None)
        return cache[scope]

    return box_of
