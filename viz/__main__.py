"""``python -m viz``: draw an expression's graph, or step through its backward pass.

Each subcommand is one row of ``SUBCOMMANDS``; ``python -m viz EXPR ...`` without one draws.
``python -m viz serve "tanh(a*b + c)" a=2 b=-3 c=10`` opens the live explorer.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from engine import Value

from .expr import ExpressionError, parse_expression, parse_variables
from .flipbook_writer import write_flipbook
from .names import describe
from .render import FORMATS, GraphvizNotFoundError, save

#: The root's name when ``--name`` is not given: captions read ∂f/∂a.
ROOT_NAME = "f"


def _parser(prog: str, output: str, description: str) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    parser.add_argument("expression",
                        help='arithmetic over the variables, e.g. "tanh(a*b + c)" or "-a*b"')
    parser.add_argument("variables", nargs="*", metavar="name=value",
                        help="each variable's value, e.g. a=2 b=-3")
    parser.add_argument("-o", "--output", type=Path, default=Path(output),
                        help=f"file to write (default {output})")
    parser.add_argument("--name", default=ROOT_NAME,
                        help=f"the expression's name in captions and text (default {ROOT_NAME})")
    return parser


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """Parse ``argv``, taking an argument that starts with ``-`` but is no option of
    ``parser`` (``"-a*b"``, ``-2*x``) for the expression or a value, as a reader means it."""
    options = {o for action in parser._actions for o in action.option_strings}
    protected = []
    for arg in argv:
        if arg == "--":
            continue
        option = arg.split("=", 1)[0]
        if arg.startswith("-") and option not in options and arg != "-":
            arg = " " + arg  # argparse reads a leading space as a positional; the parser strips it
        protected.append(arg)
    return parser.parse_intermixed_args(protected)


def draw_main(argv: list[str]) -> int:
    """Parse, run backward, draw to ``--output``; print the value and the gradients."""
    parser = _parser("python -m viz draw", "graph.svg", "Draw an expression's graph.")
    parser.add_argument("--highlight", action="append", default=[], metavar="NAME",
                        help="colour every path from the output to this variable and list the "
                             "chain rule under the graph (repeatable)")
    parser.add_argument("--rankdir", choices=["LR", "TB", "RL", "BT"], default="LR",
                        help="layout direction (default LR: inputs left, output right)")
    parser.add_argument("--no-local", action="store_true",
                        help="leave the local derivatives off the edges")
    args = _parse(parser, argv)
    if args.output.suffix.lower() not in FORMATS:
        parser.error(f"-o {args.output}: the name must end in one of {', '.join(FORMATS)}")
    try:
        root, leaves = _build(args.expression, args.variables, args.name)
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
    print(f"{args.expression.strip()} = {root.data!r}")
    for name, leaf in leaves.items():
        print(f"  d{args.name}/d{name} = {leaf.grad!r}")
    print(f"wrote {path}")
    return 0


def step_main(argv: list[str]) -> int:
    """Parse, then write the flipbook that walks backward one node at a time."""
    parser = _parser("python -m viz step", "steps.html",
                     "Write a page that steps through backward() node by node.")
    args = _parse(parser, argv)
    try:
        root, _ = _build(args.expression, args.variables, args.name)
        path = write_flipbook(root, args.output)
    except (ValueError, GraphvizNotFoundError) as error:  # ExpressionError, or too big
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


def _build(expression: str, assignments: list[str], name: str = ROOT_NAME
           ) -> tuple[Value, dict[str, Value]]:
    root, leaves = parse_expression(expression.strip(), parse_variables(assignments))
    if not root._prev:
        print(f"note: {describe(root)!r} is a single leaf; the graph is one node", file=sys.stderr)
    elif not root.label:
        root.label = name
    return root, leaves


def serve_main(argv: list[str]) -> int:
    """The live explorer (``viz.serve``), imported only when asked for."""
    from .serve import main as serve

    return serve(argv)


#: Each subcommand: its main function and a line of help with an example.
SUBCOMMANDS: dict[str, tuple[Callable[[list[str]], int], str]] = {
    "draw": (draw_main, 'draw the graph (the default): python -m viz draw "tanh(a*b + c)" '
                        "a=2 b=-3 c=10 -o graph.svg"),
    "step": (step_main, 'write the step-through flipbook: python -m viz step "-a*b + c" '
                        "a=2 b=-3 c=10 -o steps.html"),
    "serve": (serve_main, 'open the live explorer: python -m viz serve "tanh(a*b + c)" '
                          "a=2 b=-3 c=10 --open"),
}


def usage() -> str:
    """The top-level help: every subcommand with an example."""
    width = max(len(name) for name in SUBCOMMANDS)
    rows = [f"  {name:<{width}}  {text}" for name, (_, text) in SUBCOMMANDS.items()]
    return "\n".join([
        "usage: python -m viz [SUBCOMMAND] EXPRESSION [name=value ...] [options]",
        "",
        "Draw a scalar expression's graph with its local derivatives, or step through its",
        "backward pass. Without a subcommand, python -m viz draws.",
        "",
        "subcommands:",
        *rows,
        "",
        "python -m viz SUBCOMMAND --help lists the options of one.",
    ])


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the subcommand named first; draw when none is."""
    args = sys.argv[1:] if argv is None else list(argv)
    if not args or args[0] in ("-h", "--help"):
        print(usage())
        return 0 if args else 2
    if args[0] in SUBCOMMANDS:
        run, _ = SUBCOMMANDS[args[0]]
        return run(args[1:])
    return draw_main(args)


if __name__ == "__main__":
    raise SystemExit(main())
