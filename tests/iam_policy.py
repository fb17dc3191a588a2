"""A small IAM policy evaluator for the tests of policies/ and the guard's role.

It follows the IAM policy evaluation rules for what our policies use, and refuses
anything else (an unknown element or condition operator raises, so a policy that grows
past what this can judge fails its tests instead of passing them by accident):

- ``Action``/``NotAction``: case-insensitive, ``*`` and ``?`` wildcards.
- ``Resource``/``NotResource``: case-sensitive, wildcards match across ``:``.
- Conditions: ``ArnLike``/``ArnNotLike``/``ArnEquals``/``ArnNotEquals`` (each of the six
  colon-delimited ARN parts matched on its own), ``StringEquals``/``StringNotEquals``,
  ``StringLike``/``StringNotLike``. Several values for one key: any may match (a negated
  operator: none may). Several keys or operators: all must hold. A key missing from the
  request: false, except for negated operators, where it is true.
- An explicit Deny wins; otherwise an Allow that applies allows; otherwise denied.

Source of the rules: the IAM User Guide, "Policy evaluation logic" and "IAM JSON policy
elements: Condition operators".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from typing import Any

KNOWN_ELEMENTS = {"Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"}


@dataclass(frozen=True)
class Request:
    """One API call as IAM sees it: the action, the resource and the context keys."""

    action: str
    resource: str
    context: dict[str, str] = field(default_factory=dict)

    @classmethod
    def by(cls, principal_arn: str, action: str, resource: str = "*") -> Request:
        return cls(action, resource, {"aws:PrincipalArn": principal_arn})


@cache
def _pattern(glob: str, ignore_case: bool) -> re.Pattern[str]:
    parts = (".*" if c == "*" else "." if c == "?" else re.escape(c) for c in glob)
    return re.compile("".join(parts), re.IGNORECASE | re.DOTALL if ignore_case else re.DOTALL)


def glob_match(glob: str, value: str, ignore_case: bool = False) -> bool:
    return _pattern(glob, ignore_case).fullmatch(value) is not None


def arn_like(pattern: str, arn: str) -> bool:
    """ArnLike: the six colon-delimited parts each match on their own."""
    wanted, given = pattern.split(":", 5), arn.split(":", 5)
    if len(wanted) != 6 or len(given) != 6:
        return False
    return all(glob_match(w, g) for w, g in zip(wanted, given, strict=True))


_OPERATORS = {
    "ArnLike": (arn_like, False),
    "ArnEquals": (arn_like, False),  # IAM treats ArnEquals like ArnLike
    "ArnNotLike": (arn_like, True),
    "ArnNotEquals": (arn_like, True),
    "StringEquals": (lambda p, v: p == v, False),
    "StringNotEquals": (lambda p, v: p == v, True),
    "StringLike": (glob_match, False),
    "StringNotLike": (glob_match, True),
}


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def condition_holds(condition: dict[str, Any], context: dict[str, str]) -> bool:
    for operator, keys in condition.items():
        if operator not in _OPERATORS:
            raise ValueError(f"condition operator {operator!r}: this evaluator does not know it")
        match, negated = _OPERATORS[operator]
        for key, patterns in keys.items():
            # Context keys are case-insensitive.
            value = next((v for k, v in context.items() if k.lower() == key.lower()), None)
            if value is None:
                if not negated:
                    return False
                continue
            matched = any(match(p, value) for p in _as_list(patterns))
            if matched == negated:
                return False
    return True


def applies(statement: dict[str, Any], request: Request) -> bool:
    unknown = set(statement) - KNOWN_ELEMENTS
    if unknown:
        raise ValueError(f"statement elements {sorted(unknown)}: this evaluator does not know them")
    if "Action" in statement:
        action_ok = any(glob_match(a, request.action, True) for a in _as_list(statement["Action"]))
    else:
        action_ok = not any(glob_match(a, request.action, True) for a in _as_list(statement["NotAction"]))
    if "Resource" in statement:
        resource_ok = any(glob_match(r, request.resource) for r in _as_list(statement["Resource"]))
    else:
        resource_ok = not any(glob_match(r, request.resource) for r in _as_list(statement["NotResource"]))
    return action_ok and resource_ok and condition_holds(statement.get("Condition", {}), request.context)


def denies(policy: dict[str, Any], request: Request) -> bool:
    """An explicit Deny in the policy applies (what an SCP or boundary deny does)."""
    return any(s["Effect"] == "Deny" and applies(s, request) for s in policy["Statement"])


def allows(policy: dict[str, Any], request: Request) -> bool:
    """Allowed by this policy alone: some Allow applies and no Deny does."""
    if denies(policy, request):
        return False
    return any(s["Effect"] == "Allow" and applies(s, request) for s in policy["Statement"])
