"""``python -m demos``: run every demo with its defaults and write ``out/index.html``."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from demos import abc, explore, lab1, newton, notebooks, steps, worked
from demos.report import Section, write_index

# Each demo module offers ``report(out_root) -> Section``: it runs with its defaults, writes its
# files under ``out_root`` and says what it wrote. The report lists them in this order.
# explore writes nothing: it says how to start the explorer. notebooks runs notebooks/.
DEMOS = (worked, abc, steps, lab1, newton, notebooks, explore)


def main(argv: list[str] | None = None) -> int:
    """Run the demos in turn, then link everything they wrote from one index page."""
    parser = argparse.ArgumentParser(prog="python -m demos", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out"), help="report folder (out)")
    args = parser.parse_args(argv)
    sections: list[Section] = []
    for demo in DEMOS:
        name = demo.__name__.rsplit(".", 1)[-1]
        print(f"\n=== demos.{name} ===", flush=True)
        started = time.perf_counter()
        sections.append(demo.report(args.out))
        print(f"(demos.{name}: {time.perf_counter() - started:.1f} s)")
    index = write_index(args.out, sections)
    print(f"\nReport: {index.resolve()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
