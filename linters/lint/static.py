"""Branch-aware static analysis: engine rules applied to template text without a customer.

Each fixed-text segment is analysed once with the engine's matchers (the same
labels the rules use) and judged with the conditions it sits under: a status
claim inside ``{{#if is_vip}}`` is the template doing the right thing; the same
claim outside any such condition reaches everyone and is a finding.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..findings import Action
from ..handlebars import Mustache
from ..merge_tags import foreign_tags, is_subject_tag
from ..nlp import PLACEHOLDER, Analysis, analyse_fixed
from ..rules.sg8_integrity import invisible_marks, visible_form
from .config import LintSettings
from .segments import Condition, Segment, compatible

# Other tools' merge tags and bracketed scaffolding, in text a reader would see.
_GREETING_BEFORE = re.compile(
    r"(?i)(?:^|[\s>(])(?:hi|hello|hey|hiya|dear|greetings|howdy|welcome(?: back)?|"
    r"good (?:morning|afternoon|evening))[ \t]*,?[ \t]*$"
)
_SECOND_PERSON = re.compile(r"\b(you|your|yours|you're|you've|you'll|yourself)\b", re.I)
_NOT_ABOUT_PEOPLE = frozenset(
    {"service", "support", "care", "experience", "team", "satisfaction", "reviews", "feedback", "success"}
)

# A returning or loyalty claim names the return or the loyalty; without one of these
# words the match is a thank-you or a welcome, which every new customer may get.
_HISTORY_WORDS = {
    "RETURNING_CLAIM": frozenset({"back", "again", "miss", "missed", "missing"}),
    "LOYALTY_CLAIM": frozenset(
        {
            "loyal",
            "loyalty",
            "continued",
            "ongoing",
            "years",
            "sticking",
            "staying",
            "faithful",
            "devoted",
            "dedicated",
        }
    ),
}


@dataclass(slots=True)
class StaticHit:
    """A finding in one part: ``start``/``end`` are offsets in the part's template source."""

    rule: str
    message: str
    start: int
    end: int
    excerpt: str
    action: Action | None = None  # overrides the rule's default action, as Hit.action does


@dataclass(slots=True)
class _Analysed:
    segment: Segment
    analysis: Analysis


def path_matches(path: str, entries: list[str]) -> bool:
    """``customer.is_vip`` matches ``is_vip``; ``consent.personalization`` matches itself."""
    parts = [p for p in re.sub(r"^(?:\.\./|this\.|@root\.)+", "", path).lower().split(".") if p]
    for entry in entries:
        wanted = entry.lower().split(".")
        if wanted and parts[-len(wanted) :] == wanted:
            return True
    return False


def guarded(conditions: tuple[Condition, ...], entries: list[str]) -> bool:
    return any(c.truthy and path_matches(c.path, entries) for c in conditions)


def _hit(rule: str, message: str, item: _Analysed, start: int, end: int) -> StaticHit:
    source_start, source_end = item.segment.source_span(start, end)
    return StaticHit(rule, message, source_start, source_end, item.segment.excerpt(start, end))


def _spans(items: list[_Analysed], label: str) -> Iterator[tuple[_Analysed, int, int, str]]:
    for item in items:
        for start, end in item.analysis.spans(label):
            yield item, start, end, item.segment.excerpt(start, end)


def _addresses_reader(item: _Analysed, start: int) -> bool:
    s, e = item.analysis.sentence_at(start)
    return bool(_SECOND_PERSON.search(item.segment.text[s:e] if e > s else item.segment.text))


def analyse_segments(found: list[Segment]) -> list[_Analysed]:
    return [_Analysed(s, analyse_fixed(s.text)) for s in found if s.text.strip()]


def check_segments(
    items: list[_Analysed],
    every_part: list[_Analysed],
    settings: LintSettings,
    purpose: str,
    automated: bool,
    subject: bool = False,
) -> Iterator[StaticHit]:
    """All static findings of one part; ``every_part`` lets SG301 see a salutation in another
    part; ``subject``: the part is the subject line (a tag may open it, see SG103)."""
    marketing = purpose == "marketing"
    yield from _status_claims(items, settings)
    yield from _history_claims(items, settings)
    yield from _tracking(items, settings)
    if marketing and automated:
        for item, start, end, said in _spans(items, "FAKE_INTIMACY"):
            yield _hit("SG102", f"'{said}' is small talk an automated message cannot mean", item, start, end)
    yield from _merge_problems(items, settings, subject)
    if marketing:
        yield from _pressure(items, every_part)


def _status_claims(items: list[_Analysed], settings: LintSettings) -> Iterator[StaticHit]:
    for item, start, end, said in _spans(items, "STATUS_CLAIM"):
        following = item.segment.text[end : end + 20].split()
        if following and following[0].strip(".,!?").lower() in _NOT_ABOUT_PEOPLE:
            continue
        if not _addresses_reader(item, start) or guarded(item.segment.conditions, settings.status_conditions):
            continue
        yield _hit(
            "SG201",
            f"'{said}' is said to every reader; put it inside {{{{#if}}}} on a status variable "
            f"({', '.join(settings.status_conditions[:3])}, ...)",
            item,
            start,
            end,
        )


def _claims_history(label: str, said: str) -> bool:
    """Leave out plain thanks and welcomes the engine's broad patterns also match:
    "thanks for your support" after an order, "thrilled to have you" on sign-up."""
    needed = _HISTORY_WORDS.get(label)
    return needed is None or bool(needed & set(re.findall(r"[a-z]+", said.lower())))


def _history_claims(items: list[_Analysed], settings: LintSettings) -> Iterator[StaticHit]:
    allowed = settings.history_conditions + settings.status_conditions
    for label in ("RETURNING_CLAIM", "LOYALTY_CLAIM", "TENURE_CLAIM"):
        for item, start, end, said in _spans(items, label):
            if guarded(item.segment.conditions, allowed) or not _claims_history(label, said):
                continue
            yield _hit(
                "SG202",
                f"'{said}' claims a shared history with every reader; put it inside {{{{#if}}}} on a "
                f"history variable ({', '.join(settings.history_conditions[:3])}, ...)",
                item,
                start,
                end,
            )


def _tracking(items: list[_Analysed], settings: LintSettings) -> Iterator[StaticHit]:
    for item, start, end, said in _spans(items, "TRACKING"):
        if guarded(item.segment.conditions, settings.consent_conditions):
            continue
        yield _hit(
            "SG401",
            f"'{said}' reveals tracked behaviour and is not inside {{{{#if}}}} on a consent variable "
            f"({', '.join(settings.consent_conditions[:2])})",
            item,
            start,
            end,
        )


def invisible_characters(items: list[_Analysed], allow_soft_hyphens: bool = False) -> Iterator[StaticHit]:
    """SG801 on the template text as written (the segments' raw text)."""
    for item in items:
        segment = item.segment
        for mark in invisible_marks(segment.raw, allow_soft_hyphens):
            start, end = segment.raw_source_span(mark.start, mark.end)
            excerpt = segment.raw_excerpt(mark.start, mark.end)
            shown = visible_form(excerpt)
            if mark.reorders:
                message = f"'{shown}' is under a bidi control ({mark.describe()}) that reorders what the reader sees"
            else:
                message = f"'{shown}' has an invisible character inside it ({mark.describe()})"
            yield StaticHit("SG801", message, start, end, excerpt, Action.BLOCK if mark.reorders else None)


def _merge_problems(items: list[_Analysed], settings: LintSettings, subject: bool) -> Iterator[StaticHit]:
    previous_text = ""
    for position, item in enumerate(items):
        segment = item.segment
        for match in foreign_tags().finditer(segment.text):
            # As at send time (SG103): "[Product] New export options" opens with a list
            # or brand tag. Only the subject's first segment can open it.
            if subject and position == 0 and is_subject_tag(segment.text, match.start(), match.end()):
                continue
            yield _hit(
                "SG103",
                f"'{match.group()}' is scaffolding or another tool's merge tag; SES prints it as it is",
                item,
                match.start(),
                match.end(),
            )
        for index, variable in segment.variables.items():
            before = segment.text[:index] or previous_text
            if _unguarded_greeting(variable, before, segment.conditions, settings):
                yield _hit(
                    "SG103",
                    f"greeting prints {{{{{variable.path}}}}} with no fallback; wrap it in "
                    f"{{{{#if {variable.path}}}}}...{{{{else}}}}...{{{{/if}}}}",
                    item,
                    index,
                    index + 1,
                )
        previous_text = segment.text


def _unguarded_greeting(
    variable: Mustache, before: str, conditions: tuple[Condition, ...], settings: LintSettings
) -> bool:
    if not path_matches(variable.path, settings.optional_name_fields):
        return False
    if not _GREETING_BEFORE.search(before.replace(PLACEHOLDER, " ")[-40:]):
        return False
    return not any(c.truthy and c.path == variable.path for c in conditions)


def _pressure(items: list[_Analysed], every_part: list[_Analysed]) -> Iterator[StaticHit]:
    generic = [
        (item, item.segment.excerpt(s, e)) for item, s, e, _ in _spans(every_part, "GENERIC_ADDRESSEE")
    ]
    for label in ("IMPORTANCE", "PRESSURE"):
        for item, start, end, said in _spans(items, label):
            addressee = next(
                (
                    name
                    for other, name in generic
                    if compatible(item.segment.conditions, other.segment.conditions)
                ),
                None,
            )
            if addressee is not None:
                yield _hit(
                    "SG301",
                    f"'{said}' is urgent or personal language next to '{addressee}'",
                    item,
                    start,
                    end,
                )
            elif label == "PRESSURE":
                yield _hit(
                    "SG302", f"'{said}' is manufactured pressure in a marketing message", item, start, end
                )
