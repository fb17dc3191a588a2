"""SG805 text-html-mismatch: An email whose plain-text part tells a different story from its HTML."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache

from ...findings import Action, Hit
from ...message import Message, Part
from ...registry import NoSettings, rule

# A price or a percentage: what an offer is made of ("$38", "£1,200.50", "20% off", "15 percent").
# A number is tried from its first digit only (the look-behinds keep long digit runs linear).
_MONEY = re.compile(
    r"(?i)(?P<cur>[$£€¥])\s?(?P<num>\d[\d,]*(?:\.\d+)?)|(?<![\d,.])(?P<num2>\d[\d,]*(?:\.\d+)?)\s?(?P<cur2>usd|eur|gbp|€)\b"
)
_PERCENT = re.compile(r"(?i)(?<![\d.])(?P<num>\d+(?:\.\d+)?)\s?(?:%|percent\b|per cent\b)")
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*")
# A sentence needs this many content words to tell something; a part's untold sentences
# must hold this share of its content words, in at least ``_MIN_UNTOLD`` sentences,
# before the two parts are said to differ (a plain-text part that leaves out a footer or
# a caption is an abridgement, not another story).
_MIN_SENTENCE_WORDS = 6
_COVERED = 0.5
_UNTOLD_SHARE = 0.35
_MIN_UNTOLD = 2


@dataclass(frozen=True, slots=True)
class _Fact:
    kind: str  # "price" or "percentage"
    key: tuple[str, float]
    start: int
    end: int


@rule("SG805", "text-html-mismatch", Action.WARN, reads=("text", "request.channel"))
def find_text_html_mismatch(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """An email whose plain-text part tells a different story from its HTML.

    Catches, in an email with both parts: a price or a percentage that one part gives
    and the other does not ("40% off" in the HTML, "20% off" in the text); and a part
    of which a substantial share (a third of its words, in two sentences or more)
    says things the other part never says. A plain-text part that leaves out the
    HTML's footer, navigation or captions, or words them differently, is not
    reported: the comparison is by the words of each sentence, and only what is
    missing in bulk counts.

    Why it hurts: the reader sees one part (most the HTML; some clients, watches and
    screen readers the text) and the guard reads both: a claim or an offer that is in
    one only is a claim some readers never see, or a promise the others get and
    cannot find. What the guard judges must be what the reader sees (Litmus Checklist
    and Mailgun Inspect compare the two for the same reason).

    Example: HTML "Winter sale: 40% off all coats until Sunday." and text "Winter
    sale: 20% off all coats until Sunday."

    Fix: make the plain-text part from the same copy as the HTML (most tools can
    generate it), and check both after every edit.
    """
    text, html = message.parts.get("text"), message.parts.get("html")
    if message.request.channel != "email" or text is None or html is None:
        return
    if not text.text.strip() or not html.text.strip():
        return
    yield from _unmatched_facts(text, html)
    yield from _unmatched_facts(html, text)
    for part, other in ((html, text), (text, html)):
        hit = _untold(part, other)
        if hit is not None:
            yield hit


def _facts(part: Part) -> list[_Fact]:
    found = part.memo.get("sg805_facts")
    if found is None:
        found = []
        for match in _MONEY.finditer(part.text):
            currency = (match.group("cur") or match.group("cur2") or "").lower()
            number = match.group("num") or match.group("num2")
            found.append(_Fact("price", (_CURRENCY.get(currency, currency), _number(number)), *match.span()))
        for match in _PERCENT.finditer(part.text):
            found.append(_Fact("percentage", ("%", _number(match.group("num"))), *match.span()))
        part.memo["sg805_facts"] = found
    return found  # type: ignore[return-value]


_CURRENCY = {"usd": "$", "eur": "€", "gbp": "£"}


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _unmatched_facts(part: Part, other: Part) -> Iterator[Hit]:
    """The prices and percentages ``part`` gives that ``other`` does not, once each."""
    theirs = {fact.key for fact in _facts(other)}
    seen: set[tuple[str, float]] = set()
    for fact in _facts(part):
        if fact.key in theirs or fact.key in seen:
            continue
        seen.add(fact.key)
        said = part.text[fact.start : fact.end]
        yield Hit(f"the {fact.kind} '{said}' is in the {part.name} part only", part.name, fact.start, fact.end)


def _untold(part: Part, other: Part) -> Hit | None:
    """A hit at the first of ``part``'s sentences ``other`` never tells, when they are a
    substantial share of ``part``."""
    known = _content_words(other.text)
    total = 0
    untold: list[tuple[int, int, int]] = []
    for start, end in part.analysis.sentences:
        said = [w for w in _words(part.text[start:end]) if w not in _stop_words()]
        total += len(said)
        if len(said) < _MIN_SENTENCE_WORDS:
            continue
        covered = sum(w in known for w in said) / len(said)
        if covered < _COVERED:
            untold.append((start, end, len(said)))
    missing = sum(count for _, _, count in untold)
    if len(untold) < _MIN_UNTOLD or not total or missing / total < _UNTOLD_SHARE:
        return None
    start, end, _ = untold[0]
    share = round(100 * missing / total)
    return Hit(
        f"{len(untold)} sentences of the {part.name} part ({share}% of its words) are not in the {other.name} part",
        part.name,
        start,
        min(end, start + 200),
    )


# A link or an address is where the story is told, not what it says: left out.
_ADDRESS = re.compile(r"(?i)\b(?:https?://|www\.)\S+|(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+")


def _words(text: str) -> list[str]:
    text = _ADDRESS.sub(" ", text)
    return [w.strip("'\u2019-").casefold() for w in _WORD.findall(text) if len(w) > 2]


def _content_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _words(text) if w not in _stop_words())


@cache
def _stop_words() -> frozenset[str]:
    from spacy.lang.en.stop_words import STOP_WORDS

    return frozenset(STOP_WORDS)
