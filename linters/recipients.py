"""Recipient files for `sendguard preflight` and the campaign Lambda, read as a stream.

JSON Lines: one record a line, ``{"id", "to", "customer", "data"}`` plus the optional
``channel``, ``purpose``, ``campaign``, ``history``, ``events``, ``now``.
CSV: a header of dotted columns (``customer.first_name``, ``data.order_id``); see
``campaign.record_from_csv_row``.

Records are read one at a time and each is held to ``MAX_RECORD_BYTES``: the file may
be any size, and a bad record is reported by its line and the rest still run.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO, Any

from .campaign import MAX_RECORD_BYTES, record_from_csv_row
from .models import RequestError, load_json

FORMATS = ("jsonl", "csv")
_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonlines")
_BOM = b"\xef\xbb\xbf"  # spreadsheet exports start UTF-8 files with it


@dataclass(frozen=True, slots=True)
class Item:
    """One record as read: its line, the decoded record, or why it could not be read."""

    line: int
    record: Any = None
    error: str | None = None
    field: str | None = None


def guess_format(path: str, head: bytes) -> str:
    lowered = path.lower()
    if lowered.endswith(".csv"):
        return "csv"
    if lowered.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    return "jsonl" if head.removeprefix(_BOM).lstrip()[:1] == b"{" else "csv"


def open_binary(path: str) -> IO[bytes]:
    """The file, or stdin for ``-``, as a buffered binary stream (ValueError if unreadable)."""
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ValueError(f"{path}: is a directory, not a recipients file") from None
    except OSError as exc:
        raise ValueError(f"{path}: cannot read ({exc.strerror})") from None


def read_items(stream: IO[bytes], kind: str) -> Iterator[Item]:
    return read_jsonl(stream) if kind == "jsonl" else read_csv(stream)


def read_jsonl(stream: IO[bytes]) -> Iterator[Item]:
    line = 0
    while True:
        raw = stream.readline(MAX_RECORD_BYTES + 1)
        if not raw:
            return
        line += 1
        if len(raw) > MAX_RECORD_BYTES and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):  # skip the rest of the oversized line
                raw = stream.readline(MAX_RECORD_BYTES)
            yield Item(line, error=f"record larger than {MAX_RECORD_BYTES // 1024} KiB")
            continue
        if line == 1:
            raw = raw.removeprefix(_BOM)
        if not raw.strip():
            continue
        yield _decoded_line(line, raw)


def _decoded_line(line: int, raw: bytes) -> Item:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return Item(line, error=f"not UTF-8 text (bad byte at column {exc.start + 1})")
    try:
        return Item(line, load_json(text))
    except json.JSONDecodeError as exc:
        if exc.msg == "nested too deeply":
            return Item(line, error="not valid JSON: nested too deeply")
        return Item(line, error=f"not valid JSON: {exc.msg} at column {exc.colno}")


def read_csv(stream: IO[bytes]) -> Iterator[Item]:
    # surrogateescape keeps a bad byte in one cell from stopping the whole file.
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    csv.field_size_limit(MAX_RECORD_BYTES)
    reader = csv.DictReader(text)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Item(reader.line_num, error=f"not valid CSV: {exc}")
            continue
        yield _csv_item(reader.line_num, row)


def _csv_item(line: int, row: dict[str | None, Any]) -> Item:
    size = sum(len(v) for v in row.values() if isinstance(v, str))
    if size > MAX_RECORD_BYTES:
        return Item(line, error=f"record larger than {MAX_RECORD_BYTES // 1024} KiB")
    for column, cell in row.items():
        if isinstance(cell, str) and _has_bad_bytes(cell):
            return Item(line, error="not UTF-8 text", field=column)
    try:
        return Item(line, record_from_csv_row(row))
    except RequestError as exc:
        return Item(line, error=exc.problem, field=exc.field or None)


def _has_bad_bytes(cell: str) -> bool:
    try:
        cell.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False
