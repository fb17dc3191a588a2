"""The one spaCy pipeline of the process, and the shared matchers every rule uses.

``spacy.blank("en")`` + sentencizer + a lookup lemmatizer (its table ships in
linters/data, see linters.lemmas: nothing is downloaded). Rule
modules register their token patterns and phrase lists at import time; the
pipeline and the matchers are built once, on first use, and reused for every
message.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate
from typing import Any

import spacy
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.pipeline import Lemmatizer
from spacy.tokens import Doc

from linters.lemmas import lemma_lookups

# One private-use character stands for a short data value in the text the pipeline
# analyses, so a campaign's fixed text is analysed once, not once per recipient.
PLACEHOLDER = "\ue000"
_SHORT_VALUE_WORDS = 6

_token_patterns: dict[str, list[list[dict[str, Any]]]] = {}
_phrases: dict[str, dict[str, list[str]]] = {"LOWER": {}, "LEMMA": {}}


class LowercaseLookupLemmatizer(Lemmatizer):
    """spaCy's lookup lemmatizer, keyed on the lower-case form.

    The stock lookup is case-sensitive, so "Missed you!" at the start of a sentence
    keeps the lemma "Missed" and escapes a pattern written for "miss".
    """

    def lookup_lemmatize(self, token: Any) -> list[str]:
        lower = token.lower_
        return [self.lookups.get_table("lemma_lookup").get(lower, lower)]


@Language.factory(
    "sendguard_lemmatizer",
    assigns=["token.lemma"],
    default_config={"model": None, "mode": "lookup", "overwrite": False},
)
def make_lemmatizer(nlp: Language, model: Any, name: str, mode: str, overwrite: bool) -> Lemmatizer:
    return LowercaseLookupLemmatizer(nlp.vocab, model, name, mode=mode, overwrite=overwrite)


@Language.component("paragraph_breaks")
def paragraph_breaks(doc: Doc) -> Doc:
    """A blank line, or a line ending in a comma or colon ("Hi Ana,"), ends a sentence.

    The sentencizer only knows punctuation; emails rely on line breaks too.
    """
    for token in doc[1:]:
        before = doc[token.i - 1]
        if (before.is_space and "\n" in before.text) or (
            "\n" in before.whitespace_ and ("\n\n" in before.whitespace_ or before.text in ",:;")
        ):
            token.is_sent_start = True
    return doc


@cache
def pipeline() -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("paragraph_breaks")
    # Only the lemmatizer needs initialising, with the table sendguard ships (linters.lemmas).
    nlp.add_pipe("sendguard_lemmatizer").initialize(lookups=lemma_lookups())
    return nlp


def add_token_patterns(label: str, patterns: Iterable[list[dict[str, Any]]]) -> None:
    """Register Matcher patterns under ``label``; call at import time of a rule module."""
    if _matchers.cache_info().currsize:
        raise RuntimeError(f"patterns for {label} registered after the matchers were built")
    _token_patterns.setdefault(label, []).extend(patterns)


def add_phrases(label: str, phrases: Iterable[str], attr: str = "LOWER") -> None:
    """Register phrases matched on ``LOWER`` (exact words) or ``LEMMA`` (any inflection)."""
    if _matchers.cache_info().currsize:
        raise RuntimeError(f"phrases for {label} registered after the matchers were built")
    _phrases[attr].setdefault(label, []).extend(phrases)


Anchors = frozenset[tuple[str, str]]


def _token_anchors(token: dict[str, Any]) -> Anchors | None:
    for attr in ("LOWER", "LEMMA", "ORTH"):
        value = token.get(attr)
        if isinstance(value, str):
            return frozenset({(attr, value if attr == "ORTH" else value.lower())})
        if isinstance(value, dict) and set(value) == {"IN"}:
            return frozenset((attr, v if attr == "ORTH" else v.lower()) for v in value["IN"])
    return None


def _anchors(pattern: list[dict[str, Any]], common: frozenset[str]) -> Anchors | None:
    """Words a pattern cannot match without: the values of its most selective required token.

    ``{("LOWER", "valuable")}`` means no match is possible in a text without "valuable".
    Required tokens whose values are common words ("our", "you") are poor filters, so the
    token with the fewest common words, then the fewest values, is chosen. None when no
    required token is a plain word test.
    """
    candidates = [
        anchors
        for token in pattern
        if token.get("OP") in (None, "+", "1", "{1}") and (anchors := _token_anchors(token)) is not None
    ]
    if not candidates:
        return None
    return min(candidates, key=lambda a: (sum(v in common for _, v in a), len(a)))


@dataclass(frozen=True, slots=True)
class _LabelMatcher:
    """Patterns of one label sharing anchors; run only when the text holds an anchor.

    spaCy evaluates ``IN`` sets with a Python callback for every live state, so running
    every pattern over every text made the Matcher 90% of a cold check. Most texts hold
    the anchor words of a few labels only.
    """

    anchors: Anchors | None
    matcher: Matcher

    def may_match(self, words: set[tuple[str, str]]) -> bool:
        return self.anchors is None or not self.anchors.isdisjoint(words)


@cache
def _matchers() -> tuple[list[_LabelMatcher], list[PhraseMatcher]]:
    import linters.rules  # noqa: F401  - the rule families register their patterns on import

    nlp = pipeline()
    common = frozenset(nlp.Defaults.stop_words)
    grouped: dict[tuple[str, Anchors | None], list[list[dict[str, Any]]]] = {}
    for label, patterns in _token_patterns.items():
        for pattern in patterns:
            grouped.setdefault((label, _anchors(pattern, common)), []).append(pattern)
    label_matchers = []
    for (label, anchors), patterns in grouped.items():
        matcher = Matcher(nlp.vocab)
        matcher.add(label, patterns)
        label_matchers.append(_LabelMatcher(anchors, matcher))
    phrase_matchers = []
    for attr, labels in _phrases.items():
        if not labels:
            continue
        phrase_matcher = PhraseMatcher(nlp.vocab, attr=attr)
        for label, phrases in labels.items():
            docs = list(nlp.pipe(phrases)) if attr == "LEMMA" else [nlp.make_doc(p) for p in phrases]
            phrase_matcher.add(label, docs)
        phrase_matchers.append(phrase_matcher)
    return label_matchers, phrase_matchers


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the pipeline found in one text: labelled spans and sentence spans (char offsets)."""

    hits: dict[str, tuple[tuple[int, int], ...]]
    sentences: tuple[tuple[int, int], ...]

    def spans(self, label: str) -> tuple[tuple[int, int], ...]:
        return self.hits.get(label, ())

    def sentence_at(self, offset: int) -> tuple[int, int]:
        for start, end in self.sentences:
            if start <= offset < end:
                return start, end
        return offset, offset


def _find(doc: Doc) -> dict[str, list[tuple[int, int]]]:
    label_matchers, phrase_matchers = _matchers()
    strings = doc.vocab.strings
    found: dict[str, list[tuple[int, int]]] = {}
    words = (
        {("LOWER", t.lower_) for t in doc}
        | {("LEMMA", t.lemma_) for t in doc}
        | {("ORTH", t.text) for t in doc}
    )
    matches = []
    for label_matcher in label_matchers:
        if label_matcher.may_match(words):
            matches.extend(label_matcher.matcher(doc))
    for phrase_matcher in phrase_matchers:
        matches.extend(phrase_matcher(doc))
    for match_id, start, end in matches:
        span = doc[start:end]
        found.setdefault(strings[match_id], []).append((span.start_char, span.end_char))
    return found


def _longest_first(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """Drop spans inside longer ones: 'act now' and 'now' from one pattern are one hit."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if kept and start < kept[-1][1]:
            continue
        kept.append((start, end))
    return tuple(kept)


def _analyse_doc(doc: Doc) -> Analysis:
    found = _find(doc)
    sentences = tuple((s.start_char, s.end_char) for s in doc.sents)
    return Analysis({label: _longest_first(spans) for label, spans in found.items()}, sentences)


class _BoundedCache(dict):
    """A dict that forgets everything when full: cheap, and campaigns refill it at once."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: str, value: Analysis) -> Analysis:
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


_fixed_cache = _BoundedCache(4096)


def analyse_fixed(text: str) -> Analysis:
    """Analyse a text; cached, so a template's fixed text is analysed once per process."""
    cached = _fixed_cache.get(text)
    return cached if cached is not None else _fixed_cache.put(text, _analyse_doc(pipeline()(text)))


_NOTHING = Analysis({}, ())


def analyse_value(text: str) -> Analysis:
    """Analyse one short data value (a name, a product) on its own.

    A value whose words no pattern or phrase needs cannot match, so it never reaches
    spaCy: a campaign's million names cost a set lookup each and add nothing to the
    vocabulary. The others are analysed and cached by value.
    """
    return _analyse_value(text) if value_needs_pipeline(text) else _NOTHING


@lru_cache(maxsize=65536)
def _analyse_value(text: str) -> Analysis:
    return _analyse_doc(pipeline()(text))


@cache
def _needed_words() -> tuple[frozenset[str], frozenset[str], Any, frozenset[str]]:
    """(lower-case words, lemmas) some matcher needs, the lemma table, tokenizer exceptions.

    Token patterns need one of their anchors (``_LabelMatcher.may_match``); a phrase
    needs every one of its words, so any of them will do as a filter.
    """
    label_matchers, _ = _matchers()
    nlp = pipeline()
    lower: set[str] = set()
    lemmas: set[str] = set()
    for label_matcher in label_matchers:
        for attr, value in label_matcher.anchors or ():
            (lemmas if attr == "LEMMA" else lower).add(value.lower())
    for phrases in _phrases["LOWER"].values():
        lower.update(t.lower_ for p in phrases for t in nlp.make_doc(p))
    for phrases in _phrases["LEMMA"].values():
        lemmas.update(t.lemma_ for doc in nlp.pipe(phrases) for t in doc)
    table = nlp.get_pipe("sendguard_lemmatizer").lookups.get_table("lemma_lookup")
    exceptions = frozenset(k.lower() for k in nlp.tokenizer.rules)
    return frozenset(lower), frozenset(lemmas), table, exceptions


def value_needs_pipeline(text: str) -> bool:
    """False only when ``text`` provably matches nothing: plain words (letters only, or
    ASCII digits only) split by single spaces, none a tokenizer exception, none a word
    or lemma any pattern or phrase needs. Anything else (punctuation, mixed tokens)
    goes to spaCy."""
    if not text or len(text) > 64:
        return True
    words = text.split(" ")
    lower, lemmas, table, exceptions = _needed_words()
    for word in words:
        if not (word.isalpha() or (word.isascii() and word.isdigit())):
            return True
        folded = word.lower()
        if folded in exceptions or folded in lower or table.get(folded, folded) in lemmas:
            return True
    return False


def warm(texts: Iterable[str]) -> None:
    """Analyse many texts in one ``nlp.pipe`` pass, filling the cache ``analyse_fixed`` reads."""
    todo = [t for t in dict.fromkeys(texts) if t not in _fixed_cache]
    for text, doc in zip(todo, pipeline().pipe(todo), strict=True):
        _fixed_cache.put(text, _analyse_doc(doc))


def is_short_value(text: str) -> bool:
    return len(text) <= 64 and text.count(" ") < _SHORT_VALUE_WORDS


def skeleton_of(text: str, values: Iterable[tuple[int, int]]) -> tuple[str, list[tuple[int, int, int]]]:
    """``text`` with each short data value replaced by PLACEHOLDER.

    Returns the skeleton and, per placeholder, (offset in skeleton, start, end in text).
    """
    pieces: list[str] = []
    anchors: list[tuple[int, int, int]] = []
    last = skeleton_len = 0
    for start, end in values:
        if start < last or end <= start or not is_short_value(text[start:end]):
            continue
        pieces.append(text[last:start])
        skeleton_len += start - last
        anchors.append((skeleton_len, start, end))
        pieces.append(PLACEHOLDER)
        skeleton_len += 1
        last = end
    pieces.append(text[last:])
    return "".join(pieces), anchors


def analyse(text: str, values: Iterable[tuple[int, int]] = ()) -> Analysis:
    """Analyse ``text`` whose spans ``values`` came from data.

    Short values are replaced by PLACEHOLDER, so the rest (the template's fixed text)
    hits the cache; each short value is analysed on its own, also cached. Spans are
    mapped back to offsets in ``text``.
    """
    skeleton, anchors = skeleton_of(text, values)
    fixed = analyse_fixed(skeleton)
    if not anchors:
        return fixed

    positions = [at for at, _, _ in anchors]
    shifts = list(accumulate(end - start - 1 for _, start, end in anchors))

    def to_text(offset: int) -> int:
        before = bisect_left(positions, offset)  # placeholders that start before offset
        return offset + (shifts[before - 1] if before else 0)

    hits: dict[str, list[tuple[int, int]]] = {
        label: [(to_text(s), to_text(e)) for s, e in spans] for label, spans in fixed.hits.items()
    }
    for _, start, end in anchors:
        for label, spans in analyse_value(text[start:end]).hits.items():
            hits.setdefault(label, []).extend((start + s, start + e) for s, e in spans)
    sentences = tuple((to_text(s), to_text(e)) for s, e in fixed.sentences)
    return Analysis({label: _longest_first(spans) for label, spans in hits.items()}, sentences)
