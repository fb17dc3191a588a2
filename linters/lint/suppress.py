"""Suppression comments in templates (Handlebars comments never reach the reader).

    {{!-- sendguard-disable-next-line SG302: the sale really ends Friday --}}
    {{!-- sendguard-disable SG201, SG202: only sent to the VIP list --}} ... {{!-- sendguard-enable SG201, SG202 --}}

A disable without a reason, or naming no known rule, is itself a finding (SG901), and
so is one naming SG900, SG901 or SG902: those are never switched off (a template that
does not parse has no comments to read anyway).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..handlebars import Comment, Node, walk
from ..selection import NEVER_IGNORED
from .hits import StaticHit

_DIRECTIVE = re.compile(
    r"^sendguard-(?P<kind>disable-next-line|disable|enable)(?![\w-])\s*"
    r"(?P<ids>[^:]*?)\s*(?::\s*(?P<reason>.*))?$",
    re.S,
)
_RULE_ID = re.compile(r"^SG\d{3}$")


@dataclass(slots=True)
class Suppression:
    rules: frozenset[str]
    start: int
    end: int

    def covers(self, hit: StaticHit) -> bool:
        return hit.rule in self.rules and self.start <= hit.start < self.end


def _line_after(source: str, offset: int) -> tuple[int, int]:
    start = source.find("\n", offset)
    if start < 0:
        return len(source), len(source)
    end = source.find("\n", start + 1)
    return start + 1, len(source) if end < 0 else end


def suppressions(source: str, tree: list[Node], known: set[str]) -> tuple[list[Suppression], list[StaticHit]]:
    """The suppressions of one part and the SG901 findings about malformed ones."""
    found: list[Suppression] = []
    problems: list[StaticHit] = []
    open_blocks: dict[str, int] = {}
    for node in walk(tree):
        if not isinstance(node, Comment):
            continue
        match = _DIRECTIVE.match(node.text)
        if not match:
            continue
        kind, reason = match.group("kind"), (match.group("reason") or "").strip()
        ids = [i.upper() for i in re.split(r"[\s,]+", match.group("ids")) if i]
        bad = [i for i in ids if not _RULE_ID.match(i) or i not in known]
        fixed = [i for i in ids if i in NEVER_IGNORED]
        excerpt = " ".join(node.text.split())
        if bad or fixed or (not ids and kind != "enable"):
            if bad:
                what = f"unknown rule id {bad[0]!r}"
            elif fixed:
                what = f"{fixed[0]}, which cannot be switched off"
            else:
                what = "no rule id"
            problems.append(
                StaticHit("SG901", f"sendguard-{kind} names {what}", node.start, node.end, excerpt)
            )
            continue
        if kind != "enable" and not reason:
            problems.append(
                StaticHit(
                    "SG901",
                    f"sendguard-{kind} {', '.join(ids)} gives no reason (add ': why this is fine')",
                    node.start,
                    node.end,
                    excerpt,
                )
            )
        if kind == "disable-next-line":
            found.append(Suppression(frozenset(ids), *_line_after(source, node.end)))
        elif kind == "disable":
            for rule_id in ids:
                open_blocks.setdefault(rule_id, node.end)
        else:
            for rule_id in ids or list(open_blocks):
                if rule_id in open_blocks:
                    found.append(Suppression(frozenset({rule_id}), open_blocks.pop(rule_id), node.start))
    found.extend(
        Suppression(frozenset({rule_id}), start, len(source)) for rule_id, start in open_blocks.items()
    )
    return found, problems


def apply(hits: list[StaticHit], active: list[Suppression]) -> list[StaticHit]:
    return [hit for hit in hits if not any(s.covers(hit) for s in active)]
