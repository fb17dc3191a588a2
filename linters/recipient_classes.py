"""Recipients who read alike share one judgement: the campaign path's memo.

A campaign judges one template for many recipients. Two recipients get the same
decision, rules and findings when everything the rules read of them is the same; what
differs between two customers is mostly their names, which the rules read only as
words no vocabulary knows. A recipient's *class* is found in two steps:

1. **Stand-ins** (``StandIns.canonical``). Each merge value, and each of the
   customer's ``first_name``, ``last_name`` and ``preferred_name``, that is one plain
   ASCII word no rule knows is replaced by a stand-in of the same length and the same
   capitals: "Bofuka" by "Jqqqqj", the same stand-in for the same word whatever its
   case, so "first name in the greeting equals the customer's first name" still holds.
   A real given name counts as such a word where it is a name: in a merge value of a
   name field (``{{first_name}}``) or among the customer's own names, which the rules
   read only against the record's names; a merge value of any other field that is a
   given name ("Florence" as a city) keeps its letters, and so does every copy of it.
   So does a name of accented Latin letters ("Jürgen", "Łukasz"), and only where the
   template and every value left as it is are ASCII (``_accented_name``): it is then
   searched for as ``letters_of`` reads it, and its recipients' data limits are checked
   one by one (its JSON is longer than its stand-in's).
   "No rule knows" is wide on purpose (``known_words``): a word of any vocabulary file,
   of the lemma table, of the policy or of the template; a stop word, a tokenizer
   exception, a word some pattern or phrase needs, a word written into a rule's
   pattern; a word that holds a contact word ("help"). Such a word stays as it is, and
   so does anything else (two words, digits, accents, punctuation), and so does a word
   that the merge data or the names hold again, whole or in part, as their reader
   reads them (``letters_of``: spaced out, fullwidth, look-alike letters). A value the
   template prints joined to other letters keeps its letters (``values_joined``), and
   nothing is stood in for when a value ends in a lone letter (spaced-out letters close
   up across values). Where rules take fixed-width windows that may cut a value
   (``fragment_words``), a stand-in keeps the value's edge letters that spell a word
   those windows look for ("Jqqjour" for "Seymour").
2. **Reads** (``Trace``). The first recipient of a class is judged on its stand-ins,
   with the request and the customer record behind views that note each field a rule
   reads and its value. A later recipient with the same stand-ins, moment and merge
   values, and the same values in the fields noted, gets the first one's verdict with
   its own names put back: the rules are functions of what they read. Not if its
   stood-in word is in a text the judgement read (its name in the history SG607
   reads): the rules saw the stand-in and that text together. A rule that reads a
   record in a way the views cannot follow (``model_dump``, an unknown attribute)
   makes the class unshareable, and the recipient is judged on its own.
   A number or time of the customer's record (``purchase_count``, ``lifetime_value``,
   ``customer_since``) that the rules only compare is noted as the comparisons they
   made and their outcomes (``_Traced``: "now - customer_since >= 2 years" is True):
   a later customer whose value gives each the same outcome, and is of the same type,
   shares the judgement. Any other use (printing it into a finding, hashing it,
   reading an attribute) notes the value itself, as before.

The merge data's limits are a property of the class too (stand-ins keep every length
and the data's shape), so they are checked when a class is judged, not per recipient.

What this assumes, and what tests/test_recipient_classes.py checks on varied names
(real given names, names holding pattern words, brand words, contact words, names in
other fields, disguised or spelled out, and the cases a review found): a rule never
tells two unknown plain words of the same length, capitals and fragment edges apart.
Any recipient whose verdict cannot be put back exactly (a stand-in left in another
case, or cut by a rule's slice of the text) is judged on its own values instead.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import marshal
import math
import operator
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Callable, Container, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import Enum
from functools import cache, lru_cache
from operator import attrgetter
from pathlib import Path
from types import CodeType, FunctionType, MethodType
from typing import Any

from pydantic import BaseModel

from . import models
from .address import NAME_FIELDS as NAME_FIELD_KEYS
from .html_text import visible_text
from .limits import read_of_html
from .models import Customer, SendRequest
from .normalize import skeleton_table
from .vocabulary import Extension, alternation, data_files, load, words

# Deeper or larger merge data is judged on its own (linters.limits refuses it anyway).
MAX_DATA_DEPTH, MAX_DATA_VALUES = 12, 5000
# The customer fields that hold a name and are stood in for like merge values.
NAME_FIELDS = ("first_name", "last_name", "preferred_name")
# Words shorter than this stay as they are: "u", "yo", "if" are words some rule reads.
_MIN_LETTERS, _MAX_LETTERS = 3, 40
# Stand-ins are "j" + a body of q, x and z + "j": no English word, no vocabulary entry,
# and one can never be found inside another (the j's mark both ends).
_BODY_LETTERS = "qxz"
# Text that looks like a stand-in: a record or template holding one is not stood in for,
# or a stand-in would equal one of its words and put-back would replace that too.
_LIKE_A_STAND_IN = re.compile(r"j[qxz]+j")
_LIKE_A_STAND_IN_BYTES = re.compile(rb"j[qxz]+j")
# Bounds of the memo: classes kept, verdicts kept per class (each with its reads: a
# class holds one per combination of the values its rules read, a tier and a purchase
# count), and verdicts kept in all (about 3 KB each, what many share kept once:
# ``_one_copy``). With the per-value caches (``VALUE_CACHE``), they bound a campaign's
# memory however long its list: a win-back letter whose rules read the record fills them
# by its 100,000th recipient, at about 20 MB more than at its 10,000th (`make bench`,
# section 2). Twice the room kept it 8% faster past 200,000 recipients at 25 MB more;
# half cost it a quarter of its speed.
MAX_CLASSES = 2048
MAX_ENTRIES_PER_CLASS = 64
MAX_ENTRIES = 8192
# What is known of a value (a name, a city): forgotten all at once past this many.
VALUE_CACHE = 16384


@dataclass(slots=True)  # not frozen: one is built for every recipient
class Canonical:
    """A recipient's class key, and what it takes to judge its stand-ins and put back."""

    key: tuple[Any, ...]
    data: dict[str, Any]  # the recipient's merge data
    names: tuple[str | None, ...]  # the customer's NAME_FIELDS, () without a customer
    shown: dict[str, str]  # the recipient's word -> its stand-in
    kept_name: bool = False  # a name of the customer's is not stood in for (``Memo.first_sight``)

    @property
    def back(self) -> dict[str, str]:
        """Stand-in -> the recipient's word."""
        return {v: k for k, v in self.shown.items()}

    @property
    def words(self) -> set[bytes]:
        """The recipient's words stood in for, as ``letters_of`` writes them."""
        return {v.lower().encode() if v.isascii() else letters_of(v) or b"" for v in self.shown}

    @property
    def all_ascii(self) -> bool:
        """Whether every word stood in for is ASCII (an accented name's data is longer
        in JSON than its stand-in's, so the data limits are not a property of its class)."""
        return all(v.isascii() for v in self.shown)

    def stand_in_data(self) -> dict[str, Any]:
        return _map_strings(self.data, self.shown) if self.shown else self.data

    def stand_in_names(self) -> dict[str, str | None]:
        return {
            f: self.shown.get(v, v) if v is not None else None
            for f, v in zip(NAME_FIELDS, self.names, strict=False)
        }


@dataclass(frozen=True, slots=True)
class Entry:
    """One judgement of a class: the fields it read, with their values, and the verdict."""

    reads: tuple[tuple[tuple[str, ...], Any], ...]
    decision: str
    rules: tuple[str, ...]
    examples: tuple[tuple[str, str, str], ...]
    # The reads as two attrgetters (request, customer) and the values they must return:
    # one C call each per recipient instead of a walk per field.
    _getters: tuple[tuple[Callable[[Any], Any], tuple[Any, ...]], ...] = ()
    _delicate: tuple[int, ...] = ()
    # The letters of every text the judgement read (``letters_of``): a recipient whose
    # stood-in word is among them (their name in the address a rule read) is judged on
    # its own, since the rules saw that word there and a stand-in elsewhere.
    letters: bytes = b""
    # Fields read only through comparisons: (path, type, tests) (``_Traced``).
    tests: tuple[tuple[tuple[str, ...], type, tuple[Test, ...]], ...] = ()
    # Whether no example holds a stand-in's letters: then each recipient gets them as
    # they are (``put_back`` would return them unchanged).
    plain: bool = False

    @property
    def paths(self) -> tuple[tuple[str, ...], ...]:
        """The fields read as values, in order: judgements that read the same are grouped."""
        return tuple(path for path, _ in self.reads)

    @classmethod
    def of(
        cls,
        reads: dict[tuple[str, ...], Any],
        decision: str,
        rules: tuple[str, ...],
        examples: tuple,
        tests: tuple[tuple[tuple[str, ...], type, tuple[Test, ...]], ...] = (),
    ) -> Entry | None:
        """The entry, or None when what was read cannot be searched for names (too long,
        or holding letters like a stand-in's)."""
        letters = letters_of("\n".join(_texts_in(list(reads.values()))))
        if letters is None or _LIKE_A_STAND_IN_BYTES.search(letters):
            return None
        getters = []
        delicate = []
        for root in ("request", "customer"):
            paths = [(p, v) for p, v in reads.items() if p[0] == root]
            if paths:
                # A customer path ("customer", "consent", ...) is read from the request.
                dotted = tuple(".".join(p[1:] if root == "request" else p) for p, _ in paths)
                getters.append((_getter_of(dotted), _one_copy(tuple(v for _, v in paths))))
        for i, (_, value) in enumerate(reads.items()):
            if isinstance(value, (datetime, time, BaseModel)) or (isinstance(value, (list, dict)) and value):
                delicate.append(i)
        plain = not any(_STAND_IN_LETTERS.search(text) for _, message, excerpt in examples for text in (message, excerpt))
        return cls(
            tuple(map(_one_copy, reads.items())),
            decision,
            _one_copy(rules),
            _one_copy(examples),
            tuple(getters),
            tuple(delicate),
            letters,
            tests,
            plain,
        )

    def shares_with(self, canonical: Canonical) -> bool:
        """Whether none of the recipient's stood-in words is in a text this judgement read."""
        letters = self.letters
        return not letters or not any(word in letters for word in canonical.words)

    def verdict_parts(self, canonical: Canonical) -> tuple[tuple[str, str, str], ...] | None:
        """The examples with the recipient's words put back; None if one cannot be."""
        if self.plain or not canonical.shown:
            return self.examples
        back = canonical.back
        examples = []
        for rule, message, excerpt in self.examples:
            shown_message, shown_excerpt = put_back(message, back), put_back(excerpt, back)
            if shown_message is None or shown_excerpt is None:
                return None
            examples.append((rule, shown_message, shown_excerpt))
        return tuple(examples)

    def fits(self, request: SendRequest) -> bool:
        """Whether every field this judgement read has the same value in ``request``."""
        try:
            for getter, values in self._getters:
                if values != getter(request):  # noted values first: _ModelOf's == is the one asked
                    return False
            for i in self._delicate:  # == is not enough: types, time zones
                path, value = self.reads[i]
                if not same(_resolve(request, path), value):
                    return False
            for path, kind, tests in self.tests:
                if not _passes(_resolve(request, path), kind, tests):
                    return False
        except AttributeError:  # a sub-record the judgement read is missing here
            return False
        return True


# One copy of what many judgements hold alike: a read (its path, and a value such as
# "email" or a tier), the rules found, the examples (the same finding on every recipient
# of a class). Judgements of one campaign differ in few of these, so the memo holds about
# a third of what it would (``MAX_ENTRIES``). Kept by the value's exact type as well as
# the value, so 1, 1.0 and True (equal, and read differently) stay apart; only plain
# values are shared: a time (equal across zones) or a record is kept as it was read.
_ONE_COPY: dict[Any, Any] = {}
_SHAREABLE = frozenset({str, int, float, bool, type(None)})


def _one_copy(value: tuple[Any, ...]) -> tuple[Any, ...]:
    """``value`` (a tuple), or an equal one already kept, when everything in it is plain."""
    key = _plain_key(value)
    if key is None:
        return value
    found = _ONE_COPY.get(key)
    if found is None:
        if len(_ONE_COPY) >= VALUE_CACHE:
            _ONE_COPY.clear()
        found = _ONE_COPY[key] = value
    return found


def _plain_key(value: Any) -> Any:
    """A key that tells apart what ``same`` tells apart: each leaf with its exact type;
    None when a leaf is not plain (an enum member is one object already: kept by identity)."""
    kind = type(value)
    if kind is tuple:
        keys = []
        for item in value:
            key = _plain_key(item)
            if key is None:
                return None
            keys.append(key)
        return (tuple, *keys)
    if kind in _SHAREABLE:
        return (kind, value)
    if isinstance(value, Enum):
        return (kind, id(value))
    if kind is _ModelOf:  # a sub-record read whole: only its class is noted
        return (kind, value.kind)
    return None


def _texts_in(values: list[Any]) -> Iterator[str]:
    """Every text in the values read: strings, in models, lists and dicts; and times
    as text (a rule may print one)."""
    stack = list(values)
    while stack:
        value = stack.pop()
        if value.__class__ is str:
            yield value
        elif isinstance(value, BaseModel):
            stack.extend(_fields_of(value).values())
        elif isinstance(value, (list, tuple)):
            stack.extend(value)
        elif isinstance(value, dict):
            stack.extend(value.keys())
            stack.extend(value.values())
        elif isinstance(value, (datetime, time)):
            yield str(value)
            yield value.strftime("%Z")


@lru_cache(maxsize=4096)
def _getter_of(dotted: tuple[str, ...]) -> Callable[[Any], tuple[Any, ...]]:
    """The values of the fields ``dotted`` of a request, as a tuple: one getter per set of
    fields, shared by every entry that reads them (a campaign keeps thousands of entries
    reading the same few fields; a getter each was a tenth of its memo's memory)."""
    return _as_tuple(attrgetter(*dotted), len(dotted))


def _as_tuple(getter: Callable[[Any], Any], count: int) -> Callable[[Any], tuple[Any, ...]]:
    """attrgetter of one name returns the value, of several a tuple; the customer's
    fields are read from the request's ``customer``."""
    if count == 1:
        return lambda request: (getter(request),)
    return getter


def _resolve(request: SendRequest, path: tuple[str, ...]) -> Any:
    here: Any = request if path[0] == "request" else request.customer
    for name in path[1:]:
        here = getattr(here, name)
    return here


class _ModelOf:
    """A read of a sub-record (``customer.quiet_hours``) notes only that it is one of
    these; equal to any instance of the class (so a tuple of reads compares in C)."""

    __slots__ = ("kind",)

    def __init__(self, kind: type) -> None:
        self.kind = kind

    def __eq__(self, other: object) -> bool:
        return type(other) is self.kind

    def __hash__(self) -> int:
        return hash(self.kind)


def same(found: Any, noted: Any) -> bool:
    """Whether a field read now equals the value noted: same types, and times equal in
    their zone as well as in instant (a rule may read the hour)."""
    if isinstance(noted, _ModelOf):
        return type(found) is noted.kind
    if type(found) is not type(noted):
        return False
    if isinstance(noted, (list, tuple)):
        return len(found) == len(noted) and all(same(a, b) for a, b in zip(found, noted, strict=True))
    if isinstance(noted, dict):
        return found.keys() == noted.keys() and all(same(found[k], noted[k]) for k in noted)
    if isinstance(noted, BaseModel):
        return same(_fields_of(found), _fields_of(noted))
    if isinstance(noted, (datetime, time)):
        return found == noted and found.utcoffset() == noted.utcoffset() and found.tzinfo == noted.tzinfo
    return found == noted


def _fields_of(model: BaseModel) -> dict[str, Any]:
    fields = {name: getattr(model, name) for name in type(model).model_fields}
    return {**fields, **(model.__pydantic_extra__ or {})}


class Trace:
    """The fields the rules read while judging one message, by path: the value of each
    field read as a value (``reads``), and of a number or time of the customer's record
    only compared, the comparisons and their outcomes (``tests``, see ``_Traced``)."""

    def __init__(self) -> None:
        self.reads: dict[tuple[str, ...], Any] = {}
        self.tests: dict[tuple[str, ...], tuple[type, list[Test]]] = {}
        self.followed = True  # False once a read could not be followed

    def view(self, real: BaseModel | None, root: str) -> Any:
        return None if real is None else _View(real, (root,), self)

    def note(self, path: tuple[str, ...], value: Any) -> None:
        if path not in _IN_THE_KEY:
            self.reads.setdefault(path, value)

    def test(self, path: tuple[str, ...], test: Test) -> None:
        self.tests[path][1].append(test)

    def tested(self) -> tuple[tuple[tuple[str, ...], type, tuple[Test, ...]], ...]:
        """The fields read only through comparisons: (path, the value's type, its tests)."""
        return tuple((path, kind, tuple(tests)) for path, (kind, tests) in self.tests.items() if path not in self.reads)


# One comparison a rule made of a record's number or time: the steps that made the
# compared value from the field ((operator, operand, reflected), as in "now - since"),
# the comparison, its other side and its outcome.
Step = tuple[Callable[[Any, Any], Any], Any, bool]
Test = tuple[tuple[Step, ...], Callable[[Any, Any], Any], Any, bool]
# What a comparison's other side, or a step's operand, may be: values that stay as they
# are and compare by value. Anything else makes the field read as a value.
_PLAIN_OPERANDS = (int, float, str, bool, type(None), datetime, timedelta, date)
# The kinds of customer field read through comparisons; bool is not among them (an int,
# but a flag reads as itself).
_COMPARED_KINDS = frozenset({int, float, datetime})


def _truth(value: Any, _: Any) -> bool:
    return bool(value)


def _outcome(test: Test, value: Any) -> bool:
    steps, compare, other, _ = test
    for step, operand, reflected in steps:
        value = step(operand, value) if reflected else step(value, operand)
    return compare(value, other)


def _passes(value: Any, kind: type, tests: tuple[Test, ...]) -> bool:
    """Whether ``value`` is of ``kind`` and gives every test its outcome."""
    if type(value) is not kind:
        return False
    try:
        return all(_outcome(test, value) is test[3] for test in tests)
    except Exception:  # a value the steps cannot take is not the same value
        return False


class _Traced:
    """A number or time of the customer's record as the rules see it: comparing it (with
    <, <=, ==, truth, ..., after adding or subtracting plain values: "now - since >=
    a year") notes the comparison and its outcome; any other use (printing, hashing,
    converting, reading an attribute) notes the value itself. Two customers whose values
    give every comparison the same outcome are judged alike, so "3 purchases" and "5
    purchases" share a judgement that only asked "fewer than 10?"."""

    __slots__ = ("_base", "_path", "_real", "_steps", "_trace")

    def __init__(self, real: Any, base: Any, path: tuple[str, ...], steps: tuple[Step, ...], trace: Trace) -> None:
        self._real, self._base, self._path, self._steps, self._trace = real, base, path, steps, trace

    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return type(self._real)

    def _exact(self) -> Any:
        self._trace.note(self._path, self._base)
        return self._real

    def _compare(self, compare: Callable[[Any, Any], Any], other: Any) -> Any:
        if isinstance(other, _Traced):
            other = other._exact()
        if not isinstance(other, _PLAIN_OPERANDS) or isinstance(other, _Traced):
            return compare(self._exact(), other)
        outcome = compare(self._real, other)
        if type(outcome) is bool:
            self._trace.test(self._path, (self._steps, compare, other, outcome))
        else:
            self._exact()
        return outcome

    def _step(self, step: Callable[[Any, Any], Any], other: Any, reflected: bool) -> Any:
        if isinstance(other, _Traced) or not isinstance(other, _PLAIN_OPERANDS):
            real = self._exact()
            other = other._exact() if isinstance(other, _Traced) else other
            return step(other, real) if reflected else step(real, other)
        value = step(other, self._real) if reflected else step(self._real, other)
        if type(value) not in (int, float, datetime, timedelta):
            self._exact()
            return value
        return _Traced(value, self._base, self._path, (*self._steps, (step, other, reflected)), self._trace)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._exact(), name)

    def __bool__(self) -> bool:
        return self._compare(_truth, None)

    def __hash__(self) -> int:
        return hash(self._exact())


def _comparison(compare: Callable[[Any, Any], Any]) -> Callable[[_Traced, Any], Any]:
    return lambda traced, other: traced._compare(compare, other)


def _stepping(step: Callable[[Any, Any], Any], reflected: bool) -> Callable[[_Traced, Any], Any]:
    return lambda traced, other: traced._step(step, other, reflected)


def _on_the_value(use: Callable[..., Any]) -> Callable[..., Any]:
    return lambda traced, *args: use(traced._exact(), *args)


# Comparisons note themselves; adding, subtracting, multiplying and dividing by a plain
# value are steps towards one; every other use of the value notes the value itself.
for _name, _compare_with in (
    ("lt", operator.lt), ("le", operator.le), ("gt", operator.gt),
    ("ge", operator.ge), ("eq", operator.eq), ("ne", operator.ne),
):  # fmt: skip
    setattr(_Traced, f"__{_name}__", _comparison(_compare_with))
for _name, _step_with in (
    ("add", operator.add), ("sub", operator.sub), ("mul", operator.mul),
    ("truediv", operator.truediv), ("floordiv", operator.floordiv),
):  # fmt: skip
    setattr(_Traced, f"__{_name}__", _stepping(_step_with, False))
    setattr(_Traced, f"__r{_name}__", _stepping(_step_with, True))
for _name, _use in (
    ("str", str), ("repr", repr), ("format", format), ("int", int), ("float", float),
    ("index", operator.index), ("round", round), ("abs", abs), ("neg", operator.neg),
    ("pos", operator.pos), ("mod", operator.mod), ("pow", operator.pow),
    ("trunc", math.trunc), ("floor", math.floor), ("ceil", math.ceil),
):  # fmt: skip
    setattr(_Traced, f"__{_name}__", _on_the_value(_use))
_Traced.__rmod__ = lambda traced, other: other % traced._exact()  # type: ignore[attr-defined]


# Read through the class key itself: the stand-ins, the merge values, the template.
_IN_THE_KEY = frozenset(
    {("request", "data"), ("request", "template")} | {("customer", name) for name in NAME_FIELDS}
)


class _View:
    """A request or customer record as the rules see it, noting every field they read."""

    __slots__ = ("_path", "_real", "_trace")

    def __init__(self, real: BaseModel, path: tuple[str, ...], trace: Trace) -> None:
        self._real, self._path, self._trace = real, path, trace

    def __getattr__(self, name: str) -> Any:
        real, kind = self._real, type(self._real)
        if name in kind.model_fields or name in (real.__pydantic_extra__ or {}):
            return self._field(name, getattr(real, name))
        attribute = getattr(kind, name, None)
        if isinstance(attribute, property) and attribute.fget is not None:
            if getattr(attribute.fget, "read_as_value", False):  # noted as a field of its own
                return self._field(name, attribute.fget(real))
            return attribute.fget(self)  # its body reads fields through this view
        if isinstance(attribute, FunctionType):
            return MethodType(attribute, self)
        self._trace.followed = False  # pydantic's API or a missing name: cannot follow
        return getattr(real, name)

    # A rule that uses a record whole (prints it, compares it, hashes it, measures it)
    # reads all of it: the class cannot be shared. isinstance sees the record's class.
    @property  # type: ignore[misc]
    def __class__(self) -> type:
        return type(self._real)

    def _whole(self) -> BaseModel:
        self._trace.followed = False
        return self._real

    def __eq__(self, other: object) -> bool:
        return self._whole() == (other._whole() if isinstance(other, _View) else other)

    def __hash__(self) -> int:
        return hash(self._whole())

    def __repr__(self) -> str:
        return repr(self._whole())

    def __str__(self) -> str:
        return str(self._whole())

    def __len__(self) -> int:
        return len(self._whole())  # type: ignore[arg-type]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._whole())

    def __bool__(self) -> bool:
        return True  # a record is always true, as the model itself is

    def _field(self, name: str, value: Any) -> Any:
        path = (*self._path, name)
        if path == ("request", "customer"):
            return self._trace.view(value, "customer")
        if isinstance(value, BaseModel):
            self._trace.note(path, _ModelOf(type(value)))
            return _View(value, path, self._trace)
        if type(value) in _COMPARED_KINDS and path[0] == "customer":
            self._trace.tests.setdefault(path, (type(value), []))
            return _Traced(value, value, path, (), self._trace)
        self._trace.note(path, value)
        return value


# --- stand-ins ---------------------------------------------------------------------------


class StandIns:
    """Finds a recipient's class key; one per campaign (template, policy)."""

    def __init__(
        self,
        known: frozenset[str],
        lemmas: Container[str] | None,
        holds_known: re.Pattern[str],
        parts: dict[str, str] | None = None,
        windowed: bool = True,
        needs_pipeline: Callable[[str], bool] = lambda value: True,
        given: Container[str] = frozenset(),
    ):
        """``known``: the words some rule reads by their letters (``known_words``, and
        those that send a value to spaCy); ``lemmas``: the lemma table, whose words are
        known too (None: no word is plain, nothing is stood in for)."""
        self._known = known
        # Fixed-width windows are taken around spans the template's own text has
        # (``windowed``) or a value that reaches spaCy brings: only then may one cut a
        # stood-in word, and only then do stand-ins keep fragment words at their edges.
        self._fragments = fragment_words()
        self._windowed = windowed
        self._needs_pipeline = needs_pipeline
        self._lemmas: Container[str] = lemmas if lemmas is not None else _EVERYTHING
        # Given names (linters/data/given_names.json) are read only to tell whether a
        # greeting's name can be a person's when it did not come from a name field
        # (``address.names_a_person``, SG704's person check): in a name field, or as the
        # customer's own name, the rules read a given name as they read any plain word
        # (by its relation to the record's names), so it may be stood in for there.
        self._given = given
        # Every recipient on its own when the template or policy holds a stand-in's
        # letters, or the template joins a value to letters or to another value.
        joined = values_joined(parts or {})
        self._off = any(_LIKE_A_STAND_IN.search(word) for word in known) or joined is None
        self._joined = tuple(joined or ())  # values that keep their letters, by name
        self._holds_known = holds_known
        # An accented name may be stood in for only where the rest of the text is ASCII:
        # the reader of look-alike letters weighs a text's Latin letters against its
        # others, and an ASCII stand-in must not tip that balance (``_accented_name``).
        self._ascii_template = all(text.isascii() for text in (parts or {}).values())
        # What is known of each text value, as bits (``_PLAIN``...): a name is in a record
        # twice, cities and products in many. Ints, not objects: a cache the garbage
        # collector need not walk (a million names would make every collection slower).
        self._flags: dict[str, int] = {}
        self._brings_spans: dict[str, bool] = {}

    def eligible(self, word: str) -> bool:
        """A plain ASCII word no rule knows."""
        return bool(self._flags_of(word) & _PLAIN)

    def _flags_of(self, value: str) -> int:
        found = self._flags.get(value)
        if found is None:
            if len(self._flags) > VALUE_CACHE:
                self._flags.clear()
            found = _SEEN
            if self._judge_word(value):
                # Three letters or more and nothing else (no lone letter); a given name
                # is plain only in a name field (``_GIVEN``).
                found |= _GIVEN if value.lower() in self._given else _PLAIN
            elif self._accented_name(value):
                found |= _GIVEN  # "Müller", "Steingrímur": like a given name, in a name field only
            elif _LONE_LETTER_AT_AN_END.search(value):
                found |= _LONE
            self._flags[value] = found
        return found

    def _any_brings_spans(self, leaves: list[str]) -> bool:
        """Whether a value may bring labelled spans (it reaches spaCy); cached."""
        cache = self._brings_spans
        for leaf in leaves:
            found = cache.get(leaf)
            if found is None:
                if len(cache) > VALUE_CACHE:
                    cache.clear()
                found = cache[leaf] = self._needs_pipeline(leaf)
            if found:
                return True
        return False

    def _judge_word(self, word: str) -> bool:
        if not (_MIN_LETTERS <= len(word) <= _MAX_LETTERS and word.isascii() and word.isalpha()):
            return False
        folded = word.lower()
        return (
            folded not in self._known and folded not in self._lemmas and not self._holds_known.search(folded)
        )

    def _accented_name(self, word: str) -> bool:
        """A word of Latin letters, some accented ("Müller", "Łukasz"), that no rule knows,
        in its composed form (NFKC, so the reader reads it as it is), changing length in no
        case, with at least three ASCII letters as ``letters_of`` reads it (what a stood-in
        word is searched for by). Where the template's text is ASCII only."""
        if not (
            self._ascii_template
            and _MIN_LETTERS <= len(word) <= _MAX_LETTERS
            and not word.isascii()
            and word.isalpha()
            and len(word.lower()) == len(word) == len(word.upper())
            and unicodedata.is_normalized("NFKC", word)
            and all(unicodedata.name(char, "").startswith("LATIN ") for char in word)
        ):
            return False
        read = letters_of(word)
        if read is None or len(read) < _MIN_LETTERS:
            return False
        folded, ascii_read = word.lower(), read.decode()
        return not any(
            form in self._known or form in self._lemmas or self._holds_known.search(form)
            for form in (folded, ascii_read)
        )

    def canonical(self, request: SendRequest, moment: datetime) -> Canonical | None:
        """The class key of a request; None when it is not keyed (merge data too deep, too
        large, or holding letters like a stand-in's), and the recipient is judged on its own."""
        customer = request.customer
        names = (
            (customer.first_name, customer.last_name, customer.preferred_name) if customer is not None else ()
        )
        data = request.data
        values = list(data.values())
        flat = not values or set(map(type, values)) == _ONLY_TEXT  # the usual record
        found = (values, list(data)) if flat else _leaves_and_keys(data)
        if found is None:
            return None
        leaves, keys = found
        known, flags_of = self._flags, self._flags_of
        chosen = [
            name
            for name in names
            if name.__class__ is str and (known.get(name) or flags_of(name)) & _NAME_WORD
        ]
        leaf_flags = [known.get(leaf) or flags_of(leaf) for leaf in leaves]
        chosen += [leaf for leaf, flags in zip(leaves, leaf_flags, strict=True) if flags & _NAME_WORD]
        if chosen and any(map(_GIVEN.__and__, leaf_flags)):
            chosen = _given_names_in_name_fields(chosen, leaves, keys if flat else None, leaf_flags)
        if chosen and not all(word.isascii() for word in chosen):
            chosen = _accented_among_ascii(chosen, leaves)
        joined: set[str] = set()
        if chosen and self._joined:
            joined = {str(data.get(key, "")).lower() for key in self._joined}
            chosen = [value for value in chosen if value.lower() not in joined]
        shown: dict[str, str] = {}
        if chosen:
            if self._off or any(map(_LONE.__and__, leaf_flags)):
                return None  # a lone letter may close up with its neighbours ("B o b")
            text = letters_of("\n".join([*(n for n in names if n.__class__ is str), *leaves, *keys]))
            if text is None or _LIKE_A_STAND_IN_BYTES.search(text):
                return None
            # A stood-in word reaches no spaCy (it is plain): only the kept values may.
            stood_in = set(chosen)
            windowed = self._windowed or self._any_brings_spans(
                [leaf for leaf in leaves if leaf not in stood_in]
                + [leaf for leaf in leaves if joined and leaf.lower() in joined]
            )
            shown = _shown(chosen, text, self._fragments if windowed else _NONE)
        # The moment with its zone: a rule may print the hour as the request gave it.
        get = shown.get
        key = (
            (moment, moment.tzinfo),
            ("flat", tuple(data), tuple(map(get, values, values))) if flat else _freeze(data, shown),
            customer is not None and tuple(map(get, names, names)),  # type: ignore[arg-type]
        )
        return Canonical(key, data, names, shown, kept_name=any(n.__class__ is str and n not in shown for n in names))


# What ``StandIns._flags_of`` knows of a value: seen (so never 0), a plain word no rule
# knows (it may be stood in for), starts or ends with a lone letter (spaced-out letters
# are closed up, ``linters.normalize._SPACED``, across values too).
_SEEN, _PLAIN, _LONE, _GIVEN = 1, 2, 4, 8
# Where a word may be stood in for: anywhere (plain), or as a name (a given name).
_NAME_WORD = _PLAIN | _GIVEN


def _accented_among_ascii(chosen: list[str], leaves: list[Any]) -> list[str]:
    """``chosen`` less its accented words unless every merge value left as it is is
    ASCII: then the text a stand-in goes into is ASCII but for the stood-in names."""
    stood_in = set(chosen)
    if all(leaf.isascii() for leaf in leaves if leaf.__class__ is str and leaf not in stood_in):
        return chosen
    return [word for word in chosen if word.isascii()]


def _given_names_in_name_fields(
    chosen: list[str], leaves: list[Any], keys: list[str] | None, leaf_flags: list[int]
) -> list[str]:
    """``chosen`` less every given name some merge value holds outside a name field
    ("Hi {{city}}," with "Florence" reads the given-name list): such a word keeps its
    letters wherever it appears. Nested data (``keys`` None) keeps every given name."""
    outside = {
        leaf.lower()
        for at, (leaf, flags) in enumerate(zip(leaves, leaf_flags, strict=True))
        if flags & _GIVEN and (keys is None or keys[at].lower() not in NAME_FIELD_KEYS)
    }
    return [word for word in chosen if word.lower() not in outside]


def _shape(word: str, fragments: frozenset[str]) -> tuple[str, int, str] | None:
    """How a folded word is stood in for: its first and last letters kept where they
    spell a fragment word, and the length of the "j" + q/x/z + "j" core between them
    (None: the core would be shorter than three letters). A rule that cuts a window out
    of the text may find "our" at the end of "Seymour" ("our 10th anniversary", SG104):
    every word of that class then ends in "our", and its stand-in too."""
    if not fragments:
        return ("", len(word), "")
    head = _edge(word, fragments, len(word) - 3, start=True)
    tail = _edge(word[len(head) :], fragments, len(word) - len(head) - 3, start=False)
    core = len(word) - len(head) - len(tail)
    return (head, core, tail) if core >= 3 else None


def _edge(word: str, fragments: frozenset[str], longest: int, start: bool) -> str:
    """The longest fragment word, at most ``longest`` letters, that ``word`` starts (or ends) with."""
    heads, tails = _by_edge_letter(fragments)
    if start:
        return next((p for p in heads.get(word[0], ()) if len(p) <= longest and word.startswith(p)), "")
    return next((p for p in tails.get(word[-1], ()) if len(p) <= longest and word.endswith(p)), "")


@lru_cache(maxsize=8)
def _by_edge_letter(
    fragments: frozenset[str],
) -> tuple[dict[str, tuple[str, ...]], dict[str, tuple[str, ...]]]:
    """The fragment words by first letter and by last, longest first."""
    ordered = sorted(fragments, key=lambda w: (-len(w), w))
    heads: dict[str, tuple[str, ...]] = {}
    tails: dict[str, tuple[str, ...]] = {}
    for piece in ordered:
        heads[piece[0]] = (*heads.get(piece[0], ()), piece)
        tails[piece[-1]] = (*tails.get(piece[-1], ()), piece)
    return heads, tails


_NONE: frozenset[str] = frozenset()


_ONLY_TEXT = {str}


def _shown(chosen: list[str], text: bytes, fragments: frozenset[str]) -> dict[str, str]:
    """Each value stood in for -> its stand-in, with the value's capitals. A word found in
    the record's letters more often than where it is stood in for is part of, or equal
    to, something that stays (an address, a key, a longer value, letters spaced out or
    disguised): it is kept ("" in ``bases``)."""
    folded = [v.lower() for v in chosen]
    # An accented word is searched for as ``letters_of`` reads it ("Müller": "mller"),
    # and counted with every chosen word read the same. Its edges keep the fragment
    # words they spell as an ASCII word's do (fragment words are ASCII: an accented
    # letter is never part of one).
    probes = [w if w.isascii() else (letters_of(w) or b"").decode() for w in folded]
    shown: dict[str, str] = {}
    bases: dict[str, str] = {}
    used: dict[int, int] = {}  # by core length: no two words of a record share a core
    for value, word, probe in zip(chosen, folded, probes, strict=True):
        if value in shown:
            continue
        base = bases.get(word)
        if base is None:
            base = ""
            shape = _shape(word, fragments)
            if shape is not None and _occurrences(text, probe) == probes.count(probe):
                index = used.get(shape[1], 0)
                core = _stand_in(shape[1], index)
                if core is not None:  # else none left of this length: kept
                    base = shape[0] + core + shape[2]
                    used[shape[1]] = index + 1
            bases[word] = base
        if base:
            shown[value] = _with_capitals(base, value)
    return shown


def _with_capitals(base: str, value: str) -> str:
    if value.islower():
        return base
    if value.istitle():
        return base.capitalize()
    if value.isupper():
        return base.upper()
    return "".join(b.upper() if c.isupper() else b for b, c in zip(base, value, strict=True))


@lru_cache(maxsize=1024)
def _stand_in(length: int, index: int) -> str | None:
    body = []
    for _ in range(length - 2):
        index, digit = divmod(index, len(_BODY_LETTERS))
        body.append(_BODY_LETTERS[digit])
    return None if index else "j" + "".join(body) + "j"


def _leaves_and_keys(data: dict[str, Any]) -> tuple[list[str], list[str]] | None:
    """The merge data's text values (which may be stood in for) and its keys (which
    ``{{@key}}`` prints), walked without recursion; None when the data is deeper or larger
    than the limits allow (then the recipient is judged on its own, and
    ``within_limits`` names the field)."""
    leaves: list[str] = []
    keys: list[str] = []
    stack: list[tuple[Any, int]] = [(data, 0)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if depth > MAX_DATA_DEPTH or seen > MAX_DATA_VALUES:
            return None
        if value.__class__ is str:
            leaves.append(value)
        elif isinstance(value, dict):
            keys.extend(k for k in value if k.__class__ is str)
            stack.extend((item, depth + 1) for item in reversed(value.values()))
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in reversed(value))
        elif value is not None:  # a number prints letters too ("inf", "nan", "True", "1e+300")
            try:
                keys.append(f"{value!s} {value!r}")
            except ValueError:  # a whole number longer than Python writes: within_limits names it
                return None
    return leaves, keys


# Text longer than this is not searched for names: its recipient is judged on its own.
_MAX_LETTERS_TEXT = 64 * 1024


def letters_of(text: str) -> bytes | None:
    """The letters of ``text`` as its reader would read them, and nothing else: folded to
    lower case, with fullwidth, mathematical and look-alike letters read as the ASCII
    ones they show (as ``linters.normalize`` reads them), and every other character
    dropped, so "B o b", "Ｂｏｂ", "Bоb" (Cyrillic o) and "B\u200bob" all hold "bob".
    Dropping characters only joins letters, which can only find a word more often,
    never fewer times than it is there. None for a text too long to search."""
    if len(text) > _MAX_LETTERS_TEXT:
        return None
    if not text.isascii():
        # Currency signs, dashes and curly quotes hold no letter in any reading, and
        # nothing composes with them: a text that is ASCII without them is read as ASCII.
        plain = text.translate(_NO_LETTER_SYMBOLS)
        text = plain if plain.isascii() else _as_read(text)
    return text.encode("ascii", "ignore").lower().translate(None, _NOT_LOWER_LETTERS)


_NOT_LOWER_LETTERS = bytes(c for c in range(256) if not 97 <= c <= 122)
_NO_LETTER_SYMBOLS = dict.fromkeys(map(ord, "£€¥\u2018\u2019\u201c\u201d\u2013\u2014\u2022\u00a0"))


def _as_read(text: str) -> str:
    table = skeleton_table()
    text = unicodedata.normalize("NFKC", text)
    return unicodedata.normalize("NFKC", "".join(table.get(c, c) for c in text)).casefold()


def _occurrences(text: bytes, word: str) -> int:
    """How often ``word`` (ASCII) is in ``text``, overlapping ones counted."""
    encoded = word.encode()
    if word.find(word[0], 1) < 0:  # its first letter is not in it again: it cannot overlap itself
        return text.count(encoded)
    count, at = 0, text.find(encoded)
    while at >= 0:
        count += 1
        at = text.find(encoded, at + 1)
    return count


# A merge value that starts or ends with a letter standing alone, a space from the
# next: spaced-out letters are closed up (``linters.normalize._SPACED``), across values too.
# Searched in the values joined by line breaks (a break inside one only adds matches).
_LONE_LETTER_AT_AN_END = re.compile(r"(?m)^[^\W\d_](?: |$)|(?:^| )[^\W\d_]$")
# Handlebars tags, and those that print nothing (blocks, comments, else, partials).
_TAG = re.compile(r"\{\{\{?(?:[^}]|\}(?!\}))*\}\}\}?")
_SILENT = re.compile(r"\{\{~?\s*(?:[#/^!>]|else\b)(?:[^}]|\}(?!\}))*\}\}")
# What may stand right before a printed value and right after it: a space, or opening
# and closing punctuation that a space (or the text's edge) follows in turn.
_OPENING = "([\"'\u201c\u2018\u00ab"
_CLOSING = re.compile(r"^[,.!?;:)\]\"'\u201d\u2019\u00bb\u2026]*(?:\s|$)")


def values_joined(parts: dict[str, str]) -> frozenset[str] | None:
    """The merge values a template prints joined to other letters, by name (None: the
    template's layout is not read here, so no value can be told safe).

    A value stands as a word of its own with a space (or an opening bracket or quote
    after one) before it and closing punctuation and a space after it, in the text as
    its reader sees it: blocks and comments taken out and, in HTML, the visible text
    (``html_text.visible_text``: hidden elements dropped, block elements breaking the
    line), and not inside an HTML tag. Anything else joins its letters to others the
    rules read as one word: "Mc{{last}}", "get-{{x}}", "{{a}}{{b}}", "&{{x}};",
    "hel\u00ad{{x}}", "{{name}}'s", "hel<b>{{x}}</b>", href="https://shop.example/{{x}}".
    Such a value keeps its letters (``StandIns.canonical``). Not read here: whitespace
    control ("{{~x}}" eats the space before it) and ``{{#each}}``, which prints its body
    again right after itself."""
    joined: set[str] = set()
    for name, text in parts.items():
        if _NOT_READ_HERE.search(text):
            return None
        html = name == "html"
        tags = [tag for tag in _TAG.finditer(text) if not _SILENT.match(tag.group())]
        for tag in tags:
            if html and text.rfind("<", 0, tag.start()) > text.rfind(">", 0, tag.start()):
                joined.add(_name_of(tag) or "")  # inside a tag: an attribute, a tag name
        shown = _as_shown(text, tags, html)
        for index, tag in enumerate(tags):
            marker = _marker(index)
            at = shown.find(marker)
            if at < 0:
                continue  # not shown (hidden, or inside a tag: above)
            if not (_stands_after(shown[:at]) and _CLOSING.match(shown[at + len(marker) :])):
                joined.add(_name_of(tag) or "")
    if "" in joined:
        return None  # a helper or a nested path: which value it prints is not told here
    return frozenset(joined)


_TOP_LEVEL_NAME = re.compile(r"^\{\{\{?~?\s*([A-Za-z_][A-Za-z0-9_]*)\s*~?\}\}\}?$")
# Whitespace control and repeated blocks (see values_joined).
_NOT_READ_HERE = re.compile(r"\{\{\{?~|~\}?\}\}|\{\{~?\s*#each\b")


def _marker(index: int) -> str:
    # A value's place in the text as shown: brackets no template holds, no letters.
    return f"\u27e6{index}\u27e7"


def _as_shown(text: str, tags: list[re.Match[str]], html: bool) -> str:
    """The part as its reader sees it, with a marker for each printed value."""
    pieces, at = [], 0
    for index, tag in enumerate(tags):
        pieces.append(_SILENT.sub("", text[at : tag.start()]))
        pieces.append(_marker(index))
        at = tag.end()
    pieces.append(_SILENT.sub("", text[at:]))
    shown = "".join(pieces)
    # Everything the engine reads of an HTML part: the body as shown, the preheader, the
    # alt and title texts (a value glued to letters in any of them is read joined).
    return read_of_html(visible_text(shown)) if html else shown


def _name_of(tag: re.Match[str]) -> str | None:
    found = _TOP_LEVEL_NAME.match(tag.group())
    return found.group(1) if found else None


def _stands_after(before: str) -> bool:
    if not before or before[-1].isspace():
        return True
    return before[-1] in _OPENING and (len(before) == 1 or before[-2].isspace())


def _map_strings(value: Any, shown: dict[str, str]) -> Any:
    if value.__class__ is str:
        return shown.get(value, value)
    if isinstance(value, dict):
        return {k: _map_strings(v, shown) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_strings(v, shown) for v in value]
    return value


def _freeze(value: Any, shown: dict[str, str]) -> Any:
    """A hashable copy, stand-ins in place, that tells 1, 1.0 and true apart (they
    render differently). Only called on data ``_leaves`` found within the limits."""
    if value.__class__ is str:
        return shown.get(value, value) if shown else value
    if value is None:
        return None
    if isinstance(value, dict):
        return ("dict", tuple((k, _freeze(v, shown)) for k, v in value.items()))
    if isinstance(value, list):
        return ("list", tuple(_freeze(v, shown) for v in value))
    return (type(value).__name__, value)


def put_back(text: str, back: dict[str, str]) -> str | None:
    """``text`` with the recipient's words in place of their stand-ins; None when what is
    left still holds a stand-in's letters (in another case, or cut by a rule's slice of
    the text), which only judging on the recipient's own words can render."""
    text = _stand_ins_in(tuple(back)).sub(lambda m: back[m.group()], text)
    if _STAND_IN_LETTERS.search(text):
        return None
    return text


@lru_cache(maxsize=1024)
def _stand_ins_in(shown: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first: "Jqqjby" (a word ending in "by") before "Jqqj".
    return re.compile(alternation(shown))


# What is left of a stand-in once its whole forms are put back: its core, or a piece of
# one that a rule's slice of the text cut ("Jqqqq", "J"), in any case: q, x and z after
# j or each other, or a j standing alone (refused, even where a writer meant it).
_STAND_IN_LETTERS = re.compile(r"(?i)j[qxz]|[qxz]j|[qxz][qxz]|(?<![a-z])j(?![a-z])")


# --- what the rules know -------------------------------------------------------------------


def known_words(
    extension: Extension, template_texts: tuple[str, ...], settings: tuple[Any, ...]
) -> frozenset[str]:
    """Every word some rule may read by its letters, case-folded (see the module doc)."""
    found = set(_base_known_words())
    found.update(_words_in(extension))
    found.update(_words_in(template_texts))
    found.update(_words_in([s.model_dump() if isinstance(s, BaseModel) else s for s in settings]))
    return frozenset(found)


_LETTER_RUN = re.compile(r"[^\W\d_]+")


def _words_in(value: Any) -> Iterator[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield from (w.lower() for w in _LETTER_RUN.findall(item))
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple, set, frozenset)):
            stack.extend(item)


@cache
def _base_known_words() -> frozenset[str]:
    """The vocabulary files, the models' field names and choices, the words written into
    the rules' patterns, and spaCy's stop words."""
    from spacy.lang.en.stop_words import STOP_WORDS

    from . import address, contact_paths, merge_tags, normalize, rules, substance
    found: set[str] = set(STOP_WORDS)
    folder_names = [
        *data_files(),
        "address",
        "greetings",
        "human_path",
        "normalisation",
        "placeholders",
    ]
    for name in dict.fromkeys(folder_names):
        found.update(_words_in(load(name)))
    for model in (models.SendRequest, models.Customer, models.Consent, models.Contact, models.Event):
        found.update(_words_in(list(model.model_fields)))
    for enum in (models.Channel, models.Purpose, models.AddressAs):
        found.update(_words_in([member.value for member in enum]))
    found.update(_words_in(list(models.EventType.__args__)))
    modules = [
        address,
        contact_paths,
        merge_tags,
        normalize,
        substance,
    ]
    modules += list(_rule_modules(rules))
    for module in modules:
        for value in vars(module).values():
            if isinstance(value, re.Pattern):
                found.update(_words_in(value.pattern))
            elif isinstance(value, (frozenset, set, tuple)) and all(isinstance(v, str) for v in value):
                found.update(_words_in(list(value)))
    found.update(_source_words())
    found.update(_number_words())
    return frozenset(found)


def _number_words() -> set[str]:
    """The words spaCy's English ``like_num`` reads as numbers ("seventy", "million",
    "trillionth"): for a word of letters, ``like_num`` is membership in its two lists."""
    from spacy.lang.en import lex_attrs

    return {w.lower() for w in (*lex_attrs._num_words, *lex_attrs._ordinal_words)}


@cache
def _source_words() -> frozenset[str]:
    """The words of every string written in the engine's code, docstrings aside: word
    lists inside functions, tag names, URL schemes, anything code may compare a value with.

    Read from each module's code object (its bytecode cache when that is current, as the
    import system reads it; compiled otherwise): every string constant, of every nested
    function and class, but docstrings. That also holds annotations and qualified names,
    which only make more words known (fewer stood in for); tests/test_recipient_classes.py
    holds it to a superset of the words an ``ast`` walk finds.

    Compiling every module cost a campaign's start about 0.2 s, so the words of each
    file are kept in ``linters/data/source_words.json`` beside the file's SHA-256
    (``write_source_words``, run by ``make catalog``); a file whose digest differs (edited
    since) is read as above, so a stale snapshot costs time, never a word."""
    root = Path(__file__).parent
    kept = _kept_source_words()
    words: set[str] = set()
    for path in sorted(root.rglob("*.py")):
        data = path.read_bytes()
        entry = kept.get(path.relative_to(root).as_posix())
        if entry is not None and entry[0] == hashlib.sha256(data).hexdigest():
            words.update(entry[1])
        else:
            _words_of_code(_code_of(path), words)
    return frozenset(words)


SOURCE_WORDS = "source_words"  # linters/data/source_words.json


def _kept_source_words() -> dict[str, tuple[str, list[str]]]:
    try:
        found = load(SOURCE_WORDS)
    except (OSError, ValueError):
        return {}
    return {name: (entry["sha256"], entry["words"]) for name, entry in found.get("files", {}).items()}


def write_source_words() -> Path:
    """Write ``linters/data/source_words.json``: each engine file's SHA-256 and the words
    of its code's string constants (``_source_words``)."""
    root = Path(__file__).parent
    files = {}
    for path in sorted(root.rglob("*.py")):
        words: set[str] = set()
        _words_of_code(_code_of(path), words)
        files[path.relative_to(root).as_posix()] = {
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "words": sorted(words),
        }
    target = root / "data" / f"{SOURCE_WORDS}.json"
    comment = "Derived: `make catalog` writes it (linters/recipient_classes.py, write_source_words)."
    target.write_text(json.dumps({"_comment": comment, "files": files}, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    return target


def _code_of(path: Path) -> CodeType:
    """A module's code: from its timestamp-checked bytecode cache when that matches the
    source's modification time and size, else compiled from the source."""
    stat = path.stat()
    try:
        data = Path(importlib.util.cache_from_source(str(path))).read_bytes()
    except (OSError, NotImplementedError):
        data = b""
    header = (
        importlib.util.MAGIC_NUMBER
        + (0).to_bytes(4, "little")
        + (int(stat.st_mtime) & 0xFFFFFFFF).to_bytes(4, "little")
        + (stat.st_size & 0xFFFFFFFF).to_bytes(4, "little")
    )
    if data[:16] == header:
        try:
            code = marshal.loads(data[16:])
        except (EOFError, ValueError, TypeError):
            code = None
        if isinstance(code, CodeType):
            return code
    return compile(path.read_bytes(), str(path), "exec", dont_inherit=True)


# CO_NEWLOCALS: the code of a function (a class body and a module have no such flag).
_FUNCTION_CODE = 0x2


def _words_of_code(code: CodeType, words: set[str]) -> None:
    """The words of the string constants of ``code`` and of the code nested in it, less its
    docstring: a ``def``'s first constant (its docstring or None), or a module's or class
    body's first when it stores ``__doc__``. A comprehension's or lambda's first constant
    is code's own."""
    constants = code.co_consts
    named = not code.co_name.startswith("<") or code.co_name == "<module>"
    docstring = (
        bool(constants)
        and isinstance(constants[0], str)
        and named
        and (bool(code.co_flags & _FUNCTION_CODE) or "__doc__" in code.co_names)
    )
    stack = list(constants[1:] if docstring else constants)
    while stack:
        constant = stack.pop()
        if isinstance(constant, str):
            words.update(w.lower() for w in _LETTER_RUN.findall(constant))
        elif isinstance(constant, CodeType):
            _words_of_code(constant, words)
        elif isinstance(constant, (tuple, frozenset)):
            stack.extend(constant)


@cache
def window_labels() -> frozenset[str]:
    """The labels whose spans rules take fixed-width windows around: those of every
    per-template half that reads characters around its spans (``template_half(...,
    window=N)``), as the rules declare them."""
    from .rules import all_rules

    return frozenset(
        label for rule in all_rules() if rule.template is not None and rule.template.window for label in rule.template.labels
    )


@cache
def fragment_words() -> frozenset[str]:
    """The words rules look for in fixed-width windows of text, which may cut a value in
    two (each per-template half's ``edge``): a stand-in keeps them at a value's edge
    (``_shape``)."""
    from .rules import all_rules

    found: set[str] = set()
    for rule in all_rules():
        if rule.template is not None:
            found.update(_words_in([getattr(entry, "pattern", entry) for entry in rule.template.edge]))
    return frozenset(w for w in found if len(w) >= 2)


def _rule_modules(package: Any) -> Iterator[Any]:
    """Every module under ``linters.rules``: ``common``, and each family's rule modules
    and ``_shared`` helpers (a family is a package, walked in turn)."""
    import importlib
    import pkgutil

    for info in sorted(pkgutil.iter_modules(package.__path__), key=attrgetter("name")):
        module = importlib.import_module(f"{package.__name__}.{info.name}")
        if info.ispkg:
            yield from _rule_modules(module)
        else:
            yield module


def contact_word_pattern(extension: Extension) -> re.Pattern[str]:
    """Words that make a link or an address a way to reach people, found inside a word."""
    entries = {
        w.lower().replace(" ", "") for c in ("contact_words", "no_reply_words") for w in words(c, extension)
    }
    return re.compile(alternation(entries))


class _Everything:
    def __contains__(self, item: object) -> bool:
        return True


_EVERYTHING = _Everything()


# --- the memo ---------------------------------------------------------------------------------


class _Class:
    """A class's judgements, and how often one was shared or had to be taken anew.

    The judgements are found by the values of the fields they read: judgements that
    read the same fields are grouped, and within a group filed by those values
    (``_filed_under``), so a class may keep many (one per tier and purchase count, say)
    and a recipient still costs one lookup per group; ``Entry.fits`` then confirms."""

    __slots__ = ("entries", "groups", "judged", "shared")

    def __init__(self) -> None:
        self.entries: list[Entry] = []
        # The fields read (paths) -> (an entry's getters, how their values are made
        # hashable, the group's judgements by the values read).
        self.groups: dict[tuple[tuple[str, ...], ...], tuple[Any, Shelving, dict[Any, list[Entry]]]] = {}
        self.judged = 0
        self.shared = 0

    def add(self, entry: Entry) -> None:
        self.entries.append(entry)
        noted = tuple(values for _, values in entry._getters)
        _, shelving, filed = self.groups.setdefault(entry.paths, (entry._getters, _shelving(noted), {}))
        filed.setdefault(_filed_under(noted, shelving), []).append(entry)

    def drop_oldest(self) -> None:
        entry = self.entries.pop(0)
        _, shelving, filed = self.groups[entry.paths]
        shelf = _filed_under(tuple(values for _, values in entry._getters), shelving)
        filed[shelf].remove(entry)
        if not filed[shelf]:
            del filed[shelf]
        if not filed:
            del self.groups[entry.paths]

    def find(self, request: SendRequest) -> Entry | None:
        for getters, shelving, filed in self.groups.values():
            try:
                shelf = _filed_under(tuple(getter(request) for getter, _ in getters), shelving)
            except AttributeError:  # a sub-record this group read is missing here
                continue
            for entry in filed.get(shelf, ()):
                if entry.fits(request):
                    return entry
        return None


# How each value read is made hashable: as it is (None), or by a function.
Shelving = tuple[tuple[Callable[[Any], Any] | None, ...], ...]


def _shelving(noted: tuple[tuple[Any, ...], ...]) -> Shelving:
    """For each value a group of judgements read (by record, request and customer), how
    to make it hashable, from the values one judgement noted: a sub-record by its class,
    a list or dict as tuples, anything else as it is."""
    return tuple(
        tuple(
            _model_key if isinstance(value, (_ModelOf, BaseModel)) else _hashable if isinstance(value, (list, tuple, dict)) else None
            for value in values
        )
        for values in noted
    )


def _filed_under(values: tuple[tuple[Any, ...], ...], shelving: Shelving) -> Any:
    """A hashable stand-in for the values a judgement read, equal for equal values; None
    when one cannot be made, which files every such judgement together (``Entry.fits``
    tells them apart)."""
    try:
        shelf = tuple(
            tuple(value if make is None else make(value) for value, make in zip(row, makes, strict=True))
            for row, makes in zip(values, shelving, strict=True)
        )
        hash(shelf)
    except (TypeError, ValueError):
        return None
    return shelf


def _model_key(value: Any) -> Any:
    return ("model", value.kind if isinstance(value, _ModelOf) else type(value))


def _hashable(value: Any) -> Any:
    # Lists and dicts first, empty ones at once: most reads are of an empty history or
    # event list, and a check against BaseModel (its metaclass) costs more than that.
    if isinstance(value, (list, tuple)):
        return tuple([_hashable(item) for item in value]) if value else ()
    if isinstance(value, dict):
        return ("dict", tuple([(key, _hashable(item)) for key, item in value.items()]))
    if isinstance(value, _ModelOf):
        return ("model", value.kind)
    if isinstance(value, BaseModel):
        return ("model", type(value))
    return value


class Memo:
    """Verdicts by class, bounded: the oldest class goes first.

    A class whose recipients differ in what the rules read (each customer's own
    ``customer_since`` when the template claims tenure, each one's history) never
    shares a judgement, and tracing costs more than judging. Once COLD_AFTER of its
    judgements have been taken and fewer than a quarter as many recipients shared one,
    the class is *cold*: its recipients are judged on their own, untraced. (A class may
    need a judgement per tier and purchase count before it pays: a quarter, not a half.)
    """

    COLD_AFTER = 32
    # The same, campaign-wide: when, of late, fewer recipients shared a judgement than a
    # quarter of the judgements taken (counts that fade by FADE each time), a new class is traced
    # only once in RETRY_EVERY misses, to notice when sharing starts to pay again.
    FADE = 0.99
    RETRY_EVERY = 16
    # A class whose key keeps one of the customer's names as it is ("Benvenuto", "Walker",
    # "Emma-Louise": no stand-in could be made) is mostly that one customer's: its first
    # recipient is judged untraced, which costs half as much, and the class is traced from
    # its second (``first_sight``). The classes seen are remembered by hash, at most this many.
    SIGHTINGS = VALUE_CACHE

    def __init__(self) -> None:
        self._classes: OrderedDict[tuple[Any, ...], _Class] = OrderedDict()
        self.hits = 0  # recipients given a verdict kept here (the bench prints the share)
        self._judged_lately = 0.0
        self._shared_lately = 0.0
        self._misses_skipped = 0
        self._found: tuple[Any, _Class | None] = ((), None)
        self._entries = 0  # judgements kept, in every class
        self._sighted: dict[int, None] = {}  # classes seen once (``first_sight``), oldest first

    def __len__(self) -> int:
        return len(self._classes)

    def find(self, key: tuple[Any, ...], request: SendRequest) -> Entry | None:
        """The class's judgement whose reads ``request`` matches, if any."""
        found = self._classes.get(key)
        if found is None:
            return None
        self._classes.move_to_end(key)
        self._found = (key, found)  # for ``shared``: a key is a tuple, hashed anew each time
        return found.find(request)

    def first_sight(self, key: tuple[Any, ...]) -> bool:
        """Whether no recipient of this class came before (and note that one has). By its
        hash: a collision only traces a class one recipient early."""
        sighted = self._sighted
        found = hash(key)
        if found in sighted:
            return False
        if len(sighted) >= self.SIGHTINGS:
            del sighted[next(iter(sighted))]
        sighted[found] = None
        return True

    def cold(self, key: tuple[Any, ...]) -> bool:
        """Whether a recipient of this class, not found, is better judged untraced."""
        found = self._classes.get(key)
        if found is not None and found.judged >= self.COLD_AFTER and 4 * found.shared < found.judged:
            return True
        if self._judged_lately > self.COLD_AFTER and 4 * self._shared_lately < self._judged_lately:
            self._misses_skipped += 1
            return self._misses_skipped % self.RETRY_EVERY != 0
        return False

    def shared(self, key: tuple[Any, ...]) -> None:
        self.hits += 1
        self._judged_lately *= self.FADE
        self._shared_lately = self._shared_lately * self.FADE + 1
        last_key, found = self._found
        if last_key is not key:
            found = self._classes.get(key)
        if found is not None:
            found.shared += 1

    def keep(self, key: tuple[Any, ...], entry: Entry) -> None:
        found = self._classes.get(key)
        if found is None:
            found = self._classes[key] = _Class()
        found.judged += 1
        self._judged_lately = self._judged_lately * self.FADE + 1
        self._shared_lately *= self.FADE
        found.add(entry)
        self._entries += 1
        if len(found.entries) > MAX_ENTRIES_PER_CLASS:
            found.drop_oldest()
            self._entries -= 1
        while len(self._classes) > MAX_CLASSES or self._entries > MAX_ENTRIES:
            _, oldest = self._classes.popitem(last=False)
            self._entries -= len(oldest.entries)


def customer_with(customer: Customer | None, names: dict[str, str | None]) -> Customer | None:
    return None if customer is None else customer.model_copy(update=names)
