"""Helpers several pressure rules share."""

from __future__ import annotations

from collections.abc import Iterator

from ...lint import hits as lint
from ...lint.segments import compatible


def _generic_addressees(part: lint.LintPart) -> list[tuple[lint.Analysed, str]]:
    return [(item, item.segment.excerpt(s, e)) for item, s, e, _ in lint.spans(part.every_part, "GENERIC_ADDRESSEE")]


def _pressure_in(part: lint.LintPart, labels: tuple[str, ...]) -> Iterator[tuple[lint.Analysed, int, int, str, str | None]]:
    """Urgent or personal wording in marketing, with the generic addressee (in any part,
    on a branch that can meet it) it stands next to, if any."""
    if not part.marketing:
        return
    generic = _generic_addressees(part)
    for label in labels:
        for item, start, end, said in lint.spans(part.items, label):
            conditions = item.segment.conditions
            near = next((name for other, name in generic if compatible(conditions, other.segment.conditions)), None)
            yield item, start, end, said, near
