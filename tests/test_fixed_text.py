"""What is found once per template (linters/fixed_text.py, the claim reader's sentences)
gives what searching each recipient's own text gives: the plain way is the oracle.

The pieces are written for the edges: an address split between fixed text and a value
("{{number}} Harbour Street"), a postcode after a value, a value that is an address, a
sentence that ends at a value."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from linters.claim_reader import _read_sentences, _read_sentences_of
from linters.fixed_text import holds_any
from linters.message import Part, build_part
from linters.render import Value
from linters.rules.human_path.no_address_or_opt_out import _address_patterns

_FIXED = [
    "Hi ",
    ", ",
    "Your balance is ",
    " points. ",
    "\n\nNorthwind Outfitters, 12 Harbour Street, Portland, OR 97201\n",
    " Harbour Street, Portland",
    "Suite ",
    ", OR ",
    "PO Box ",
    "London EC1V ",
    "Keizersgracht ",
    " rue de Rivoli",
    "We miss you! ",
    "You're one of our most valued customers.",
    "Reply to this email.",
    "",
]
_VALUES = [
    "Ana",
    "804",
    "£38.27",
    "12",
    "97201",
    "9LT",
    "5",
    "Zainab Morris",
    "12 Harbour Street",
    "6 March 2026",
    "",
]


def _part(pieces: list[tuple[str, str | None]], missing: bool = False) -> Part:
    text, values = "", []
    for fixed, value in pieces:
        text += fixed
        if value is not None:
            values.append(Value(len(text), len(text) + len(value), "v", missing=missing and not value))
            text += value
    return build_part("text", text, tuple(values))


_PIECES = st.lists(
    st.tuples(st.sampled_from(_FIXED), st.none() | st.sampled_from(_VALUES)), min_size=1, max_size=8
)


@settings(max_examples=400, deadline=None)
@given(_PIECES)
def test_an_address_is_found_as_the_whole_text_gives_it(pieces: list[tuple[str, str | None]]) -> None:
    part = _part(pieces)
    patterns = _address_patterns()
    # Twice: the second answer comes from the skeleton's cache.
    for _ in range(2):
        assert holds_any(part, patterns) == any(pattern.search(part.text) for pattern in patterns), part.text


def test_an_address_a_value_completes_is_found_for_each_recipient() -> None:
    for number, expected in (("12", True), ("Ana", False), ("12", True)):
        part = _part([("Visit us at ", number), (" Harbour Street, Portland.", None)])
        assert holds_any(part, _address_patterns()) is expected


@settings(max_examples=300, deadline=None)
@given(_PIECES, st.booleans())
def test_the_claim_reader_reads_the_sentences_it_read_from_each_text(
    pieces: list[tuple[str, str | None]], missing: bool
) -> None:
    part = _part(pieces, missing)
    assert _read_sentences(part) == _read_sentences_of(part)
