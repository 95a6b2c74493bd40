"""``python -m demos.abc``: the A/B/C demo's command line (see ``demos.abc.cli``)."""

from demos.abc.cli import main

raise SystemExit(main())
