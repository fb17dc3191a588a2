"""linters.normalize: the text the rules read, and the map back to what was written."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linters.normalize import normalise


def read(text: str, wrapped: bool = True) -> str:
    return normalise(text, wrapped).text


# --- what the rules read --------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "read_as"),
    [
        ("Our la\u200bst chance sale", "Our last chance sale"),  # zero-width space
        ("Don't miss your ch\u00adance", "Don't miss your chance"),  # soft hyphen
        ("ex\u200dclu\u200csive\u2060 offers", "exclusive offers"),  # joiners, word joiner
        ("\ufeffWelcome back!", "Welcome back!"),  # a byte-order mark pasted at the start
        ("Ｌａｓｔ ｃｈａｎｃｅ", "Last chance"),  # fullwidth
        ("\U0001d40b\U0001d41a\U0001d42c\U0001d42d chance", "Last chance"),  # mathematical bold
        ("The \ufb01nal days", "The final days"),  # ligature
        ("Our most valued\u00a0customers", "Our most valued customers"),  # no-break space
        ("As a V\u0406P member", "As a VIP member"),  # Cyrillic capital I
        ("Exclusive \u043effer", "Exclusive offer"),  # Cyrillic small o
        ("L A S T  C H A N C E to save", "LAST CHANCE to save"),
        ("l a s t chance", "last chance"),
        ("Only    three   days", "Only three days"),
        ("Tab\tseparated", "Tab separated"),
    ],
)
def test_what_the_rules_read(written: str, read_as: str) -> None:
    assert read(written) == read_as


def test_a_whole_word_in_cyrillic_look_alikes_reads_as_latin_in_english_text() -> None:
    # "ТОР" is three Cyrillic letters; in English text it is read as the Latin word it shows.
    assert read("Only for our \u0422\u041e\u0420 customers") == "Only for our TOP customers"
    # In Russian text the same letters stay Cyrillic.
    assert read("\u0422\u041e\u0420 \u0442\u043e\u0432\u0430\u0440\u043e\u0432 \u043d\u0435\u0434\u0435\u043b\u0438") == (
        "\u0422\u041e\u0420 \u0442\u043e\u0432\u0430\u0440\u043e\u0432 \u043d\u0435\u0434\u0435\u043b\u0438"
    )


def test_combining_accents_compose() -> None:
    assert read("Cafe\u0301 de\u0301cor") == "Café décor"


def test_marks_that_compose_with_nothing_are_dropped() -> None:
    assert read("l\u0332a\u0332s\u0332t\u0332 chance") == "last chance"
    assert read("la\u0336\u0335st chance") == "last chance"


@pytest.mark.parametrize(
    "honest",
    [
        "Hallo Jürgen,\n\nvielen Dank für Ihre Bestellung. Ihre Schuhe kommen am Donnerstag an.",
        "Bonjour Amélie,\n\nmerci pour votre commande. Votre colis arrive jeudi.",
        "Здравствуйте, Ольга!\n\nСпасибо за заказ. Он прибудет в четверг.",
        "Γεια σου Νίκο, η παραγγελία σου στάλθηκε.",
        "Thanks from Zoë and the team at Café Ñandú.",
    ],
)
def test_honest_text_in_other_languages_is_left_as_written(honest: str) -> None:
    assert read(honest) == honest


def test_a_capitalised_word_of_look_alikes_is_a_name() -> None:
    text = "Thanks from Сара at our Moscow partner, Сорока."
    assert read(text) == text


def test_a_data_value_keeps_its_letters() -> None:
    text = "Hi Сара, your order has shipped."
    assert normalise(text, data=[(3, 7)]).text == text


# --- line breaks ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "read_as"),
    [
        ("We've\nmissed you!", "We've missed you!"),
        ("Hurry, this is your last\nchance to save 20%.", "Hurry, this is your last chance to save 20%."),
        ("Only for our\nVIP members this weekend.", "Only for our VIP members this weekend."),
        ("Line one\r\ncontinues here", "Line one continues here"),
        (
            # Hard wrapped at 60 columns: the next word did not fit, so the break is a wrap.
            "This winter we worked with a small mill in Yorkshire on the\nWool for our coats, and the difference shows when you wear\nThem.",
            "This winter we worked with a small mill in Yorkshire on the Wool for our coats, "
            "and the difference shows when you wear Them.",
        ),
    ],
)
def test_wrapped_lines_are_read_as_one(written: str, read_as: str) -> None:
    assert read(written) == read_as


@pytest.mark.parametrize(
    "kept",
    [
        "Hi Ana,\nWe have news.",  # a salutation ending in a comma
        "Hi Ana\nWe have news for you today, and more besides.",  # a salutation alone on its line
        "Dear Dr. Okafor\nyour appointment is confirmed.",
        "The sale starts Friday.\nSee you soon!",  # a sentence ends at the break
        "First paragraph here\n\nsecond paragraph here",  # a blank line
        "Shop the sale:\n- coats\n- boots",  # list items
        "Spring Sale\nEverything in store is 20% off this weekend only.",  # a heading
        "Thanks,\nThe Northwind team",  # a sign-off
        "> quoted line\n> more quoted",
        "Your code is 4821\nDo not share it with anyone",  # a short text's breaks are the author's
    ],
)
def test_line_breaks_that_end_something_are_kept(kept: str) -> None:
    assert read(kept) == kept


def test_html_lines_join_only_mid_sentence() -> None:
    # In HTML a line is a block or a <br>: only a line that cannot end there joins.
    assert read("Our winter sale is your last\nchance to save.", wrapped=False) == (
        "Our winter sale is your last chance to save."
    )
    assert read("Winter Sale\nEverything is 20% off.", wrapped=False) == "Winter Sale\nEverything is 20% off."
    assert read("Winter sale is here\nEverything is 20% off.", wrapped=False) == (
        "Winter sale is here\nEverything is 20% off."
    )


# --- the map back -----------------------------------------------------------------------


def test_offsets_map_back_to_the_characters_written() -> None:
    written = "Don't miss your la\u200bst\nch\u00adance!"
    normal = normalise(written)
    start = normal.text.index("last chance")
    first, last = normal.to_original(start, start + len("last chance"))
    assert written[first:last] == "la\u200bst\nch\u00adance"
    assert normal.original_text(start, start + 4) == "la\u200bst"


def test_a_fullwidth_span_maps_to_the_fullwidth_characters() -> None:
    normal = normalise("Ｌａｓｔ ｃｈａｎｃｅ today")
    assert normal.original_text(0, 11) == "Ｌａｓｔ ｃｈａｎｃｅ"


def test_spaced_letters_map_back_to_the_whole_run() -> None:
    written = "L A S T  C H A N C E to save"
    normal = normalise(written)
    assert normal.original_text(0, len("LAST CHANCE")) == "L A S T  C H A N C E"


def test_data_spans_map_forward() -> None:
    written = "Hi\u200b Dana, la\u200bst chance"
    normal = normalise(written)
    start, end = normal.from_original(written.index("Dana"), written.index("Dana") + 4)
    assert normal.text[start:end] == "Dana"


def test_unchanged_text_gets_the_identity_map() -> None:
    normal = normalise("Hi Dana,\n\nThe winter sale starts Friday.")
    assert not normal.changed
    assert normal.to_original(3, 7) == (3, 7)


def test_an_empty_span_maps_to_a_position() -> None:
    normal = normalise("la\u200bst")
    assert normal.to_original(2, 2) == (3, 3)
    assert normal.to_original(4, 4) == (5, 5)


_ALPHABET = st.sampled_from(
    [*"aeLS T,.!\n", "\u200b", "\u00ad", "\u202e", "Ｌ", "\u0430", "\u0301", "\ufb01", "  ", "\t", "\r\n"]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_ALPHABET, max_size=30).map("".join))
def test_every_normalised_character_maps_into_the_original(written: str) -> None:
    normal = normalise(written)
    if not normal.changed:
        return
    assert normal.starts is not None and normal.ends is not None
    assert len(normal.starts) == len(normal.text) == len(normal.ends)
    assert normal.starts == sorted(normal.starts)
    for i in range(len(normal.text)):
        first, last = normal.to_original(i, i + 1)
        assert 0 <= first < last <= len(written)
    first, last = normal.to_original(0, len(normal.text))
    assert 0 <= first <= last <= len(written)


# --- a message part: what the rules read, provenance and the way back -------------------


def test_a_part_maps_data_values_and_findings_through_normalisation() -> None:
    from linters.message import build_part
    from linters.render import render

    rendered = render("La\u200bst chance,\n{{first_name}}: our sale ends to\u00adnight.", {"first_name": "Dana"}, escape_html=False)
    part = build_part("text", rendered.text, rendered.values)
    assert part.text == "Last chance,\nDana: our sale ends tonight."
    (value,) = part.values
    assert part.text[value.start : value.end] == "Dana"
    assert part.value_at(value.start, value.end) is value
    assert part.rendered == rendered.values
    tonight = part.text.index("tonight")
    start, end = part.to_sent(tonight, tonight + len("tonight"))
    assert part.sent[start:end] == "to\u00adnight"
    assert part.written(0, 4) == "La\u200bst"


def test_an_html_part_maps_through_normalisation_and_markup() -> None:
    from linters.message import build_part
    from linters.render import render

    source = "<p>Hi <b>{{first_name}}</b>, your la&#8203;st<br>chance!</p>"
    rendered = render(source, {"first_name": "Dana"}, escape_html=True)
    part = build_part("html", rendered.text, rendered.values)
    assert part.text == "Hi Dana, your last chance!"
    assert part.text[part.values[0].start : part.values[0].end] == "Dana"
    at = part.text.index("last chance")
    start, end = part.to_sent(at, at + len("last chance"))
    assert part.sent[start:end] == "la&#8203;st<br>chance"


# Pieces of text around spaced-out letters: ASCII and other letters, words, digits,
# underscores and apostrophes next to them, runs of spaces.
_SPACING_PIECES = [
    "a", "B", "c", "word", "I", " ", "  ", "7", "_", "'", "-", ".", "\n", "L A S T",
    "\u00e9 t \u00e9", "\u03a3 \u039f \u03a6", "\u00e7 a v a", "\u00e9",
]


def test_the_ascii_letter_class_is_the_unicode_letter_class_on_ascii() -> None:
    # The two spaced-letter hints differ only in their letter class; on every ASCII
    # character the classes must agree.
    import re

    unicode_letter, ascii_letter = re.compile(r"[^\W\d_]"), re.compile(r"[A-Za-z]")
    for char in map(chr, range(128)):
        assert bool(unicode_letter.fullmatch(char)) == bool(ascii_letter.fullmatch(char)), repr(char)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_SPACING_PIECES), max_size=24).map("".join) | st.text(max_size=24))
def test_spaces_are_dropped_as_with_the_unicode_hint(text: str) -> None:
    from unittest import mock

    from linters.normalize import _SPACED_HINT, _SPACED_HINT_ASCII, _deletions

    # The oracle: _deletions as it was before its ASCII hint, the Unicode hint for all text.
    with mock.patch("linters.normalize._SPACED_HINT_ASCII", _SPACED_HINT):
        expected = _deletions(text)
    assert _deletions(text) == expected
    if text.isascii():
        assert bool(_SPACED_HINT_ASCII.search(text)) == bool(_SPACED_HINT.search(text))


def test_spaced_letters_outside_ascii_are_closed_up() -> None:
    # The ASCII hint must not be used on such a text: it would miss these letters.
    assert normalise("\u00e9 t \u00e9 now").text == "\u00e9t\u00e9 now"
