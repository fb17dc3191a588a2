"""The claim reader (linters/claim_reader.py): the shipped model, its cache, its
thresholds and the policy that tunes them, and the sentences it reads."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from linters import claim_reader
from linters.claim_reader import (
    CLASSES,
    ClaimReaderSettings,
    claims,
    classify,
    default_thresholds,
    model_info,
)
from linters.message import Message, build_part
from linters.models import parse_request
from linters.policy import PolicyError, policy_from_mapping

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))


def test_the_model_records_its_data_seed_and_versions() -> None:
    import spacy

    info = model_info()
    assert info["classes"] == list(CLASSES)
    assert info["seed"] == 29 and info["spacy_version"] == spacy.__version__
    assert len(info["data_sha256"]) == 64
    assert set(info["thresholds"]) == set(CLASSES)
    assert all(0.0 < value < 1.0 for value in info["thresholds"].values())
    assert info["training"]["real_mail"] >= 0.4 * info["training"]["sentences"]


_PERMISSIVE = {"MIT", "Apache-2.0", "BSD-2-Clause", "BSD-3-Clause", "ISC", "MPL-2.0", "CC0-1.0", "CC-BY-4.0"}


def test_real_mail_is_two_fifths_of_the_labelled_sentences_each_with_its_source() -> None:
    """Issue 29: at least 40% of the labelled sentences in the repository are from real
    mail (the training mix holds to it too, above); each such line names its repository,
    path and commit and a permissive licence, and none comes from a repository kept for
    independent measurement."""
    from claims_honest import HELD_OUT
    from train_claims import TRAIN_DIR, is_real_mail, read_rows, training_files

    rows, _ = read_rows(training_files())
    assert sum(map(is_real_mail, rows)) >= 0.4 * len(rows)
    for path in sorted(TRAIN_DIR.glob("real_mail*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            row = json.loads(line)
            source = row["source"]
            assert source["repo"] and source["path"] and re.fullmatch("[0-9a-f]{40}", source["commit"]), (path.name, number)
            assert row["licence"] in _PERMISSIVE, (path.name, number)
            assert source["repo"] not in HELD_OUT, (path.name, number)


def test_the_model_was_trained_on_the_data_in_the_repository() -> None:
    """Stale when training data changed without `make train` (the digest is the data's)."""
    from train_claims import data_digest, training_files

    files = training_files()
    assert [path.name for path in files] == model_info()["data_files"]
    assert data_digest(files) == model_info()["data_sha256"], "run `make train`"


def test_the_training_files_never_include_the_evaluation_set() -> None:
    from train_claims import training_files

    assert all("eval" not in path.parts for path in training_files())


def test_scores_cover_every_class_and_stay_between_0_and_1() -> None:
    found = classify(["Your parcel left our warehouse this morning.", ""])
    assert [set(scores) for scores in found] == [set(CLASSES)] * 2
    assert all(0.0 <= value <= 1.0 for scores in found for value in scores.values())


@pytest.mark.parametrize(
    ("sentence", "expected"),
    [
        ("Tap a star to tell us how your delivery went.", "feedback_request"),
        ("Happy birthday, Dana! Your treat is waiting at the counter.", "occasion"),
        ("Only 6 hours left: the sale ends at midnight, don't miss out!", "urgency"),
        ("We noticed you were looking at the walnut side table yesterday.", "observation"),
        ("Here's to twelve years of adventures together, Sam.", "shared_history"),
    ],
)
def test_unmistakable_sentences_score_their_class_highest(sentence: str, expected: str) -> None:
    scores = classify([sentence])[0]
    assert max(scores, key=scores.__getitem__) == expected, scores


def test_plain_information_claims_nothing() -> None:
    for scores in classify(
        ["Your order #4411 was delivered to the front porch at 14:05.", "Thanks, the Harbour Books team"]
    ):
        assert all(scores[name] < default_thresholds()[name] for name in CLASSES), scores


def test_a_sentence_is_classified_once_however_often_it_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    predicted: list[list[str]] = []
    real = claim_reader._predict
    monkeypatch.setattr(claim_reader, "_predict", lambda texts: predicted.append(texts) or real(texts))
    first = "Your Gold membership renews on 1 March 2027."
    second = "Your Silver membership renews on 2 March 2027."
    classify([first, second, first])
    classify([" Your  Gold membership renews on 1 March 2027. ", second])  # white space folds
    assert predicted == [[first, second]]  # one batch, each sentence once


def test_hostile_sentences_are_read_without_error() -> None:
    hostile = ["\x00\x1b[31m" * 50, "🎉" * 2000, "a" * 100_000, "\ue000 \u202e reversed", "<script>x</script>"]
    assert len(classify(hostile)) == len(hostile)
    assert len(claim_reader.clean_sentence("word " * 10_000)) <= claim_reader.MAX_SENTENCE_CHARS


def test_classifying_leaves_no_words_in_the_shared_vocabulary() -> None:
    from linters.nlp import pipeline

    classify(["warmup"])
    before = len(pipeline().vocab.strings)
    classify([f"Order Q{n}X7 ships from depot zq{n}w" for n in range(50)])
    assert len(pipeline().vocab.strings) == before


def _message(**template: str) -> Message:
    request = parse_request(
        {"id": "m-1", "channel": "email", "to": "dana@example.org", "template": template, "customer": {}}
    )
    parts = {name: build_part(name, text, ()) for name, text in template.items()}
    return Message(request, request.customer, parts)


def test_claims_name_the_part_sentence_class_and_score() -> None:
    html = (
        '<div style="display:none">Happy birthday from all of us at Fernhill!</div>'
        "<p>Our spring bulbs are in.</p>"
    )
    message = _message(subject="New in the garden centre", html=html)
    found = claims(message, "occasion")
    assert [claim.part.name for claim in found] == ["preheader"]
    claim = found[0]
    assert claim.text == "Happy birthday from all of us at Fernhill!"
    assert re.fullmatch(
        r"'Happy birthday from all of us at Fernhill!' reads as an occasion claim \(score [01]\.\d\d\)", claim.describe()
    )


def test_a_policy_threshold_decides_what_counts() -> None:
    message = _message(subject="Your visit", text="Tap a star to rate your visit to our Leeds branch.")
    found = claims(message, "feedback_request")
    assert [claim.text for claim in found] == ["Tap a star to rate your visit to our Leeds branch."]
    score = found[0].score
    assert claims(message, "feedback_request", {"feedback_request": score})
    assert not claims(message, "feedback_request", {"feedback_request": min(1.0, score + 0.0001)})
    assert not claims(message, "feedback_request", {"feedback_request": 1.0})  # 1 switches a class off


def test_unknown_class_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown claim class"):
        claims(_message(subject="Hi"), "flattery")


def test_policy_claims_thresholds_reach_every_rule_that_reads_the_reader() -> None:
    policy = policy_from_mapping(
        {"claims": {"thresholds": {"status": 0.8}}, "rules": {"SG201": {"claim_thresholds": {"status": 0.9}}}}
    )
    reading = [rule for rule in _rules() if "claim_thresholds" in rule.settings.model_fields]
    assert {rule.id for rule in reading} >= {"SG201", "SG202", "SG301", "SG303", "SG401", "SG104", "SG608", "SG501"}
    for rule in reading:
        expected = 0.9 if rule.id == "SG201" else 0.8  # the rule's own entry wins
        assert policy.settings_for(rule).claim_thresholds["status"] == expected


def _rules():
    from linters.rules import all_rules

    return all_rules()


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"claims": {"thresholds": {"statsu": 0.8}}}, "claims.thresholds.statsu: unknown claim class"),
        ({"claims": {"thresholds": {"urgency": 1.5}}}, "claims.thresholds.urgency: a threshold is a number from 0 to 1"),
        ({"claims": {"thresholds": {"urgency": True}}}, "claims.thresholds.urgency: a threshold is a number"),
        ({"claims": {"threshold": {"urgency": 0.5}}}, "claims.threshold: unknown key; did you mean 'thresholds'?"),
        ({"claims": ["status"]}, "claims: expected a table"),
        ({"claims": {"thresholds": "high"}}, "claims.thresholds: expected a table"),
        ({"rules": {"SG201": {"claim_thresholds": {"vip": 0.5}}}}, "rules.SG201.claim_thresholds"),
    ],
)
def test_bad_thresholds_are_errors_naming_the_field(document: dict, named: str) -> None:
    with pytest.raises(PolicyError, match=named.replace("?", r"\?")):
        policy_from_mapping(document)


def test_rule_settings_validate_their_own_thresholds() -> None:
    assert ClaimReaderSettings(claim_thresholds={"urgency": 0.7}).claim_thresholds == {"urgency": 0.7}
    with pytest.raises(ValueError, match="vip: unknown claim class"):
        ClaimReaderSettings(claim_thresholds={"vip": 0.5})


def test_importing_the_engine_does_not_load_the_model() -> None:
    code = (
        "import linters.engine, linters.claim_reader as c, json\n"
        "print(json.dumps(c._model.cache_info().currsize))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == 0


def test_the_fast_loader_scores_as_spacy_load_does() -> None:
    """The reader builds the component's model from the folder's config and weights on
    the engine's tokenizer; the standard pipeline of the same folder must agree."""
    import spacy

    sentences = ["As one of our hand-picked insiders, you get first look.", "Your parcel left Leeds at 9:14."]
    nlp = spacy.load(claim_reader.MODEL_DIR)
    expected = [doc.cats for doc in nlp.pipe(sentences)]
    for scores, cats in zip(classify(sentences), expected, strict=True):
        assert all(abs(scores[name] - cats[name]) < 1e-3 for name in CLASSES)
