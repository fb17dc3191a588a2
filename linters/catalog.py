"""The rule catalog as data: what `sendguard rule`, SARIF and the README's rules table show.

The rules themselves live in ``linters/rules/`` (one module per rule, in a folder per
family) and register with ``linters.registry`` (SG000 and SG900-SG902 too). Importing them loads spaCy, which `sendguard rule` and
`sendguard --help` must not pay for, so ``linters/data/catalog.json`` keeps a snapshot:
id, name, default action, summary, full explanation, settings and what it reads of every rule,
engine and lint-only. ``python -m linters.catalog`` (``make catalog``) writes it, the README's one rules
table and docs/rules.md's reference from the registry; a test fails when any is stale.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .vocabulary import load

CATALOG_FILE = Path(__file__).parent / "data" / "catalog.json"
README = Path(__file__).parent.parent / "README.md"
RULES_PAGE = Path(__file__).parent.parent / "docs" / "rules.md"
TABLE_START, TABLE_END = "<!-- rules-table:start -->", "<!-- rules-table:end -->"
REFERENCE_START, REFERENCE_END = "<!-- rule-reference:start -->", "<!-- rule-reference:end -->"
DOCS_URL = "https://github.com/sendguard/sendguard/blob/main/docs/rules.md"

def _settings_of(rule: Any) -> dict[str, Any]:
    from pydantic_core import to_jsonable_python

    found = {}
    for key, field in rule.settings.model_fields.items():
        default = field.default_factory() if field.default_factory else field.default
        found[key] = {"default": to_jsonable_python(default), "description": field.description or ""}
    return found


def build_catalog() -> list[dict[str, Any]]:
    """Every rule from the live registry (imports the rule families, so spaCy)."""
    from .rules import registered_rules

    return [
        {
            "id": rule.id,
            "name": rule.name,
            "default_action": str(rule.default_action),
            "stage": rule.stage,
            "lints": rule.lint is not None,
            "doc": rule.doc,
            "settings": _settings_of(rule),
            "reads": list(rule.reads),
            **({"template_half": _half_of(rule.template)} if rule.template is not None else {}),
        }
        for rule in registered_rules()
    ]


def _half_of(half: Any) -> dict[str, Any]:
    """A rule's per-template half as the catalog keeps it: its name, what it finds, the
    labels it builds on and how far around each span it reads."""
    doc = " ".join((half.__doc__ or "").split())
    return {
        "name": half.__name__,
        "finds": doc,
        "labels": list(half.labels),
        "window": half.window,
        "sentence": half.sentence,
    }


def template_half_line(entry: dict[str, Any]) -> str | None:
    """The rule's per-template half as `sendguard rule` and docs/rules.md show it."""
    half = entry.get("template_half")
    if not half:
        return None
    window, sentence = half["window"], half.get("sentence", False)
    chars = f"{window} characters on either side" if window else ""
    around = " and ".join(filter(None, (chars, "its sentence" if sentence else ""))) or "the spans alone"
    labels = ", ".join(half["labels"])
    return f"{half['finds'].rstrip('.')} (`{half['name']}`: from the spans of {labels}, reading {around})"


def input_rules() -> dict[str, dict[str, Any]]:
    """The rules reported about a run's input or a rewrite rather than by a message rule
    (SG000, SG9xx), from the snapshot: no spaCy."""
    return {entry["id"]: entry for entry in catalog() if entry.get("stage", "message") != "message"}


def catalog() -> list[dict[str, Any]]:
    """The snapshot (cheap: no spaCy)."""
    return load("catalog")


def summary(entry: dict[str, Any]) -> str:
    return entry["doc"].split("\n", 1)[0]


def reads_line(entry: dict[str, Any]) -> str:
    """What a rule reads, as `sendguard rule` shows it ("text, request.purpose")."""
    return ", ".join(entry.get("reads") or ()) or "nothing of a message"


def help_uri(rule_id: str) -> str:
    return f"{DOCS_URL}#{rule_id.lower()}"


def markdown_table(entries: list[dict[str, Any]]) -> str:
    """The README's one rules table."""
    rows = ["| id | name | default | what it catches |", "|---|---|---|---|"]
    for entry in entries:
        text = summary(entry).replace("|", "\\|")
        rows.append(f"| {entry['id']} | {entry['name']} | {entry['default_action']} | {text} |")
    return "\n".join(rows)


def rule_reference(entries: list[dict[str, Any]]) -> str:
    """docs/rules.md's reference: one section per rule, anchored by its id (SARIF's helpUri)."""
    sections = []
    for entry in entries:
        lines = [f'### <a id="{entry["id"].lower()}"></a>{entry["id"]} {entry["name"]}', ""]
        lines += [f"Default action: **{entry['default_action']}**."]
        if entry.get("reads"):
            lines += ["", "Reads: " + ", ".join(f"`{read}`" for read in entry["reads"]) + "."]
        if half := template_half_line(entry):
            lines += ["", f"Once per template: {half}."]
        lines += ["", entry["doc"]]
        if entry["settings"]:
            lines += ["", f"Settings (`[tool.sendguard.rules.{entry['id']}]`):", ""]
            lines += [
                f"- `{key}` = `{json.dumps(setting['default'])}`: {setting['description']}"
                for key, setting in entry["settings"].items()
            ]
        sections.append("\n".join(lines))
    return "\n\n".join(sections)


def between(text: str, start_marker: str, end_marker: str, content: str) -> str:
    """``text`` with what stands between the two markers replaced by ``content``."""
    start, end = text.index(start_marker) + len(start_marker), text.index(end_marker)
    return f"{text[:start]}\n{content}\n{text[end:]}"


def with_table(readme: str, entries: list[dict[str, Any]]) -> str:
    """``readme`` with the text between the rules-table markers replaced by the table."""
    return between(readme, TABLE_START, TABLE_END, markdown_table(entries))


def main() -> int:
    """Write the snapshot and the README's rules table from the live registry."""
    entries = build_catalog()
    CATALOG_FILE.write_text(json.dumps(entries, indent=2, ensure_ascii=False) + "\n", "utf-8")
    README.write_text(with_table(README.read_text("utf-8"), entries), "utf-8")
    page = RULES_PAGE.read_text("utf-8")
    RULES_PAGE.write_text(between(page, REFERENCE_START, REFERENCE_END, rule_reference(entries)), "utf-8")
    print(f"wrote {CATALOG_FILE}, the table in {README} and {RULES_PAGE} ({len(entries)} rules)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
