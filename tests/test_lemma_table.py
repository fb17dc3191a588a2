"""The English lemma table shipped in linters/data is spacy-lookups-data's, and the
pipeline uses it."""

from __future__ import annotations

import pytest

from linters.lemmas import lemma_table
from linters.nlp import pipeline


def test_shipped_table_equals_spacy_lookups_data():
    pytest.importorskip("spacy_lookups_data")  # a dev dependency
    from spacy.lookups import load_lookups

    upstream = load_lookups("en", ["lemma_lookup"]).get_table("lemma_lookup")
    shipped = lemma_table()
    assert len(shipped) == len(upstream) > 40_000
    # Table keys are string hashes; compare through the Table API both ways.
    assert all(upstream.get(form) == lemma for form, lemma in shipped.items())


def test_pipeline_lemmatizes_with_the_shipped_table():
    doc = pipeline()("Missed you! We were thinking of you and saved your favourite items.")
    lemmas = {t.text: t.lemma_ for t in doc}
    assert lemmas["Missed"] == "miss"
    assert lemmas["thinking"] == "think"
    assert lemmas["saved"] == "save"
    assert lemmas["items"] == "item"


def test_table_licence_is_recorded():
    from importlib import resources

    notice = resources.files("linters").joinpath("data", "en_lemma_lookup.LICENSE.txt").read_text()
    assert "MIT" in notice and "WordNet 3.0" in notice
