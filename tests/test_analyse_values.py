"""``nlp.analyse`` of a text with merge values: the template's fixed text is analysed once
(with a placeholder for each short value) and each value on its own; the spans are then
mapped back. These tests hold the mapping to the plain definition: every span of the
fixed text and of the values, moved to its place and joined longest-first."""

from __future__ import annotations

from bisect import bisect_left
from itertools import accumulate

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linters.nlp import (
    _analyse_value,
    _longest_first,
    _needed_words,
    _needs_pipeline,
    _requirements,
    analyse,
    analyse_fixed,
    current_vocabulary,
    skeleton_of,
    value_needs_pipeline,
    vocabulary_in_force,
)
from linters.policy import policy_from_mapping

# Fixed pieces with phrases the rules match ("valued customer", "act now", "we miss you")
# and values that hit a label themselves ("VIP", "Premium", "Last chance") or nothing.
_FIXED = ["Hi ", ", ", "as a valued customer ", "act now! ", "we miss you. ", "Your order ", "\n", "last chance "]
_VALUES = ["Ana", "VIP", "Premium member", "Last chance", "Zoe", "our most loyal", "42", "a Diamond Circle member"]
# A policy that adds a status phrase: the same text and values are read differently.
_EXTENDED = policy_from_mapping({"vocabulary": {"status_words": ["Diamond Circle"]}}).vocabulary


def _analysed_the_plain_way(text: str, values: list[tuple[int, int]]) -> dict[str, tuple[tuple[int, int], ...]]:
    skeleton, anchors = skeleton_of(text, values)
    fixed = analyse_fixed(skeleton)
    positions = [at for at, _, _ in anchors]
    shifts = list(accumulate(end - start - 1 for _, start, end in anchors))

    def to_text(offset: int) -> int:
        before = bisect_left(positions, offset)
        return offset + (shifts[before - 1] if before else 0)

    hits: dict[str, list[tuple[int, int]]] = {
        label: [(to_text(s), to_text(e)) for s, e in spans] for label, spans in fixed.hits.items()
    }
    extension = current_vocabulary()
    for _, start, end in anchors:
        value = text[start:end]  # analysed without the memo analyse() keeps
        found = _analyse_value(value, extension) if value_needs_pipeline(value, extension) else None
        for label, spans in found.hits.items() if found else ():
            hits.setdefault(label, []).extend((start + s, start + e) for s, e in spans)
    return {label: _longest_first(spans) for label, spans in hits.items()}


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from(_FIXED), st.none() | st.sampled_from(_VALUES)), min_size=1, max_size=8),
    st.booleans(),
)
def test_values_are_mapped_and_joined_as_the_plain_definition_says(
    pieces: list[tuple[str, str | None]], extended: bool
) -> None:
    with vocabulary_in_force(_EXTENDED if extended else ()):
        _compare(pieces)


def _compare(pieces: list[tuple[str, str | None]]) -> None:
    text, values = "", []
    for fixed, value in pieces:
        text += fixed
        if value is not None:
            values.append((len(text), len(text) + len(value)))
            text += value
    analysis = analyse(text, values)
    assert dict(analysis.hits) == _analysed_the_plain_way(text, values)
    for spans in analysis.hits.values():
        assert tuple(spans) == _longest_first(list(spans))  # sorted, apart: longest-first


# --- spaCy is skipped only for values that provably match nothing on their own ---

_NEEDED = sorted(
    {w for w in _needed_words()[0] | _needed_words()[1]}
    | {w.upper() for w in _needed_words()[0] if w.isalpha()}
    | {w.capitalize() for w in _needed_words()[0] if w.isalpha()}
)
# What order numbers, totals, dates, hosts, codes and names are made of.
_PIECES = st.sampled_from(_NEEDED) | st.text(
    st.sampled_from("ABCNWXZaeiknorstuv0123456789-./:#£$€%&+_@!?,()"), min_size=1, max_size=12
)


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=4), st.sampled_from([" ", "", "-", "/", ", "]), st.booleans())
def test_a_value_spacy_skips_matches_nothing_alone(pieces: list[str], joiner: str, extended: bool) -> None:
    value = joiner.join(pieces)[:64]
    extension = _EXTENDED if extended else ()
    if not value_needs_pipeline(value, extension):
        assert _analyse_value(value, extension).hits == {}, value


@pytest.mark.parametrize(
    "value", ["NW-7103689", "£368.20", "$1,249.00", "northwind.example", "5 May 2026", "2026-11-20", "A-17/3"]
)
def test_order_numbers_totals_dates_and_hosts_skip_spacy(value: str) -> None:
    assert not value_needs_pipeline(value)


@pytest.mark.parametrize("value", ["20% off", "ends tonight!", "VIP", "v.i.p. member", "limited-time", "Last chance"])
def test_values_that_match_alone_go_to_spacy(value: str) -> None:
    assert value_needs_pipeline(value)
    assert _analyse_value(value, ()).hits


# --- numbers no pattern names are read as one ("£38.27" as "£00.00") ---


@settings(max_examples=600, deadline=None)
@given(st.lists(_PIECES, min_size=1, max_size=4), st.sampled_from([" ", "", "-", "/", ", "]), st.booleans())
def test_reading_numbers_as_one_changes_no_answer(pieces: list[str], joiner: str, extended: bool) -> None:
    """The key ``value_needs_pipeline`` caches by gives the answer the value itself gives."""
    value = joiner.join(pieces)[:64]
    extension = _EXTENDED if extended else ()
    assert value_needs_pipeline(value, extension) == _needs_pipeline(value, extension), value


@pytest.mark.parametrize(
    ("value", "read"),
    [("£38.27", "£00.00"), ("804", "000"), ("over 50s", "over 50s"), ("10am", "10am"), ("1 of 2", "1 of 2")],
)
def test_numbers_a_pattern_names_keep_their_digits(value: str, read: str) -> None:
    requirements = _requirements(())
    assert requirements is not None
    assert requirements.numbers_as_one(value) == read
