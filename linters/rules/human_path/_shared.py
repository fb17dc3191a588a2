"""Helpers SG702-SG704 share: where a rewrite adds a line, and whether a text names
its sender.

A rewrite that adds text (a footer, an opt-out line, a disclosure) gives its hit an
empty span where the text goes in, and the text as its fix (linters/rewrite.py puts
an insertion before an edit that starts where it does). In HTML an empty span has no
place of its own in the markup, so the addition is attached to the last character
the reader sees outside a link, and a line break in it becomes ``<br>``.
"""

from __future__ import annotations

import re

from ...findings import Action, Hit
from ...message import Part
from ...nlp import current_vocabulary
from ...policy import printed_text as printed_text  # what [sender] checks, for a rule's own table
from ...vocabulary import word_set

# The tags that open and close a link: an addition attached inside one would be linked too.
_ANCHOR_TAG = re.compile(r"(?i)<(/?)a\b[^<>]*>")
# An SSML script's opening tag: what is spoken starts after it.
_SSML_OPEN = re.compile(r"\s*<speak\b[^>]*>\s*", re.I)
_WORD = re.compile(r"[^\W_][\w'\u2019&.-]*")
def text_end(part: Part) -> int:
    """Where the part's text ends, trailing white space left out."""
    return len(part.text.rstrip())


def spoken_start(part: Part) -> int:
    """Where the words of a script begin: after an SSML ``<speak>`` tag and leading space."""
    opening = _SSML_OPEN.match(part.text)
    if opening:
        return opening.end()
    return len(part.text) - len(part.text.lstrip())


def append_hit(part: Part, addition: str, why: str, action: Action | None = None) -> Hit | None:
    """A hit that adds ``addition`` after the part's last words; None when the part has none."""
    if part.visible is None:
        end = text_end(part)
        return Hit(why, part.name, end, end, fix=addition, action=action) if end else None
    at = _last_unlinked_char(part)
    if at is None:
        return None
    return Hit(why, part.name, at, at + 1, fix=part.written(at, at + 1) + addition, action=action)


def prepend_hit(part: Part, addition: str, why: str, action: Action | None = None) -> Hit:
    """A hit that adds ``addition`` before the part's first words (plain text and SSML)."""
    start = spoken_start(part)
    return Hit(why, part.name, start, start, fix=addition, action=action)


def _last_unlinked_char(part: Part) -> int | None:
    """The last visible character of an HTML part that is not link text."""
    links = anchor_spans(part.sent) if "<a" in part.sent.lower() else []
    at = len(part.text)
    while at > 0:
        at -= 1
        if part.text[at].isspace():
            continue
        start, _ = part.to_sent(at, at + 1)
        if not any(s <= start < e for s, e in links):
            return at
    return None


def anchor_spans(html: str) -> list[tuple[int, int]]:
    """The spans of ``html`` inside links, from ``<a ...>`` to its ``</a>`` (or to the
    next ``<a``, or the end, for one left open). One pass over the tags: hostile
    markup (thousands of unclosed links) costs no more than well-formed."""
    spans: list[tuple[int, int]] = []
    opened: int | None = None
    for tag in _ANCHOR_TAG.finditer(html):
        if tag.group(1):  # </a>
            if opened is not None:
                spans.append((opened, tag.end()))
                opened = None
        else:
            if opened is not None:
                spans.append((opened, tag.start()))
            opened = tag.start()
    if opened is not None:
        spans.append((opened, len(html)))
    return spans


def name_words(name: str) -> list[str]:
    """The words of a sender's name that readers say ("Northwind" of "Northwind Ltd")."""
    # Words a company's name may carry that readers leave out ("Northwind Ltd" is
    # "Northwind"): human_path.json's company_filler.
    filler = word_set("company_filler", current_vocabulary())
    return [w for w in _WORD.findall(name.casefold()) if w not in filler]


# Links and addresses: a brand in "northwind.example/boots" is a domain, not a name given.
# (Each run is tried from its first character only: the look-behinds keep this linear.)
_ADDRESSES = re.compile(
    r"(?i)\b(?:https?://|www\.)\S+|(?<![\w.+-])[\w.+-]+@[\w.-]+|(?<![\w.-])[\w-]+(?:\.[\w-]+)+(?:/\S*)?"
)


def names_sender(text: str, name: str) -> bool:
    """Whether ``text`` names the sender: the whole name, or its first word that is not
    filler ("Northwind" for "The Northwind Company"), as a word, in any case; a link or
    an e-mail address holding it does not count."""
    folded = _ADDRESSES.sub(" ", text).casefold()
    if name.casefold() in folded:
        return True
    said = name_words(name)
    if not said:
        return False
    return re.search(rf"(?<!\w){re.escape(said[0])}(?!\w)", folded) is not None
