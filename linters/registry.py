"""The rule registry: every rule registers here with its stable id, in one place.

A rule lives in the module of its family (``linters/rules/sg1_personalization.py``
holds SG1xx, and so on) and declares there, with :func:`rule`, its id, name, default
action and settings; its docstring is the explanation ``sendguard rule SGxxx``
prints. A rule with a template-time check (what ``sendguard lint`` reports on fixed
text, under the ``{{#if}}`` conditions it sits in) declares it beside the rule with
:func:`lint_check`, so send time and lint time share one home. SG000 and SG900-SG902
register the same way, with the stage at which they are reported.

This module imports no rule: ``linters.rules`` imports the families (which register
here) and lists them (``linters.rules.all_rules``).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
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
# ``(part) -> hits``: a rule's check of a template's fixed text (``linters.lint.hits``).
LintCheck = Callable[[Any], Iterable[Any]]

# When a rule is reported: on every message (the engine runs it), by the rewrite step
# when an edit would change what the message says (SG000), or by ``sendguard lint``
# about its input (SG9xx: syntax, suppressions, unreadable files).
MESSAGE, REWRITE, INPUT = "message", "rewrite", "input"


@dataclass(frozen=True, slots=True)
class Rule:
    id: str
    name: str
    default_action: Action
    check: RuleCheck
    settings: type[BaseModel]
    module: str
    lint: LintCheck | None = None
    stage: str = MESSAGE

    @property
    def doc(self) -> str:
        return inspect.cleandoc(self.check.__doc__ or "")

    @property
    def summary(self) -> str:
        return self.doc.split("\n", 1)[0]


RULES: dict[str, Rule] = {}


def rule(
    rule_id: str,
    name: str,
    default_action: Action,
    settings: type[BaseModel] = NoSettings,
    *,
    stage: str = MESSAGE,
) -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule function under its stable id."""

    def register(check: RuleCheck) -> RuleCheck:
        if rule_id in RULES:
            raise RuntimeError(f"rule {rule_id} is registered twice")
        RULES[rule_id] = Rule(rule_id, name, default_action, check, settings, check.__module__, stage=stage)
        return check

    return register


def lint_check(rule_id: str) -> Callable[[LintCheck], LintCheck]:
    """Register the template-time check of a rule registered above it in its module."""

    def register(check: LintCheck) -> LintCheck:
        registered = RULES.get(rule_id)
        if registered is None or registered.module != check.__module__:
            raise RuntimeError(f"lint check for {rule_id}: register the rule first, in the same module")
        if registered.lint is not None:
            raise RuntimeError(f"rule {rule_id} has a lint check already")
        RULES[rule_id] = replace(registered, lint=check)
        return check

    return register
