"""Shared test set-up: skip torch-, dot- and browser-marked tests when their tools are absent."""

from __future__ import annotations

import importlib.util
import os
import shutil

import pytest
from hypothesis import settings

# Locally hypothesis explores new inputs on every run (and remembers failures in .hypothesis/);
# under CI the examples are derived from each test's name, so a run there repeats exactly.
settings.register_profile("ci", derandomize=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    missing = {
        "torch": importlib.util.find_spec("torch") is None,
        "dot": shutil.which("dot") is None,
        "browser": shutil.which("chromium") is None or shutil.which("chromedriver") is None,
    }
    reasons = {
        "torch": "torch is not installed (make test installs torch==2.13.0)",
        "dot": "the Graphviz dot program is missing (apt-get install graphviz)",
        "browser": "chromium/chromedriver are missing (apt-get install chromium chromium-driver)",
    }
    for item in items:
        for marker, absent in missing.items():
            if absent and marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reasons[marker]))
