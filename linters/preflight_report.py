"""The preflight summary: what ``sendguard preflight`` reports after the last recipient.

The summary is built as verdicts stream past and keeps a bounded amount of detail
(a few examples per rule, the first stopped recipients), so a million recipients
take the same memory as a thousand. Its reports (text, json, html) are in
``linters/formats/``.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .campaign import Verdict

DECISIONS = ("allow", "rewrite", "hold", "block", "error")
EXAMPLES_PER_RULE = 3
STOPPED_KEPT = 1000
ERRORS_KEPT = 50


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
