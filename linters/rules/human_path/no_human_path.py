"""SG701 no-human-path: An automated email from a no-reply sender with no way to reach a person."""

from __future__ import annotations

from collections.abc import Iterator

from ...contact_paths import has_contact_link, has_phone, has_reply_address, is_no_reply
from ...findings import Action, Hit
from ...message import Message
from ...registry import NoSettings, rule


def has_human_path(message: Message) -> bool:
    """A phone number, a reply-able address or a contact link anywhere in the message."""
    for part in message.readable():
        if has_phone(part.text) or has_reply_address(part.text, part.links):
            return True
        if has_contact_link(part.text, part.links):
            return True
    return False


@rule(
    "SG701", "no-human-path", Action.WARN,
    reads=("text", "request.channel", "request.automated", "request.from_"),
)
def find_no_human_path(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """An automated email from a no-reply sender with no way to reach a person.

    Catches: an automated email (`automated` true) whose `from` is a no-reply address
    (noreply@, no-reply@, donotreply@, do-not-reply@, ...) and whose text and HTML give
    no phone number, no e-mail address a reply reaches (mailto: links count), and no
    contact link (a URL or link whose address names contact, support, help, customer
    service, chat or feedback; `tel:` links count).

    Why it hurts: a message that cannot be answered, about a thing the reader may
    need to ask about, says the conversation only goes one way.

    Example: from "no-reply@shop.example": "Your subscription renews tomorrow. Do not
    reply to this email."

    Fix: send from an address someone reads, or add a line such as "Questions? Call
    0800 123 4567 or visit shop.example/contact".
    """
    request = message.request
    if request.channel != "email" or not request.automated or not is_no_reply(request.from_):
        return
    if has_human_path(message):
        return
    yield Hit(f"sent from '{request.from_}' with no phone number, reply address or contact link")
