"""Vocabulary files: the phrase lists and synonym classes rules match, kept as data.

Each rule family keeps its words in ``linters/data/<name>.json`` (``segments.json`` is
the first). Rules read them through ``load`` so a word list is edited without touching
Python, and a policy file can extend a list with a company's own words.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def load(name: str) -> Any:
    """The parsed contents of ``linters/data/<name>.json`` (read once per process)."""
    path = resources.files("linters").joinpath("data", f"{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))
