"""The campaign path: one template judged for many recipients, with `check`'s decisions.

A campaign sends one template to many people, so everything that does not depend on
the recipient is done once:

- the template parts are compiled once (``render.compile_template`` is cached);
- the rules' actions and settings are resolved once (``engine.active_rules``);
- the template's fixed text is analysed by spaCy once: ``nlp.analyse`` replaces each
  short merge value by a placeholder, so every recipient's skeleton hits the cache;
- each merge value is looked up in the word sets the patterns need
  (``nlp.value_needs_pipeline``); only a value holding such a word reaches spaCy, so
  a name costs a set lookup and adds nothing to the vocabulary;
- recipients whose merge values render the same text share its part (``shared_part``).

Per recipient what is left is validating the record and finding its class
(linters/recipient_classes.py): recipients whose merge data and names differ only in
words no rule knows, and whose records agree in every field the rules read, share one
judgement, taken once on stand-ins for those words and given to each with its own words
put back. A recipient of a new class is judged as ``judge`` does: the rules `check`
runs, on the same ``Message``, so the decisions are the same by construction; anything
the fast path does not cover (a stored template, a customer given by id) goes through
`check` itself. tests/test_campaign.py and tests/test_recipient_classes.py compare them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property, lru_cache
from typing import Any

from pydantic import ValidationError

from .address import given_names
from .engine import active_rules, check, judge_safely, render_parts, run_rules, within_limits
from .findings import Decision, Result, decide
from .limits import check_all_but_data
from .message import Message, Part, build_part
from .models import InlineTemplate, RequestError, SendRequest, aware, load_json, parse_request
from .nlp import Extension, current_vocabulary, lemma_table, value_needs_pipeline, words_a_value_needs
from .policy import Policy
from .recipient_classes import (
    Canonical,
    Entry,
    Memo,
    StandIns,
    Trace,
    contact_word_pattern,
    customer_with,
    known_words,
    window_labels,
)

# One recipient record may be this large; the file as a whole has no limit.
MAX_RECORD_BYTES = 1024 * 1024
# Fields a recipient record may carry; the template file gives the rest of the request.
RECORD_FIELDS = ("id", "to", "customer", "data", "channel", "purpose", "campaign", "history", "events", "now")
_RECORD_FIELD_SET = frozenset(RECORD_FIELDS)
# Template tags whose output a render with no data leaves out: blocks, @key, @index.
_BLOCK_OR_KEY = re.compile(r"\{\{~?\s*#|\{\{[^}]*@")
# CSV columns holding JSON (lists of contacts and events).
_JSON_COLUMNS = frozenset({"history", "events"})
# How many findings of each recipient travel with its verdict (examples for the summary).
_EXAMPLES_PER_RECIPIENT = 8


@dataclass(frozen=True)
class CampaignTemplate:
    """The template's parts and how it is sent (from the front matter of the file)."""

    parts: dict[str, str]
    defaults: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_source(cls, source: Any) -> CampaignTemplate:
        """From a ``lint.inputs.TemplateSource``: the files `sendguard lint` reads."""
        meta = source.meta
        defaults: dict[str, Any] = {"channel": meta.channel, "automated": meta.automated}
        for key in ("purpose", "campaign", "trigger", "audience"):
            if getattr(meta, key) is not None:
                defaults[key] = getattr(meta, key)
        return cls({part.name: part.text for part in source.parts}, defaults)

    @cached_property
    def inline(self) -> InlineTemplate | dict[str, str]:
        """The parts validated once: every recipient's request shares them (the parts
        themselves when they are not a valid template, so each request names the error)."""
        try:
            return InlineTemplate.model_validate(self.parts)
        except ValidationError:
            return self.parts


def request_from_record(record: Any, template: CampaignTemplate) -> SendRequest:
    """The send request for one recipient record; RequestError names the bad field."""
    if not isinstance(record, dict):
        raise RequestError("", f"a recipient record is a JSON object, not {type(record).__name__}")
    if not _RECORD_FIELD_SET.issuperset(record):
        unknown = record.keys() - _RECORD_FIELD_SET
        raise RequestError(min(unknown), f"unknown field (a record has {', '.join(RECORD_FIELDS)})")
    document = {**template.defaults, **record, "template": template.inline}
    return parse_request(document)


def record_from_csv_row(row: dict[str | None, Any]) -> dict[str, Any]:
    """A CSV row as a recipient record.

    Columns are dotted paths: ``customer.first_name``, ``customer.consent.email_marketing``,
    ``data.order.id``. Empty cells are left out; a cell of ``history`` or ``events``, or
    one that holds a JSON array or object, is decoded as JSON. Other cells stay text
    (pydantic reads "3" and "true" in typed customer fields).
    """
    record: dict[str, Any] = {}
    for column, cell in row.items():
        if column is None:
            raise RequestError("", "the row has more cells than the header has columns")
        if cell is None or cell == "":
            continue
        path = column.strip().split(".")
        value: Any = cell
        if path[0] in _JSON_COLUMNS or cell.lstrip()[:1] in ("[", "{"):
            try:
                value = load_json(cell)
            except json.JSONDecodeError as exc:
                raise RequestError(column, f"not valid JSON: {exc.msg}") from None
        _put(record, path, value, column)
    return record


def _put(record: dict[str, Any], path: list[str], value: Any, column: str) -> None:
    here = record
    for key in path[:-1]:
        here = here.setdefault(key, {})
        if not isinstance(here, dict):
            raise RequestError(column, f"column {column!r} nests inside a column that has a value")
    if path[-1] in here:
        raise RequestError(column, "the same field is given by two columns")
    here[path[-1]] = value


def shared_part(name: str, sent: str, values: tuple) -> Part:
    """A part is a function of its rendered text, values and the vocabulary in force alone
    (rules never change one), so recipients whose merge values render the same text share
    it: "Hi Ana," is analysed once for all the Anas of a campaign."""
    return _shared_part(current_vocabulary(), name, sent, values)


@lru_cache(maxsize=2048)
def _shared_part(vocabulary: Extension, name: str, sent: str, values: tuple) -> Part:
    return build_part(name, sent, values)


@dataclass(slots=True)  # not frozen: a frozen dataclass is slower to build, once a recipient
class Verdict:
    """What the guard would do to one recipient, or why it cannot say."""

    index: int
    id: str | None
    decision: str | None
    rules: tuple[str, ...] = ()
    examples: tuple[tuple[str, str, str], ...] = ()  # (rule, message, excerpt)
    error: str | None = None
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        if self.error is not None:
            return {"line": self.index, "id": self.id, "error": self.error, "field": self.field}
        return {"id": self.id, "decision": self.decision, "rules": list(self.rules)}


class Campaign:
    """Judge recipients of one template; ``judge`` agrees with ``engine.check``."""

    def __init__(self, template: CampaignTemplate, policy: Policy | None = None, now: datetime | None = None):
        self.template = template
        self.policy = policy or Policy()
        self.now = aware(now or datetime.now(UTC))
        self.active = active_rules(self.policy)
        self._memo = Memo()
        self._stand_ins_found: StandIns | None = None

    def judge(self, request: SendRequest) -> Result:
        """The decision and findings `check` would give (without the retry time of a hold)."""
        if not self._covered(request):
            return check(request, self.policy, now=self.now)  # needs lookups: the reference path
        within_limits(request, request.template)  # as check: refused before rendering
        return judge_safely(self.policy, lambda: self._judge_inline(request))

    @staticmethod
    def _covered(request: SendRequest) -> bool:
        """Whether the campaign path judges it: an inline template, no customer lookup."""
        return isinstance(request.template, InlineTemplate) and not (
            request.customer is None and request.customer_id is not None
        )

    def _judge_inline(self, request: SendRequest, trace: Trace | None = None) -> Result:
        from .rewrite import rewrite_message

        moment = aware(request.now or self.now)
        parts = render_parts(request.template, request.data, shared_part)
        if trace is None:
            message = Message(request, request.customer, parts, moment)
        else:  # the rules read the records through views that note each field
            message = Message(
                trace.view(request, "request"), trace.view(request.customer, "customer"), parts, moment
            )
        findings = run_rules(message, self.policy, self.active)
        decision = decide(findings)
        result = Result(request.id, decision, findings, {})
        if decision == Decision.REWRITE:
            # A rewrite that fails becomes a block, so the decision needs it too.
            result.message = {name: part.sent for name, part in message.parts.items()}
            rewrite_message(message, result, self.policy)
        return result

    def judge_record(self, index: int, record: Any) -> Verdict:
        """One recipient record (decoded JSON or a CSV row's record) to its verdict.

        A recipient whose class (linters/recipient_classes.py) was judged before gets
        that verdict with its own names put back; any other is judged as ``judge`` does.
        """
        recipient_id = record.get("id") if isinstance(record, dict) else None
        recipient_id = recipient_id if isinstance(recipient_id, str) else None
        try:
            request = request_from_record(record, self.template)
            if not self._covered(request):
                return _verdict(index, check(request, self.policy, now=self.now))
            try:
                check_all_but_data(request)
            except RequestError:
                within_limits(request, request.template)  # the error check names first
                raise
            shared = self._verdict_of_class(index, request)
            if shared is not None:
                return shared
            within_limits(request, request.template)
            return _verdict(index, judge_safely(self.policy, lambda: self._judge_inline(request)))
        except RequestError as exc:
            return Verdict(index, recipient_id, None, error=exc.problem, field=exc.field or None)

    def _verdict_of_class(self, index: int, request: SendRequest) -> Verdict | None:
        moment = aware(request.now or self.now)
        canonical = self._stand_ins().canonical(request, moment)
        if canonical is None:
            return None
        entry = self._memo.find(canonical.key, request)
        kept = entry is not None
        if entry is None:
            if self._memo.cold(canonical.key):
                return None  # its recipients share nothing the rules read: judged on their own
            if canonical.kept_name and self._memo.first_sight(canonical.key):
                return None  # likely this recipient's alone: judged untraced, traced if it comes again
            # The data limits hold for a whole class: its data differs only in the letters
            # of stood-in words, not in shape or lengths. So they are checked on a miss.
            within_limits(request, request.template)
            entry = self._judge_class(request, canonical)
            if entry is None:
                return None
            self._memo.keep(canonical.key, entry)
        if not entry.shares_with(canonical):
            return None
        if kept and not canonical.all_ascii:
            within_limits(request, request.template)  # an accented name's data is longer in JSON
        examples = entry.verdict_parts(canonical)
        if examples is None:
            return None
        if kept:
            self._memo.shared(canonical.key)
        return Verdict(index, request.id, entry.decision, entry.rules, examples)

    def _judge_class(self, request: SendRequest, canonical: Canonical) -> Entry | None:
        """Judge the class's stand-ins, noting what the rules read; None if it cannot be shared."""
        stand_in = request.model_copy(
            update={
                "data": canonical.stand_in_data(),
                "customer": customer_with(request.customer, canonical.stand_in_names()),
            }
        )
        trace = Trace()
        try:
            result = judge_safely(self.policy, lambda: self._judge_inline(stand_in, trace))
        except RequestError:
            return None  # judged again on its own values, whose error names them
        if not trace.followed:
            return None
        verdict = _verdict(0, result)
        return Entry.of(trace.reads, str(verdict.decision), verdict.rules, verdict.examples, trace.tested())

    def _stand_ins(self) -> StandIns:
        if self._stand_ins_found is None:
            extension = self.policy.vocabulary
            template_texts = (*self.template.parts.values(), *map(str, self.template.defaults.values()))
            known = known_words(extension, template_texts, tuple(s for _, _, s in self.active))
            # A plain word is one ``value_needs_pipeline`` lets by: not in the lemma table,
            # not a word some pattern needs (None: every value goes to spaCy).
            needed = words_a_value_needs(extension)
            self._stand_ins_found = StandIns(
                known | (needed or frozenset()),
                lemma_table() if needed is not None else None,
                contact_word_pattern(extension),
                self.template.parts,
                windowed=self._template_has(window_labels()),
                needs_pipeline=lambda value: value_needs_pipeline(value, extension),
                given=given_names(),
            )
        return self._stand_ins_found

    def _template_has(self, labels: frozenset[str]) -> bool:
        """Whether the template's own text (every value missing) has a span of ``labels``;
        True when it cannot be rendered (every request names that error anyway)."""
        template = self.template.inline
        if not isinstance(template, InlineTemplate):
            return True
        if any(_BLOCK_OR_KEY.search(text) for text in self.template.parts.values()):
            return True  # a block's text, or a key it prints, is not in the render below
        try:
            parts = judge_safely(self.policy, lambda: _parts_of(template))
        except RequestError:
            return True
        return any(part.analysis.spans(label) for part in parts.values() for label in labels)


def _parts_of(template: InlineTemplate) -> Any:
    return render_parts(template, {})


def _verdict(index: int, result: Result) -> Verdict:
    rules = tuple(sorted({f.rule for f in result.findings}))
    examples = tuple((f.rule, f.message, f.excerpt) for f in result.findings[:_EXAMPLES_PER_RECIPIENT])
    return Verdict(index, result.id, str(result.decision), rules, examples)
