"""SG901 bad-suppression: A sendguard-disable comment without a reason, or naming no known rule."""

from __future__ import annotations

from collections.abc import Iterator

from ...findings import Action, Hit
from ...registry import INPUT, NoSettings, rule


@rule("SG901", "bad-suppression", Action.BLOCK, NoSettings, stage=INPUT)
def bad_suppression(message: object, settings: NoSettings) -> Iterator[Hit]:
    """A sendguard-disable comment without a reason, or naming no known rule.

    Write `{{!-- sendguard-disable SG201: reason --}}`: the rule id and a reason a reviewer can judge are both required.
    """
    return iter(())
