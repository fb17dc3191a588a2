"""Examples for `sendguard rule SG201`: the first case the rule catches and the first
near miss it lets through, from the rule's fixtures.

The fixtures are ``tests/fixtures/rules/<ID>.jsonl`` in the repository checkout (the
folder above this package), one case a line: ``expect`` (``catch`` or ``pass``),
``why``, a send ``request`` and/or a lint ``template``; tests/test_rule_fixtures.py
judges every one. An installed wheel has no ``tests/``: then there is no example and
these functions return None (or no lines). Known misses (``known_miss``: a case the
rule gets wrong today) are never shown as examples.

Cheap on purpose, like the rest of `sendguard rule`: json and the file system only,
no spaCy, no engine.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .safe_text import visible

CHECKOUT = Path(__file__).resolve().parent.parent
FIXTURES = CHECKOUT / "tests" / "fixtures" / "rules"
_RULE_ID = re.compile(r"SG\d{3}")
_MAX_LINES = 8
_MAX_LINE_CHARS = 160
_CUSTOMER_KEYS = (
    "first_name",
    "preferred_name",
    "title",
    "last_name",
    "address_as",
    "anonymous",
    "purchase_count",
    "lifetime_value",
    "tier",
    "customer_since",
    "consent",
    "unsubscribed",
    "timezone",
    "quiet_hours",
    "attributes",
)


@dataclass(frozen=True, slots=True)
class Example:
    """One fixture case: ``expect`` is "catch" or "pass"."""

    rule: str
    expect: str
    why: str
    request: dict[str, Any] | None
    template: str | None
    source: Path
    line: int

    @property
    def caught(self) -> bool:
        return self.expect == "catch"


def fixture_file(rule_id: str, folder: Path | None = None) -> Path | None:
    """``<folder>/<ID>.jsonl`` when it exists; None for a malformed id or no file."""
    rule_id = rule_id.strip().upper()
    if not _RULE_ID.fullmatch(rule_id):
        return None
    if folder is None:
        # Only in a checkout: site-packages (a wheel) has no pyproject.toml, and the
        # "tests" folder some other distribution may have put there is not ours.
        if not (CHECKOUT / "pyproject.toml").is_file():
            return None
        folder = FIXTURES
    path = folder / f"{rule_id}.jsonl"
    return path if path.is_file() else None


def _cases(path: Path) -> list[tuple[int, dict[str, Any]]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    cases = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            case = json.loads(line)
        except ValueError:
            continue
        if isinstance(case, dict):
            cases.append((number, case))
    return cases


def examples(rule_id: str, folder: Path | None = None) -> tuple[Example | None, Example | None]:
    """(first catch case, first pass case) of the rule's fixtures, skipping known misses;
    (None, None) when there are no fixtures (an installed wheel)."""
    path = fixture_file(rule_id, folder)
    if path is None:
        return None, None
    found: dict[str, Example] = {}
    for number, case in _cases(path):
        expect = case.get("expect")
        if expect not in ("catch", "pass") or expect in found or case.get("known_miss"):
            continue
        request = case.get("request") if isinstance(case.get("request"), dict) else None
        template = case.get("template") if isinstance(case.get("template"), str) else None
        if request is None and template is None:
            continue
        found[expect] = Example(path.stem, expect, str(case.get("why", "")), request, template, path, number)
        if len(found) == 2:
            break
    return found.get("catch"), found.get("pass")


def _shown(text: str) -> str:
    """One line as the terminal may show it: controls escaped (``visible``), and the
    invisible format characters (zero-width, soft hyphen, bidi marks) too, since an
    example of SG801 is about exactly those."""
    text = visible(text)
    return "".join(f"\\u{ord(c):04x}" if unicodedata.category(c) == "Cf" else c for c in text)


def _body(text: str, indent: str) -> list[str]:
    lines = text.strip("\n").splitlines()
    shown = [(indent + _shown(line)[:_MAX_LINE_CHARS]).rstrip() for line in lines[:_MAX_LINES]]
    if len(lines) > _MAX_LINES:
        shown.append(indent + "...")
    return shown


def _customer(customer: Any) -> str:
    if customer is None:
        return "no customer record"
    if not isinstance(customer, dict):
        return "customer " + _shown(json.dumps(customer))
    kept = {key: customer[key] for key in _CUSTOMER_KEYS if key in customer}
    return "customer " + _shown(json.dumps(kept, ensure_ascii=False))[: _MAX_LINE_CHARS * 2]


def _request_lines(request: dict[str, Any]) -> list[str]:
    head = f"{request.get('channel', '?')}, {request.get('purpose', 'marketing')}"
    for key in ("trigger", "campaign", "audience"):
        if request.get(key):
            head += f", {key} {json.dumps(request[key])}"
    if request.get("automated") is False:
        head += ", written by a person"
    if request.get("now"):
        head += f", at {request['now']}"
    lines = ["  " + _shown(head) + "; " + _customer(request.get("customer"))]
    for key, label in (("history", "history"), ("events", "events")):
        if request.get(key):
            lines.append(
                f"  {label}: " + _shown(json.dumps(request[key], ensure_ascii=False))[:_MAX_LINE_CHARS]
            )
    template = request.get("template") or {}
    if isinstance(template, dict):
        if template.get("subject"):
            lines.append("  subject: " + _shown(str(template["subject"]))[:_MAX_LINE_CHARS])
        body = template.get("text") or template.get("html")
        if isinstance(body, str):
            lines += _body(body, "  | ")
        if template.get("name"):
            lines.append("  stored template " + _shown(str(template["name"])))
    return lines


def describe(example: Example) -> list[str]:
    """The lines `sendguard rule` prints for one example."""
    title = "Caught" if example.caught else "Let through (a near miss)"
    lines = [f"{title}: {_shown(example.why)}"]
    if example.request is not None:
        lines += _request_lines(example.request)
    else:
        lines.append("  template file (sendguard lint):")
        lines += _body(example.template or "", "  | ")
    return lines


def example_lines(rule_id: str, folder: Path | None = None) -> list[str]:
    """The examples section of `sendguard rule ID`, or no lines without fixtures."""
    caught, passed = examples(rule_id, folder)
    if caught is None and passed is None:
        return []
    source = (caught or passed).source  # type: ignore[union-attr]
    try:
        shown = source.relative_to(CHECKOUT).as_posix()
    except ValueError:
        shown = source.name
    lines = ["", f"Examples (from {shown}):"]
    for example in (caught, passed):
        if example is not None:
            lines += describe(example)
    return lines
