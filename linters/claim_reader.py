"""The trained claim reader: what each sentence claims, as scores per class.

A spaCy ``textcat_multilabel`` pipeline (trained by ``make train``, scripts/train_claims.py,
from training/claims/train/; shipped in linters/data/claim_reader/) reads one sentence at a
time and scores the nine classes of training/claims/LABELS.md. A class says what a sentence
claims, never whether that is a problem: the rules decide, against the record (a claim
class alone never blocks).

The model loads on first use, once per process, without network, on the engine's own
tokenizer (``_model``). A message's sentences are scored in one batch and kept in an LRU
cache per sentence text, short merge values read as one placeholder, so the fixed text of
a template is classified once however many recipients it goes to. Thresholds per class
are in the model's meta (chosen at training time for precision) and a policy may override
them (``[claims] thresholds``, linters/policy.py); a rule reads the reader through
``claims`` and keeps its own record condition.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field, field_validator

from .registry import Settings
from .vocabulary import alternation

if TYPE_CHECKING:
    from .message import Message, Part

MODEL_DIR = Path(__file__).parent / "data" / "claim_reader"
CLASSES = (
    "status",
    "personal_importance",
    "shared_history",
    "urgency",
    "care_feelings",
    "observation",
    "occasion",
    "feedback_request",
    "life_stage",
)
# A sentence longer than this is read in its first characters only: real sentences are
# far shorter, and a run-on block (a footer with no full stop) must not cost more.
MAX_SENTENCE_CHARS = 600
_LETTER = re.compile(r"[^\W\d_]")
_CACHE_SIZE = 8192


def check_thresholds(table: Any, where: str) -> dict[str, float]:
    """A table of class -> threshold (0 to 1), validated; ValueError names the entry."""
    if not isinstance(table, dict):
        raise ValueError(f"{where}: expected a table of class = threshold, got {type(table).__name__}")
    found = {}
    for name, value in table.items():
        entry = f"{where}.{name}" if where else str(name)
        if name not in CLASSES:
            raise ValueError(f"{entry}: unknown claim class (classes: {', '.join(CLASSES)})")
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
            raise ValueError(f"{entry}: a threshold is a number from 0 to 1, got {value!r}")
        found[name] = float(value)
    return found


class ClaimReaderSettings(Settings):
    """Settings of a rule that reads the claim reader: its thresholds, per class.

    The policy's ``[claims] thresholds`` table applies to every such rule
    (linters/policy.py); ``[rules.SGxxx] claim_thresholds`` to one, and wins."""

    claim_thresholds: dict[str, float] = Field(
        default_factory=dict,
        description="the claim reader's score a sentence needs per class (0 to 1); absent: the "
        "model's own (linters/data/claim_reader/meta.json); the policy's [claims] thresholds set every rule's",
    )

    @field_validator("claim_thresholds", mode="before")
    @classmethod
    def known_classes(cls, value: Any) -> dict[str, float]:
        return check_thresholds(value, "")


class ClaimReaderError(RuntimeError):
    """The shipped model is missing or unreadable (a broken install, never a request)."""


def clean_sentence(text: str) -> str:
    """A sentence as the reader classifies it: white space folded, ends trimmed."""
    return " ".join(text.split())[:MAX_SENTENCE_CHARS]


def part_sentences(part: Part) -> Iterator[tuple[int, int, str]]:
    """The sentences of a part as (start, end, text), ``text`` cleaned; sentences with
    no letter (a rule line, a price alone, a link) are left out."""
    for start, end in part.analysis.sentences:
        text = clean_sentence(part.text[start:end])
        if text and _LETTER.search(text):
            yield start, end, text


@cache
def _meta() -> dict[str, Any]:
    path = MODEL_DIR / "meta.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ClaimReaderError(f"the claim reader's model is missing or unreadable ({path}): {exc}") from exc


def default_thresholds() -> dict[str, float]:
    """Each class's threshold as trained (the model's meta, ``sendguard.thresholds``)."""
    return dict(_trained_thresholds())


@cache
def _trained_thresholds() -> tuple[tuple[str, float], ...]:
    found = _meta().get("sendguard", {}).get("thresholds", {})
    return tuple((name, float(found.get(name, 0.5))) for name in CLASSES)


def model_info() -> dict[str, Any]:
    """What the model records about itself: data digest, seed, spaCy version, counts."""
    return dict(_meta().get("sendguard", {}))


@dataclass(frozen=True, slots=True)
class _Reader:
    nlp: Any  # the engine's pipeline (linters.nlp): its tokenizer and vocabulary
    model: Any  # the thinc model of the trained textcat_multilabel component
    labels: tuple[str, ...]


@cache
def _model() -> _Reader:
    """The trained component's model, built from the folder's config.cfg and loaded from
    its weights, on the engine's own tokenizer (linters.nlp). ``spacy.load`` of the
    folder gives the same scores but costs a tenth of ``import spacy`` (a second
    tokenizer and vocabulary, the whole config filled and validated, a plugin lookup in
    every installed package per array); this costs about 20 ms, inside the cold-start
    budget."""
    from spacy.util import load_config

    from .nlp import pipeline

    _meta()  # a clear error when the model is missing
    folder = MODEL_DIR / "textcat_multilabel"
    try:
        spec = load_config(MODEL_DIR / "config.cfg")["components"]["textcat_multilabel"]["model"]
        labels = tuple(json.loads((folder / "cfg").read_text(encoding="utf-8"))["labels"])
        model = _build(spec)
        with _known_decoders():
            model.from_bytes((folder / "model").read_bytes())
    except Exception as exc:  # a broken install must say so, not crash a decision
        raise ClaimReaderError(f"the claim reader's model cannot be loaded ({MODEL_DIR}): {exc}") from exc
    return _Reader(pipeline(), model, labels)


def _build(spec: Any) -> Any:
    """A thinc model from its config block: each ``@architectures`` entry called with
    its arguments, the nested blocks built first."""
    from spacy.util import registry

    if not isinstance(spec, dict):
        return spec
    arguments = {key: _build(value) for key, value in spec.items() if key != "@architectures"}
    if "@architectures" not in spec:
        return arguments
    return registry.get("architectures", spec["@architectures"])(**arguments)


@contextmanager
def _known_decoders() -> Iterator[None]:
    """Read the weights with srsly's msgpack decoders looked up once: at each of the
    model's 36 arrays srsly would look again, through every installed package's entry
    points and the whole plugin registry (half of loading the model)."""
    try:
        from srsly.msgpack import msgpack_decoders
    except ImportError:  # another srsly: load as it does
        yield
        return
    found = msgpack_decoders.get_all()
    msgpack_decoders.get_all = lambda: found  # type: ignore[method-assign]
    try:
        yield
    finally:
        del msgpack_decoders.get_all


Scores = tuple[float, ...]  # one score per class, in CLASSES order
_INDEX = {name: index for index, name in enumerate(CLASSES)}
_NOTHING: Scores = (0.0,) * len(CLASSES)
# Scores per sentence text, least recently used first: the fixed text of a template is
# classified once per process; a full cache forgets its oldest sentence.
_cache: OrderedDict[str, Scores] = OrderedDict()


def _predict(texts: list[str]) -> list[Scores]:
    """Scores of ``texts``, in one batch (a batch of twenty costs what four single
    sentences cost)."""
    reader = _model()
    scores = [_NOTHING] * len(texts)  # a text of no token claims nothing
    # A memory zone: the sentences' new words must not stay in the shared vocabulary (see
    # linters.nlp._transient; zones do not nest, and no analysis runs while a rule reads).
    with reader.nlp.memory_zone():
        docs = [reader.nlp.make_doc(text) for text in texts]
        read = [index for index, doc in enumerate(docs) if len(doc)]
        # The bag of n-grams cannot take an empty text in a batch: those stay at nothing.
        found = reader.model.predict([docs[index] for index in read]) if read else []
    for index, row in zip(read, found, strict=True):
        # Below 1 always: a threshold of 1 switches a class off (a policy's way to say "never").
        named = dict(zip(reader.labels, (min(round(float(v), 4), 0.9999) for v in row), strict=True))
        scores[index] = tuple(named.get(name, 0.0) for name in CLASSES)
    return scores


def _scores(texts: list[str]) -> list[Scores]:
    """Scores of each text, from the cache or predicted together."""
    cache = _cache
    todo = [text for text in dict.fromkeys(texts) if text not in cache]
    if todo:
        for text, scores in zip(todo, _predict(todo), strict=True):
            cache[text] = scores
        while len(cache) > _CACHE_SIZE:
            cache.popitem(last=False)
    found = []
    for text in texts:
        cache.move_to_end(text)
        found.append(cache[text])
    return found


def classify(sentences: Iterable[str]) -> list[dict[str, float]]:
    """Scores per class (0 to 1) for each sentence, in order; cached per sentence text."""
    return [
        dict(zip(CLASSES, scores, strict=True)) for scores in _scores([clean_sentence(t) for t in sentences])
    ]


@dataclass(frozen=True, slots=True)
class Claim:
    """A sentence of a part read as a class: where it is, what it says, how sure."""

    part: Part
    start: int
    end: int
    text: str
    label: str
    score: float
    # The sentence as the reader read it: short merge values as one placeholder, so the
    # same for every recipient of a template (``reads_as`` reads it again, shortened).
    read: str = ""

    def excerpt(self, limit: int = 80) -> str:
        return self.text if len(self.text) <= limit else self.text[: limit - 1].rstrip() + "\u2026"

    def describe(self) -> str:
        """ "'<excerpt>' reads as a status claim (score 0.93)": what a finding says."""
        return f"'{self.excerpt()}' reads as {_article(self.label)} {_label_words(self.label)} claim (score {self.score:.2f})"


def _label_words(label: str) -> str:
    return label.replace("_", " ")


def _article(label: str) -> str:
    return "an" if label[0] in "aeiou" else "a"


# A short merge value (a name, a city, an order number, a date: what linters.nlp reads
# apart from a template's fixed text) is read as this one placeholder, so that
# recipients who differ only in such values read the same sentence: it is classified
# once for all of them (the guard on a known template pays a lookup, not a model run),
# and the campaign path may share their verdict (it stands in one-word values for each
# other, linters/recipient_classes.py). The reader learned nothing from the
# placeholder: it weighs nothing. A long value (a paragraph from data) is read as text.
VALUE_PLACEHOLDER = "\ue000"


def _read_sentences(part: Part) -> list[tuple[int, int, str]]:
    """The part's sentences as the reader reads them: (start, end, text), short values
    stood in for by ``VALUE_PLACEHOLDER``, white space folded; a sentence with no letter
    left (a rule line, a price, a name alone) is left out."""
    return [(start, end, read) for start, end, read, _ in _scored_sentences(part)]


def _scored_sentences(part: Part) -> list[tuple[int, int, str, Scores]]:
    """``_read_sentences`` with each sentence's scores.

    The sentences are the part's skeleton's (``Part.skeleton``, whose analysis gave the
    part its sentences, one for one), so they are read and scored once per template
    (``_skeleton_reads_in``). A value the template marks missing but that printed
    something is read as text, so such a part is read on its own (``_read_sentences_of``),
    and so is a skeleton too long to keep as a key."""
    from .fixed_text import CACHED_CHARS

    sentences = part.analysis.sentences
    if len(part.skeleton) <= CACHED_CHARS and not any(v.missing and v.end > v.start for v in part.values):
        from .nlp import current_vocabulary

        count, reads = _skeleton_reads_in(current_vocabulary(), part.skeleton)
        if count == len(sentences):
            return [(*sentences[index], read, scores) for index, read, scores in reads]
    found = _read_sentences_of(part)
    scores = _scores([read for _, _, read in found])
    return [(start, end, read, one) for (start, end, read), one in zip(found, scores, strict=True)]


@lru_cache(maxsize=512)
def _skeleton_reads_in(vocabulary: Any, skeleton: str) -> tuple[int, tuple[tuple[int, str, Scores], ...]]:
    """How many sentences the skeleton has (its analysis is cached: the part was just
    analysed from it), and the read text and scores of each kept one, by its index."""
    from .nlp import analyse_fixed

    analysis = analyse_fixed(skeleton)
    reads = []
    for index, (start, end) in enumerate(analysis.sentences):
        read = clean_sentence(skeleton[start:end])
        if read and _LETTER.search(read):
            reads.append((index, read))
    scores = _scores([read for _, read in reads])
    return len(analysis.sentences), tuple(
        (index, read, one) for (index, read), one in zip(reads, scores, strict=True)
    )


def _read_sentences_of(part: Part) -> list[tuple[int, int, str]]:
    """``_read_sentences`` for one part, one pass over its values (and the test oracle of
    the skeleton's reading)."""
    from .nlp import is_short_value

    text = part.text
    values = sorted(
        (v.start, v.end)
        for v in part.values
        if not v.missing and v.end > v.start and is_short_value(text[v.start : v.end])
    )
    found, first = [], 0
    for start, end in part.analysis.sentences:
        while first < len(values) and values[first][0] < start:
            first += 1  # values before this sentence (one across its start is read as text)
        pieces, last, at = [], start, first
        while at < len(values) and values[at][1] <= end:
            value_start, value_end = values[at]
            if value_start >= last:
                pieces += [text[last:value_start], VALUE_PLACEHOLDER]
                last = value_end
            at += 1
        pieces.append(text[last:end])
        read = clean_sentence("".join(pieces))
        if read and _LETTER.search(read):
            found.append((start, end, read))
    return found


@cache
def _cues() -> dict[str, re.Pattern[str]]:
    """linters/data/claim_reader/cues.json: per class, its cues as one pattern."""
    raw = json.loads((MODEL_DIR / "cues.json").read_text(encoding="utf-8"))["cues"]
    return {
        label: re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(cue) for cue in cues) + ")", re.IGNORECASE)
        for label, cues in raw.items()
    }


@cache
def _not_cues() -> dict[str, re.Pattern[str]]:
    """cues.json's ``not_cues``: per class, the phrases in which its cue words are no cue
    (a word of ``words`` after one of ``before``, at most two of ``between`` between)."""
    raw = json.loads((MODEL_DIR / "cues.json").read_text(encoding="utf-8")).get("not_cues", {})
    found = {}
    for label, frame in raw.items():
        words = rf"(?:{alternation(frame['words'])})[\w-]*"
        before, between = alternation(frame["before"]), alternation(frame.get("between", ()))
        found[label] = re.compile(
            rf"(?<![\w-])(?:{before})\s+(?:(?:{between})\s+){{0,2}}{words}(?:\s+{words})*", re.IGNORECASE
        )
    return found


def has_cue(label: str, sentence: str) -> bool:
    """Whether ``sentence`` holds one of the words nearly every real ``label`` claim
    holds (linters/data/claim_reader/cues.json; a class without cues needs none). The
    reader learned a few look-alikes from shared words ("you get early access" as
    status); a rule takes the class and a cue together. A cue word inside one of the
    class's ``not_cues`` phrases ("thank you for your feedback": an ask already
    answered) does not count; another cue in the sentence still does."""
    cues = _cues().get(label)
    if cues is None:
        return True
    not_cues = _not_cues().get(label)
    if not_cues is not None:
        sentence = not_cues.sub(" ", sentence)
    return cues.search(sentence) is not None


def holds_span(part: Part, start: int, end: int, labels: Iterable[str]) -> bool:
    """Whether the vocabulary found one of ``labels`` in [start, end) of ``part``: a
    sentence the vocabulary judged is left to it (its exceptions are worded there)."""
    return any(s < end and start < e for label in labels for s, e in part.analysis.spans(label))


def claims(message: Message, label: str, thresholds: Mapping[str, float] | None = None) -> list[Claim]:
    """Every sentence of the message (each part as read: subject, preheader, text, HTML,
    alt) the reader labels ``label`` at or above its threshold, in reading order."""
    if label not in CLASSES:
        raise ValueError(f"unknown claim class {label!r} (classes: {', '.join(CLASSES)})")
    threshold = threshold_of(label, thresholds)
    found: list[Claim] = []
    for part in message.readable():
        found.extend(part_claims(part, label, threshold))
    return found


def threshold_of(label: str, thresholds: Mapping[str, float] | None = None) -> float:
    """The score a sentence needs to read as ``label``: the policy's, else the model's."""
    threshold = thresholds.get(label) if thresholds else None
    return _trained_thresholds()[_INDEX[label]][1] if threshold is None else threshold


def reads_as(label: str, read: str, thresholds: Mapping[str, float] | None = None) -> bool:
    """Whether the reader reads the text ``read`` as ``label`` (a rule asks again of a
    claim's ``read`` with a phrase taken out: is the claim in what is left?)."""
    return _scores([clean_sentence(read)])[0][_INDEX[label]] >= threshold_of(label, thresholds)


def part_claims(part: Part, label: str, threshold: float) -> Iterator[Claim]:
    """The sentences of one part the reader labels ``label`` at ``threshold`` or above."""
    index = _INDEX[label]
    sentences = _part_scores(part)
    if not sentences or _part_top(part)[index] < threshold:
        return  # most parts have no sentence of most classes: one comparison, not one a sentence
    for start, end, read, scores in sentences:
        if scores[index] >= threshold:
            text = clean_sentence(part.text[start:end])
            yield Claim(part, start, end, text, label, scores[index], read)


def _part_scores(part: Part) -> list[tuple[int, int, str, Scores]]:
    """Each sentence of the part with its scores; kept in the part's memo, since several
    rules read one message (the scores themselves are cached per sentence text)."""
    found = part.memo.get("claim_reader")
    if found is None:
        found = _scored_sentences(part)
        part.memo["claim_reader"] = found
    return found  # type: ignore[return-value]


def _part_top(part: Part) -> Scores:
    """Each class's highest score among the part's sentences."""
    found = part.memo.get("claim_reader_top")
    if found is None:
        found = part.memo["claim_reader_top"] = tuple(
            map(max, zip(*(s for _, _, _, s in _part_scores(part)), strict=True))
        )
    return found  # type: ignore[return-value]
