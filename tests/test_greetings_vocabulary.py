"""One home for greeting words: linters/data/greetings.json, read by every greeting test.

Each place that recognises a greeting picks the kinds it needs; this file declares
those choices, so an edit of the data file (a word added to a kind) or of a place (a
kind added or dropped) shows up here, in the place it changes.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable

import pytest

from linters import address, normalize, rewrite
from linters.message import build_part
from linters.rules.contact import repeated_opener as sg6_contact
from linters.rules.personalization import broken_merge as sg1_personalization
from linters.vocabulary import load

KINDS = ("casual", "neutral", "formal", "time_of_day", "welcome")
ALL = frozenset(KINDS)
NOT_WELCOME = ALL - {"welcome"}

# A few greeting lines per kind: (kind, greeting, name).
SAMPLES = [
    ("casual", "Hiya", "Sam"),
    ("casual", "Hey", "Sam"),
    ("casual", "Howdy", "Sam"),
    ("casual", "Yo", "Sam"),
    ("neutral", "Hi", "Dana"),
    ("neutral", "Hello", "Dana"),
    ("neutral", "Greetings", "Dana"),
    ("formal", "Dear", "Mr. Okafor"),
    ("time_of_day", "Good evening", "Mr. Okafor"),
    ("time_of_day", "Good morning", "Dana"),
    ("time_of_day", "Good day", "Sam"),
    ("welcome", "Welcome back", "Dana"),
    ("welcome", "Welcome", "Sam"),
]


def _salutation(greeting: str, name: str) -> bool:
    found = address.salutations(build_part("text", f"{greeting} {name},\n\nThe sale starts Friday.", ()))
    return bool(found) and found[0].start == 0 and found[0].greeting == greeting


def _casual(greeting: str, name: str) -> bool:
    found = address.salutations(build_part("text", f"{greeting} {name}!\n\nThe sale starts Friday.", ()))
    return bool(found) and found[0].greeting.lower() in address.CASUAL_GREETINGS


def _keeps_line_break(greeting: str, name: str) -> bool:
    # A lower-case next line continues a wrapped line, unless this one is a salutation.
    return "\n" in normalize.normalise(f"{greeting} {name}\nthe sale starts Friday.").text


def _greeting_before_tag(greeting: str, name: str) -> bool:
    return bool(sg1_personalization._GREETING_BEFORE.search(f"{greeting}, "))


def _sg607_greeting_line(greeting: str, name: str) -> bool:
    return bool(sg6_contact._GREETING_LINE.match(f"{greeting} {name},"))


def _sg607_greeting_prefix(greeting: str, name: str) -> bool:
    text = f"{greeting} {name}, how are you today?"
    found = sg6_contact._GREETING_PREFIX.match(text)
    return bool(found) and found.end() == len(f"{greeting} {name},")


def _rewrite_greeting_line(greeting: str, name: str) -> bool:
    # The rewrite's line takes no "." in the name ("Dear Mr. Okafor," is not one, as
    # before the words moved): the words are tested here, so the title loses its dot.
    return bool(rewrite._GREETING_LINE.search(f"{greeting} {name.replace('.', '')},\n"))


# Each place, with the kinds it declares (the reason is commented where the choice is made).
PLACES: dict[str, tuple[Callable[[str, str], bool], frozenset[str]]] = {
    "address salutations": (_salutation, ALL),
    "address CASUAL_GREETINGS (SG102)": (_casual, frozenset({"casual"})),
    "normalize salutation line": (_keeps_line_break, ALL),
    "SG103 lint greeting before a tag": (_greeting_before_tag, ALL),
    "SG607 greeting line": (_sg607_greeting_line, NOT_WELCOME),
    "SG607 greeting before an opener": (_sg607_greeting_prefix, NOT_WELCOME),
    "rewrite greeting line": (_rewrite_greeting_line, NOT_WELCOME),
}


LANGUAGES = ("en", "es", "de", "fr", "it", "pt", "nl")


def test_the_file_loads_with_every_kind_a_list_of_lower_case_words() -> None:
    data = load("greetings")
    assert data["_comment"].strip()
    assert set(data) == {"_comment", *LANGUAGES}
    assert address.greeting_languages() == ("en", *sorted(LANGUAGES[1:]))
    for language in LANGUAGES:
        assert set(data[language]) == set(KINDS) == set(address.GREETING_KINDS), language
        for kind, words in data[language].items():
            # English has a word of every kind; another language may leave a kind empty.
            assert isinstance(words, list) and (words or language != "en"), (language, kind)
            for word in words:
                assert isinstance(word, str) and word, (language, kind, word)
                assert word == word.lower() == " ".join(word.split()), (language, kind, word)
                assert unicodedata.is_normalized("NFC", word), (language, kind, word)
        every = [w for words in data[language].values() for w in words]
        assert len(every) == len(set(every)), f"a greeting is in two kinds of {language}"


def test_greeting_words_are_english_unless_told() -> None:
    # normalize, rewrite and SG607 read the default: English only.
    assert address.greeting_words(*KINDS) == address.greeting_words(*KINDS, language="en")
    assert "hola" not in address.greeting_words(*KINDS)
    every = address.greeting_words(*KINDS, language=address.ALL_LANGUAGES)
    assert {"hola", "sehr geehrte", "bonjour", "buongiorno", "olá", "goedemiddag", "hi"} <= set(every)
    assert {"salut", "ciao", "oi", "hoi", "hey"} <= address.CASUAL_GREETINGS


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(("kind", "greeting", "name"), SAMPLES, ids=[f"{g} {n}" for _, g, n in SAMPLES])
def test_each_place_recognises_exactly_the_kinds_it_declares(
    place: str, kind: str, greeting: str, name: str
) -> None:
    recognises, kinds = PLACES[place]
    assert recognises(greeting, name) == (kind in kinds)


_DATA_WORDS = [(kind, word) for kind, words in load("greetings")["en"].items() for word in words]


@pytest.mark.parametrize("place", PLACES)
@pytest.mark.parametrize(("kind", "word"), _DATA_WORDS, ids=[w for _, w in _DATA_WORDS])
def test_every_word_in_the_file_reaches_the_places_that_read_its_kind(
    place: str, kind: str, word: str
) -> None:
    recognises, kinds = PLACES[place]
    assert recognises(word.title(), "Sam") == (kind in kinds)


@pytest.mark.parametrize("place", PLACES)
def test_no_place_takes_a_non_greeting_for_one(place: str) -> None:
    recognises, _ = PLACES[place]
    assert not recognises("Thanks", "Sam")
    assert not recognises("Highlights", "Sam")


def test_the_words_stay_known_to_recipient_classes() -> None:
    from linters.recipient_classes import _base_known_words

    known = _base_known_words()
    for _, word in _DATA_WORDS:
        assert set(word.split()) <= known, word
