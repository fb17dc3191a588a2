"""Rule selection from the command line, the way ruff reads ``--select`` and ``--ignore``.

A selector is a rule id (``SG201``), a prefix of one (``SG2`` is every SG2xx rule) or
``ALL``. For each rule the most specific matching selector decides; on a tie,
``--ignore`` wins. Without ``--select`` every rule the policy enables stays on.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .catalog import catalog
from .findings import Action

_SELECTOR = re.compile(r"^(ALL|SG\d{0,3})$")


class SelectionError(ValueError):
    """A selector that names no rule; the message says which."""


def parse_selectors(option: str, values: Iterable[str] | None) -> tuple[str, ...]:
    """``["SG1,SG201", "sg3"]`` -> ``("SG1", "SG201", "SG3")``, each checked against the catalog."""
    known = [entry["id"] for entry in catalog()]
    selectors: list[str] = []
    for value in values or ():
        for item in value.split(","):
            selector = item.strip().upper()
            if not selector:
                continue
            if not _SELECTOR.match(selector) or not any(_covers(selector, rule) for rule in known):
                raise SelectionError(f"{option} {item.strip()}: no rule matches (see `sendguard rule --all`)")
            selectors.append(selector)
    return tuple(selectors)


def _covers(selector: str, rule_id: str) -> bool:
    return selector == "ALL" or rule_id.startswith(selector)


def _specificity(selector: str) -> int:
    return 0 if selector == "ALL" else len(selector)


@dataclass(frozen=True, slots=True)
class Selection:
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return self.select is None and not self.extend_select and not self.ignore

    def enabled(self, rule_id: str) -> bool:
        best = -1 if self.select is not None else 0  # no --select: on unless ignored
        on = self.select is None
        for selector in (*(self.select or ()), *self.extend_select):
            if _covers(selector, rule_id) and _specificity(selector) > best:
                best, on = _specificity(selector), True
        for selector in self.ignore:
            if _covers(selector, rule_id) and _specificity(selector) >= best:
                best, on = _specificity(selector), False
        return on

    def apply(self, policy):  # type: ignore[no-untyped-def]  - a linters.policy.Policy
        """A copy of ``policy`` with every deselected rule turned off."""
        if self.is_default:
            return policy
        off = {entry["id"]: Action.OFF for entry in catalog() if not self.enabled(entry["id"])}
        return dataclasses.replace(policy, actions={**policy.actions, **off}, settings=dict(policy.settings))

    def describe(self) -> dict[str, list[str] | None]:
        return {
            "select": list(self.select) if self.select is not None else None,
            "extend_select": list(self.extend_select),
            "ignore": list(self.ignore),
        }


def selection_from_args(select: list[str] | None, extend: list[str] | None, ignore: list[str] | None) -> Selection:
    chosen = parse_selectors("--select", select) if select else None
    return Selection(chosen, parse_selectors("--extend-select", extend), parse_selectors("--ignore", ignore))
