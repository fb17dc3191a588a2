"""Long mail is judged (issue 28): up to Gmail's clipping size, in blocks of paragraphs.

A text over ``nlp.LONG_TEXT_CHARS`` is analysed a block of whole paragraphs at a time,
each block cached on its own, so a rewrite re-reads only the blocks it edited. These
tests hold that to what matters: the blocks find exactly what one pass over the whole
text finds, on real mail and on claim-dense text.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linters import limits, nlp
from linters.engine import check
from linters.models import parse_request
from scripts.bench_preflight import newsletter_case

CORPUS = Path(__file__).parent / "corpus"


def _real_mail_texts() -> list[str]:
    texts = []
    for path in sorted(CORPUS.glob("real_mail*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            template = json.loads(line)["request"]["template"]
            if isinstance(template, dict) and template.get("text"):
                texts.append(template["text"])
    return texts


def _one_pass(text: str) -> nlp.Analysis:
    """The analysis of ``text`` as one spaCy document (what short texts get)."""
    extension = nlp.current_vocabulary()
    with nlp._transient(extension, nlp.MESSAGE_SCOPE) as pipeline:
        return nlp._analyse_doc(pipeline(text), extension)


def _same(blocks: nlp.Analysis, whole: nlp.Analysis) -> None:
    assert blocks.sentences == whole.sentences
    assert {k: v for k, v in blocks.hits.items() if v} == {k: v for k, v in whole.hits.items() if v}


def test_blocks_of_real_mail_find_what_one_pass_finds() -> None:
    texts = _real_mail_texts()
    assert len(texts) > 100
    # Real messages joined into digests of about 30,000 characters: many blocks each.
    digest, digests = [], []
    for text in texts:
        digest.append(text)
        if sum(map(len, digest)) > 30_000:
            digests.append("\n\n".join(digest))
            digest = []
    assert len(digests) >= 3
    for text in digests:
        assert len(nlp._blocks(text)) > 3
        _same(nlp.analyse_fixed(text), _one_pass(text))


def test_blocks_of_claim_dense_text_find_what_one_pass_finds() -> None:
    text = newsletter_case(31, claims=True)["request"]["template"]["text"]
    assert len(text) > 60_000
    _same(nlp.analyse_fixed(text), _one_pass(text))


def test_a_block_edited_is_the_only_one_read_again(monkeypatch: pytest.MonkeyPatch) -> None:
    text = newsletter_case(32, claims=False)["request"]["template"]["text"]
    nlp.analyse_fixed(text)
    paragraphs = text.split("\n\n")
    paragraphs[40] += " As one of our VIP members, you hear about it first."
    edited = "\n\n".join(paragraphs)
    read = []
    original = nlp._analyse_doc
    monkeypatch.setattr(nlp, "_analyse_doc", lambda doc, *a, **k: read.append(doc.text) or original(doc, *a, **k))
    analysis = nlp.analyse_fixed(edited)
    assert len(read) == 1 and "our VIP members" in read[0]
    assert len(nlp._blocks(edited)) > 10
    _same(analysis, _one_pass(edited))


def test_a_15000_word_newsletter_is_judged_not_refused() -> None:
    request = newsletter_case(33, claims=False)["request"]
    assert len(request["template"]["text"].split()) >= 15_000
    assert check(parse_request(request)).decision == "allow"


def test_claims_in_a_long_newsletter_are_found_and_rewritten() -> None:
    result = check(parse_request(newsletter_case(34, claims=True)["request"]))
    assert result.decision == "rewrite"
    assert {f.rule for f in result.findings} >= {"SG201", "SG202"}
    assert "our VIP members" in result.original["text"]
    assert "our VIP members" not in result.message["text"]


def test_the_readable_limit_is_gmails_clipping_size() -> None:
    assert limits.MAX_READABLE_CHARS == limits.MAX_RENDERED_CHARS == 100_000
