"""Text for a terminal: lint's findings with source snippets, check's report per message
(rewrites as a diff), preflight's summary and stopped recipients, ``review list``.

Every field is shown with its control characters escaped, and no line can be read as a
GitHub workflow command (``linters.safe_text``)."""

from __future__ import annotations

import difflib
import unicodedata
from collections import Counter
from typing import TYPE_CHECKING, Any

from ..findings import Action
from ..safe_text import error_line, plain_lines, visible
from .shared import Sources, customer_line, readable_time

if TYPE_CHECKING:
    from ..campaign import Verdict
    from ..findings import Finding, Result
    from ..lint.findings import CustomerSummary, LintFinding
    from ..preflight_report import Summary


# --- sendguard lint ------------------------------------------------------------------------

SNIPPET_LINES = 3  # source lines shown under one finding; a longer span ends in "..."
SNIPPET_WIDTH = 100  # columns of a source line shown; a longer line is cut around the span
_CONTEXT = 24  # columns kept left of the span when a line is cut
_TAB = "    "


def _cell(char: str) -> tuple[str, int]:
    """How one source character is shown, and how many terminal columns it takes."""
    if char == "\t":
        return _TAB, len(_TAB)
    shown = visible(char)
    if shown != char:  # a control character, written as its escape
        return shown, len(shown)
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return char, 0
    return char, 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def _marked_line(source: str, start: int, end: int) -> tuple[str, str]:
    """``source`` as shown, and the caret line under characters ``start:end``."""
    cells = [_cell(char) for char in source]
    columns = [0]
    for _, width in cells:
        columns.append(columns[-1] + width)
    left, right = columns[start], max(columns[end], columns[start] + 1)
    first, last = 0, len(cells)
    if columns[-1] > SNIPPET_WIDTH:  # cut a long line (minified HTML) around the span
        while first < start and left - columns[first] > _CONTEXT:
            first += 1
        while last > end and columns[last] - columns[first] > SNIPPET_WIDTH:
            last -= 1
    prefix = "..." if first else ""
    suffix = "..." if last < len(cells) else ""
    shown = prefix + "".join(text for text, _ in cells[first:last]) + suffix
    offset = len(prefix) - columns[first]
    carets = " " * (left + offset) + "^" * max(1, right - left)
    return shown, carets


def snippet(text: str, finding: LintFinding) -> list[str]:
    """The source lines of ``finding``'s span with carets under it, as ruff shows them;
    [] when the location is not in ``text``."""
    lines = text.split("\n")
    if not 1 <= finding.line <= len(lines):
        return []
    end_line, end_column = finding.end_line, finding.end_column
    if end_line > finding.line and end_column <= 1:  # the span ends with a line break
        end_line -= 1
        end_column = len(lines[end_line - 1].removesuffix("\r")) + 1
    end_line = min(max(end_line, finding.line), len(lines))
    last = min(end_line, finding.line + SNIPPET_LINES - 1)
    gutter = " " * len(str(last))
    shown = [f"{gutter} |"]
    for number in range(finding.line, last + 1):
        source = lines[number - 1].removesuffix("\r")
        start = min(max(finding.column - 1, 0), len(source)) if number == finding.line else 0
        end = min(max(end_column - 1, start), len(source)) if number == end_line else len(source)
        line, carets = _marked_line(source, start, end)
        shown += [f"{number:>{len(gutter)}} | {line}".rstrip(), f"{gutter} | {carets}"]
    if last < end_line:
        shown.append(f"{gutter} | ...")
    return [*shown, f"{gutter} |", ""]


def lint_report(
    findings: list[LintFinding],
    summaries: list[CustomerSummary],
    *,
    sources: Sources | None = None,
    fail_on: str = "block",
) -> str:
    """A line per finding (``path:line:column: rule name message [action]``), the source
    under it when ``sources`` has the file's text, a line per customer summary, a total."""
    lines = []
    for f in findings:
        lines.append(
            f"{visible(f.path)}:{f.line}:{f.column}: {visible(f.rule)} {visible(f.message)} [{f.action}]"
        )
        text = (sources or {}).get(f.path)
        if text is not None:
            lines += snippet(text, f)
    lines += [f"{visible(s.path)}: {visible(customer_line(s))} [{s.action}]" for s in summaries]
    counts = Counter(str(f.action) for f in findings)
    if findings:
        detail = ", ".join(f"{counts[a.value]} {a.value}" for a in Action if counts[a.value])
        lines.append(f"Found {len(findings)} finding{'s' if len(findings) != 1 else ''} ({detail}).")
    else:
        lines.append("All templates passed.")
    return plain_lines("\n".join(lines))


# --- sendguard check: one short block per message, rewrites shown as a diff ----------------

# linters.message.SEEN_PARTS, named here so the formats need not import the NLP side.
READ_FROM_HTML = ("preheader", "alt")
_LABEL = {"allow": "ALLOW", "rewrite": "REWRITE", "hold": "HOLD", "block": "BLOCK"}


def _location(finding: Finding, message: dict[str, str]) -> str:
    if finding.part is None:
        return "message"
    # The preheader and alt parts are read from the HTML: their offsets are the HTML's.
    read_from_html = finding.part in READ_FROM_HTML
    text = message.get("html" if read_from_html else finding.part, "")
    line = text.count("\n", 0, finding.start) + 1
    column = finding.start - (text.rfind("\n", 0, finding.start) + 1) + 1
    if read_from_html:
        return f"{visible(finding.part)} (html:{line}:{column})"
    return f"{visible(finding.part)}:{line}:{column}"


def check_finding(finding: Finding, message: dict[str, str]) -> str:
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


def check_changes(result: Result) -> list[str]:
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


def check_diff(result: Result) -> str:
    if not result.changes or result.original is None:
        return ""
    lines = ["  rewrite:", *check_changes(result)]
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


def check_result(result: Result, origin: str = "") -> str:
    """The decision, each finding where it is, the hold, the rewrite as a diff."""
    where = f"  ({visible(origin)})" if origin and origin != result.id else ""
    lines = [f"{visible(result.id)}: {_LABEL[result.decision]}{where}"]
    source = result.original or result.message
    lines.extend(check_finding(f, source) for f in result.findings)
    if not result.findings:
        lines.append("  no findings")
    if result.retry_at:
        lines.append(f"  held until {result.retry_at.isoformat()}")
    diff = check_diff(result)
    if diff:
        lines.append(diff)
    return plain_lines("\n".join(lines))


_DONE = (("allow", "allowed"), ("rewrite", "rewritten"), ("hold", "held"), ("block", "blocked"))


def check_summary(counts: Counter[str]) -> str:
    """The last line of ``check``'s text report: "3 requests: 1 allowed, 1 rewritten,
    1 blocked", with held and errors when there are some. ``counts`` is by decision
    (``allow``, ``rewrite``, ``hold``, ``block``) and ``error``."""
    total = sum(counts[d] for d, _ in _DONE) + counts["error"]
    parts = [f"{counts[d]:,} {done}" for d, done in _DONE if counts[d] or d != "hold"]
    if counts["error"]:
        parts.append(f"{counts['error']:,} error{'s' if counts['error'] != 1 else ''}")
    return f"{total:,} request{'s' if total != 1 else ''}: {', '.join(parts)}"


# --- sendguard preflight ------------------------------------------------------------------


TOP_RULES = 10  # rules the preflight summary shows, most frequent first


def percent(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else ""


def preflight_stopped(verdict: Verdict) -> str:
    """The line printed as a blocked or held recipient is judged."""
    return error_line(f"{verdict.id}  {verdict.decision}  {' '.join(verdict.rules)}")


def preflight_summary(summary: Summary) -> str:
    """The summary for a terminal: counts by decision, then by rule with a few examples.
    The blocked and held recipients are the lines printed above it, one each, as they
    are judged. Template, recipient ids and messages have their control characters
    escaped, and no line is a GitHub workflow command."""
    from ..preflight_report import DECISIONS, rule_names

    names = rule_names()
    lines = [
        f"preflight: {visible(summary.template)} to {summary.total:,} recipients ({visible(summary.recipients)}), "
        f"as of {visible(readable_time(summary.now))}",
        "",
    ]
    for decision in DECISIONS:
        count = summary.decisions[decision]
        if count:
            lines.append(f"  {decision:<8}{count:>12,}  {percent(count, summary.total)}")
    if summary.rules:
        lines += ["", "rules (recipients):"]
    ranked = summary.rules.most_common(TOP_RULES)
    width = max((len(visible(f"{rule} {names.get(rule, '')}")) for rule, _ in ranked), default=0)
    for rule, count in ranked:
        label = visible(f"{rule} {names.get(rule, '')}")
        lines.append(f"  {label:<{width}}{count:>12,}")
        for example in summary.examples.get(rule, []):
            lines.append(f"      {visible(example['id'])}: {visible(example['message'])}")
    if len(summary.rules) > TOP_RULES:
        lines.append(f"  ... and {len(summary.rules) - TOP_RULES} more rules (--statistics counts them all)")
    if summary.stopped_count:
        lines += ["", f"would block or hold {summary.stopped_count:,} recipients (listed above)"]
    return plain_lines("\n".join(lines))


# --- sendguard review list ------------------------------------------------------------------


def review_list(rows: list[dict[str, Any]]) -> str:
    """A table of quarantined messages. Ids, campaigns and rules come from the senders'
    requests: every field is shown with its control characters escaped."""
    lines = [f"{'ID':<34} {'STATE':<9} {'QUARANTINED AT':<26} {'CAMPAIGN':<20} RULES"]
    for row in rows:
        lines.append(
            f"{visible(row['id'])[:34]:<34} {visible(row['state']):<9} {visible(row['at'])[:25]:<26} "
            f"{visible(row['campaign'] or '-')[:20]:<20} {visible(' '.join(row['rules']))}"
        )
    return plain_lines("\n".join(lines))
