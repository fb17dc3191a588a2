"""The rule registry: every rule registers here with its stable id, in one place.

A rule lives in a module of its own, in the folder of its family
(``linters/rules/personalization/wrong_name.py`` holds SG101 wrong-name), and declares
there, with :func:`rule`, its id, name, default action, settings and what it reads; its
docstring is the explanation ``sendguard rule SGxxx`` prints. A rule with a template-time check (what ``sendguard lint`` reports on fixed
text, under the ``{{#if}}`` conditions it sits in) declares it beside the rule with
:func:`lint_check`, so send time and lint time share one home. SG000 and SG900-SG902
register the same way, with the stage at which they are reported.

What a rule reads (``reads``, shown by ``sendguard rule SGxxx`` and kept in the
catalog) is declared from a fixed vocabulary, checked when the rule registers:

- ``"text"``: the message's text (every readable part, its analysis and links);
- ``"values"``: the merge values (which spans of the text came from the data);
- ``"customer"`` (the whole record) or ``"customer.<field>"`` (one field of it, e.g.
  ``"customer.consent"``);
- ``"history"``: earlier contacts (``request.history``);
- ``"events"``: behaviour and delivery feedback (``request.events``);
- ``"request.<field>"``: one field of the send request, e.g. ``"request.purpose"``
  (``message.is_marketing`` reads it), ``"request.channel"``;
- ``"now"``: the moment the message is judged.

A message rule declares at least one; a rule reported at another stage (SG000,
SG9xx) may read nothing of a message.

This module imports no rule: ``linters.rules`` imports every rule module (which
registers here) and lists them (``linters.rules.all_rules``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from .findings import Action, Hit
from .models import Customer, SendRequest

if TYPE_CHECKING:
    from .fixed_text import FixedText, Spans, TemplateHalf
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

# What a rule may declare it reads (see the module's docstring). History and events are
# fields of the request but have words of their own: they are what contact rules read.
_OWN_WORDS = frozenset({"text", "values", "customer", "history", "events", "now"})
_REQUEST_FIELDS = frozenset(SendRequest.model_fields) - {"history", "events", "customer", "now"}
READS = (
    _OWN_WORDS
    | {f"customer.{name}" for name in Customer.model_fields}
    | {f"request.{name}" for name in _REQUEST_FIELDS}
)


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
    reads: tuple[str, ...] = ()
    # The rule's per-template half (``template_half``), when it declares one.
    template: TemplateHalf | None = None

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
    reads: tuple[str, ...] = (),
) -> Callable[[RuleCheck], RuleCheck]:
    """Register a rule function under its stable id; ``reads`` says what of a message
    it reads, in the vocabulary of ``READS`` (see the module's docstring)."""
    _check_reads(rule_id, reads, stage)

    def register(check: RuleCheck) -> RuleCheck:
        if rule_id in RULES:
            raise RuntimeError(f"rule {rule_id} is registered twice")
        RULES[rule_id] = Rule(
            rule_id, name, default_action, check, settings, check.__module__, stage=stage, reads=tuple(reads)
        )
        return check

    return register


def _check_reads(rule_id: str, reads: tuple[str, ...], stage: str) -> None:
    """Refuse a declaration outside the vocabulary: a typo would document a read that
    never happens and hide the one that does."""
    if isinstance(reads, str) or not isinstance(reads, tuple):
        raise RuntimeError(f"rule {rule_id}: reads must be a tuple of strings, not {reads!r}")
    unknown = [entry for entry in reads if entry not in READS]
    if unknown:
        raise RuntimeError(
            f"rule {rule_id}: unknown reads {unknown!r}; known: text, values, customer, customer.<field>, "
            "history, events, request.<field>, now"
        )
    if len(set(reads)) != len(reads):
        raise RuntimeError(f"rule {rule_id}: reads lists an entry twice")
    if stage == MESSAGE and not reads:
        raise RuntimeError(f"rule {rule_id}: declare what it reads (reads=(...))")


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


def template_half(
    rule_id: str,
    *,
    labels: tuple[str, ...],
    window: int = 0,
    sentence: bool = False,
    edge: tuple[str | re.Pattern[str], ...] = (),
) -> Callable[[Callable[[FixedText], Spans]], TemplateHalf]:
    """Register the per-template half of a rule registered above it in its module.

    The half reads a template's fixed text (``linters.fixed_text.FixedText``) and returns
    the spans the rule may report; it builds them only from the spans of ``labels`` and
    reads at most ``window`` characters on either side of each and, with ``sentence``,
    the sentence it is in; ``edge`` names the words (or patterns) it looks for in that
    window, which may cut a merge value in two (the campaign's stand-ins keep them). The
    rule's check (its per-recipient half) asks ``half.spans_in(part)``
    and reads the record; its lint check runs ``half`` over every branch."""

    # Imported here: the policy and the CLI read the registry without spaCy, which the
    # fixed text's analysis needs; a rule module (which loads spaCy anyway) calls this.
    from .fixed_text import TemplateHalf

    def register(read: Callable[[FixedText], Spans]) -> TemplateHalf:
        registered = RULES.get(rule_id)
        if registered is None or registered.module != read.__module__:
            raise RuntimeError(f"template half for {rule_id}: register the rule first, in the same module")
        if registered.template is not None:
            raise RuntimeError(f"rule {rule_id} has a template half already")
        if not labels or isinstance(labels, str):
            raise RuntimeError(f"template half for {rule_id}: name the labels it reads (labels=(...))")
        if window < 0:
            raise RuntimeError(f"template half for {rule_id}: window is a number of characters, at least 0")
        half = TemplateHalf(rule_id, read, tuple(labels), window, sentence, tuple(edge))
        RULES[rule_id] = replace(registered, template=half)
        return half

    return register
