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

from spacy.lookups import Lookups

TABLE_FILE = "en_lemma_lookup.json.gz"


def lemma_table() -> dict[str, str]:
    """Word form -> lemma, as spacy-lookups-data's ``en`` ``lemma_lookup`` table."""
    packed = resources.files("linters").joinpath("data", TABLE_FILE).read_bytes()
    return json.loads(gzip.decompress(packed))


def lemma_lookups() -> Lookups:
    """The lookups a lookup-mode lemmatizer needs, for ``Lemmatizer.initialize``."""
    lookups = Lookups()
    lookups.add_table("lemma_lookup", lemma_table())
    return lookups
