"""The explorer's front end: its files in ``viz/web`` beside the shared graph view and stepper,
bundled by ``viz.frontend`` into one ES module for the page (``/app.js``) and the widget."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from . import frontend

#: The explorer's modules, each after the ones it imports (the stepper brings the graph view).
MODULES = (*frontend.STEPPER_MODULES, "explorer.js")

#: Stylesheets the server hands out under ``/static/``, nothing else.
STYLESHEETS = (frontend.STYLESHEET, "explorer.css")


def page_script() -> str:
    """The served page's one ES module (``/app.js``)."""
    return frontend.bundle([*MODULES, "explorer_page.js"])


def widget_module() -> str:
    """The widget's one ES module (anywidget's ``_esm``), ending in ``export default``."""
    return frontend.bundle([*MODULES, "explorer_widget.js"])


def stylesheet(name: str) -> str:
    """One of ``STYLESHEETS``."""
    if name not in STYLESHEETS:
        raise ValueError(f"{name!r} is not one of the explorer's stylesheets")
    return frontend.asset(name)


def widget_css() -> str:
    """Both stylesheets, for the widget (it has no page of its own)."""
    return "\n".join(frontend.asset(name) for name in STYLESHEETS)


def page_html(start: Mapping[str, Any], presets: Sequence[Mapping[str, Any]]) -> str:
    """The page: the template with the start-up source and the presets as JSON."""
    config = {"start": dict(start), "presets": list(presets)}
    return frontend.fill(frontend.asset("explorer.html"), {"config": frontend.script_json(config)})
