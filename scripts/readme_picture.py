"""Draw the README's picture: the lecture's neuron after backward, local derivatives on its edges.

Run from the repository root: ``python scripts/readme_picture.py`` rewrites
``docs/images/neuron.svg``; tests/test_docs_links.py draws it again and checks the committed file
shows the same labels, values, gradients and local derivatives.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from demos.worked import lecture_neuron
from viz import save

PICTURE = Path(__file__).resolve().parent.parent / "docs" / "images" / "neuron.svg"


def draw(path: Path) -> Path:
    """Write o = tanh(x1 w1 + x2 w2 + b) at the lecture's point, after ``o.backward()``, to
    ``path`` (an .svg), with every edge labelled d out / d parent."""
    out = lecture_neuron()["o"]
    out.backward()
    return save(out, path)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=PICTURE, help=f"default {PICTURE}")
    print(draw(parser.parse_args(argv).out))


if __name__ == "__main__":
    main()
