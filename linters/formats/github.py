"""GitHub Actions workflow commands: ``sendguard lint --format github`` annotates the diff."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..findings import Action
from ..safe_text import workflow_data, workflow_property
from .shared import Sources, customer_line

if TYPE_CHECKING:
    from ..lint.findings import CustomerSummary, LintFinding

_LEVEL = {
    Action.BLOCK: "error",
    Action.HOLD: "error",
    Action.REWRITE: "warning",
    Action.WARN: "notice",
}


def lint_report(
    findings: list[LintFinding],
    summaries: list[CustomerSummary],
    *,
    sources: Sources | None = None,
    fail_on: str = "block",
) -> str:
    """Workflow commands: GitHub Actions turns each line into an annotation on the diff.

    Every line is one of our commands: properties and messages are escaped as GitHub
    says (and other control characters shown as escapes), so no field ends the line."""
    lines = []
    for f in findings:
        props = (
            f"file={workflow_property(f.path)},line={f.line},col={f.column},"
            f"endLine={f.end_line},endColumn={f.end_column},title={workflow_property(f'{f.rule} {f.name}')}"
        )
        lines.append(f"::{_LEVEL.get(f.action, 'notice')} {props}::{workflow_data(f.message)}")
    for s in summaries:
        props = f"file={workflow_property(s.path)},line=1,title={workflow_property(f'{s.rule} {s.name}')}"
        lines.append(f"::{_LEVEL.get(s.action, 'notice')} {props}::{workflow_data(customer_line(s))}")
    return "\n".join(lines)
