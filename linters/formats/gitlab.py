"""GitLab Code Quality (``artifacts: reports: codequality``): ``sendguard lint --format gitlab``.

A JSON list, one object per finding and per customer summary: ``description``,
``check_name`` (the rule id), ``fingerprint`` (the SARIF partial fingerprint: rule,
file and message, so it survives reruns and moved lines), ``severity`` (from the
action) and ``location`` (``path`` from the repository root, ``lines.begin``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ..findings import Action
from ..safe_text import dumps
from .sarif import fingerprints, sarif_uri
from .shared import Sources, customer_line, repo_path, repo_root

if TYPE_CHECKING:
    from ..lint.findings import CustomerSummary, LintFinding

SEVERITY = {
    Action.BLOCK: "blocker",
    Action.HOLD: "critical",
    Action.REWRITE: "major",
    Action.WARN: "minor",
}


def _issue(
    rule: str, name: str, action: Action, text: str, path: str, begin: int, end: int
) -> dict[str, Any]:
    return {
        "description": f"{rule} {name}: {text}",
        "check_name": rule,
        "fingerprint": "",
        "severity": SEVERITY.get(action, "info"),
        "location": {"path": path, "lines": {"begin": begin, "end": end}},
    }


def code_quality(findings: list[LintFinding], summaries: list[CustomerSummary]) -> list[dict[str, Any]]:
    root = repo_root()
    issues, keys = [], []
    for f in findings:
        issues.append(
            _issue(f.rule, f.name, f.action, f.message, repo_path(f.path, root), f.line, f.end_line)
        )
        keys.append((f.rule, sarif_uri(f.path, root), f.message))
    for s in summaries:
        text = customer_line(s)
        issues.append(_issue(s.rule, s.name, s.action, text, repo_path(s.path, root), 1, 1))
        keys.append((s.rule, sarif_uri(s.path, root), text))
    for issue, key in zip(issues, fingerprints(keys), strict=True):
        issue["fingerprint"] = key
    return issues


def lint_report(
    findings: list[LintFinding],
    summaries: list[CustomerSummary],
    *,
    sources: Sources | None = None,
    fail_on: str = "block",
) -> str:
    return dumps(code_quality(findings, summaries), indent=2)
