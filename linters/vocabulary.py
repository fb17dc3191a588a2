"""Vocabulary files: the phrase lists and synonym classes rules match, kept as data.

Every word list a rule matches lives in ``linters/data/<name>.json``, one file per
rule family or concept (``claims.json`` for SG2xx, ``segments.json`` for SG501, ...).
A file may hold three sections, all optional::

    {
      "_comment": "what the file is for",
      "classes":  {"status_words": ["vip", "elite", "insider", "top-tier", "gold member"]},
      "patterns": {"STATUS_CLAIM": [[{"LOWER": "our"}, {"LOWER": {"IN": ["@status_words"]}}]]},
      "phrases":  {"GENERIC_ADDRESSEE": {"attr": "LOWER", "terms": ["dear customer", "@more"]}}
    }

- ``classes``: named word lists (synonym classes). Names are global across files and
  unique; a policy may extend any class with a company's own words
  (``[tool.sendguard.vocabulary]``, see ``linters.policy``).
- ``patterns``: spaCy ``Matcher`` patterns under a label. Inside any ``IN`` list an
  item ``"@name"`` stands for the words of class ``name``. A class entry of several
  tokens ("top-tier", "Diamond Circle") matches as that token sequence.
- ``phrases``: ``PhraseMatcher`` terms under a label, matched on ``LOWER`` (exact
  words, any case) or ``LEMMA`` (any inflection); ``"@name"`` items work here too, and
  ``"dear @name"`` stands for each word of the class after "dear".
- ``scope`` (optional): ``"message"`` (the default) joins the matchers every message
  runs; any other name builds separate matchers, run only by the code that asks for
  that scope (``substance.json`` is ``"substance"``, read by the rewrite step).

``linters.nlp`` compiles every file that has patterns or phrases into the shared
matchers, once per process and once per distinct policy extension. Rules only read
labels from the analysis (``part.analysis.spans("STATUS_CLAIM")``) and, for word
lists they test in Python, call ``word_set("class_name", current_vocabulary())``
(``linters.nlp.current_vocabulary`` is the policy's extension in force) or
``words("class_name")``; whole files of other data (``segments.json``'s segment
definitions) come from ``load(name)``. Nothing here imports spaCy or the rules, so
the direction is always rules -> nlp -> vocabulary.

A policy extends classes with ``[tool.sendguard.vocabulary]`` (``extension_from``
validates it into an ``Extension``, a sorted tuple that keys every cache).

To add a word: edit the class in its data file. To add a concept: add a file (or a
label to a family's file) and read its label in the rule. ``tests/test_vocabulary.py``
checks that every file parses, every ``@`` reference resolves and class names are
unique.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from functools import cache
from importlib import resources
from typing import Any

# A policy's additions: ((class name, (word, ...)), ...), sorted, so it can key caches.
Extension = tuple[tuple[str, tuple[str, ...]], ...]
Pattern = list[dict[str, Any]]

_REF = "@"
# Files without a "scope" are matched in every message; a file with another scope
# (substance.json: "substance") is compiled into matchers of its own, run only where
# asked for (``linters.nlp.analyse_scope``), so no message pays for it.
MESSAGE_SCOPE = "message"


class VocabularyError(ValueError):
    """A vocabulary file or a policy's vocabulary table that cannot be used."""


@cache
def load(name: str) -> Any:
    """The parsed contents of ``linters/data/<name>.json`` (read once per process)."""
    path = resources.files(__package__).joinpath("data", f"{name}.json")
    return json.loads(path.read_text(encoding="utf-8"))


_SECTIONS = ("classes", "patterns", "phrases")


@cache
def data_files() -> tuple[str, ...]:
    """Names of the vocabulary files, sorted (``claims`` for ``linters/data/claims.json``):
    the JSON objects under ``linters/data`` with a classes, patterns or phrases section.
    Other data there (a plain list, a table) is left to the code that reads it."""
    folder = resources.files(__package__).joinpath("data")
    names = sorted(p.name[:-5] for p in folder.iterdir() if p.name.endswith(".json"))
    return tuple(
        n for n in names if isinstance(found := load(n), dict) and any(k in found for k in _SECTIONS)
    )


@cache
def base_classes() -> dict[str, tuple[str, ...]]:
    """Every word class of every data file, by name."""
    classes: dict[str, tuple[str, ...]] = {}
    owner: dict[str, str] = {}
    for name in data_files():
        for class_name, entries in load(name).get("classes", {}).items():
            if class_name in classes:
                raise VocabularyError(
                    f"word class {class_name!r} is defined in {owner[class_name]} and {name}"
                )
            if not isinstance(entries, list) or not all(isinstance(e, str) and e.strip() for e in entries):
                raise VocabularyError(f"{name}.json: classes.{class_name} must be a list of words")
            classes[class_name] = tuple(entries)
            owner[class_name] = f"{name}.json"
    return classes


def words(class_name: str, extension: Extension = ()) -> tuple[str, ...]:
    """The words of a class, with a policy's additions."""
    try:
        found = base_classes()[class_name]
    except KeyError:
        raise VocabularyError(f"no word class named {class_name!r}") from None
    extra = dict(extension).get(class_name, ())
    return found + tuple(w for w in extra if w not in found)


def alternation(entries: Iterable[str]) -> str:
    """The entries as one regular-expression alternation, each escaped, longest first, so
    "firstname" is tried before "first" and "best-selling" before "best"."""
    return "|".join(re.escape(entry) for entry in sorted(entries, key=len, reverse=True))


@cache
def word_set(class_name: str, extension: Extension = ()) -> frozenset[str]:
    """The lower-cased words of a class, with a policy's additions, for tests in Python
    (``word in word_set("not_about_people", current_vocabulary())``); cached."""
    return frozenset(w.lower() for w in words(class_name, extension))


def extension_from(table: Any, where: str = "vocabulary") -> Extension:
    """Validate a policy's ``vocabulary`` table: class name -> list of extra words."""
    if not isinstance(table, Mapping):
        raise VocabularyError(f"{where}: must be a table of word classes")
    known = base_classes()
    added: dict[str, tuple[str, ...]] = {}
    for class_name, entries in table.items():
        if class_name not in known:
            raise VocabularyError(
                f"{where}.{class_name}: unknown word class (classes: {', '.join(sorted(known))})"
            )
        if not isinstance(entries, list) or not all(isinstance(e, str) and e.strip() for e in entries):
            raise VocabularyError(f"{where}.{class_name}: expected a list of words or phrases")
        added[class_name] = tuple(dict.fromkeys(" ".join(e.split()) for e in entries))
    return tuple(sorted(added.items()))


def _expand(values: Iterable[Any], classes: Mapping[str, tuple[str, ...]], where: str) -> list[Any]:
    expanded: list[Any] = []
    for value in values:
        if isinstance(value, str) and value.startswith(_REF):
            name = value[len(_REF) :]
            if name not in classes:
                raise VocabularyError(f"{where}: unknown word class {value!r}")
            expanded.extend(classes[name])
        else:
            expanded.append(value)
    return list(dict.fromkeys(expanded))


def _resolve_token(
    token: dict[str, Any], classes: Mapping[str, tuple[str, ...]], where: str
) -> dict[str, Any]:
    resolved = dict(token)
    for attr, test in token.items():
        if isinstance(test, dict) and "IN" in test:
            resolved[attr] = {**test, "IN": _expand(test["IN"], classes, where)}
    return resolved


def _classes(extension: Extension) -> dict[str, tuple[str, ...]]:
    return {name: words(name, extension) for name in base_classes()}


def _in_scope(name: str, scope: str) -> bool:
    return load(name).get("scope", MESSAGE_SCOPE) == scope


def token_patterns(extension: Extension = (), scope: str = MESSAGE_SCOPE) -> dict[str, list[Pattern]]:
    """Every label's Matcher patterns, ``@class`` items replaced by the class's words."""
    classes = _classes(extension)
    found: dict[str, list[Pattern]] = {}
    for name in data_files():
        if not _in_scope(name, scope):
            continue
        for label, patterns in load(name).get("patterns", {}).items():
            where = f"{name}.json: patterns.{label}"
            found.setdefault(label, []).extend(
                [_resolve_token(token, classes, where) for token in pattern] for pattern in patterns
            )
    return found


def phrase_lists(extension: Extension = (), scope: str = MESSAGE_SCOPE) -> dict[str, dict[str, list[str]]]:
    """Every label's phrases, by the attribute they are matched on (LOWER or LEMMA)."""
    classes = _classes(extension)
    found: dict[str, dict[str, list[str]]] = {"LOWER": {}, "LEMMA": {}}
    for name in data_files():
        if not _in_scope(name, scope):
            continue
        for label, spec in load(name).get("phrases", {}).items():
            where = f"{name}.json: phrases.{label}"
            attr = spec.get("attr", "LOWER")
            if attr not in found:
                raise VocabularyError(f"{where}: attr must be LOWER or LEMMA, not {attr!r}")
            terms = [term for value in spec["terms"] for term in _with_words_before(value, classes, where)]
            found[attr].setdefault(label, []).extend(_expand(terms, classes, where))
    return found


def _with_words_before(value: Any, classes: Mapping[str, tuple[str, ...]], where: str) -> list[Any]:
    """A phrase term "dear @name": each word of class ``name`` after "dear"; any other
    term as it is."""
    if not isinstance(value, str) or f" {_REF}" not in value or value.startswith(_REF):
        return [value]
    before, name = value.rsplit(f" {_REF}", 1)
    if name not in classes:
        raise VocabularyError(f"{where}: unknown word class {_REF + name!r}")
    return [f"{before} {word}" for word in classes[name]]
