"""engine.jit's emitter: a plan (``codegen_plan``) written as the lines of one generator function.

Forward lines in topological order, then the chain rule from the output back, with a
``# scope`` comment wherever the scope changes. A region of alike blocks
(``codegen_roll.Region``) is written once, as the body of a ``for _s`` loop, forward and back.
"""

from __future__ import annotations

from .codegen_plan import MAX_DEPTH, NodePlan
from .codegen_roll import Region
from .symbolic import ATOM, SUM

_OUTER = " " * 4
_BODY = " " * 8


def comment(text: str) -> str:
    """``text`` on one line, for a ``#`` comment."""
    return " ".join(text.split())


def wrapped(head: str, text: str, width: int = 96, indent: str = _OUTER) -> list[str]:
    """The line ``head + text``, broken at spaces inside brackets when it is wider than
    ``width`` (the generated code has no strings, so every space sits between two tokens):
    each continuation line, indented one step past ``indent``, holds as many words as fit, or
    one word wider than the line."""
    if len(head) + len(text) <= width:
        return [head + text]
    bracketed = text.startswith("(") and text.endswith(")") and text.count("(") == 1
    rest = text[1:-1] if bracketed else text
    lines = [f"{head}("]
    inner = indent + _OUTER
    room = width - len(inner)
    while len(rest) > room:
        cut = rest.rfind(" ", 0, room + 1)
        if cut <= 0:  # a first word wider than the line: it stands alone
            cut = rest.find(" ", 1)
            if cut < 0:
                break
        lines.append(inner + rest[:cut].rstrip())
        rest = rest[cut + 1:]
    lines.append((inner + rest).rstrip())
    lines.append(f"{indent})")
    return lines


def _tuple(texts: list[str] | tuple[str, ...]) -> str:
    return f"({', '.join(texts)},)"


class Emitter:
    """Writes a plan as the lines of one generator function and counts what it wrote.

    Attributes:
        names: the text that code outside a region reads each node's value by (its name; for
            a region's exported node, its slot in ``_out<k>``).
        grad: the text holding each node's gradient, by position (after ``backward``).
        terms: per node, the terms of its gradient not yet summed (after ``backward``: the
            leaves', summed by ``settle``).
    """

    def __init__(self, records: list[NodePlan], region: Region | None = None) -> None:
        self.records = records
        self.region = region
        self.lines: list[str] = []
        self.scope: str | None = ""
        self.indent = _OUTER
        self.forward_lines = 0
        self.backward_lines = 0
        self.edges = 0
        self.names = [record.name for record in records]
        self.grad: dict[int, str] = {}
        self.terms: list[list[str] | None] = [None] * len(records)
        self.bare = [False] * len(records)  # the only term is an upstream gradient, unscaled
        if region is not None:
            for k, j in enumerate(region.exported):
                for block in range(region.count):
                    records[region.at(block, j)].named = True
                    self.names[region.at(block, j)] = f"_out{k}[{block}]"

    def section(self, title: str) -> None:
        self.lines.append(f"{self.indent}# {title}")
        self.scope = ""

    def write(self, scope: str, lines: list[str]) -> None:
        if scope != self.scope:
            self.scope = scope
            self.lines.append(f"{self.indent}# {comment(scope) or '(no scope)'}")
        self.lines.extend(lines)

    def assign(self, scope: str, name: str, text: str) -> None:
        self.write(scope, wrapped(f"{self.indent}{name} = ", text, indent=self.indent))

    # --- forward ---------------------------------------------------------------------------------

    def forward(self) -> None:
        """A line per named op node in topological order: ``v12 = v10 * v11``; an inlined
        node's expression goes into its user's line, in the same order of operations."""
        self.section("forward: every node's value, in topological order")
        exprs = [(name, ATOM) for name in self.names]
        depth = [0] * len(self.records)
        region = self.region
        if region is None:
            self._forward(0, len(self.records), exprs, depth)
        else:
            self._forward(0, region.start, exprs, depth)
            self._forward_loop(region, exprs, depth)
            self._forward(region.end, len(self.records), exprs, depth)
        self.lines.append(f"    yield {self.names[-1]}")

    def _forward(self, lo: int, hi: int, exprs: list[tuple[str, int]], depth: list[int],
                 operands: dict[tuple[int, int], str] | None = None) -> None:
        records = self.records
        for i in range(lo, hi):
            record = records[i]
            code = record.code
            if code is None:
                continue
            parents = record.parents
            args = list(map(exprs.__getitem__, parents))
            if operands:
                for k in range(len(parents)):
                    text = operands.get((i - lo, k))
                    if text is not None:
                        args[k] = (text, ATOM)
            value = code.forward.fill_texts(args)
            deepest = 0
            for p in parents:
                if depth[p] > deepest:
                    deepest = depth[p]
            if not record.named and deepest + 1 < MAX_DEPTH:
                exprs[i] = value
                depth[i] = deepest + 1
                continue
            record.named = True
            self.assign(record.node.scope, record.name, value[0])
            self.forward_lines += 1

    def _forward_loop(self, region: Region, exprs: list[tuple[str, int]],
                      depth: list[int]) -> None:
        records, start = self.records, region.start
        self.section(f"forward: {region.count} blocks of {region.period} nodes alike, one "
                     f"loop (each block's own leaves in _in<k>, its results in _out<k>)")
        for k, texts in enumerate(region.columns):
            self.assign("", f"_in{k}", _tuple(texts))
        for k in range(len(region.exported)):
            self.lines.append(f"    _out{k} = [None] * {region.count}")
        if region.saved:
            self.lines.append(f"    _saved = [None] * {region.count}")
        self.lines.append(f"    for _s in _range({region.count}):")
        self.indent, self.scope = _BODY, None
        for j in region.exported:  # inside the body, block 0's names
            exprs[start + j] = (records[start + j].name, ATOM)
        self._forward(start, start + region.period, exprs, depth, region.operands)
        for k, j in enumerate(region.exported):
            self.lines.append(f"        _out{k}[_s] = {records[start + j].name}")
            exprs[start + j] = (self.names[start + j], ATOM)
        if region.saved:
            saved = [records[start + j].name for j in region.saved]
            self.assign("", "_saved[_s]", _tuple(saved))
        self.indent, self.scope = _OUTER, None

    # --- backward --------------------------------------------------------------------------------

    def backward(self) -> dict[int, str]:
        """``Value.backward``'s chain rule, one line per node: its gradient is the sum of what
        its uses give it, in the order backward adds them (summing from the first term instead
        of 0.0 can only change the sign of a zero). A use that passes the upstream gradient
        unchanged (an add) to a parent with no other use hands it over by name.

        Returns:
            The name holding each node's gradient, by position.
        """
        self.section("backward: d output / d node, each the sum over the node's uses")
        records = self.records
        last = len(records) - 1
        if records[last].needs:
            self.grad[last] = f"d{records[last].name}"
            self.lines.append(f"    {self.grad[last]} = 1.0")
        region = self.region
        if region is None:
            self._backward(last, -1, self.names)
        else:
            self._backward(last, region.end - 1, self.names)
            self._backward_loop(region)
            self._backward(region.start - 1, -1, self.names)
        return self.grad

    def _backward(self, hi: int, lo: int, names: list[str],
                  operands: dict[tuple[int, int], str] | None = None,
                  leaf_terms: dict[int, list[str]] | None = None) -> int:
        """The chain rule at nodes ``hi`` down to ``lo + 1``; returns the edges it wrote."""
        records, terms, grad, last = self.records, self.terms, self.grad, len(self.records) - 1
        edges = 0
        for i in range(hi, lo, -1):
            record = records[i]
            code = record.code
            if code is None or not record.needs:
                continue
            if i != last:
                self.settle(i, terms[i] or [])
            parents = record.parents
            args = list(map(names.__getitem__, parents))
            if operands:
                for k in range(len(parents)):
                    text = operands.get((i - lo - 1, k))
                    if text is not None:
                        args[k] = text
            args.append(record.name)
            args.append(grad[i])
            for k, p in enumerate(parents):
                if records[p].needs:
                    gain = code.grads[k]
                    text = gain.fill_names(args)
                    found = leaf_terms.get(p) if leaf_terms else None
                    if found is None:
                        found = terms[p]
                    if found is None:
                        terms[p] = [text if gain.level >= SUM else f"({text})"]
                    else:
                        found.append(text if gain.level > SUM else f"({text})")
                    self.bare[p] = code.passes[k]
                    edges += 1
        self.edges += edges
        return edges

    def _backward_loop(self, region: Region) -> None:
        """The blocks' chain rule, last block first: what reaches each exported node from after
        the region (``_gout<k>``) and each shared leaf's sum so far, then the loop."""
        records, terms, start = self.records, self.terms, region.start
        body = range(start, start + region.period)
        if not any(records[i].needs for i in body):
            return
        self.section(f"backward through the {region.count} blocks, the last one first")
        first: dict[int, str] = {}
        for k, j in enumerate(region.exported):
            outside = [" + ".join(terms[region.at(block, j)] or ())
                       for block in range(region.count)]
            if outside.count(outside[0]) == region.count:  # one gradient for every block
                if outside[0]:
                    first[j] = outside[0]
            else:
                self.assign("", f"_gout{k}", _tuple(outside))
                first[j] = f"_gout{k}[_s]"
        for p in region.shared:  # the loop adds to these names
            self.settle(p, terms[p] or ["-0.0"], alias=False)
        self.lines.append(f"    for _s in _range({region.count - 1}, -1, -1):")
        self.indent, self.scope = _BODY, None
        if region.saved:
            saved = [records[start + j].name for j in region.saved]
            lines = wrapped(self.indent, _tuple(saved), indent=self.indent)
            lines[-1] += " = _saved[_s]"
            self.lines.extend(lines)
        for i in body:
            if records[i].code is not None:
                terms[i] = [first[i - start]] if i - start in first else None
                self.bare[i] = False
        names = self.names
        for j in region.exported:  # inside the body, block 0's names (as in _forward_loop)
            names[start + j] = records[start + j].name
        leaf_terms: dict[int, list[str]] = {p: [f"d{records[p].name}"] for p in region.shared}
        edges = self._backward(start + region.period - 1, start - 1, names, region.operands,
                               leaf_terms)
        for k, j in enumerate(region.exported):
            names[start + j] = f"_out{k}[0]"
        self.edges += edges * (region.count - 1)
        for p in region.shared:
            self.settle(p, leaf_terms[p])
            terms[p] = [f"d{records[p].name}"]
            self.bare[p] = False
        self.indent, self.scope = _OUTER, None

    def settle(self, i: int, found: list[str], alias: bool = True) -> None:
        """Write (or alias) the gradient of node ``i``: every term is known by now."""
        record = self.records[i]
        name = f"d{record.name}"
        if len(found) == 1 and (found[0] == name or (alias and self.bare[i])):
            self.grad[i] = found[0]  # one use, passed on unchanged: the same number
            return
        self.grad[i] = name
        head = f"{self.indent}{name} = "
        written = wrapped(head, " + ".join(found[:MAX_DEPTH]), indent=self.indent)
        for start in range(MAX_DEPTH, len(found), MAX_DEPTH):
            more = " + ".join(found[start:start + MAX_DEPTH])
            written += wrapped(head, f"{name} + {more}", indent=self.indent)
        self.write(record.node.scope, written)
        self.backward_lines += 1
