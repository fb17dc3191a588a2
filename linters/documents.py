"""JSON documents from files: send requests for ``check``, customer records for ``lint
--customers``. A file holds one JSON object, a JSON array of them, or JSON Lines; ``-``
is standard input. A file that starts one document over several lines and does not
parse is one error at its line and column, not one per line read as JSON Lines. Errors are values (``Source.error``), so one bad file or line does
not stop the others.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

MAX_INPUT_BYTES = 8 * 1024 * 1024


@dataclass(slots=True)
class Source:
    """One send request read from input, or the error that stopped it."""

    origin: str
    raw: Any = None
    error: str | None = None


def read_text(path: str, stdin: TextIO | None = None) -> str:
    """File contents as text, or ValueError with a reason a person can act on."""
    if path == "-":
        stream = stdin or sys.stdin
        data = stream.buffer.read(MAX_INPUT_BYTES + 1)
    else:
        try:
            with open(path, "rb") as handle:
                data = handle.read(MAX_INPUT_BYTES + 1)
        except FileNotFoundError:
            raise ValueError("no such file") from None
        except IsADirectoryError:
            raise ValueError("is a directory, not a request file") from None
        except OSError as exc:
            raise ValueError(f"cannot read ({exc.strerror})") from None
    if len(data) > MAX_INPUT_BYTES:
        raise ValueError(f"larger than {MAX_INPUT_BYTES // (1024 * 1024)} MiB; not a send request")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (bad byte at offset {exc.start})") from None


def read_requests(paths: Sequence[str]) -> Iterator[Source]:
    """Requests from each file: one JSON object, a JSON array, or JSON Lines."""
    for path in paths:
        name = "<stdin>" if path == "-" else path
        try:
            text = read_text(path)
        except ValueError as exc:
            yield Source(name, error=str(exc))
            continue
        yield from _split_documents(name, text)


def _split_documents(name: str, text: str) -> Iterator[Source]:
    from .models import load_json  # json.loads, with too-deep nesting a decode error

    stripped = text.strip()
    if not stripped:
        yield Source(name, error="empty file: expected a JSON send request")
        return
    try:
        document = load_json(text)  # positions in the file, leading blank lines and all
    except json.JSONDecodeError as whole_error:
        lines = [(i, line) for i, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2 or not _json_lines(lines[0][1]):
            # One JSON document (a pretty-printed request, cut short or mistyped): one
            # error where it breaks, not one per line read as JSON Lines.
            yield Source(
                name,
                error=f"not valid JSON: {whole_error.msg} (line {whole_error.lineno}, column {whole_error.colno})",
            )
            return
        for number, line in lines:
            try:
                yield Source(f"{name}:{number}", load_json(line))
            except json.JSONDecodeError as exc:
                yield Source(f"{name}:{number}", error=f"not valid JSON: {exc.msg} at column {exc.colno}")
        return
    if isinstance(document, list):
        for index, item in enumerate(document):
            yield Source(f"{name}[{index}]", item)
    else:
        yield Source(name, document)


def _json_lines(first: str) -> bool:
    """Whether a file whose whole text is not one JSON document is JSON Lines: its first
    line is a document of its own. A file that opens one document over several lines
    (``{`` or ``[`` alone, or a first line that does not close) is one broken document."""
    from .models import load_json

    if not first.lstrip().startswith(("{", "[")):
        return True  # not JSON at all: each line says so, as before
    try:
        load_json(first)
    except json.JSONDecodeError:
        return False
    return True
