"""SG501 segment-mismatch: Content for a life stage or segment the recipient is known not to be in."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from pydantic import Field

from ...claim_reader import MODEL_DIR, ClaimReaderSettings, claims, holds_span
from ...findings import Action, Hit
from ...message import Message, Part
from ...models import Customer
from ...registry import rule
from ...vocabulary import load


def canonical_tag(name: str) -> str:
    """A segment name as compared: "Parents of teens" and "parents-of-teens" are one."""
    return re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_")


@dataclass(frozen=True, slots=True)
class Segment:
    """A segment tag and what it means on a customer record (linters/data/segments.json)."""

    tag: str
    children_ages: tuple[int, int] | None = None
    pets: frozenset[str] = frozenset()
    age: tuple[int, int] | None = None
    conflicts: frozenset[str] = frozenset()

    @property
    def label(self) -> str:
        return f"SEGMENT_{self.tag.upper()}"

    def fits(self, customer: Customer, now: datetime) -> bool | None:
        """True when the record puts the customer in the segment, False when it rules
        them out, None when it does not say."""
        tags = customer_tags(customer)
        if self.tag in tags:
            return True
        if self.conflicts & tags:
            return False
        verdicts = [
            v
            for v in (self._children(customer), self._pets(customer), self._age(customer, now))
            if v is not None
        ]
        if not verdicts:
            return None
        return any(verdicts)

    def _children(self, customer: Customer) -> bool | None:
        ages = customer.attributes.children_ages
        if self.children_ages is None or ages is None:
            return None
        low, high = self.children_ages
        return any(low <= age <= high for age in ages)

    def _pets(self, customer: Customer) -> bool | None:
        pets = customer.attributes.pets
        if not self.pets or pets is None:
            return None
        return any(pet.strip().lower() in self.pets for pet in pets)

    def _age(self, customer: Customer, now: datetime) -> bool | None:
        born = customer.attributes.birth_year
        if self.age is None or born is None:
            return None
        low, high = self.age
        return low <= now.year - born <= high


def _range(spec: dict[str, int] | None, top: int = 150) -> tuple[int, int] | None:
    return None if spec is None else (int(spec.get("min", 0)), int(spec.get("max", top)))


def _load_segments() -> tuple[dict[str, Segment], dict[str, str]]:
    """The segments by tag, and every alias (and tag) to its tag."""
    raw: dict[str, Any] = load("segments")["segments"]
    aliases = {canonical_tag(tag): tag for tag in raw}
    for tag, spec in raw.items():
        aliases.update({canonical_tag(alias): tag for alias in spec.get("aliases", ())})
    segments = {
        tag: Segment(
            tag,
            children_ages=_range(spec.get("children_ages")),
            pets=frozenset(p.lower() for p in spec.get("pets", ())),
            age=_range(spec.get("age")),
            conflicts=frozenset(
                aliases.get(canonical_tag(c), canonical_tag(c)) for c in spec.get("conflicts", ())
            ),
        )
        for tag, spec in raw.items()
    }
    return segments, aliases


SEGMENTS, _ALIASES = _load_segments()

# (analysis label, segment) in the catalog's order: the labels are spelled once.
_LABELLED_SEGMENTS = tuple((segment.label, segment) for segment in SEGMENTS.values())


def segment_tag(name: str) -> str:
    """The segment tag a record's or audience's name stands for ("teen_parent" -> "parent_teen")."""
    key = canonical_tag(name)
    return _ALIASES.get(key, key)


def customer_tags(customer: Customer) -> frozenset[str]:
    return frozenset(segment_tag(name) for name in customer.segments)


class SegmentSettings(ClaimReaderSettings):
    segments_complete: bool = Field(
        False,
        description="treat the customer's `segments` as complete: an audience tag they lack is a mismatch",
    )


def _describe(customer: Customer, segment: Segment) -> str:
    facts = []
    if segment.children_ages is not None and customer.attributes.children_ages is not None:
        ages = customer.attributes.children_ages
        facts.append(f"children aged {', '.join(map(str, ages))}" if ages else "no children")
    if segment.pets and customer.attributes.pets is not None:
        facts.append(f"pets: {', '.join(customer.attributes.pets) or 'none'}")
    if segment.age is not None and customer.attributes.birth_year is not None:
        facts.append(f"born {customer.attributes.birth_year}")
    if customer.segments and (not facts or segment.conflicts & customer_tags(customer)):
        facts.append(f"segments: {', '.join(customer.segments)}")
    return "; ".join(facts) or "the record"


def _audience_mismatch(message: Message, customer: Customer, settings: SegmentSettings) -> Iterator[Hit]:
    audience = message.request.audience or []
    verdicts: list[bool | None] = []
    tags = [segment_tag(name) for name in audience]
    for tag in tags:
        segment = SEGMENTS.get(tag)
        if segment is not None:
            verdicts.append(segment.fits(customer, message.now))
        elif tag in customer_tags(customer):
            verdicts.append(True)
        else:
            verdicts.append(False if settings.segments_complete else None)
    # Content meant for several segments is relevant when any of them fits.
    if verdicts and all(v is False for v in verdicts):
        known = [SEGMENTS[t] for t in tags if t in SEGMENTS]
        facts = (
            _describe(customer, known[0]) if known else f"segments: {', '.join(customer.segments) or 'none'}"
        )
        yield Hit(f"the message is for {', '.join(audience)}, but the customer is not ({facts})")


def _text_mismatch(message: Message, customer: Customer) -> Iterator[Hit]:
    parts = message.readable()
    # Only the segments the text speaks to (most texts speak to none).
    named = {label for part in parts for label in part.analysis.hits if label.startswith("SEGMENT_")}
    if not named:
        return
    for label, segment in _LABELLED_SEGMENTS:
        if label not in named:
            continue
        mentions = [(part, part.analysis.spans(label)) for part in parts]
        mentions = [(part, found[0]) for part, found in mentions if found]
        # Judge the record only when the text speaks to the segment (most texts do not).
        if not mentions or segment.fits(customer, message.now) is not False:
            continue
        for part, (start, end) in mentions:  # one finding per segment and part
            yield Hit(
                f"'{part.text[start:end]}' is content for {segment.tag}, but the customer is not "
                f"({_describe(customer, segment)})",
                part.name,
                start,
                end,
            )


@cache
def _life_stage_cues() -> tuple[tuple[str, re.Pattern[str]], ...]:
    """(segment tag, its cues as one pattern), from linters/data/claim_reader/life_stages.json."""
    raw = json.loads((MODEL_DIR / "life_stages.json").read_text(encoding="utf-8"))["cues"]
    return tuple(
        (tag, re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(c) for c in cues) + ")", re.IGNORECASE))
        for tag, cues in raw.items()
        if tag in SEGMENTS
    )


_SEGMENT_LABELS = tuple(label for label, _ in _LABELLED_SEGMENTS)


def _most_specific(cued: list[str]) -> list[str]:
    """The segments a sentence speaks to, less the generic ``parent`` when it cues a
    parent of children of some age ("back to school" with "kids"): a parent of adults has
    children, so the generic one would excuse every sentence about young ones."""
    if "parent" in cued and any(tag.startswith("parent_") for tag in cued):
        return [tag for tag in cued if tag != "parent"]
    return cued


def _read_mismatch(message: Message, customer: Customer, settings: SegmentSettings) -> Iterator[Hit]:
    """Sentences the reader reads as life-stage content, where the vocabulary named no
    segment: each speaks to the segments whose cues it holds, and is a finding when the
    record rules out every one of them (a sentence that cues none is not judged)."""
    if not message.is_marketing:
        return  # a statement or a reminder speaks to the customer's own situation
    for claim in claims(message, "life_stage", settings.claim_thresholds):
        if holds_span(claim.part, claim.start, claim.end, _SEGMENT_LABELS):
            continue
        cued = _most_specific([tag for tag, cues in _life_stage_cues() if cues.search(claim.text)])
        # The record is read only for the segments the sentence speaks to.
        if not cued or any(SEGMENTS[tag].fits(customer, message.now) is not False for tag in cued):
            continue
        yield Hit(
            f"{claim.describe()}, content for {', '.join(cued)}, but the customer is not "
            f"({_describe(customer, SEGMENTS[cued[0]])})",
            claim.part.name,
            claim.start,
            claim.end,
        )


# A store, event or opening in a named town, sent to a customer the record places in
# another one. The towns are linters/data/places.json plus the customer's own city.

_VENUE = (
    r"(?:store|shop|branch|showroom|outlet|boutique|studio|salon|caf[eé]|restaurant|gallery"
    r"|taproom|bakery|superstore|megastore|flagship|location|venue)s?"
)

# Words that make a sentence about being somewhere in person.
_IN_PERSON = re.compile(
    rf"\b(?:{_VENUE}|in-store|in store|in person|opening|opens|grand opening|open day|open evening"
    r"|event|launch party|pop-up|popup|workshop|tasting|meet-up|meetup|meet and greet|signing"
    r"|visit us|come (?:along|down|in|by|and see)|join us|pop in|drop in|doors open|tickets?)\b",
    re.IGNORECASE,
)

# ... and words that make it about no place at all.
_NOT_IN_PERSON = re.compile(
    r"\b(?:online|virtual|virtually|livestream|live stream|live-stream|streamed|streaming|webinar|zoom"
    r"|on-demand|on demand|from home|nationwide|every store|all (?:our )?stores|all (?:our )?branches"
    r"|across the (?:uk|us|country)|delivery|delivered|ship(?:s|ping)?)\b",
    re.IGNORECASE,
)


@cache
def _gazetteer() -> frozenset[str]:
    """The towns of linters/data/places.json, folded."""
    places: dict[str, list[str]] = load("places")["places"]
    return frozenset(name.casefold() for names in places.values() for name in names)


@cache
def _place_patterns(own: tuple[str, ...]) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """("our <Town> store", "in <Town>") for the gazetteer's towns and the customer's own."""
    places: dict[str, list[str]] = load("places")["places"]
    names = sorted({*(n for ns in places.values() for n in ns), *own}, key=len, reverse=True)
    town = "(?P<place>" + "|".join(re.escape(n) for n in names) + r")(?![\w'’-])"
    venue = re.compile(
        rf"(?<![\w-])(?:(?i:our|the)\s+(?:(?i:new|brand[- ]new|flagship)\s+)?)?{town}"
        rf"\s+(?i:flagship\s+)?(?i:{_VENUE})\b"
    )
    placed = re.compile(rf"(?<![\w-])(?i:in|at|near you in|in central|in downtown)\s+{town}")
    return venue, placed


def _same_place(named: str, customer_places: list[str]) -> bool:
    """Whether a town the message names is where the record puts the customer: the same
    name, or one inside the other ("London" and "Greater London")."""
    said = f" {' '.join(named.casefold().split())} "
    return any(said in f" {own} " or f" {own} " in said for own in customer_places)


def _place_mismatch(message: Message, customer: Customer) -> Iterator[Hit]:
    if not message.is_marketing or not customer.city:
        return
    own = [" ".join(p.split()) for p in (customer.city, customer.region) if p and p.strip()]
    folded = [p.casefold() for p in own]
    known = _gazetteer()
    if not any(p in known for p in folded):
        return  # the record's place is not one the gazetteer knows: nearby or not, unknown
    venue, placed = _place_patterns(tuple(own))
    parts = message.readable()
    if any(_named(place, part.text) for place in own for part in parts):
        return  # the message speaks to the customer's own place too
    for part in parts:
        for found in _in_person_places(part, venue, placed):
            start, end = found.span("place")
            town = found["place"]
            if _same_place(town, folded) or town.casefold() not in known:
                continue
            yield Hit(
                f"'{part.text[found.start() : found.end()]}' names {town} for an in-person offer, "
                f"but the record places the customer in {', '.join(own)}",
                part.name,
                start,
                end,
            )
            break  # one finding per part


def _named(place: str, text: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(place)}(?![\w-])", text, re.IGNORECASE) is not None


def _in_person_places(part: Part, venue: re.Pattern[str], placed: re.Pattern[str]) -> Iterator[re.Match[str]]:
    """Towns named as the place of a store, event or opening: "our Leeds store", or "in
    Leeds" in a sentence about being somewhere in person and not online."""
    text = part.text

    def sentence(found: re.Match[str]) -> str:
        start, end = part.analysis.sentence_at(found.start())
        return text[start:end] if end > start else text[max(0, found.start() - 200) : found.end() + 200]

    for found in venue.finditer(text):
        if found["place"][:1].isupper() and not _NOT_IN_PERSON.search(sentence(found)):
            yield found
    for found in placed.finditer(text):
        if not found["place"][:1].isupper():
            continue
        said = sentence(found)
        if _IN_PERSON.search(said) and not _NOT_IN_PERSON.search(said):
            yield found


@rule(
    "SG501", "segment-mismatch", Action.BLOCK, SegmentSettings,
    reads=(
        "text",
        "customer.anonymous",
        "customer.segments",
        "customer.attributes",
        "customer.city",
        "customer.region",
        "request.audience",
        "request.purpose",
        "now",
    ),
)
def find_segment_mismatch(message: Message, settings: SegmentSettings) -> Iterator[Hit]:
    """Content for a life stage or segment the recipient is known not to be in.

    Catches: a request whose `audience` tags (e.g. `["parent_infant"]`) the customer
    record rules out, and, when no audience is declared, product and life-stage words
    in the text ("diapers", "puppy food", "prom dress", "hearing aids") for a segment
    the record rules out, including age-targeted topics ("retirement planning",
    "pension drawdown", "Medicare") for someone whose `birth_year` puts them outside the
    age range (a pension itself is not one: workers of every age have one). What each
    tag means (children's ages, pets, age from `birth_year`, the other names a tag goes
    by in `segments`, such as "teen_parent" for `parent_teen`, and the tags that
    conflict with it) and its vocabulary are data, in `linters/data/segments.json`.
    Only a known mismatch is a finding: a record that says nothing about children is
    not judged on diapers. The claim reader (linters/claim_reader.py) finds life-stage
    content in other words ("planning for the little one's arrival", "now the kids
    have flown the nest"): a sentence it reads as `life_stage` speaks to the segments
    whose cues it holds (linters/data/claim_reader/life_stages.json), and is a finding
    in marketing when the record rules out every one of them.

    Also catches local content for the wrong place: a marketing message that names a
    town as the place of an in-person store, event or opening ("at our Leeds store",
    "this Saturday at our Dublin shop", "opening in Leeds", "near you in Leeds") sent
    to a customer whose record (`city`, or `region`) puts them in another known town.
    The towns are a gazetteer of major cities (UK, US, IE, DE, FR, ES, IT, NL, PT, AU,
    CA) in `linters/data/places.json`, plus the customer's own city. Not judged: a
    record with no `city`, or one whose city and region the gazetteer does not know
    (a suburb may be next door); a message that also names the customer's own town; a
    sentence about an online event, delivery or a sale in every store; transactional
    and service messages (a click-and-collect notice names the store the customer
    chose).

    Why it hurts: diaper offers to the parent of a 15-year-old say the company's idea
    of them is fifteen years old, or belongs to someone else; an invitation to a Leeds
    store opening, sent to someone in Bristol, says nobody checked where they live.

    Example: to {"attributes": {"children_ages": [15]}}: "Stock up on diapers: 20% off
    all sizes this week."

    Fix: target the campaign by the record (`audience` plus current segments, `city`
    for local events), or keep the record current. Blocked.
    """
    customer = message.customer
    if customer is None or customer.anonymous:
        return
    if message.request.audience:
        yield from _audience_mismatch(message, customer, settings)
    else:
        yield from _text_mismatch(message, customer)
        yield from _read_mismatch(message, customer, settings)
    yield from _place_mismatch(message, customer)
