"""SES Handlebars rendering with provenance.

Every data value is wrapped in private-use Unicode markers before pybars renders
it; afterwards the markers are stripped and their positions kept. A rule can then
tell "Arthur" that came from ``{{first_name}}`` from "Arthur" typed into the
template. A variable the data lacks (or that is null) renders as a marker too,
which becomes an SG103 finding instead of the silent blank pybars would print.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import pybars
from pybars._compiler import prepare as _pybars_prepare

from linters.handlebars import TemplateSyntaxError, parse

VALUE_OPEN, VALUE_MID, VALUE_CLOSE = "\uf8f0", "\uf8f1", "\uf8f2"
MISSING_OPEN, MISSING_CLOSE = "\uf8f3", "\uf8f4"
_MARKER_CHARS = re.compile("[\uf8f0-\uf8f4]")
_MARKED = re.compile(
    f"{VALUE_OPEN}(\\d+){VALUE_MID}([^{VALUE_CLOSE}]*){VALUE_CLOSE}"
    f"|{MISSING_OPEN}([^{MISSING_CLOSE}]*){MISSING_CLOSE}"
)
_COMPILER = pybars.Compiler()


@dataclass(frozen=True, slots=True)
class Value:
    """Where one data value landed in a rendered part. ``missing`` values are empty."""

    start: int
    end: int
    path: str
    missing: bool = False


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    values: tuple[Value, ...]


class Missing:
    """Stands in for an absent or null variable: false in ``{{#if}}``, a marker when printed."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def __bool__(self) -> bool:
        return False

    def __str__(self) -> str:
        return f"{MISSING_OPEN}{self.path}{MISSING_CLOSE}"

    def __getitem__(self, key: object) -> Missing:
        return Missing(f"{self.path}.{key}")

    def get(self, key: object, default: object = None) -> Missing:
        return self[key]


class TrackedDict(dict):
    """A data object that answers a missing key with a Missing carrying its full path."""

    __slots__ = ("path",)

    def __missing__(self, key: str) -> Missing:
        return Missing(f"{self.path}.{key}" if self.path else key)

    def get(self, key: str, default: object = None) -> object:
        return self[key]


def _unescaped(value: object, should_escape: bool) -> object:
    return _pybars_prepare(value, False)


def _helper_missing(scope: object, name: str, *args: object) -> Missing:
    return Missing(name)


_HELPERS = {"helperMissing": _helper_missing}


@lru_cache(maxsize=2048)
def compile_template(source: str, escape_html: bool) -> Callable[..., Any]:
    """Validate and compile once; pybars compiles only ~200 templates a second."""
    parse(source)
    try:
        template = _COMPILER.compile(source)
    except Exception as exc:  # pybars raises bare PybarsError or grammar errors
        raise TemplateSyntaxError(f"Handlebars could not compile the template: {exc}", 1, 1) from exc
    if not escape_html:
        # Text and subject parts are sent as they are: SES does not HTML-escape them.
        template.__globals__["prepare"] = _unescaped
    return template


def _format_number(value: int | float) -> str:
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def wrap_data(data: Any, leaves: list[str], path: str = "") -> Any:
    """Copy ``data`` with every printable leaf wrapped in markers; ``leaves`` gets the paths."""
    if isinstance(data, dict):
        wrapped = TrackedDict(
            (key, wrap_data(value, leaves, f"{path}.{key}" if path else str(key)))
            for key, value in data.items()
        )
        wrapped.path = path
        return wrapped
    if isinstance(data, list):
        return [wrap_data(item, leaves, f"{path}.{i}") for i, item in enumerate(data)]
    if data is None:
        return Missing(path)
    if isinstance(data, bool) or data == 0 or data == "":
        # Left bare: a wrapped 0 or "" would turn truthy and flip {{#if}}.
        return data
    text = _format_number(data) if isinstance(data, int | float) else str(data)
    leaves.append(path)
    return f"{VALUE_OPEN}{len(leaves) - 1}{VALUE_MID}{_MARKER_CHARS.sub('', text)}{VALUE_CLOSE}"


def strip_markers(marked: str, leaves: list[str]) -> Rendered:
    """Remove the markers from rendered output, keeping where each value landed."""
    pieces: list[str] = []
    values: list[Value] = []
    length = 0
    last = 0
    for match in _MARKED.finditer(marked):
        before = marked[last : match.start()]
        pieces.append(before)
        length += len(before)
        if match.group(1) is not None:
            text = match.group(2)
            values.append(Value(length, length + len(text), leaves[int(match.group(1))]))
            pieces.append(text)
            length += len(text)
        else:
            values.append(Value(length, length, match.group(3), missing=True))
        last = match.end()
    pieces.append(marked[last:])
    return Rendered("".join(pieces), tuple(values))


def render(source: str, data: dict[str, Any], *, escape_html: bool) -> Rendered:
    """Render one template part against ``data``; raises TemplateSyntaxError."""
    template = compile_template(_MARKER_CHARS.sub("", source), escape_html)
    leaves: list[str] = []
    try:
        marked = str(template(wrap_data(data, leaves), helpers=_HELPERS))
    except (TypeError, AttributeError, ValueError, IndexError, pybars.PybarsError) as exc:
        raise TemplateSyntaxError(f"the template could not be rendered with this data: {exc}", 1, 1) from exc
    return strip_markers(marked, leaves)
