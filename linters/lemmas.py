"""The English lemma table, shipped with sendguard.

spacy-lookups-data (about 100 MB) holds lookup tables for dozens of languages; the
lookup lemmatizer reads one of them, ``en_lemma_lookup``. That table is copied, byte
for byte, to ``linters/data/en_lemma_lookup.json.gz`` (about 200 KB) by
``scripts/extract_lemma_table.py``, so the package and the Lambda artifacts do without
spacy-lookups-data. ``tests/test_lemma_table.py`` checks that the copy equals the
package's table.

Source: spacy-lookups-data 1.0.5 (MIT, Copyright (c) 2019 ExplosionAI GmbH); the
English data is derived from WordNet 3.0 (Princeton University's licence, kept next to
the table as ``en_lemma_lookup.LICENSE.txt``).
"""

from __future__ import annotations

import gzip
import json
from importlib import resources
from typing import Any

from spacy.lookups import Lookups, Table

TABLE_FILE = "en_lemma_lookup.json.gz"
TABLE_NAME = "lemma_lookup"


class WordTable(Table):
    """A lookups table keyed by the words themselves, read with ``get``, ``[]`` and ``in``.

    spaCy's ``Table`` hashes every key as it is inserted, one Python call per entry:
    41,000 of them (about a tenth of a second) at every cold start, for a table the
    lemmatizer only reads. This one keeps the dict as it was loaded and looks words up
    in it directly. Keys are words, not hashes; it is never serialised.
    """

    def __init__(self, name: str, words: dict[str, str]) -> None:
        super().__init__(name=name, data={})
        self.words = words

    def get(self, key: str | int, default: Any = None) -> Any:
        return self.words.get(key, default)  # type: ignore[call-overload]

    def __getitem__(self, key: str | int) -> Any:
        return self.words[key]  # type: ignore[index]

    def __contains__(self, key: object) -> bool:
        return key in self.words

    def __len__(self) -> int:
        return len(self.words)


def lemma_table() -> dict[str, str]:
    """Word form -> lemma, as spacy-lookups-data's ``en`` ``lemma_lookup`` table."""
    packed = resources.files(__package__).joinpath("data", TABLE_FILE).read_bytes()
    return json.loads(gzip.decompress(packed))


def lemma_lookups() -> Lookups:
    """The lookups a lookup-mode lemmatizer needs, for ``Lemmatizer.initialize``."""
    lookups = Lookups()
    lookups.set_table(TABLE_NAME, WordTable(TABLE_NAME, lemma_table()))
    return lookups
