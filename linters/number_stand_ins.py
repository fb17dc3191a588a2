"""Numbers that differ per recipient, read alike: stand-ins for the digits of merge values.

A campaign's letter prints each recipient's points balance, order total and renewal date
("1,234 points", "£123.45", "3 March 2027"). No rule reads which digits a number has,
only its shape: how many digits, where the separators are, whether it is a price or a
percentage (spaCy's ``like_num`` and shapes, the phone and postcode patterns, SMS
segments, lengths). So a recipient's class (``linters.recipient_classes``) may write
each such value with other digits of the same shape, and recipients whose numbers have
the same shapes share one judgement, as recipients whose names have the same length do.

Where a rule does tell digits apart, the value keeps its own:

- a value some pattern or tokenizer exception needs as it is ("1" in "top 1%", "0.0",
  "8)") or a word of a vocabulary file written with digits ("24 hours");
- equal and unequal amounts: SG805 compares the prices and percentages of two parts.
  The stand-ins are one-to-one per run of digits and the amounts they make must be
  equal exactly where the recipient's are, and equal to none of the template's own
  (``NumberStandIns.shown``); otherwise every value keeps its digits;
- a value joined to letters ("10am", "Mc{{x}}"), holding odd marks, or longer than
  ``MAX_CHARS``;
- a number the judgement's texts hold (the history a rule read) or its findings print:
  checked by the class (``linters.recipient_classes.Entry``) against the runs given
  here, so such a recipient is judged on its own.

Stand-in digits are 2, 4, 5, 6, 7 and 9: never 0 or 1 (like no tokenizer exception of
spaCy's, which hold 0, 1, 3 and 8) and never 3 or 8.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Any

from .vocabulary import data_files, load

MAX_CHARS = 40
# Digits, words of letters, spaces and the marks that write amounts, dates and percentages.
_NUMBER_CHARS = re.compile(r"[0-9A-Za-z£$€¥ ,./%-]+")
# What disqualifies such a value: a digit or a decimal mark touching a letter ("10am",
# "3rd", "Mar.", "0.o"), a hyphen at an edge or touching a letter, doubled marks or
# spaces, a space at an edge, and a letter standing alone (spaced-out
# letters are closed up across values: ``linters.normalize``).
_NOT_A_NUMBER = re.compile(
    r"[A-Za-z][\d.,]|[\d.,][A-Za-z]|[A-Za-z]-|-[A-Za-z]|^-|-$|[ ,./%-]{2}|^ | $|(?<![A-Za-z])[A-Za-z](?![A-Za-z])"
)
_DIGITS = re.compile(r"\d+")
_DIGIT = re.compile(r"\d")
# The tokens spaCy makes of such a value, near enough to compare with needed words: split
# at spaces, slashes and hyphens, currency and closing marks taken off.
_PIECE_SPLIT = re.compile(r"[ /-]")
_PIECE_STRIP = "£$€¥,.%"
# How the rules read an amount: SG805's price ("1,234.50") and a plain number ("50" of "50%").
_AMOUNT = re.compile(r"\d[\d,]*(?:\.\d+)?")
_PLAIN_AMOUNT = re.compile(r"(?<![\d.])\d+(?:\.\d+)?")
_STAND_IN_DIGITS = "245679"


def is_number_value(value: str) -> bool:
    """Whether ``value`` is a number, an amount or a date its digits may be stood in for."""
    return (
        len(value) <= MAX_CHARS
        and _DIGIT.search(value) is not None
        and _NUMBER_CHARS.fullmatch(value) is not None
        and _NOT_A_NUMBER.search(value) is None
    )


def pieces(value: str) -> Iterable[str]:
    return (piece.strip(_PIECE_STRIP) for piece in _PIECE_SPLIT.split(value))


@lru_cache(maxsize=16384)
def amounts(text: str) -> tuple[float, ...]:
    """Every amount a rule may read in ``text``, in order (two readings of each number).
    Cached: stand-ins repeat, and so do prices and dates."""
    found = [float(m.group().replace(",", "")) for m in _AMOUNT.finditer(text)]
    found += [float(m.group()) for m in _PLAIN_AMOUNT.finditer(text)]
    return tuple(found)


def digit_runs(text: str) -> frozenset[str]:
    return frozenset(_DIGITS.findall(text))


@cache
def _data_number_words() -> frozenset[str]:
    """The words with digits in the vocabulary files ("24" of "24 hours", "over_60"),
    their comments left out: a rule may read any of them as it is."""
    found: set[str] = set()
    stack: list[Any] = [load(name) for name in data_files() if name != "catalog"]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            found.update(w.strip(_PIECE_STRIP + "()'\"") for w in item.split() if _DIGIT.search(w))
        elif isinstance(item, dict):
            stack.extend(v for k, v in item.items() if not str(k).startswith("_"))
        elif isinstance(item, (list, tuple)):
            stack.extend(item)
    return frozenset(w.lower() for w in found)


@dataclass(frozen=True, slots=True)
class Numbers:
    """A recipient's number values stood in for: value -> stand-in, and the runs of digits
    of both (a class whose texts or findings hold one is not shared)."""

    shown: dict[str, str]
    runs: frozenset[str]  # the recipient's runs and the stand-ins'
    stand_in_runs: frozenset[str]


class NumberStandIns:
    """Finds a recipient's number stand-ins; one per campaign."""

    def __init__(self, needed: Iterable[str], fixed_texts: Iterable[str]) -> None:
        """``needed``: the words some pattern or tokenizer exception needs
        (``linters.nlp.words_a_value_needs``); ``fixed_texts``: the template's own text
        (its parts and defaults)."""
        texts = list(fixed_texts)
        self._known = frozenset(w for w in needed if _DIGIT.search(w)) | _data_number_words()
        self._fixed = frozenset(a for text in texts for a in amounts(text))
        # "8)" is a tokenizer exception: a value ending in 8 keeps it where ")" may follow.
        self._paren_after = any("})" in text for text in texts)
        self._eligible: dict[str, bool] = {}  # by value, bounded like the classes' caches

    def eligible(self, value: str) -> bool:
        found = self._eligible.get(value)
        if found is None:
            if len(self._eligible) > 65536:
                self._eligible.clear()
            found = self._eligible[value] = self._judge(value)
        return found

    def _judge(self, value: str) -> bool:
        if not is_number_value(value):
            return False
        if self._paren_after and value.endswith("8"):
            return False
        return self._known.isdisjoint(p.lower() for p in pieces(value))

    def shown(self, values: Iterable[str], others: Iterable[str]) -> Numbers | None:
        """The stand-ins of ``values`` (each ``eligible``; in order, repeats allowed),
        ``others`` being the recipient's values kept as they are; None when the
        recipient's amounts cannot be matched one to one."""
        chosen = list(dict.fromkeys(values))
        runs: dict[str, str] = {}
        used: dict[int, int] = {}
        for value in chosen:
            for run in _DIGITS.findall(value):
                if run not in runs:
                    stand_in = self._next_stand_in(len(run), used)
                    if stand_in is None:
                        return None
                    runs[run] = stand_in
        shown = {value: _DIGITS.sub(lambda m: runs[m.group()], value) for value in chosen}
        if not all(self._known.isdisjoint(p.lower() for p in pieces(s)) for s in shown.values()):
            return None
        if not self._amounts_match(chosen, shown, others):
            return None
        stand_in_runs = frozenset(runs.values())
        return Numbers(shown, frozenset(runs) | stand_in_runs, stand_in_runs)

    def _next_stand_in(self, length: int, used: dict[int, int]) -> str | None:
        index = used.get(length, 0)
        while True:
            stand_in = _stand_in(length, index)
            if stand_in is None:
                return None
            index += 1
            if stand_in not in self._known:
                used[length] = index
                return stand_in

    def _amounts_match(self, chosen: list[str], shown: dict[str, str], others: Iterable[str]) -> bool:
        real = [a for value in chosen for a in amounts(value)]
        stood = [a for value in chosen for a in amounts(shown[value])]
        if len(real) != len(stood):
            return False
        fixed = self._fixed.union(*(amounts(value) for value in others if not value.isalpha()))
        if not (fixed.isdisjoint(real) and fixed.isdisjoint(stood)):
            return False
        # Equal where the recipient's are equal, and only there: a one-to-one pairing.
        pairs = set(zip(real, stood, strict=True))
        return len(pairs) == len(set(real)) == len(set(stood))


@cache
def _stand_in(length: int, index: int) -> str | None:
    digits = []
    for _ in range(length):
        index, digit = divmod(index, len(_STAND_IN_DIGITS))
        digits.append(_STAND_IN_DIGITS[digit])
    return None if index else "".join(digits)
