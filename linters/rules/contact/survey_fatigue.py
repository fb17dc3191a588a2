"""SG608 survey-fatigue: Asks for feedback again when the person was already asked recently."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

from pydantic import Field

from ...claim_reader import (
    ClaimReaderSettings,
    classify,
    clean_sentence,
    default_thresholds,
    has_cue,
    part_claims,
)
from ...findings import Action, Hit
from ...message import Message
from ...models import Contact
from ...nlp import Analysis, analyse_value, current_vocabulary
from ...registry import rule
from ...timing import aware, within
from ...vocabulary import word_set
from ._shared import _head, _history, _now, _room_again, _span, _when

# Survey and feedback requests (SURVEY_REQUEST) are matched from linters/data/contact.json.
# A message is a survey when it asks in its subject or its opening sentences (a
# greeting line counts as one); "take our survey" in a newsletter's footer is not.
_SURVEY_SENTENCES = 4

_CAMPAIGN_WORD = re.compile(r"[a-z]+")


class SurveySettings(ClaimReaderSettings):
    max_requests: int = Field(
        1, ge=1, description="survey or feedback requests allowed in the window, this one included"
    )
    window_days: float = Field(30, gt=0, description="length of the rolling window in days")


def _survey_campaign(campaign: str | None) -> bool:
    """ "csat-weekly", "post_visit_survey", "NPS Q4": a campaign named as a survey."""
    if not campaign:
        return False
    names = word_set("survey_campaign_words", current_vocabulary())
    return any(w in names for w in _CAMPAIGN_WORD.findall(campaign.lower()))


def _survey_ask(text: str, analysis: Analysis) -> tuple[int, int] | None:
    """The first survey request in the opening sentences of a text."""
    found = analysis.spans("SURVEY_REQUEST")
    if not found:
        return None
    opening = [(s, e) for s, e in analysis.sentences if text[s:e].strip()][:_SURVEY_SENTENCES]
    limit = opening[-1][1] if opening else 0
    return next(((s, e) for s, e in found if s < limit), None)


def _opening(text: str, analysis: Analysis) -> list[tuple[int, int]]:
    """The opening sentences of a text, where a survey asks (``_SURVEY_SENTENCES``)."""
    return [(s, e) for s, e in analysis.sentences if text[s:e].strip()][:_SURVEY_SENTENCES]


def _threshold(settings: SurveySettings) -> float:
    return settings.claim_thresholds.get("feedback_request", default_thresholds()["feedback_request"])


def _asks_for_feedback(contact: Contact, settings: SurveySettings) -> bool:
    if _survey_campaign(contact.campaign):
        return True
    if not contact.text:
        return False
    head = _head(contact.text)
    analysis = analyse_value(head)
    if _survey_ask(head, analysis) is not None:
        return True
    # An earlier ask is found the way this one is: the claim reader reads its opening too.
    opening = [clean_sentence(head[s:e]) for s, e in _opening(head, analysis)]
    return any(
        scores["feedback_request"] >= _threshold(settings) and has_cue("feedback_request", sentence)
        for sentence, scores in zip(opening, classify(opening), strict=True)
    )


def _survey_excerpt(message: Message) -> str | None:
    for part in message.readable():
        found = _survey_ask(part.text, part.analysis)
        if found:
            return f"'{part.text[found[0] : found[1]]}'"
    if _survey_campaign(message.request.campaign):
        return f"campaign {message.request.campaign!r}"
    return None


def _read_ask(message: Message, settings: SurveySettings) -> str | None:
    """A sentence the claim reader reads as a feedback request, in the subject or the
    opening sentences of a part (where ``_survey_ask`` looks)."""
    for part in message.readable():
        limit = (_opening(part.text, part.analysis) or [(0, 0)])[-1][1]
        for claim in part_claims(part, "feedback_request", _threshold(settings)):
            # "How are you doing?" is a pleasantry: an ask names a rating, a question, a reply.
            if claim.start < limit and has_cue("feedback_request", claim.text):
                return claim.describe()
    return None


@rule(
    "SG608", "survey-fatigue", Action.BLOCK, SurveySettings,
    reads=("text", "request.campaign", "history", "now"),
)
def find_survey_fatigue(message: Message, settings: SurveySettings) -> Iterator[Hit]:
    """Asks for feedback again when the person was already asked recently.

    Catches: a message that asks for feedback in its subject or opening sentences
    ("How did we do?", "rate your experience", "customer satisfaction survey", "how
    likely are you to recommend us", "leave a review"), or whose `campaign` is named
    as a survey ("csat-weekly", "post-visit-survey"), when `history` already holds
    `max_requests` such requests (default 1, this one included) within
    `window_days` (default 30): found the same way in the earlier texts and
    campaign names, on any channel and with any purpose. A newsletter with "take
    our survey" in its footer is not a survey. The claim reader
    (linters/claim_reader.py) finds asks that never say "survey" ("tap a star",
    "one quick question about your visit", "reply 1 to 5"): a sentence it reads as a
    `feedback_request` in the same places, in this message or an earlier one, and
    that names a rating, a question or a reply (linters/data/claim_reader/cues.json;
    "how are you doing?" is a pleasantry), counts the same way.

    Why it hurts: "Every week Hyundai sends me a customer satisfaction form." A
    question asked every week says the answers are not read; by the third form the
    only feedback left to give is the unsubscribe link.

    Example: history [{"at": "2026-11-13T10:00:00Z", "channel": "email", "campaign":
    "csat-weekly"}] and, on 2026-11-20, "How did we do? Rate your recent service visit."

    Fix: ask once per experience, and not more than `max_requests` in `window_days`;
    merge the weekly form into one after the visit. Blocked by default: a survey
    sent weeks late asks about an experience nobody remembers. Set the action to
    `hold` to re-queue it instead (the finding carries when the window has room).
    """
    now = _now(message)
    span = timedelta(days=settings.window_days)
    asked = _survey_excerpt(message)
    if asked is None:
        # The claim reader reads the opening only when a recent contact could be an ask.
        if not any(within(c.at, now, span) for c in _history(message)):
            return
        asked = _read_ask(message, settings)
        if asked is None:
            return
    earlier = [c for c in _history(message) if within(c.at, now, span) and _asks_for_feedback(c, settings)]
    if len(earlier) < settings.max_requests:
        return
    times = sorted(aware(c.at) for c in earlier)
    frees_at = _room_again(times, settings.max_requests, span)
    yield Hit(
        f"{asked} asks for feedback again: {len(earlier)} survey or feedback "
        f"request{'s' if len(earlier) != 1 else ''} in the last {_span(settings.window_days * 24)} "
        f"(at most {settings.max_requests}, this one included; latest {_when(times[-1])}); "
        f"room again at {_when(frees_at)}",
        retry_at=frees_at,
    )
