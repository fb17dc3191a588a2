"""Run the policy's rules over a rendered message: findings, in a stable order.

Shared by the engine (``check``), the campaign path and the rewrite's re-check, so
none of them has to import another to lint a message.
"""

from __future__ import annotations

from typing import Any

from .findings import Action, Finding, Hit
from .message import PART_ORDER, Message
from .policy import Policy
from .registry import Rule
from .rules import all_rules

ActiveRule = tuple[Rule, Action, Any]

# Findings are listed by part in this order (findings of no part first).
_PART_RANK = {name: i for i, name in enumerate((None, *PART_ORDER))}


def _finding(rule: Rule, action: Action, hit: Hit, message: Message) -> Finding:
    part = message.part(hit.part) if hit.part else None
    if part is None:
        return Finding(rule.id, rule.name, action, hit.message, None, 0, 0, "", hit.fix, hit.retry_at)
    start, end = part.to_sent(hit.start, hit.end)
    excerpt = " ".join(part.written(hit.start, hit.end).split())
    return Finding(
        rule.id, rule.name, action, hit.message, hit.part, start, end, excerpt, hit.fix, hit.retry_at
    )


def active_rules(policy: Policy) -> list[ActiveRule]:
    """The rules ``policy`` leaves on, with their action and settings: computed once per
    campaign instead of once per message."""
    return [
        (rule, action, policy.settings_for(rule))
        for rule in all_rules()
        if (action := policy.action(rule)) != Action.OFF
    ]


def run_rules(message: Message, policy: Policy, active: list[ActiveRule] | None = None) -> list[Finding]:
    findings: list[Finding] = []
    for rule, action, settings in active_rules(policy) if active is None else active:
        for hit in rule.check(message, settings):
            chosen = hit.action if hit.action and policy.actions.get(rule.id) is None else action
            findings.append(_finding(rule, chosen, hit, message))
    # Stable output: by part order, then position, then rule id.
    if len(findings) > 1:
        findings.sort(key=lambda f: (_PART_RANK.get(f.part, 9), f.start, f.rule))
    return findings
