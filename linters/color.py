"""Colour for terminal reports: on for a terminal, off for pipes and files, off with NO_COLOR.

Follows https://no-color.org: a non-empty ``NO_COLOR`` turns colour off whatever else
says; ``FORCE_COLOR`` turns it on for pipes (CI logs); ``--color always|never`` wins
over both except NO_COLOR.
"""

from __future__ import annotations

import os
import re
from typing import TextIO

_CODES = {"block": "1;31", "hold": "1;33", "rewrite": "33", "warn": "36", "rule": "1", "ok": "32"}
_ACTION = re.compile(r"\[(block|hold|rewrite|warn)\]|\b(BLOCK|HOLD|REWRITE)\b")
_RULE = re.compile(r"\bSG\d{3}\b")
_ALLOW = re.compile(r"\bALLOW\b|All templates passed\.")


def wants_color(choice: str, stream: TextIO) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if choice != "auto":
        return choice == "always"
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


def _paint(code: str, text: str) -> str:
    return f"\033[{code}m{text}\033[0m"


def colorize(report: str) -> str:
    """Rule ids bold, actions in their colour, passes in green."""

    def action(match: re.Match[str]) -> str:
        word = match.group(1) or match.group(2)
        return _paint(_CODES[word.lower()], match.group(0))

    report = _ACTION.sub(action, report)
    report = _RULE.sub(lambda m: _paint(_CODES["rule"], m.group(0)), report)
    return _ALLOW.sub(lambda m: _paint(_CODES["ok"], m.group(0)), report)
