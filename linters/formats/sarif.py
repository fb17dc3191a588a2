"""SARIF 2.1.0 (GitHub code scanning): ``sendguard lint --format sarif`` and ``--sarif-file``.

The partial fingerprints (``fingerprints``) are also the GitLab format's: one identity
for a finding in both, stable across runs and line moves."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from .. import version
from ..catalog import DOCS_URL, catalog, help_uri, summary
from ..findings import Action
from ..safe_text import dumps
from .shared import Sources, customer_line, repo_path, repo_root

if TYPE_CHECKING:
    from ..lint.findings import CustomerSummary, LintFinding

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = DOCS_URL.split("/blob/")[0]
_LEVEL = {Action.BLOCK: "error", Action.HOLD: "error", Action.REWRITE: "warning", Action.WARN: "note"}


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
                "defaultConfiguration": {"level": _LEVEL.get(Action(entry["default_action"]), "note")},
                "properties": {"action": entry["default_action"]},
            }
        )
    return descriptors


def sarif_uri(path: str, root: Path) -> str:
    """``path`` relative to ``root`` where it is inside it, percent-encoded (RFC 3986)."""
    return quote(repo_path(path, root), safe="/")


def _fingerprint(rule_id: str, uri: str, text: str, seen: Counter[str]) -> str:
    """Stable across runs and line moves: rule, file and message text, plus an occurrence
    count for identical findings in one file, so GitHub matches alerts instead of duplicating."""
    base = hashlib.sha256(f"{rule_id}\0{uri}\0{' '.join(text.split())}".encode()).hexdigest()[:32]
    seen[base] += 1
    return f"{base}:{seen[base]}"


def fingerprints(results: Iterable[tuple[str, str, str]]) -> list[str]:
    """One fingerprint per (rule id, SARIF uri, message text), in order: the SARIF
    ``partialFingerprints`` value (``sendguardFinding/v1``)."""
    seen: Counter[str] = Counter()
    return [_fingerprint(rule_id, uri, text, seen) for rule_id, uri, text in results]


def _result(rule_id: str, action: Action, text: str, uri: str, region: dict[str, int]) -> dict:
    return {
        "ruleId": rule_id,
        "level": _LEVEL.get(action, "note"),
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
        results.append(_result(f.rule, f.action, f.message, sarif_uri(f.path, root), region))
    for s in summaries:
        uri = sarif_uri(s.path, root)
        results.append(_result(s.rule, s.action, customer_line(s), uri, {"startLine": 1}))
    keys = fingerprints(
        (
            result["ruleId"],
            result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            result["message"]["text"],
        )
        for result in results
    )
    for result, key in zip(results, keys, strict=True):
        if result["ruleId"] in index:
            result["ruleIndex"] = index[result["ruleId"]]
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


def lint_report(
    findings: list[LintFinding],
    summaries: list[CustomerSummary],
    *,
    sources: Sources | None = None,
    fail_on: str = "block",
) -> str:
    return dumps(sarif_document(findings, summaries), indent=2)
