"""SG7xx: a way to reach a person."""

from __future__ import annotations

import re
from collections.abc import Iterator

from linters.findings import Action, Hit
from linters.message import Message
from linters.registry import NoSettings, rule
from linters.vocabulary import words


def _words_pattern(class_name: str, joiner: str) -> str:
    """The class's words as one alternation; the words of an entry may be joined by ``joiner``."""
    entries = sorted(words(class_name), key=len, reverse=True)
    return "|".join(joiner.join(re.escape(w) for w in entry.split()) for entry in entries)


# Local parts of sender addresses nobody reads: noreply@, no-reply@, donotreply@, ...
_NO_REPLY = re.compile(rf"(?i)(?:^|[<\s\"'])(?:{_words_pattern('no_reply_words', '[-_.]?')})[\w.+-]*@")
_EMAIL = re.compile(r"(?i)(?:mailto:)?([\w.+-]+@[\w-]+(?:\.[\w-]+)+)")
# A phone number: 7+ digits with the usual separators, optionally international.
_PHONE = re.compile(r"(?<![\w/=.-])(?:\+|00)?\d[\d ().\-\u2010\u2011]{5,}\d(?![\w/])")
_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"')]+")
# A link whose address or text says it leads to people (linters/data/human_path.json).
_CONTACT_WORDS = re.compile(rf"(?i){_words_pattern('contact_words', '[-_ ]?')}")


def is_no_reply(address: str | None) -> bool:
    return bool(address) and bool(_NO_REPLY.search(address if "@" in address else ""))


_DATE = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$|^\d{1,2}[.-]\d{1,2}[.-]\d{2,4}$")


def _digits(text: str) -> int:
    return sum(ch.isdigit() for ch in text)


def _has_phone(text: str) -> bool:
    for match in _PHONE.finditer(text):
        number = match.group().strip()
        if _DATE.match(number):
            continue
        # Dates, prices and order numbers are digits too; a phone number has 7-15
        # digits and is not a bare run of digits glued to "#" or "order".
        if 7 <= _digits(number) <= 15 and (
            " " in number or "-" in number or "(" in number or number.startswith("+")
        ):
            return True
    return False


def _has_reply_address(text: str, links: list[str]) -> bool:
    candidates = [m.group(1) for m in _EMAIL.finditer(text)]
    candidates += [
        m.group(1) for link in links for m in _EMAIL.finditer(link) if link.lower().startswith("mailto:")
    ]
    return any(not is_no_reply(address) for address in candidates)


def _has_contact_link(text: str, links: list[str]) -> bool:
    if any(link.lower().startswith("tel:") for link in links):
        return True
    urls = [m.group() for m in _URL.finditer(text)] + [
        link for link in links if link.lower().startswith(("http", "www"))
    ]
    return any(_CONTACT_WORDS.search(url) for url in urls)


def has_human_path(message: Message) -> bool:
    """A phone number, a reply-able address or a contact link anywhere in the message."""
    for part in message.readable():
        if _has_phone(part.text) or _has_reply_address(part.text, part.links):
            return True
        if _has_contact_link(part.text, part.links):
            return True
    return False


@rule("SG701", "no-human-path", Action.WARN)
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
