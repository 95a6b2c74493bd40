"""The notebooks under notebooks/, executed top to bottom and rendered to HTML (``make demo``).

    python -m demos.notebooks                   # every notebook -> out/notebooks/<name>.html
    python -m demos.notebooks 03_lab1           # one of them

The notebooks are Jupytext Markdown (notebooks/README.md says why): ``jupytext`` reads one into
a notebook, ``nbclient`` runs it on the ``python3`` kernel of the interpreter running this (the
project's venv), in the folder the HTML goes to (a notebook's own files, such as a flipbook,
land beside it), and ``nbconvert`` writes the page. A cell tagged ``thumbnail`` gives the picture
that ``out/index.html`` shows for the notebook.
"""

from __future__ import annotations

import argparse
import base64
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from demos.report import Link, Section

#: The repository (demos/ sits in it; ``make demo`` installs the project editable).
ROOT = Path(__file__).resolve().parent.parent
FOLDER = ROOT / "notebooks"

#: What each notebook is, for the report, by file name.
TITLES = {
    "01_backprop_by_hand": ("Backprop by hand",
                            "the lecture's path: a Value, its graph, every derivative by hand, "
                            "_backward() node by node, backward(), PyTorch beside it, the flipbook "
                            "and the explorer"),
    "02_abc_homework": ("The A/B/C homework",
                        "the matrix chain rule by hand, engine vs hand vs torch, gradient descent, "
                        "and what backprop saves over finite differences"),
    "03_lab1": ("Lab 1",
                "the MLP on the linear and XOR tasks: learning curves, decision boundaries and "
                "the learning-rate sweep, with short settings"),
}


@dataclass(frozen=True)
class Executed:
    """One notebook after a run: the notebook (outputs filled in) and its wall time."""

    name: str
    book: Any  # nbformat.NotebookNode
    seconds: float


def notebook_paths(names: list[str] | None = None) -> list[Path]:
    """The notebooks in ``notebooks/`` (``NN_name.md``), in order; ``names`` picks some."""
    paths = sorted(FOLDER.glob("[0-9][0-9]_*.md"))
    if names:
        known = {path.stem: path for path in paths}
        missing = [name for name in names if name not in known]
        if missing:
            raise ValueError(f"no notebook named {', '.join(missing)}; have {', '.join(known)}")
        paths = [known[name] for name in names]
    return paths


def execute(path: Path, cwd: Path, timeout: int = 600) -> Executed:
    """Run the notebook at ``path`` top to bottom in a fresh kernel whose working folder is
    ``cwd``; a cell that raises stops the run with ``nbclient.exceptions.CellExecutionError``.

    The kernel imports this checkout's packages (its folder goes first on ``PYTHONPATH``), so
    a notebook runs the code beside it even where another copy of glassgrad is installed.
    """
    import jupytext
    import nbclient

    book = jupytext.read(path)
    cwd.mkdir(parents=True, exist_ok=True)
    client = nbclient.NotebookClient(book, timeout=timeout, kernel_name="python3",
                                     resources={"metadata": {"path": str(cwd)}})
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    started = time.perf_counter()
    # MPLBACKEND: matplotlib's inline backend, whatever a user's matplotlibrc says.
    client.execute(env={**os.environ, "PYTHONPATH": os.pathsep.join(paths),
                        "MPLBACKEND": "module://matplotlib_inline.backend_inline"})
    return Executed(path.stem, book, time.perf_counter() - started)


def render(run: Executed, folder: Path) -> Path:
    """Write the executed notebook as ``folder/<name>.html`` (nbconvert's page, outputs in it)."""
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(run.book)
    page = folder / f"{run.name}.html"
    page.write_text(body, encoding="utf-8")
    return page


def thumbnail(run: Executed, folder: Path) -> Path | None:
    """Save the picture of the cell tagged ``thumbnail`` (SVG or PNG) as ``<name>_figure.*``."""
    for cell in run.book.cells:
        if "thumbnail" not in cell.get("metadata", {}).get("tags", []):
            continue
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if "image/svg+xml" in data:
                path = folder / f"{run.name}_figure.svg"
                path.write_text(data["image/svg+xml"], encoding="utf-8")
                return path
            if "image/png" in data:
                path = folder / f"{run.name}_figure.png"
                path.write_bytes(base64.b64decode(data["image/png"]))
                return path
    return None


def run_all(out: Path, names: list[str] | None = None) -> list[Link]:
    """Execute and render the notebooks into ``out``; returns a link per page (and picture)."""
    links = []
    for path in notebook_paths(names):
        run = execute(path, out)
        page = render(run, out)
        print(f"{run.name}: executed in {run.seconds:.1f} s -> {page}", flush=True)
        title, line = TITLES.get(run.name, (run.name, "a notebook"))
        picture = thumbnail(run, out)
        links.append(Link(f"{out.name}/{page.name}", title, line,
                          figure=f"{out.name}/{picture.name}" if picture else None))
    return links


def report(out_root: Path) -> Section:
    """Execute every notebook into ``out_root/notebooks`` and describe the pages."""
    links = run_all(out_root / "notebooks")
    return Section("Notebooks",
                   "The lecture, the A/B/C homework and Lab 1 as notebooks, executed top to "
                   "bottom and rendered (open notebooks/*.md in Jupyter with jupytext to run "
                   "them yourself).", links)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m demos.notebooks", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="notebooks to run, e.g. 03_lab1 (all)")
    parser.add_argument("--out", type=Path, default=Path("out/notebooks"),
                        help="folder of the pages (out/notebooks)")
    args = parser.parse_args(argv)
    try:
        run_all(args.out, args.names or None)
    except ValueError as error:
        parser.error(str(error))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
