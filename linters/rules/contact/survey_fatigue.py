"""SG608 survey-fatigue: Asks for feedback again when the person was already asked recently."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

from pydantic import Field

from ...findings import Action, Hit
from ...message import Message
from ...models import Contact
from ...nlp import Analysis, analyse_value, current_vocabulary
from ...registry import Settings, rule
from ...timing import aware, within
from ...vocabulary import word_set
from ._shared import _head, _history, _now, _room_again, _span, _when

# Survey and feedback requests (SURVEY_REQUEST) are matched from linters/data/contact.json.
# A message is a survey when it asks in its subject or its opening sentences (a
# greeting line counts as one); "take our survey" in a newsletter's footer is not.
_SURVEY_SENTENCES = 4

_CAMPAIGN_WORD = re.compile(r"[a-z]+")


class SurveySettings(Settings):
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


def _asks_for_feedback(contact: Contact) -> bool:
    if _survey_campaign(contact.campaign):
        return True
    if not contact.text:
        return False
    head = _head(contact.text)
    return _survey_ask(head, analyse_value(head)) is not None


def _survey_excerpt(message: Message) -> str | None:
    for part in message.readable():
        found = _survey_ask(part.text, part.analysis)
        if found:
            return f"'{part.text[found[0] : found[1]]}'"
    if _survey_campaign(message.request.campaign):
        return f"campaign {message.request.campaign!r}"
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
    our survey" in its footer is not a survey.

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
    asked = _survey_excerpt(message)
    if asked is None:
        return
    now = _now(message)
    span = timedelta(days=settings.window_days)
    earlier = [c for c in _history(message) if within(c.at, now, span) and _asks_for_feedback(c)]
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
