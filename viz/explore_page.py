"""The explorer's front-end files (package data in ``viz/web``), read with importlib.resources.

The served page is ``explorer.html`` with the start-up source and presets as JSON; the notebook
widget gets the same script as one ES module (``widget_module``) and the same stylesheet.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from importlib import resources
from typing import Any

#: Files the server hands out under ``/static/``, with their content types (nothing else is read).
ASSETS = {
    "explorer.js": "text/javascript; charset=utf-8",
    "explorer-page.js": "text/javascript; charset=utf-8",
    "explorer.css": "text/css; charset=utf-8",
}


@functools.cache
def asset(name: str) -> str:
    """The text of one front-end file (``ASSETS`` and the page template only)."""
    if name not in ASSETS and name != "explorer.html" and name != "explorer-widget.js":
        raise ValueError(f"{name!r} is not one of the explorer's files")
    return (resources.files("viz") / "web" / name).read_text(encoding="utf-8")


def page_html(start: Mapping[str, Any], presets: Sequence[Mapping[str, Any]]) -> str:
    """The page: the template with the start-up source and the presets in its JSON island."""
    config = json.dumps({"start": dict(start), "presets": list(presets)}, allow_nan=False)
    # "</" inside a script element would end it early; JSON allows the escaped form.
    return asset("explorer.html").replace("__CONFIG__", config.replace("</", "<\\/"))


def widget_module() -> str:
    """One ES module for anywidget: the explorer's script, then the widget's ``render``."""
    return "\n".join([asset("explorer.js"), asset("explorer-widget.js")])
