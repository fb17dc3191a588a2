"""The one finding type every rule produces, and how findings become a decision."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any


class Action(StrEnum):
    """What policy does with a finding, strongest first."""

    BLOCK = "block"
    HOLD = "hold"
    REWRITE = "rewrite"
    WARN = "warn"
    OFF = "off"


class Decision(StrEnum):
    BLOCK = "block"
    HOLD = "hold"
    REWRITE = "rewrite"
    ALLOW = "allow"


_DECISION_OF = {
    Action.BLOCK: Decision.BLOCK,
    Action.HOLD: Decision.HOLD,
    Action.REWRITE: Decision.REWRITE,
}
_STRENGTH = [Decision.BLOCK, Decision.HOLD, Decision.REWRITE, Decision.ALLOW]


@dataclass(slots=True)
class Hit:
    """What a rule reports: a span of one part's readable text, or of no part.

    ``fix`` is the replacement text for the span when a safe edit is known ("" removes
    it). ``action`` overrides the rule's action for this hit (SG303 blocks on voice).
    """

    message: str
    part: str | None = None
    start: int = 0
    end: int = 0
    fix: str | None = None
    action: Action | None = None
    retry_at: datetime | None = None


@dataclass(slots=True)
class Finding:
    rule: str
    name: str
    action: Action
    message: str
    part: str | None
    start: int
    end: int
    excerpt: str
    fix: str | None = None
    retry_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["action"] = str(self.action)
        data["retry_at"] = self.retry_at.isoformat() if self.retry_at else None
        if data["retry_at"] is None:
            del data["retry_at"]
        return data


@dataclass(slots=True)
class Change:
    """One edit made by a rewrite, for the audit record."""

    rule: str
    part: str
    start: int
    end: int
    original: str
    replacement: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def decide(findings: list[Finding]) -> Decision:
    """The strongest action among the findings; warn and off do not change the decision."""
    decisions = {_DECISION_OF[f.action] for f in findings if f.action in _DECISION_OF}
    return next((d for d in _STRENGTH if d in decisions), Decision.ALLOW)


@dataclass(slots=True)
class Result:
    """The guard's verdict on one send request."""

    id: str
    decision: Decision
    findings: list[Finding]
    message: dict[str, str]
    changes: list[Change] = field(default_factory=list)
    retry_at: datetime | None = None
    original: dict[str, str] | None = None

    @property
    def sendable(self) -> bool:
        return self.decision in (Decision.ALLOW, Decision.REWRITE)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": self.id,
            "decision": str(self.decision),
            "findings": [f.to_dict() for f in self.findings],
            "message": self.message,
        }
        if self.changes:
            data["changes"] = [c.to_dict() for c in self.changes]
        if self.retry_at:
            data["retry_at"] = self.retry_at.isoformat()
        return data
