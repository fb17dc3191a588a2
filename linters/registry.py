"""The rule catalog: every rule registers here with its stable id.

A rule is a function ``(message, settings) -> Iterable[Hit]`` in the module of its
family (``linters/rules/sg1_personalization.py`` holds SG1xx, and so on). Its
docstring is the explanation ``sendguard rule SGxxx`` prints.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from .findings import Action, Hit

if TYPE_CHECKING:
    from .message import Message


class NoSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Settings(BaseModel):
    """Base for a rule's thresholds; unknown keys in a policy file are errors."""

    model_config = ConfigDict(extra="forbid")


RuleCheck = Callable[["Message", Any], Iterable[Hit]]


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    default_action: Action
    check: RuleCheck
    settings: type[BaseModel]
    module: str

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.split("\n", 1)[0]


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str, name: str, default_action: Action, settings: type[BaseModel] = NoSettings
) -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule function under its stable id."""

    def register(check: RuleCheck) -> RuleCheck:
        if rule_id in RULES:
            raise RuntimeError(f"rule {rule_id} is registered twice")
        RULES[rule_id] = Rule(rule_id, name, default_action, check, settings, check.__module__)
        return check

    return register


@cache
def all_rules() -> tuple[Rule, ...]:
    from . import rules  # noqa: F401  - importing the families registers them

    return tuple(RULES[key] for key in sorted(RULES))
