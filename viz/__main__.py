"""``python -m viz "tanh(a*b + c)" a=2 b=-3 c=10 -o graph.svg``: draw an expression's graph.

``python -m viz step "tanh(a*b + c)" a=2 b=-3 c=10 -o steps.html`` writes the step-through
flipbook of its backward pass instead; ``python -m viz serve "tanh(a*b + c)" a=2 b=-3 c=10``
opens the live explorer (``--open`` starts a browser on it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from engine import Value

from .expr import ExpressionError, parse_expression, parse_variables
from .flipbook_writer import write_flipbook
from .names import describe
from .render import FORMATS, GraphvizNotFoundError, save


def _parser(prog: str, output: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("expression", help='arithmetic over the variables, e.g. "tanh(a*b + c)"')
    parser.add_argument("variables", nargs="*", metavar="name=value",
                        help="each variable's value, e.g. a=2 b=-3")
    parser.add_argument("-o", "--output", type=Path, default=Path(output),
                        help=f"file to write (default {output})")
    return parser


def draw_main(argv: list[str]) -> int:
    """Parse, run backward, draw to ``--output``; print the value and the gradients."""
    parser = _parser("python -m viz", "graph.svg", (__doc__ or "").split("\n")[0])
    parser.add_argument("--highlight", action="append", default=[], metavar="NAME",
                        help="colour every path from the output to this variable and list the "
                             "chain rule under the graph (repeatable)")
    parser.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR",
                        help="layout direction (default LR: inputs left, output right)")
    parser.add_argument("--no-local", action="store_true",
                        help="leave the local derivatives off the edges")
    args = parser.parse_intermixed_args(argv)
    if args.output.suffix.lower() not in FORMATS:
        parser.error(f"-o {args.output}: the name must end in one of {', '.join(FORMATS)}")
    try:
        root, leaves = _build(args.expression, args.variables)
        unknown = [name for name in args.highlight if name not in leaves]
        if unknown:
            raise ExpressionError(f"--highlight {unknown[0]!r} is not a declared variable")
        root.backward()
        highlight = [leaves[name] for name in args.highlight]
        path = save(root, args.output, rankdir=args.rankdir, highlight=highlight,
                    show_local=not args.no_local)
    except (ValueError, GraphvizNotFoundError) as error:  # ExpressionError, or too big to draw
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"{args.expression} = {root.data!r}")
    for name, leaf in leaves.items():
        print(f"  d/d{name} = {leaf.grad!r}")
    print(f"wrote {path}")
    return 0


def step_main(argv: list[str]) -> int:
    """Parse, then write the flipbook that walks backward one node at a time."""
    parser = _parser("python -m viz step", "steps.html",
                     "Write a page that steps through backward() node by node.")
    args = parser.parse_intermixed_args(argv)
    try:
        root, _ = _build(args.expression, args.variables)
        path = write_flipbook(root, args.output)
    except (ValueError, GraphvizNotFoundError) as error:  # ExpressionError, or too many steps
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


def _build(expression: str, assignments: list[str]) -> tuple[Value, dict[str, Value]]:
    root, leaves = parse_expression(expression, parse_variables(assignments))
    if not root._prev:
        print(f"note: {describe(root)!r} is a single leaf; the graph is one node", file=sys.stderr)
    return root, leaves


def main(argv: list[str] | None = None) -> int:
    """Dispatch to ``step`` when it comes first, else draw."""
    args = sys.argv[1:] if argv is None else list(argv)
    if args and args[0] == "step":
        return step_main(args[1:])
    if args and args[0] == "serve":
        from .serve import main as serve_main  # the live explorer (viz.serve)

        return serve_main(args[1:])
    return draw_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
