"""SG303 automated-empathy: Care and feelings claimed by a machine."""

from __future__ import annotations

from collections.abc import Iterator

from ...claim_reader import ClaimReaderSettings, claims, holds_span
from ...contact_paths import offers_channel
from ...findings import Action, Hit
from ...fixed_text import FixedText, Spans
from ...message import Message
from ...registry import rule, template_half
from ..common import half_spans

# Where the claim reader's `care_feelings` sentences are judged too: the automated call
# and text, where a machine saying it feels is the complaint. In email the vocabulary
# alone judges: a welcome email's "we're thrilled to have you" is honest enthusiasm.
_READ_CHANNELS = frozenset({"voice", "sms"})


@rule(
    "SG303", "automated-empathy", Action.WARN, ClaimReaderSettings,
    reads=("text", "request.automated", "request.channel"),
)
def find_automated_empathy(message: Message, settings: ClaimReaderSettings) -> Iterator[Hit]:
    """Care and feelings claimed by a machine.

    Catches: "we care about you", "your call is important to us", "you matter to us",
    "we value you", "we understand how frustrating this must be", "our thoughts are
    with you", "we're here for you", in an automated message (`automated` true, the
    default). Blocked on `voice`, where a recording that says it cares while the
    caller waits is the complaint itself; a warning on other channels. A message a
    person wrote (`automated: false`) is not judged, nor a phrase that goes straight
    on to a way to reach someone ("We're here for you at support@example.com if you
    have questions"): that offers help, it does not claim a feeling. In automated
    calls and texts the claim reader (linters/claim_reader.py) finds care claimed in
    other words ("everyone here has been thinking about you", "our hearts go out to
    you"): a sentence it reads as `care_feelings` is a finding too.

    Why it hurts: empathy is something a person shows, not a sentence a system
    plays. Said by a machine it sounds like the opposite of what it claims.

    Example: voice: "Your call is important to us. Please continue to hold."

    Fix: say what happens next and how long it takes ("You are number 4 in the
    queue, about 6 minutes."), or offer a person.
    """
    if not message.request.automated:
        return
    on_voice = message.request.channel == "voice"
    for part, start, end in half_spans(message, unoffered_empathy):
        yield Hit(
            f"'{part.text[start:end]}' claims care an automated message cannot give",
            part.name,
            start,
            end,
            action=Action.BLOCK if on_voice else None,
        )
    if message.request.channel not in _READ_CHANNELS:
        return
    for claim in claims(message, "care_feelings", settings.claim_thresholds):
        part = claim.part
        if holds_span(part, claim.start, claim.end, ("AUTOMATED_EMPATHY",)):
            continue
        yield Hit(
            f"{claim.describe()}, care an automated message cannot give",
            part.name,
            claim.start,
            claim.end,
            action=Action.BLOCK if on_voice else None,
        )


@template_half("SG303", labels=("AUTOMATED_EMPATHY",), sentence=True)
def unoffered_empathy(fixed: FixedText) -> Spans:
    """Care claimed where the rest of the sentence offers no way to a person ("we care
    about you: call us on ... and a nurse will answer" offers one)."""
    analysis = fixed.analysis
    return tuple(
        (start, end)
        for start, end in analysis.spans("AUTOMATED_EMPATHY")
        if not offers_channel(fixed.text[end : analysis.sentence_at(start)[1]])
    )
