"""SG601 suppressed: Contacts someone who asked not to be contacted, or cannot be, on this channel."""

from __future__ import annotations

from collections.abc import Iterator

from ...findings import Action, Hit
from ...message import Message
from ...models import Channel, Event, Purpose
from ...registry import NoSettings, rule
from ._shared import _events, _when


def _on_channel(event: Event, channel: Channel) -> bool:
    """An event without a channel (an account-wide opt-out) applies to every channel."""
    return event.channel is None or event.channel == channel


@rule(
    "SG601", "suppressed", Action.BLOCK, NoSettings,
    reads=("request.channel", "request.purpose", "customer.unsubscribed", "events"),
)
def find_suppressed(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """Contacts someone who asked not to be contacted, or cannot be, on this channel.

    Catches: a marketing message on a channel listed in the customer's `unsubscribed`,
    or after an `unsubscribe` event on that channel; anything at all on a channel with
    a `complaint` event or a permanent `bounce` event. An event without a `channel`
    applies to every channel. Suppression events count whatever their timestamp.
    Transient (soft) bounces do not suppress. Post and in-app messages are channels
    like the others: `unsubscribed: ["postal"]` is a postal opt-out ("no more
    catalogues"), and it stops postcards, not emails.

    Why it hurts: "I finally had to report the emails as spam to stop them (after I
    unsubscribed twice)." Every message after an unsubscribe teaches the person that
    the button does nothing; after a complaint, mailbox providers start filtering
    all your mail.

    Example: {"channel": "email", "purpose": "marketing", "events": [{"type":
    "unsubscribe", "channel": "email", "at": "2026-11-02T09:00:00Z"}]}

    Fix: none in the message: remove the person from the audience. A marketing
    unsubscribe does not stop receipts and password resets (`purpose`
    "transactional" or "service"); a complaint or hard bounce stops them too.
    """
    request = message.request
    channel = request.channel
    reasons: list[str] = []
    if request.purpose == Purpose.MARKETING:
        customer = message.customer
        if customer is not None and channel in customer.unsubscribed:
            reasons.append(f"the customer record lists {channel} as unsubscribed")
        for event in _events(message, "unsubscribe"):
            if _on_channel(event, channel):
                reasons.append(f"unsubscribed on {_when(event.at)}")
                break
    for event in _events(message, "complaint"):
        if _on_channel(event, channel):
            reasons.append(f"complained (marked as spam) on {_when(event.at)}")
            break
    for event in _events(message, "bounce"):
        if event.bounce_type == "permanent" and _on_channel(event, channel):
            reasons.append(f"the address bounced permanently on {_when(event.at)}")
            break
    if reasons:
        yield Hit(f"suppressed on {channel}: {'; '.join(reasons)}")
