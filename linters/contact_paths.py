"""Ways to reach a person in a text: phone numbers, addresses a reply reaches, contact
links. Shared by SG701 no-human-path (linters/rules/human_path/no_human_path.py), which
wants one somewhere in a message, and SG303 automated-empathy
(linters/rules/pressure/automated_empathy.py), which lets
"we're here for you at support@..." through: a channel offered is help, not a feeling.
The words that make a link a contact link are in linters/data/human_path.json."""

from __future__ import annotations

import re

from .vocabulary import words


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


def has_phone(text: str) -> bool:
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


def has_reply_address(text: str, links: list[str]) -> bool:
    candidates = [m.group(1) for m in _EMAIL.finditer(text)]
    candidates += [
        m.group(1) for link in links for m in _EMAIL.finditer(link) if link.lower().startswith("mailto:")
    ]
    return any(not is_no_reply(address) for address in candidates)


def has_contact_link(text: str, links: list[str]) -> bool:
    if any(link.lower().startswith("tel:") for link in links):
        return True
    urls = [m.group() for m in _URL.finditer(text)] + [
        link for link in links if link.lower().startswith(("http", "www"))
    ]
    return any(_CONTACT_WORDS.search(url) for url in urls)


# "at", "on", "via"... then, at once, a channel: "We're here for you at <support@...>".
_CHANNEL_OFFERED = re.compile(r"(?i)[ \t]*,?[ \t]*(?:at|on|via|by|through)[ \t]+<?")


def offers_channel(text: str) -> bool:
    """Whether ``text`` (what follows a phrase) goes straight on to a way to reach
    someone: "at <support@example.com>", "on 0800 123 4567", "via
    https://example.com/contact". The channel must follow the preposition at once, and
    a link must lead to people (its address names contact, support, help...): "at
    Northwind, 0800 ..." or "at every step, see https://example.com/blog" offer none."""
    offered = _CHANNEL_OFFERED.match(text)
    if offered is None:
        return False
    rest = text[offered.end() :]
    address = _EMAIL.match(rest)
    if address:
        return not is_no_reply(address.group(1))
    phone = _PHONE.match(rest)
    if phone:
        return has_phone(phone.group())
    link = _URL.match(rest)
    return bool(link and _CONTACT_WORDS.search(link.group()))
