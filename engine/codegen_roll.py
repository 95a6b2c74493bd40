"""engine.jit's loops: a run of alike blocks in a plan, written once and run in a ``for`` loop.

A loss over a batch written as a Python loop (``sum(loss(model(x), y) for x, y in data)``)
records the same ops once per sample: blocks of nodes that differ only in the sample's leaves.
Written straight, the code grows with the batch, and so does Python's ``compile()`` of it (about
a microsecond per syntax node). ``find_region`` finds the longest run of such blocks in the
topological order, so the code generator writes one block as a loop body over ``_s`` instead.

A block may read, besides its own nodes, only leaves: a leaf shared by every block (a parameter,
a constant) by its name, or a different leaf per block (the sample's data, which must not want a
gradient) through a tuple ``_in<k>`` indexed by ``_s``. Its values used after the run (the
sample's loss) go into lists ``_out<k>``, and the values its backward reads into ``_saved``.
The loop changes no float operation and no order of them: backward runs the blocks last first,
as ``Value.backward`` walks them, and a shared leaf's gradient is summed from ``-0.0`` (the
additive identity of IEEE floats, also for signed zeros), term by term in the same order.
"""

from __future__ import annotations

import operator
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from .codegen_plan import MAX_DEPTH, NodePlan

#: The fewest nodes a loop must save before the code is rolled: smaller graphs stay straight
#: (they compile in milliseconds, and straight code is the easier read).
ROLL_AT_LEAST = 1000

#: How many of the commonest distances between alike nodes are tried as the block length.
_CANDIDATES = 8

#: How many first positions of a run are tried as block 0's start (the nodes just before the
#: first block can match the end of a block, so a run may start a little early).
_PHASES = 64

_RUN = re.compile(b"\x01+")


@dataclass(frozen=True)
class Region:
    """``count`` blocks of ``period`` nodes from position ``start``, alike node for node.

    Attributes:
        start: the position of block 0's first node; block ``s`` starts at
            ``start + s * period``.
        period: nodes per block.
        count: blocks.
        operands: ``(j, k) -> text`` for the k-th operand of block position j when it is a
            leaf that is not the same node in every block (``_in0[_s]``, or a literal that every
            block's constant prints as).
        columns: the per-block leaf texts of each ``_in<k>`` tuple.
        exported: block positions whose values are used after the region, in order.
        saved: block positions whose values the backward reads, in order.
        shared: positions (outside the region) of the leaves that want a gradient from every
            block, in the order the backward first meets them.
    """

    start: int
    period: int
    count: int
    operands: dict[tuple[int, int], str]
    columns: list[tuple[str, ...]]
    exported: list[int]
    saved: list[int]
    shared: list[int]

    @property
    def end(self) -> int:
        """The position after the last block."""
        return self.start + self.count * self.period

    def at(self, block: int, j: int) -> int:
        """The position of block position ``j`` in block ``block``."""
        return self.start + block * self.period + j


def find_region(records: Sequence[NodePlan], at_least: int = ROLL_AT_LEAST) -> Region | None:
    """The run of alike blocks that saves the most op nodes (at least ``at_least``), or None.

    Blocks are runs of node shapes (``NodePlan.shape``) that repeat with a period: the period
    is guessed from where the shapes that occur equally often (once a block) recur, then
    every stretch where ``shape[i] == shape[i + period]`` is a candidate.
    """
    if len(records) < 2 * at_least:
        return None
    shape = [record.shape for record in records]
    counts = Counter(shape)
    periods: set[int] = set()
    for times, _ in Counter(counts.values()).most_common(_CANDIDATES):
        if times < 2:
            continue
        for value in [v for v, n in counts.items() if n == times][:3]:
            at, where = -1, []
            for _ in range(times):
                at = shape.index(value, at + 1)
                where.append(at)
            periods.add(Counter(map(operator.sub, where[1:], where)).most_common(1)[0][0])
    runs = []
    for period in periods:
        same = bytes(map(operator.eq, shape, shape[period:]))
        for match in _RUN.finditer(same):
            first, stop = match.span()  # shape[i] == shape[i + period] for first <= i < stop
            if stop - first >= at_least:
                runs.append((stop - first, first, stop, period))
    for _, first, stop, period in sorted(runs, reverse=True):
        for start in range(first, min(first + period, first + _PHASES, stop)):
            count = (stop - start) // period + 1
            if (count - 1) * period < at_least:
                break
            region = _region(records, start, period, count, at_least)
            if region is not None:
                return region
    return None


def _region(records: Sequence[NodePlan], start: int, period: int, count: int,
            at_least: int) -> Region | None:
    """The region of ``count`` blocks at ``start`` if code can loop over it and that saves
    ``at_least`` op nodes, else None."""
    end = start + count * period
    ops = sum(1 for record in records[start:start + period] if record.code is not None)
    if end > len(records) - 1 or (count - 1) * ops < at_least:  # the output stays outside
        return None
    inside = [0] * period
    for j in range(period):
        record = records[start + j]
        if record.code is None:
            continue
        for p in record.parents:
            if records[p].code is not None:
                if p < start:  # an op node before the block: not a loop over samples
                    return None
                inside[p - start] += 1
    users = [record.users for record in records[start:end]]
    if any(users[s * period:(s + 1) * period] != users[:period] for s in range(1, count)):
        return None  # a block whose node is used after the region where block 0's is not
    columns: dict[tuple[str, ...], int] = {}
    operands: dict[tuple[int, int], str] = {}
    shared: dict[int, None] = {}
    for j in range(period - 1, -1, -1):
        record = records[start + j]
        if record.code is None:
            continue
        for k, p in enumerate(record.parents):
            if records[p].code is not None:
                continue
            at = [records[start + s * period + j].parents[k] for s in range(count)]
            if at.count(p) == count:
                if records[p].needs and record.needs:
                    shared[p] = None
                continue
            texts = tuple(records[q].name for q in at)
            if any(records[q].needs for q in at):
                return None  # a sample's own leaf wants a gradient: keep it straight
            if texts.count(texts[0]) == count:
                operands[j, k] = texts[0]
            else:
                operands[j, k] = f"_in{columns.setdefault(texts, len(columns))}[_s]"
    exported = [j for j in range(period)
                if records[start + j].code is not None and records[start + j].users > inside[j]]
    if not _uniform_outside_terms(records, start, period, count, exported):
        return None
    saved = sorted(_read_by_backward(records, start, period))
    return Region(start, period, count, operands, list(columns), exported, saved, list(shared))


def _uniform_outside_terms(records: Sequence[NodePlan], start: int, period: int, count: int,
                           exported: list[int]) -> bool:
    """Every block's exported node gets as many gradient terms from after the region."""
    end = start + count * period
    terms = Counter[int]()
    for record in records[end:]:
        if record.needs:
            for p in record.parents:
                if start <= p < end and records[p].needs:
                    terms[p] += 1
    for j in exported:
        found = {terms[start + s * period + j] for s in range(count)}
        if len(found) != 1 or found.pop() > MAX_DEPTH:
            return False
    return True


def _read_by_backward(records: Sequence[NodePlan], start: int, period: int) -> set[int]:
    """Block positions whose values block 0's backward reads (its wanted gains' operands)."""
    read = set()
    for j in range(period):
        record = records[start + j]
        if record.code is None or not record.needs:
            continue
        n = len(record.parents)
        for hole in record.reads:
            if hole == n:
                read.add(j)
            elif hole < n and records[record.parents[hole]].code is not None:
                read.add(record.parents[hole] - start)
    return read
