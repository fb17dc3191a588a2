"""Report formats: text, json, sarif (2.1.0, for GitHub code scanning) and github annotations."""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import quote

from .. import version
from ..catalog import DOCS_URL, catalog, help_uri, summary
from ..findings import Action
from ..safe_text import dumps, plain_lines, visible, workflow_data, workflow_property
from .findings import CustomerSummary, LintFinding

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = DOCS_URL.split("/blob/")[0]
_SARIF_LEVEL = {Action.BLOCK: "error", Action.HOLD: "error", Action.REWRITE: "warning", Action.WARN: "note"}
_GITHUB_LEVEL = {
    Action.BLOCK: "error",
    Action.HOLD: "error",
    Action.REWRITE: "warning",
    Action.WARN: "notice",
}


def _customer_line(summary: CustomerSummary) -> str:
    return (
        f"{summary.rule} {summary.name} in {summary.count}/{summary.customers} sample customers "
        f"({summary.share:.0%}), e.g. {summary.example_customer}: {summary.example_message}"
    )


def format_text(findings: list[LintFinding], summaries: list[CustomerSummary]) -> str:
    """One line per finding; every field is shown with its control characters escaped,
    and no line can be read as a GitHub workflow command (``linters.safe_text``)."""
    lines = [
        f"{visible(f.path)}:{f.line}:{f.column}: {visible(f.rule)} {visible(f.message)} [{f.action}]"
        for f in findings
    ]
    lines += [f"{visible(s.path)}: {visible(_customer_line(s))} [{s.action}]" for s in summaries]
    counts = Counter(str(f.action) for f in findings)
    if findings:
        detail = ", ".join(f"{counts[a.value]} {a.value}" for a in Action if counts[a.value])
        lines.append(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} ({detail}).")
    else:
        lines.append("All templates passed.")
    return plain_lines("\n".join(lines))


def format_json(findings: list[LintFinding], summaries: list[CustomerSummary]) -> str:
    document = {
        "findings": [f.to_dict() for f in findings],
        "customers": [s.to_dict() for s in summaries],
    }
    return dumps(document, indent=2)


def format_github(findings: list[LintFinding], summaries: list[CustomerSummary]) -> str:
    """Workflow commands: GitHub Actions turns each line into an annotation on the diff.

    Every line is one of our commands: properties and messages are escaped as GitHub
    says (and other control characters shown as escapes), so no field ends the line."""
    lines = []
    for f in findings:
        props = (
            f"file={workflow_property(f.path)},line={f.line},col={f.column},"
            f"endLine={f.end_line},endColumn={f.end_column},title={workflow_property(f'{f.rule} {f.name}')}"
        )
        lines.append(f"::{_GITHUB_LEVEL.get(f.action, 'notice')} {props}::{workflow_data(f.message)}")
    for s in summaries:
        props = f"file={workflow_property(s.path)},line=1,title={workflow_property(f'{s.rule} {s.name}')}"
        lines.append(f"::{_GITHUB_LEVEL.get(s.action, 'notice')} {props}::{workflow_data(_customer_line(s))}")
    return "\n".join(lines)


def _rule_catalog() -> list[dict[str, Any]]:
    """SARIF rule descriptors from the catalog snapshot: every rule has help text and a link."""
    descriptors = []
    for entry in catalog():
        doc = entry["doc"] or entry["name"]
        descriptors.append(
            {
                "id": entry["id"],
                "name": entry["name"],
                "shortDescription": {"text": summary(entry) or entry["name"]},
                "fullDescription": {"text": doc},
                "help": {"text": doc, "markdown": f"**{entry['id']} {entry['name']}**\n\n{doc}"},
                "helpUri": help_uri(entry["id"]),
                "defaultConfiguration": {"level": _SARIF_LEVEL.get(Action(entry["default_action"]), "note")},
                "properties": {"action": entry["default_action"]},
            }
        )
    return descriptors


def repo_root(start: Path | None = None) -> Path:
    """The nearest folder with ``.git`` (what code scanning calls the source root), else cwd."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def sarif_uri(path: str, root: Path) -> str:
    """``path`` relative to ``root`` where it is inside it, percent-encoded (RFC 3986)."""
    candidate = Path(path)
    absolute = candidate if candidate.is_absolute() else Path.cwd() / candidate
    try:
        relative = absolute.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        relative = candidate.as_posix()
    return quote(relative, safe="/")


def _fingerprint(rule_id: str, uri: str, text: str, seen: Counter[str]) -> str:
    """Stable across runs and line moves: rule, file and message text, plus an occurrence
    count for identical findings in one file, so GitHub matches alerts instead of duplicating."""
    base = hashlib.sha256(f"{rule_id}\0{uri}\0{' '.join(text.split())}".encode()).hexdigest()[:32]
    seen[base] += 1
    return f"{base}:{seen[base]}"


def _sarif_result(rule_id: str, action: Action, text: str, uri: str, region: dict[str, int]) -> dict:
    return {
        "ruleId": rule_id,
        "level": _SARIF_LEVEL.get(action, "note"),
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": uri, "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ],
        "properties": {"action": str(action)},
    }


def sarif_document(findings: list[LintFinding], summaries: list[CustomerSummary]) -> dict[str, Any]:
    descriptors = _rule_catalog()
    index = {rule["id"]: i for i, rule in enumerate(descriptors)}
    root = repo_root()
    results = []
    for f in findings:
        region = {
            "startLine": f.line,
            "startColumn": f.column,
            "endLine": f.end_line,
            "endColumn": max(f.end_column, f.column + 1) if f.end_line == f.line else f.end_column,
        }
        results.append(_sarif_result(f.rule, f.action, f.message, sarif_uri(f.path, root), region))
    for s in summaries:
        uri = sarif_uri(s.path, root)
        results.append(_sarif_result(s.rule, s.action, _customer_line(s), uri, {"startLine": 1}))
    seen: Counter[str] = Counter()
    for result in results:
        if result["ruleId"] in index:
            result["ruleIndex"] = index[result["ruleId"]]
        uri = result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
        key = _fingerprint(result["ruleId"], uri, result["message"]["text"], seen)
        result["partialFingerprints"] = {"sendguardFinding/v1": key}
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sendguard",
                        "version": version(),
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri() + "/"}},
                "results": results,
            }
        ],
    }


def format_sarif(findings: list[LintFinding], summaries: list[CustomerSummary]) -> str:
    return dumps(sarif_document(findings, summaries), indent=2)


FORMATTERS = {"text": format_text, "json": format_json, "sarif": format_sarif, "github": format_github}
