"""What the linter reports: an engine rule id and action, located in a template source."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..catalog import LINT_ONLY_RULES as CATALOG_LINT_ONLY
from ..findings import Action
from ..registry import all_rules

# Rules only the linter has (SG9xx, SG000): their text lives in the catalog (linters/catalog.py).
LINT_ONLY_RULES: dict[str, tuple[str, Action, str]] = {
    rule_id: (entry["name"], Action(entry["default_action"]), entry["doc"].split("\n", 1)[0])
    for rule_id, entry in CATALOG_LINT_ONLY.items()
}
# Engine rules another module may not have registered yet: still reported under their public id.
_PLANNED_RULES: dict[str, tuple[str, Action]] = {
    "SG302": ("false-urgency", Action.WARN),
    "SG401": ("tracking-disclosure", Action.BLOCK),
}
ACTION_STRENGTH = {Action.BLOCK: 4, Action.HOLD: 3, Action.REWRITE: 2, Action.WARN: 1, Action.OFF: 0}


def rule_identity(rule_id: str) -> tuple[str, Action]:
    """Name and default action of a rule id, registered or not."""
    registered = {r.id: r for r in all_rules()}
    if rule_id in registered:
        return registered[rule_id].name, registered[rule_id].default_action
    if rule_id in LINT_ONLY_RULES:
        name, action, _ = LINT_ONLY_RULES[rule_id]
        return name, action
    return _PLANNED_RULES.get(rule_id, (rule_id.lower(), Action.WARN))


def known_rule_ids() -> set[str]:
    return {r.id for r in all_rules()} | set(LINT_ONLY_RULES) | set(_PLANNED_RULES)


@dataclass(slots=True)
class LintFinding:
    """One finding located in a template source; lines and columns are 1-based."""

    rule: str
    name: str
    action: Action
    message: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    part: str | None = None
    excerpt: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["action"] = str(self.action)
        return data

    def sort_key(self) -> tuple[str, int, int, str]:
        return self.path, self.line, self.column, self.rule


@dataclass(slots=True)
class CustomerSummary:
    """One rule's findings over a sample of customers, for one template."""

    path: str
    rule: str
    name: str
    action: Action
    count: int
    customers: int
    example_customer: str
    example_message: str

    @property
    def share(self) -> float:
        return self.count / self.customers if self.customers else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["action"] = str(self.action)
        data["share"] = round(self.share, 4)
        return data
