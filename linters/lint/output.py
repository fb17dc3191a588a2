"""Report formats: text, json, sarif (2.1.0, for GitHub code scanning) and github annotations."""

from __future__ import annotations

import json
from collections import Counter
from importlib import metadata
from typing import Any

from linters.findings import Action
from linters.lint.findings import LINT_ONLY_RULES, CustomerSummary, LintFinding
from linters.registry import all_rules

FORMATS = ("text", "json", "sarif", "github")
SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
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
    lines = [f"{f.path}:{f.line}:{f.column}: {f.rule} {f.message} [{f.action}]" for f in findings]
    lines += [f"{s.path}: {_customer_line(s)} [{s.action}]" for s in summaries]
    counts = Counter(str(f.action) for f in findings)
    if findings:
        detail = ", ".join(f"{counts[a.value]} {a.value}" for a in Action if counts[a.value])
        lines.append(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} ({detail}).")
    else:
        lines.append("All templates passed.")
    return "\n".join(lines)


def format_json(findings: list[LintFinding], summaries: list[CustomerSummary]) -> str:
    document = {
        "findings": [f.to_dict() for f in findings],
        "customers": [s.to_dict() for s in summaries],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)


def _escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def format_github(findings: list[LintFinding], summaries: list[CustomerSummary]) -> str:
    """Workflow commands: GitHub Actions turns each line into an annotation on the diff."""
    lines = []
    for f in findings:
        props = (
            f"file={_escape_property(f.path)},line={f.line},col={f.column},"
            f"endLine={f.end_line},endColumn={f.end_column},title={_escape_property(f'{f.rule} {f.name}')}"
        )
        lines.append(f"::{_GITHUB_LEVEL.get(f.action, 'notice')} {props}::{_escape_data(f.message)}")
    for s in summaries:
        props = f"file={_escape_property(s.path)},line=1,title={_escape_property(f'{s.rule} {s.name}')}"
        lines.append(f"::{_GITHUB_LEVEL.get(s.action, 'notice')} {props}::{_escape_data(_customer_line(s))}")
    return "\n".join(lines)


def _rule_catalog() -> list[dict[str, Any]]:
    catalog = []
    for rule in all_rules():
        doc = rule.doc
        catalog.append(
            {
                "id": rule.id,
                "name": rule.name,
                "shortDescription": {"text": rule.summary or rule.name},
                "fullDescription": {"text": doc or rule.summary or rule.name},
                "help": {"text": doc or rule.summary or rule.name},
                "defaultConfiguration": {"level": _SARIF_LEVEL.get(rule.default_action, "note")},
            }
        )
    for rule_id, (name, action, summary) in LINT_ONLY_RULES.items():
        catalog.append(
            {
                "id": rule_id,
                "name": name,
                "shortDescription": {"text": summary},
                "defaultConfiguration": {"level": _SARIF_LEVEL.get(action, "note")},
            }
        )
    return catalog


def _version() -> str:
    try:
        return metadata.version("sendguard")
    except metadata.PackageNotFoundError:
        return "0.0.0"


def _sarif_result(rule_id: str, action: Action, text: str, path: str, region: dict[str, int]) -> dict:
    return {
        "ruleId": rule_id,
        "level": _SARIF_LEVEL.get(action, "note"),
        "message": {"text": text},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": path, "uriBaseId": "%SRCROOT%"},
                    "region": region,
                }
            }
        ],
        "properties": {"action": str(action)},
    }


def sarif_document(findings: list[LintFinding], summaries: list[CustomerSummary]) -> dict[str, Any]:
    catalog = _rule_catalog()
    index = {rule["id"]: i for i, rule in enumerate(catalog)}
    results = []
    for f in findings:
        region = {
            "startLine": f.line,
            "startColumn": f.column,
            "endLine": f.end_line,
            "endColumn": max(f.end_column, f.column + 1) if f.end_line == f.line else f.end_column,
        }
        results.append(_sarif_result(f.rule, f.action, f.message, f.path, region))
    for s in summaries:
        results.append(_sarif_result(s.rule, s.action, _customer_line(s), s.path, {"startLine": 1}))
    for result in results:
        if result["ruleId"] in index:
            result["ruleIndex"] = index[result["ruleId"]]
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sendguard",
                        "version": _version(),
                        "rules": catalog,
                    }
                },
                "results": results,
            }
        ],
    }


def format_sarif(findings: list[LintFinding], summaries: list[CustomerSummary]) -> str:
    return json.dumps(sarif_document(findings, summaries), indent=2, ensure_ascii=False)


FORMATTERS = {"text": format_text, "json": format_json, "sarif": format_sarif, "github": format_github}
