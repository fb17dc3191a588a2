"""The preflight summary: what ``sendguard preflight`` reports after the last recipient.

The summary is built as verdicts stream past and keeps a bounded amount of detail
(a few examples per rule, the first stopped and rewritten recipients, a few rewrites
as before and after), so a million recipients take the same memory as a thousand.
Its reports (text, json, html) are in ``linters/formats/``.
"""

from __future__ import annotations

import difflib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .campaign import Verdict

DECISIONS = ("allow", "rewrite", "hold", "block", "error")
EXAMPLES_PER_RULE = 3
STOPPED_KEPT = 1000
REWRITTEN_KEPT = 1000
REWRITES_KEPT = 5  # rewrites kept as before and after, each of a different set of rules
EDITS_PER_REWRITE = 2  # changed passages shown of one rewrite
EXCERPT_LINES = 3  # lines of a passage before (and after) a rewrite
TEMPLATE_LINES = 6  # lines of the template's text in the report
LINE_CHARS = 200  # a longer line of an excerpt is cut
ERRORS_KEPT = 50


def _cut(line: str, limit: int = LINE_CHARS) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "\u2026"


def first_lines(text: str, count: int = TEMPLATE_LINES) -> list[str]:
    """The lines of ``text`` up to its ``count``th non-blank one (blank lines between kept,
    runs of them as one), each cut to ``LINE_CHARS``; a last "\u2026" when more follows."""
    shown: list[str] = []
    written = 0
    for raw in text.strip().splitlines():
        line = raw.rstrip()
        if written == count:
            shown.append("\u2026")
            break
        if line.strip():
            written += 1
        elif shown and not shown[-1]:
            continue
        shown.append(_cut(line))
    return shown


def rewrite_edits(original: Mapping[str, str], sent: Mapping[str, str]) -> list[dict[str, Any]]:
    """The first passages a rewrite changed: ``{"part", "before", "after"}`` with a few
    lines each, at most ``EDITS_PER_REWRITE``."""
    edits: list[dict[str, Any]] = []
    for part, before in original.items():
        after = sent.get(part, "")
        if before == after:
            continue
        old, new = before.splitlines(), after.splitlines()
        matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
        for tag, i1, i2, j1, j2 in matcher.get_opcodes():
            if tag == "equal":
                continue
            edits.append(
                {
                    "part": part,
                    "before": [_cut(line) for line in old[i1:i2][:EXCERPT_LINES]],
                    "after": [_cut(line) for line in new[j1:j2][:EXCERPT_LINES]],
                }
            )
            if len(edits) >= EDITS_PER_REWRITE:
                return edits
    return edits


@dataclass(slots=True)
class Summary:
    template: str = ""
    recipients: str = ""
    now: str = ""
    total: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    stopped: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    rewritten: list[dict[str, Any]] = field(default_factory=list)  # the first REWRITTEN_KEPT
    rewrites: list[dict[str, Any]] = field(default_factory=list)  # {"id", "rules", "edits"}
    subject: str = ""  # the template's subject, as written
    text_lines: list[str] = field(default_factory=list)  # the first lines of its text

    def describe_template(self, parts: Mapping[str, str]) -> None:
        """Keep the template's subject and the first lines of its text (else its HTML)."""
        self.subject = _cut(" ".join((parts.get("subject") or "").split()))
        self.text_lines = first_lines(parts.get("text") or parts.get("html") or "")

    def add(self, verdict: Verdict) -> None:
        self.total += 1
        if verdict.error is not None:
            self.decisions["error"] += 1
            if len(self.errors) < ERRORS_KEPT:
                self.errors.append(verdict.to_dict())
            return
        decision = verdict.decision or "error"
        self.decisions[decision] += 1
        self.rules.update(verdict.rules)
        for rule, message, excerpt in verdict.examples:
            kept = self.examples.setdefault(rule, [])
            if len(kept) < EXAMPLES_PER_RULE and all(k["message"] != message for k in kept):
                kept.append({"id": verdict.id or "", "message": message, "excerpt": excerpt})
        if decision in ("block", "hold") and len(self.stopped) < STOPPED_KEPT:
            self.stopped.append(verdict.to_dict())
        if decision == "rewrite" and len(self.rewritten) < REWRITTEN_KEPT:
            self.rewritten.append(verdict.to_dict())

    @property
    def wants_rewrites(self) -> bool:
        """Whether fewer than ``REWRITES_KEPT`` rewrites are kept as before and after."""
        return len(self.rewrites) < REWRITES_KEPT

    def wants_rewrite(self, verdict: Verdict) -> bool:
        """Whether a rewrite of ``verdict``'s recipient is worth keeping as before and
        after: one more is wanted, and none kept has the same rules."""
        return (
            verdict.decision == "rewrite"
            and self.wants_rewrites
            and all(kept["rules"] != list(verdict.rules) for kept in self.rewrites)
        )

    def add_rewrite(self, verdict: Verdict, original: Mapping[str, str], sent: Mapping[str, str]) -> None:
        """Keep a rewrite of ``verdict``'s recipient: its parts as written and as sent."""
        edits = rewrite_edits(original, sent)
        if edits and self.wants_rewrite(verdict):
            self.rewrites.append({"id": verdict.id or "", "rules": list(verdict.rules), "edits": edits})

    @property
    def stopped_count(self) -> int:
        return self.decisions["block"] + self.decisions["hold"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "recipients_file": self.recipients,
            "now": self.now,
            "recipients": self.total,
            "decisions": {d: self.decisions[d] for d in DECISIONS if self.decisions[d]},
            "rules": dict(self.rules.most_common()),
            "examples": {rule: self.examples.get(rule, []) for rule, _ in self.rules.most_common()},
            "stopped": self.stopped,
            "stopped_total": self.stopped_count,
            "errors": self.errors,
            "errors_total": self.decisions["error"],
        }


def rule_names() -> dict[str, str]:
    """Rule id -> name, for the reports (loads the rules)."""
    from .rules import all_rules

    return {rule.id: rule.name for rule in all_rules()}
