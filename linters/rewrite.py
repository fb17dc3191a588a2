"""Safe rewrites: apply the fixes of ``rewrite`` findings, then check the result again.

A rule that knows a safe edit gives its hit a ``fix`` (the replacement for the span;
"" removes it). Edits are made to the rendered parts; in HTML only inside text, so
markup stays intact. The edited message is linted again: if a rewritten rule still
fires, or an edit could not be made safely, the decision becomes ``block``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from linters.findings import Action, Change, Decision, Finding, Hit, Result, decide
from linters.message import Message, build_part
from linters.render import Value

if TYPE_CHECKING:
    from linters.policy import Policy

UNSAFE_RULE = "SG000"


def _edits_for(result: Result) -> dict[str, list[Finding]]:
    edits: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.action == Action.REWRITE and finding.part is not None:
            edits.setdefault(finding.part, []).append(finding)
    return edits


def _apply(sent: str, findings: list[Finding]) -> tuple[str, list[Change]] | None:
    """Apply non-overlapping fixes right to left; None when any has no safe fix."""
    changes: list[Change] = []
    text = sent
    last_start = len(sent) + 1
    for finding in sorted(findings, key=lambda f: f.start, reverse=True):
        if finding.fix is None:
            return None
        if finding.end > last_start:
            continue  # overlaps an edit already made for another finding
        original = text[finding.start : finding.end]
        if finding.part == "html" and ("<" in original or ">" in original):
            return None  # the span crosses markup: not a text-only edit
        text = text[: finding.start] + finding.fix + text[finding.end :]
        changes.append(
            Change(finding.rule, finding.part or "", finding.start, finding.end, original, finding.fix)
        )
        last_start = finding.start
    changes.reverse()
    text = _tidy(text)
    if not text.strip():
        return None  # an edit that empties a part (a subject that was all claim) is no rewrite
    return text, changes


def _tidy(text: str) -> str:
    """Remove the doubled spaces and stray space before punctuation an edit leaves."""
    import re

    text = re.sub(r"[ \t]{2,}", " ", text)
    text = re.sub(r" +([,.!?;:])", r"\1", text)
    return re.sub(r"(^|\n)[ \t]+", r"\1", text)


def _block(result: Result, why: str) -> None:
    result.decision = Decision.BLOCK
    result.findings.append(Finding(UNSAFE_RULE, "unsafe-rewrite", Action.BLOCK, why, None, 0, 0, ""))


def rewrite_message(message: Message, result: Result, policy: Policy) -> None:
    """Rewrite ``result`` in place: new message, changes, and the re-checked decision."""
    from linters.engine import run_rules

    parts = dict(message.parts)
    changes: list[Change] = []
    for name, findings in _edits_for(result).items():
        applied = _apply(parts[name].sent, findings)
        if applied is None:
            _block(result, f"no safe edit is known for every rewrite finding in the {name} part")
            return
        text, part_changes = applied
        parts[name] = build_part(name, text, _values_after(parts[name].values, part_changes))
        changes.extend(part_changes)
    edited = Message(message.request, message.customer, parts, message.now)
    again = run_rules(edited, policy)
    rewritten = {c.rule for c in changes}
    result.original = result.message
    result.message = {name: part.sent for name, part in parts.items()}
    result.changes = changes
    still = [f for f in again if f.rule in rewritten]
    if still:
        _block(result, f"the rewritten message still fails {', '.join(sorted({f.rule for f in still}))}")
        return
    result.decision = max(decide(again), Decision.REWRITE, key=_strength)


def _strength(decision: Decision) -> int:
    return [Decision.ALLOW, Decision.REWRITE, Decision.HOLD, Decision.BLOCK].index(decision)


def _values_after(values: tuple[Value, ...], changes: list[Change]) -> tuple[Value, ...]:
    """Provenance after the edits: values an edit touched are dropped, later ones shift."""
    if values and changes and changes[0].part == "html":
        return ()  # HTML provenance is recomputed from visible text; keep it simple
    kept: list[Value] = []
    for value in values:
        shift = 0
        touched = False
        for change in changes:
            if change.end <= value.start:
                shift += len(change.replacement) - (change.end - change.start)
            elif change.start < value.end:
                touched = True
        if not touched:
            kept.append(Value(value.start + shift, value.end + shift, value.path, value.missing))
    return tuple(kept)


__all__ = ["Hit", "rewrite_message"]
