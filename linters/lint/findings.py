"""What the linter reports: an engine rule id and action, located in a template source."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache
from typing import Any

from ..catalog import catalog
from ..findings import Action

ACTION_STRENGTH = {Action.BLOCK: 4, Action.HOLD: 3, Action.REWRITE: 2, Action.WARN: 1, Action.OFF: 0}


@cache
def _identities() -> dict[str, tuple[str, Action]]:
    """Every rule's name and default action, from the catalog snapshot (no spaCy; a test
    fails when the snapshot is stale)."""
    return {entry["id"]: (entry["name"], Action(entry["default_action"])) for entry in catalog()}


def rule_identity(rule_id: str) -> tuple[str, Action]:
    """Name and default action of a rule id; an unknown id warns under its own name."""
    return _identities().get(rule_id, (rule_id.lower(), Action.WARN))


def known_rule_ids() -> set[str]:
    return set(_identities())


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
