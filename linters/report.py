"""Human-readable reports: one short block per message, rewrites shown as a diff.

Ids, origins, messages, excerpts and template text are shown with their control
characters escaped, and no line of a report can be read as a GitHub workflow
command (``linters.safe_text``).
"""

from __future__ import annotations

import difflib

from .findings import Finding, Result
from .safe_text import plain_lines, visible

_LABEL = {"allow": "ALLOW", "rewrite": "REWRITE", "hold": "HOLD", "block": "BLOCK"}


def _location(finding: Finding, message: dict[str, str]) -> str:
    if finding.part is None:
        return "message"
    text = message.get(finding.part, "")
    line = text.count("\n", 0, finding.start) + 1
    column = finding.start - (text.rfind("\n", 0, finding.start) + 1) + 1
    return f"{visible(finding.part)}:{line}:{column}"


def format_finding(finding: Finding, message: dict[str, str]) -> str:
    head = f"  {finding.rule} {finding.name} [{finding.action}] {_location(finding, message)}"
    lines = [head, f"      {visible(finding.message)}"]
    if finding.excerpt and finding.excerpt not in finding.message:
        lines.append(f"      > {visible(finding.excerpt)}")
    if finding.retry_at:
        lines.append(f"      retry at {finding.retry_at.isoformat()}")
    return "\n".join(lines)


def _quoted(text: str, limit: int = 70) -> str:
    flat = visible(text)
    return '"' + (flat if len(flat) <= limit else flat[: limit - 3] + "...") + '"'


def format_changes(result: Result) -> list[str]:
    """One line per edit: rule, where, what was replaced by what."""
    lines = []
    for change in result.changes:
        before = (result.original or {}).get(change.part, "")
        line = before.count("\n", 0, change.start) + 1
        column = change.start - (before.rfind("\n", 0, change.start) + 1) + 1
        what = "removed" if not change.replacement.strip() else f"-> {_quoted(change.replacement)}"
        where = f"{visible(change.part)}:{line}:{column}"
        lines.append(f"    {change.rule} {where} {_quoted(change.original)} {what}")
    return lines


def format_diff(result: Result) -> str:
    if not result.changes or result.original is None:
        return ""
    lines = ["  rewrite:", *format_changes(result)]
    for part, before in result.original.items():
        after = result.message.get(part, "")
        if before == after:
            continue
        diff = difflib.unified_diff(
            before.splitlines(),
            after.splitlines(),
            f"{visible(part)} (as written)",
            f"{visible(part)} (as sent)",
            lineterm="",
            n=1,
        )
        lines.extend(f"    {visible(line)}" for line in diff)
    return "\n".join(lines)


def format_text(result: Result, origin: str = "") -> str:
    where = f"  ({visible(origin)})" if origin and origin != result.id else ""
    lines = [f"{visible(result.id)}: {_LABEL[result.decision]}{where}"]
    source = result.original or result.message
    lines.extend(format_finding(f, source) for f in result.findings)
    if not result.findings:
        lines.append("  no findings")
    if result.retry_at:
        lines.append(f"  held until {result.retry_at.isoformat()}")
    diff = format_diff(result)
    if diff:
        lines.append(diff)
    return plain_lines("\n".join(lines))
