"""The front end's files (``viz/web/``: HTML, CSS, ES modules) read as package data, bundled
into one ES module, and filled into the offline flipbook page. See docs/frontend.md."""

from __future__ import annotations

import json
import re
from importlib import resources

#: The ES modules of the graph view and the stepper, each after the ones it imports.
STEPPER_MODULES = ("graph_view.js", "stepper.js")

#: The stylesheet every page of the front end uses.
STYLESHEET = "glassgrad.css"

# An import of a sibling file: the bundle holds that file already, in one module scope.
_SIBLING_IMPORT = re.compile(r'^import \{[^}]*\} from "\./[\w.]+\.js";\n', re.M)


def asset(name: str) -> str:
    """The text of one file of ``viz/web/`` (``"stepper.js"``, ``"glassgrad.css"``...)."""
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"asset names are plain file names in viz/web/, got {name!r}")
    return resources.files("viz").joinpath("web", name).read_text(encoding="utf-8")


def bundle(names: tuple[str, ...] | list[str] = STEPPER_MODULES) -> str:
    """The ES modules ``names`` as ONE ES module: their text in order, without the imports of
    each other (a page inlines it, a server sends it, an anywidget takes it as ``_esm``).

    The modules import siblings only as ``import { A, B } from "./file.js";`` on one line, and
    their top-level names differ, so concatenation is a correct bundle.
    """
    return "\n".join(_SIBLING_IMPORT.sub("", asset(name)) for name in names)


def script_json(data: object) -> str:
    """``data`` as JSON safe inside ``<script type="application/json">`` (``</`` escaped)."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).replace("</", "<\\/")


def fill(template: str, slots: dict[str, str]) -> str:
    """``template`` with each ``<!--gg:NAME-->`` replaced by ``slots[NAME]`` (in one pass, so
    a slot's text is never searched for further slots)."""
    def replace(match: re.Match[str]) -> str:
        return slots[match[1]]
    return re.sub(r"<!--gg:(\w+)-->", replace, template)
