"""The one spaCy pipeline of the process, and the shared matchers every rule uses.

``spacy.blank("en")`` + sentencizer + a lookup lemmatizer (its table ships in
linters/data, see linters.lemmas: nothing is downloaded).

The matchers are compiled from the vocabulary files (``linters/data/*.json``, see
``linters.vocabulary`` for their shape): this module never imports the rules, the
rules import it. Pipeline and base matchers are built once per process, on first
use; a policy that extends word classes (``[tool.sendguard.vocabulary]``) gets its
own matchers, built once per distinct extension and cached.

The extension in force is a context variable, set around one check with
``vocabulary_in_force(policy.vocabulary)`` (the engine and ``sendguard lint`` do
it), so the text analysis deep inside rendering needs no extra argument; analysis
caches are keyed by it.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from functools import cache, lru_cache
from itertools import accumulate
from typing import Any
from zlib import crc32

from spacy.attrs import LEMMA, LOWER, ORTH
from spacy.lang.en import English
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.pipeline import Lemmatizer
from spacy.tokens import Doc

from .lemmas import lemma_lookups
from .tokenizer import english_tokenizer
from .vocabulary import MESSAGE_SCOPE, Extension, Pattern, phrase_lists, token_patterns

# One private-use character stands for a short data value in the text the pipeline
# analyses, so a campaign's fixed text is analysed once, not once per recipient.
PLACEHOLDER = "\ue000"
_SHORT_VALUE_WORDS = 6

_vocabulary: ContextVar[Extension] = ContextVar("sendguard_vocabulary", default=())


@contextmanager
def vocabulary_in_force(extension: Extension) -> Iterator[None]:
    """Analyse with a policy's extra words inside this block (``()``: the base vocabulary)."""
    token = _vocabulary.set(extension)
    try:
        yield
    finally:
        _vocabulary.reset(token)


def current_vocabulary() -> Extension:
    return _vocabulary.get()


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
    # ``English()`` is what ``spacy.blank("en")`` builds, without blank's round trip
    # through a default config that it fills and validates first (a cold-start cost);
    # its tokenizer's affix patterns come compiled from a cache (linters.tokenizer).
    nlp = English(create_tokenizer=english_tokenizer)
    nlp.add_pipe("sentencizer")
    nlp.add_pipe("paragraph_breaks")
    # Only the lemmatizer needs initialising, with the table sendguard ships (linters.lemmas).
    nlp.add_pipe("sendguard_lemmatizer").initialize(lookups=lemma_lookups())
    return nlp


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


class _LabelMatcher:
    """Patterns sharing anchors (of one label or several); run only when the text holds an anchor.

    spaCy evaluates ``IN`` sets with a Python callback for every live state, so running
    every pattern over every text made the Matcher 90% of a cold check. Most texts hold
    the anchor words of a few labels only.

    The spaCy Matcher itself is compiled the first time a text holds an anchor, then
    kept for the life of the process: a cold start compiles only the groups its first
    message needs (a few of some 150), not the whole vocabulary.
    """

    __slots__ = ("_matcher", "_patterns", "anchors")

    def __init__(self, anchors: Anchors | None, patterns: dict[str, list[Pattern]]) -> None:
        self.anchors = anchors
        self._patterns = patterns
        self._matcher: Matcher | None = None

    def may_match(self, words: set[tuple[str, str]]) -> bool:
        return self.anchors is None or not self.anchors.isdisjoint(words)

    @property
    def matcher(self) -> Matcher:
        if self._matcher is None:
            vocab = pipeline().vocab
            matcher = Matcher(vocab)
            for label, patterns in self._patterns.items():
                # Compiled during an analysis, inside its memory zone (``_transient``):
                # the label must outlive it, since matches are read back by name.
                vocab.strings.add(label, allow_transient=False)
                matcher.add(label, patterns)
            self._matcher = matcher
        return self._matcher


_EXPANDABLE = ("LOWER", "LEMMA", "ORTH")
_SEVERAL_WORDS = re.compile(r"\s|\w[-\u2010\u2011/]\w")


def _token_forms(entry: str, attr: str) -> list[str]:
    """``entry`` as the pipeline tokenizes it, each token in the form ``attr`` compares.

    A one-token entry stays as written (lower-cased unless ``ORTH``), so a list keeps
    exactly the words its author chose.
    """
    # Only words and phrases are split: the tokenizer would also cut a contraction
    # piece written alone ("'ve", "n't") that is one token in running text. Testing the
    # text first keeps the tokenizer off the thousands of one-word entries (cold start).
    if not _SEVERAL_WORDS.search(entry):
        return [entry if attr == "ORTH" else entry.lower()]
    nlp = pipeline()
    doc = nlp.make_doc(entry)
    if len(doc) <= 1:
        return [entry if attr == "ORTH" else entry.lower()]
    if attr == "LEMMA":
        return [t.lemma_ for t in nlp(entry)]
    return [t.text if attr == "ORTH" else t.lower_ for t in doc]


def _expand_multiword(pattern: Pattern) -> list[Pattern]:
    """A pattern whose ``IN`` lists hold entries of several tokens ("top-tier", "Diamond
    Circle"), as patterns of single-token tests: each such entry becomes its own token
    sequence in a variant of the pattern."""
    for index, token in enumerate(pattern):
        for attr in _EXPANDABLE:
            test = token.get(attr)
            if not (isinstance(test, dict) and "IN" in test):
                continue
            single: list[str] = []
            sequences: list[list[str]] = []
            for entry in test["IN"]:
                forms = _token_forms(entry, attr) if isinstance(entry, str) else [entry]
                if len(forms) == 1:
                    single.append(forms[0])
                else:
                    sequences.append(forms)
            if not sequences:
                continue
            before, after = pattern[:index], pattern[index + 1 :]
            variants: list[Pattern] = []
            rest = {k: v for k, v in token.items() if k not in (attr, "OP")}
            if single:
                variants.append([*before, {**token, attr: {**test, "IN": single}}, *after])
            elif token.get("OP") in ("?", "*"):
                variants.append([*before, *after])  # the optional token may be absent
            for forms in sequences:
                run = [{**rest, attr: form} for form in forms]
                variants.append([*before, *run, *after])
            return [expanded for variant in variants for expanded in _expand_multiword(variant)]
    return [pattern]


@lru_cache(maxsize=16)
def _matchers(
    extension: Extension = (), scope: str = MESSAGE_SCOPE
) -> tuple[list[_LabelMatcher], list[PhraseMatcher]]:
    """The matchers of the base vocabulary plus ``extension``, built once for each (the
    label matchers' spaCy Matchers on first need, see ``_LabelMatcher``)."""
    nlp = pipeline()
    common = frozenset(nlp.Defaults.stop_words)
    # One Matcher per anchor set, whatever the labels: each Matcher run walks the whole
    # text, so labels that share anchor words ("free": OFFER and DISCOUNT) share a run.
    grouped: dict[Anchors | None, dict[str, list[Pattern]]] = {}
    for label, patterns in token_patterns(extension, scope).items():
        for pattern in patterns:
            for expanded in _expand_multiword(pattern):
                by_label = grouped.setdefault(_anchors(expanded, common), {})
                by_label.setdefault(label, []).append(expanded)
    label_matchers = [_LabelMatcher(anchors, by_label) for anchors, by_label in grouped.items()]
    phrase_matchers = []
    for attr, labels in phrase_lists(extension, scope).items():
        if not labels:
            continue
        phrase_matcher = PhraseMatcher(nlp.vocab, attr=attr)
        for label, phrases in labels.items():
            docs = list(nlp.pipe(phrases)) if attr == "LEMMA" else [nlp.make_doc(p) for p in phrases]
            phrase_matcher.add(label, docs)
        phrase_matchers.append(phrase_matcher)
    return label_matchers, phrase_matchers


# Greater than any sentence end: (offset, this) sorts after every sentence starting at offset.
_AFTER_ANY_END = float("inf")


@dataclass(frozen=True, slots=True)
class Analysis:
    """What the pipeline found in one text: labelled spans and sentence spans (char offsets)."""

    hits: dict[str, tuple[tuple[int, int], ...]]
    sentences: tuple[tuple[int, int], ...]

    def spans(self, label: str) -> tuple[tuple[int, int], ...]:
        return self.hits.get(label, ())

    def sentence_at(self, offset: int) -> tuple[int, int]:
        # A binary search: rules ask once per hit, so a scan would make a long message
        # with many hits quadratic. Sentences are in order and do not overlap.
        index = bisect_right(self.sentences, (offset, _AFTER_ANY_END)) - 1
        if index >= 0:
            start, end = self.sentences[index]
            if start <= offset < end:
                return start, end
        return offset, offset


# A text of this many tokens runs the groups whose anchors it holds as one Matcher: each
# Matcher run walks every token (creating a Python object for each), so a newsletter
# holding the anchors of thirty groups paid thirty walks. Short texts, the common case,
# keep one run per group: a merged Matcher costs a compile per new mix of groups.
LONG_TEXT_TOKENS = 2_000
_merged_matchers: dict[tuple[int, ...], Matcher] = {}
_MOST_MERGED = 64


def _merged(groups: list[_LabelMatcher]) -> Matcher:
    """One Matcher holding the patterns of ``groups`` (the same matches as running each)."""
    key = tuple(id(group) for group in groups)
    found = _merged_matchers.get(key)
    if found is None:
        if len(_merged_matchers) >= _MOST_MERGED:
            _merged_matchers.clear()
        vocab = pipeline().vocab
        found = Matcher(vocab)
        for group in groups:
            for label, patterns in group._patterns.items():
                vocab.strings.add(label, allow_transient=False)  # see _LabelMatcher.matcher
                found.add(label, patterns)
        _merged_matchers[key] = found
    return found


_WORD_ATTRS = [LOWER, LEMMA, ORTH]


def _words_of(doc: Doc) -> set[tuple[str, str]]:
    # The attributes as one array of string ids, then each distinct id looked up once:
    # walking the tokens would create a Python object per token.
    strings = doc.vocab.strings
    words: set[tuple[str, str]] = set()
    columns = doc.to_array(_WORD_ATTRS)
    for column, attr in enumerate(("LOWER", "LEMMA", "ORTH")):
        words.update((attr, strings[int(key)]) for key in set(columns[:, column].tolist()))
    return words


@lru_cache(maxsize=16)
def _anchor_index(extension: Extension, scope: str) -> tuple[dict[tuple[str, str], tuple[int, ...]], tuple[int, ...]]:
    """For each anchor word, the positions of the groups it lets run; and the groups with
    no anchor, which always run. A short text (a merge value) holds a few words: looking
    them up beats asking each of some 150 groups (``_LabelMatcher.may_match``)."""
    label_matchers, _ = _matchers(extension, scope)
    index: dict[tuple[str, str], list[int]] = {}
    always: list[int] = []
    for position, group in enumerate(label_matchers):
        if group.anchors is None:
            always.append(position)
            continue
        for anchor in group.anchors:
            index.setdefault(anchor, []).append(position)
    return {anchor: tuple(found) for anchor, found in index.items()}, tuple(always)


def _groups_for(words: set[tuple[str, str]], extension: Extension, scope: str) -> list[_LabelMatcher]:
    """The groups that may match a text holding ``words``, in their order."""
    label_matchers, _ = _matchers(extension, scope)
    index, always = _anchor_index(extension, scope)
    found = set(always)
    for word in words:
        positions = index.get(word)
        if positions:
            found.update(positions)
    return [label_matchers[position] for position in sorted(found)]


def _find(
    doc: Doc, extension: Extension, scope: str, groups: list[_LabelMatcher] | None = None
) -> dict[str, list[tuple[int, int]]]:
    """Every labelled span in ``doc``. ``groups``: the matcher groups to run, as one
    Matcher (a block of a long text passes those of the whole text, so its blocks share
    one compiled Matcher); by default, the groups whose anchor words ``doc`` holds."""
    _, phrase_matchers = _matchers(extension, scope)
    strings = doc.vocab.strings
    found: dict[str, list[tuple[int, int]]] = {}
    merge = groups is not None or len(doc) >= LONG_TEXT_TOKENS
    if groups is None:
        groups = _groups_for(_words_of(doc), extension, scope)
    matches = []
    if merge and len(groups) > 1:
        matches.extend(_merged(groups)(doc))
    else:
        for group in groups:
            matches.extend(group.matcher(doc))
    for phrase_matcher in phrase_matchers:
        matches.extend(phrase_matcher(doc))
    for match_id, start, end in matches:
        span = doc[start:end]
        found.setdefault(strings[match_id], []).append((span.start_char, span.end_char))
    return found


def _longest_first(spans: list[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    """One hit per phrase: spans inside longer ones are dropped ('act now' and 'now'),
    and overlapping spans of one label are joined ('one of our elite' and 'our elite
    members' are 'one of our elite members')."""
    kept: list[tuple[int, int]] = []
    for start, end in sorted(spans, key=lambda s: (s[0], -(s[1] - s[0]))):
        if kept and start < kept[-1][1]:
            kept[-1] = (kept[-1][0], max(kept[-1][1], end))
            continue
        kept.append((start, end))
    return tuple(kept)


def _analyse_doc(
    doc: Doc, extension: Extension, scope: str = MESSAGE_SCOPE, groups: list[_LabelMatcher] | None = None
) -> Analysis:
    found = _find(doc, extension, scope, groups)
    sentences = tuple((s.start_char, s.end_char) for s in doc.sents)
    return Analysis({label: _longest_first(spans) for label, spans in found.items()}, sentences)


class _BoundedCache(dict):
    """A dict that forgets everything when full: cheap, and campaigns refill it at once."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def put(self, key: tuple, value: Analysis) -> Analysis:
        if len(self) >= self.limit:
            self.clear()
        self[key] = value
        return value


_fixed_cache = _BoundedCache(4096)


def analyse_fixed(text: str) -> Analysis:
    """Analyse a text; cached, so a template's fixed text is analysed once per process.

    A long text (a newsletter) is analysed a block of paragraphs at a time
    (``_blocks``), each block cached on its own: a rewrite that edits a few sentences
    re-reads only the blocks it touched, so the work stays linear in the message.
    """
    extension = _vocabulary.get()
    cached = _fixed_cache.get((extension, text))
    if cached is not None:
        return cached
    if len(text) > LONG_TEXT_CHARS:
        return _fixed_cache.put((extension, text), _analyse_blocks(text, extension))
    with _transient(extension, MESSAGE_SCOPE) as nlp:
        analysis = _analyse_doc(nlp(text), extension)
    return _fixed_cache.put((extension, text), analysis)


# Longer than this, a text is analysed in blocks of whole paragraphs. A blank line ends a
# sentence (``paragraph_breaks``) and no pattern reads across one, so a block's analysis
# is the same as the whole text's there. Real messages are far shorter.
LONG_TEXT_CHARS = 8_000
_BLOCK_CHARS = 2_000
_PARAGRAPH_END = re.compile(r"\n[ \t]*\n\s*")
_block_cache = _BoundedCache(4096)


def _blocks(text: str) -> list[tuple[int, str]]:
    """``text`` cut after blank lines into blocks of about ``_BLOCK_CHARS`` or more (each
    with its start). A block ends at a paragraph whose own text decides it (its hash),
    not at a running count, so an edit to one paragraph leaves the other blocks as they
    were and their analyses are found in the cache."""
    blocks: list[tuple[int, str]] = []
    start = 0
    for found in _PARAGRAPH_END.finditer(text):
        end = found.end()
        size = end - start
        paragraph_mark = crc32(text[max(0, found.start() - 40) : found.start()].encode("utf-8", "replace")) % 4 == 0
        if size >= _BLOCK_CHARS and (paragraph_mark or size >= 4 * _BLOCK_CHARS):
            blocks.append((start, text[start:end]))
            start = end
    if start < len(text):
        blocks.append((start, text[start:]))
    return blocks


def _analyse_blocks(text: str, extension: Extension) -> Analysis:
    blocks = _blocks(text)
    # Kept here too: filling the bounded cache may clear it half way through this text.
    analyses = {block: found for _, block in blocks if (found := _block_cache.get((extension, block)))}
    todo = list(dict.fromkeys(block for _, block in blocks if block not in analyses))
    if todo:
        with _transient(extension, MESSAGE_SCOPE) as nlp:
            docs = list(nlp.pipe(todo))
            words = set().union(*(_words_of(doc) for doc in docs))
            groups = _groups_for(words, extension, MESSAGE_SCOPE)  # one Matcher for them all
            for block, doc in zip(todo, docs, strict=True):
                analysis = _analyse_doc(doc, extension, groups=groups)
                analyses[block] = _block_cache.put((extension, block), analysis)
    hits: dict[str, list[tuple[int, int]]] = {}
    sentences: list[tuple[int, int]] = []
    for start, block in blocks:
        analysis = analyses[block]
        for label, spans in analysis.hits.items():
            hits.setdefault(label, []).extend((start + s, start + e) for s, e in spans)
        sentences.extend((start + s, start + e) for s, e in analysis.sentences)
    return Analysis({label: tuple(spans) for label, spans in hits.items()}, tuple(sentences))


@contextmanager
def _transient(extension: Extension, scope: str) -> Iterator[Language]:
    """The pipeline, inside a spaCy memory zone: the strings and lexemes a text adds to
    the vocabulary are dropped at the end, once its Analysis (plain offsets and label
    names) is taken. Without it every distinct order number or tracking code stayed in
    the vocabulary for the life of the process (about 2 KB a message: a guard container
    that judged 300,000 such messages would run out of memory).

    The matchers are built first, outside the zone: their labels and phrase patterns
    must stay. Zones do not nest, and no caller of this holds another.
    """
    _matchers(extension, scope)
    nlp = pipeline()
    with nlp.memory_zone():
        yield nlp


_NOTHING = Analysis({}, ())


def analyse_value(text: str) -> Analysis:
    """Analyse one short data value (a name, a product) on its own.

    A value whose words no pattern or phrase needs cannot match, so it never reaches
    spaCy: a campaign's million names cost a set lookup each and add nothing to the
    vocabulary. The others are analysed and cached by value.
    """
    return _value_analysis(text, _vocabulary.get())


# The values a campaign repeats (a city, a collection, a product) are judged once; a
# new name pushes out the oldest, so the ones in every message stay.
@lru_cache(maxsize=4096)
def _value_analysis(text: str, extension: Extension) -> Analysis:
    return _analyse_value(text, extension) if value_needs_pipeline(text, extension) else _NOTHING


@lru_cache(maxsize=16)
def _needed_words(extension: Extension = ()) -> tuple[frozenset[str], frozenset[str], Any, frozenset[str]]:
    """(lower-case words, lemmas) some matcher needs, the lemma table, tokenizer exceptions.

    Token patterns need one of their anchors (``_LabelMatcher.may_match``); a phrase
    needs every one of its words, so any of them will do as a filter.
    """
    label_matchers, _ = _matchers(extension, MESSAGE_SCOPE)
    nlp = pipeline()
    lower: set[str] = set()
    lemmas: set[str] = set()
    for label_matcher in label_matchers:
        if label_matcher.anchors is None:  # a pattern with no anchor word: anything may match
            return frozenset(), frozenset(), None, frozenset()
        for attr, value in label_matcher.anchors:
            (lemmas if attr == "LEMMA" else lower).add(value.lower())
    for attr, labels in phrase_lists(extension, MESSAGE_SCOPE).items():
        for phrases in labels.values():
            if attr == "LEMMA":
                lemmas.update(t.lemma_ for doc in nlp.pipe(phrases) for t in doc)
            else:
                lower.update(t.lower_ for p in phrases for t in nlp.make_doc(p))
    table = nlp.get_pipe("sendguard_lemmatizer").lookups.get_table("lemma_lookup")
    exceptions = frozenset(k.lower() for k in nlp.tokenizer.rules)
    return frozenset(lower), frozenset(lemmas), table, exceptions


def lemma_table() -> Any:
    """The lookup lemmatizer's table (``word in lemma_table()``: a word it knows)."""
    return _needed_words()[2] or pipeline().get_pipe("sendguard_lemmatizer").lookups.get_table("lemma_lookup")


def words_a_value_needs(extension: Extension = ()) -> frozenset[str] | None:
    """The lower-case words that send a one-word value to spaCy (``value_needs_pipeline``
    of a word not in the lemma table is membership here); None when every value goes."""
    lower, lemmas, table, exceptions = _needed_words(extension)
    return None if table is None else lower | lemmas | exceptions


def value_needs_pipeline(text: str, extension: Extension = ()) -> bool:
    """False only when ``text`` provably matches nothing on its own, so spaCy is skipped.

    Every token spaCy could make of a short value is among ``_tokens_of(text)``: its
    runs of letters and digits (and their letter or digit parts, when a suffix rule
    splits "5pm"), each punctuation mark, and each needed word with punctuation in it
    ("v.i.p", "limited-time") that occurs in it. A pattern or phrase can match only if
    each of its required tokens is one of those (``_Requirements``). Values holding an
    apostrophe, a tokenizer exception or odd spacing go to spaCy as they are. So an
    order number ("NW-7103689"), a total ("£368.20") or a host name costs a few set
    lookups, not a pipeline run.
    """
    if not text or len(text) > 64:
        return True
    requirements = _requirements(extension)
    if requirements is None:
        return True
    return _needs_pipeline(requirements.numbers_as_one(text), extension)


# Totals, balances and order numbers differ in every message; ``numbers_as_one`` makes
# them one key, so each shape of value is looked at once.
@lru_cache(maxsize=8192)
def _needs_pipeline(text: str, extension: Extension) -> bool:
    requirements = _requirements(extension)
    if requirements is None or _ODD_SPACING.search(text) or _APOSTROPHES.search(text):
        return True
    tokens = requirements.tokens_of(text)
    return tokens is None or requirements.may_match(tokens)


_RUN = re.compile(r"[^\W_]+")
_LETTERS_OR_DIGITS = re.compile(r"[^\W\d_]+|\d+")
_DIGIT_RUN = re.compile(r"\d+")
_ODD_SPACING = re.compile(r"\s\s|[^\S ]|^ | $")
_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4]")
Forms = frozenset[tuple[str, str]]


class _Requirements:
    """For every pattern and phrase of a vocabulary, the tokens it cannot match without:
    one set of allowed (attribute, value) forms per required token. Indexed by the forms
    of each pattern's first required token, so a value checks only the patterns whose
    index form it holds."""

    def __init__(self, needs: list[tuple[Forms, ...]], table: Any, exceptions: frozenset[str]) -> None:
        self.needs = needs
        self.table = table
        self.exceptions = exceptions
        self.index: dict[tuple[str, str], list[int]] = {}
        for number, required in enumerate(needs):
            for form in required[0]:
                self.index.setdefault(form, []).append(number)
        with_punctuation = {v for required in needs for forms in required for _, v in forms}
        self.punctuated = tuple(sorted(v for v in with_punctuation if len(v) > 1 and not v.isalnum()))
        # The runs of digits some needed word or tokenizer exception holds ("1", "50" of
        # "over-50s", "10" of "10am"). Any other run of digits in a value can be no part of
        # a token a pattern needs, so it may be read as any other such run (``numbers_as_one``)
        # unless a needed word with punctuation starts or ends with a digit (a substring test
        # could then cut into a longer run).
        words = with_punctuation | exceptions
        self.needed_numbers = frozenset(run for word in words for run in _DIGIT_RUN.findall(word))
        self.numbers_apart = any(word[0].isdigit() or word[-1].isdigit() for word in self.punctuated)

    def numbers_as_one(self, text: str) -> str:
        """``text`` with every run of digits that no needed word holds written as a run of
        as many of one digit that none holds: a value whose forms match exactly what the
        text's forms match (``may_match`` and ``tokens_of`` read digits only as such runs)."""
        if self.numbers_apart or not any(char.isdigit() for char in text):
            return text
        return _DIGIT_RUN.sub(self._as_one, text)

    def _as_one(self, run: re.Match[str]) -> str:
        found = run.group()
        if found in self.needed_numbers:
            return found
        return next(
            (filler for digit in "0987654321" if (filler := digit * len(found)) not in self.needed_numbers),
            found,
        )

    def tokens_of(self, text: str) -> Forms | None:
        """The forms of every token spaCy could make of ``text``; None: a tokenizer
        exception is in it, so spaCy's tokens cannot be foreseen."""
        folded = text.lower()
        pieces = set(_RUN.findall(folded)).union(_LETTERS_OR_DIGITS.findall(folded))
        if not pieces.isdisjoint(self.exceptions):
            return None
        pieces.update(c for c in folded if not c.isalnum() and not c.isspace())
        pieces.update(word for word in self.punctuated if word in folded)
        cased = set(_RUN.findall(text)).union(_LETTERS_OR_DIGITS.findall(text))
        forms = {("ORTH", piece) for piece in pieces | cased}
        for piece in pieces:
            forms.add(("LOWER", piece))
            forms.add(("LEMMA", piece))
            forms.add(("LEMMA", self.table.get(piece, piece)))
        return frozenset(forms)

    def may_match(self, tokens: Forms) -> bool:
        seen: set[int] = set()
        for form in tokens:
            for number in self.index.get(form, ()):
                if number not in seen:
                    seen.add(number)
                    if all(not forms.isdisjoint(tokens) for forms in self.needs[number]):
                        return True
        return False


@lru_cache(maxsize=16)
def _requirements(extension: Extension) -> _Requirements | None:
    """None when some pattern has no required word: then any value may match."""
    _, _, table, exceptions = _needed_words(extension)
    if table is None:
        return None
    nlp = pipeline()
    needs: list[tuple[Forms, ...]] = []
    for label_matcher in _matchers(extension, MESSAGE_SCOPE)[0]:
        for patterns in label_matcher._patterns.values():
            for pattern in patterns:
                required = tuple(
                    forms
                    for token in pattern
                    if token.get("OP") in (None, "+", "1", "{1}") and (forms := _token_anchors(token)) is not None
                )
                if not required:
                    return None
                needs.append(required)
    for attr, labels in phrase_lists(extension, MESSAGE_SCOPE).items():
        for phrases in labels.values():
            docs = nlp.pipe(phrases) if attr == "LEMMA" else (nlp.make_doc(p) for p in phrases)
            for doc in docs:
                words = [t.lemma_ if attr == "LEMMA" else t.lower_ for t in doc if not t.is_space]
                if words:
                    needs.append(tuple(frozenset({(attr, word)}) for word in words))
    multi_token_exceptions = frozenset(e for e in exceptions if e.isalnum())
    return _Requirements(needs, table, multi_token_exceptions)


# Bounded so a campaign's memory stops growing once its first values fill it.
@lru_cache(maxsize=8192)
def _analyse_value(text: str, extension: Extension, scope: str = MESSAGE_SCOPE) -> Analysis:
    with _transient(extension, scope) as nlp:
        return _analyse_doc(nlp(text), extension, scope)


def analyse_scope(text: str, scope: str) -> Analysis:
    """Analyse a short text with the matchers of another vocabulary scope only."""
    return _analyse_value(text, _vocabulary.get(), scope)


def warm(texts: Iterable[str]) -> None:
    """Analyse many texts in one ``nlp.pipe`` pass, filling the cache ``analyse_fixed`` reads."""
    extension = _vocabulary.get()
    todo = [t for t in dict.fromkeys(texts) if (extension, t) not in _fixed_cache]
    if not todo:
        return
    with _transient(extension, MESSAGE_SCOPE) as nlp:
        analyses = [_analyse_doc(doc, extension) for doc in nlp.pipe(todo)]
    for text, analysis in zip(todo, analyses, strict=True):
        _fixed_cache.put((extension, text), analysis)


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
    return analyse_skeleton(text, *skeleton_of(text, values))


def analyse_skeleton(text: str, skeleton: str, anchors: list[tuple[int, int, int]]) -> Analysis:
    """``analyse`` of ``text`` whose ``skeleton_of`` is already at hand."""
    fixed = analyse_fixed(skeleton)
    if not anchors:
        return fixed
    found = [(start, analyse_value(text[start:end])) for _, start, end in anchors]
    if any(analysis is not _NOTHING for _, analysis in found):
        return _placed(fixed, anchors, found)
    # No value matched anything: the result depends on the skeleton and where the values
    # sit alone, so recipients whose values have the same lengths share it.
    key = (_vocabulary.get(), skeleton, tuple(anchors))
    placed = _placed_cache.get(key)
    return placed if placed is not None else _placed_cache.put(key, _placed(fixed, anchors, ()))


_placed_cache = _BoundedCache(1024)


def skeleton_to_text(anchors: list[tuple[int, int, int]]) -> Callable[[int], int]:
    """Offsets in a skeleton to offsets in its text (``anchors``: ``skeleton_of``'s)."""
    positions = [at for at, _, _ in anchors]
    shifts = list(accumulate(end - start - 1 for _, start, end in anchors))

    def to_text(offset: int) -> int:
        before = bisect_left(positions, offset)  # placeholders that start before offset
        return offset + (shifts[before - 1] if before else 0)

    return to_text


def _placed(
    fixed: Analysis, anchors: list[tuple[int, int, int]], found: Iterable[tuple[int, Analysis]]
) -> Analysis:
    """The skeleton's analysis moved to the text's offsets, with the values' own spans
    (``found``: each value's start in the text and its analysis) added."""
    to_text = skeleton_to_text(anchors)
    # Mapping keeps the order of the fixed text's spans and keeps them apart (it only
    # ever moves an offset right, more the further it is), so they are longest-first
    # already; only a label that a value adds to is sorted and joined again.
    hits: dict[str, Any] = {
        label: tuple([(to_text(s), to_text(e)) for s, e in spans]) for label, spans in fixed.hits.items()
    }
    for start, analysis in found:
        for label, spans in analysis.hits.items():
            joined = [*hits.get(label, ()), *((start + s, start + e) for s, e in spans)]
            hits[label] = _longest_first(joined)
    sentences = tuple([(to_text(s), to_text(e)) for s, e in fixed.sentences])
    return Analysis(hits, sentences)
