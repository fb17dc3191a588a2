"""Rules as data: the vocabulary files, the matchers built from them, policy extensions."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from linters import nlp, vocabulary
from linters.nlp import analyse_fixed, vocabulary_in_force
from linters.policy import PolicyError, load_policy_file, policy_from_mapping
from tests.conftest import judge, rules_of

STANDARD_TIER: dict[str, Any] = {
    "first_name": "Lena",
    "purchase_count": 1,
    "lifetime_value": 64.0,
    "tier": "standard",
    "consent": {"email_marketing": True},
}
DIAMOND_CIRCLE = {
    "subject": "First pick of the spring range",
    "text": "Hi Lena,\n\nAs a Diamond Circle member, you get first pick of the spring range.",
}
EXTENDED = {"vocabulary": {"status_words": ["Diamond Circle", "Founders Club"]}}


def labels(text: str) -> dict[str, list[str]]:
    found = analyse_fixed(text)
    return {label: [text[s:e] for s, e in spans] for label, spans in found.hits.items()}


def test_every_data_file_resolves_and_class_names_are_unique() -> None:
    names = vocabulary.data_files()
    assert {
        "claims",
        "contact",
        "occasions",
        "pressure",
        "privacy",
        "relevance",
        "segments",
        "substance",
    } <= set(names)
    classes = vocabulary.base_classes()  # raises on a class defined twice
    assert "status_words" in classes and "vip" in classes["status_words"]
    patterns = vocabulary.token_patterns()  # raises on an unknown @reference
    assert {"STATUS_CLAIM", "SURVEY_REQUEST", "OCCASION_GREETING", "TRACKING"} <= set(patterns)
    for label, found in patterns.items():
        for pattern in found:
            for token in pattern:
                for test in token.values():
                    if isinstance(test, dict) and "IN" in test:
                        assert not any(str(v).startswith("@") for v in test["IN"]), label


def test_nlp_does_not_import_the_rules() -> None:
    # A fresh interpreter: analysing text must not pull in the rule package.
    code = (
        "import sys\n"
        "from linters.nlp import analyse_fixed\n"
        "hits = analyse_fixed('As one of our VIP members, act now.').hits\n"
        "assert 'STATUS_CLAIM' in hits and 'PRESSURE' in hits, hits\n"
        "assert 'linters.rules' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_a_multiword_class_entry_matches_as_a_token_sequence() -> None:
    assert labels("Thanks for being one of our top-tier clients.")["STATUS_CLAIM"] == ["our top-tier clients"]
    assert labels("Your inner circle perks are waiting.")["STATUS_CLAIM"] == ["inner circle perks"]


def test_matchers_are_built_once_per_distinct_extension() -> None:
    extension = vocabulary.extension_from({"status_words": ["Sapphire Society"]})
    base = nlp._matchers(())
    with vocabulary_in_force(extension):
        first = nlp._matchers(nlp.current_vocabulary())
        assert "STATUS_CLAIM" in labels("As a Sapphire Society member, you save.")
    again = vocabulary.extension_from({"status_words": ["Sapphire Society"]})
    assert nlp._matchers(again) is first and nlp._matchers(()) is base and first is not base
    assert "STATUS_CLAIM" not in labels("As a Sapphire Society member, you save.")


def test_policy_words_are_caught_only_when_the_policy_adds_them() -> None:
    # The vocabulary alone (the claim reader's status classes off) does not know the tier.
    reader_off = {"claims": {"thresholds": {"status": 1.0, "personal_importance": 1.0}}}
    assert "SG201" not in rules_of(judge(DIAMOND_CIRCLE, policy=policy_from_mapping(reader_off), customer=STANDARD_TIER))
    # The claim reader reads the claim by meaning; without the words it cannot cut it
    # narrowly, and the whole sentence holds the offer: blocked, not sent as written.
    read = judge(DIAMOND_CIRCLE, customer=STANDARD_TIER)
    assert "SG201" in rules_of(read) and read.decision == "block"
    result = judge(DIAMOND_CIRCLE, policy=policy_from_mapping(EXTENDED), customer=STANDARD_TIER)
    assert [f.excerpt for f in result.findings if f.rule == "SG201"] == ["As a Diamond Circle member,"]
    assert result.message["text"] == "Hi Lena,\n\nYou get first pick of the spring range."


def test_a_diamond_circle_customer_may_be_called_one() -> None:
    policy = policy_from_mapping({**EXTENDED, "rules": {"SG201": {"top_tiers": ["diamond circle"]}}})
    member = {**STANDARD_TIER, "tier": "Diamond Circle"}
    assert "SG201" not in rules_of(judge(DIAMOND_CIRCLE, policy=policy, customer=member))


def test_policy_file_vocabulary_table(tmp_path) -> None:
    (tmp_path / "sendguard.toml").write_text(
        '[vocabulary]\nstatus_words = ["Diamond Circle"]\nsurvey_campaign_words = ["pulse"]\n', "utf-8"
    )
    policy = load_policy_file(tmp_path / "sendguard.toml")
    assert dict(policy.vocabulary) == {
        "status_words": ("Diamond Circle",),
        "survey_campaign_words": ("pulse",),
    }


@pytest.mark.parametrize(
    ("table", "problem"),
    [
        ({"tier_names": ["Diamond"]}, "vocabulary.tier_names: unknown word class"),
        ({"status_words": "Diamond Circle"}, "vocabulary.status_words: expected a list"),
        ({"status_words": ["  "]}, "vocabulary.status_words: expected a list"),
        (["status_words"], "vocabulary: must be a table"),
    ],
)
def test_bad_vocabulary_tables_name_the_key(table: Any, problem: str) -> None:
    with pytest.raises(PolicyError, match=problem):
        policy_from_mapping({"vocabulary": table}, "sendguard.toml")


def test_lint_uses_the_policy_vocabulary(tmp_path) -> None:
    from linters.lint.config import LintConfig, config_from_mapping
    from linters.lint.inputs import template_file
    from linters.lint.linter import lint_template

    path = tmp_path / "spring.txt"
    path.write_text("As a Diamond Circle member, you get first pick of the spring range.\n", "utf-8")
    template = template_file(path)
    plain = lint_template(template, LintConfig())
    extended = lint_template(template, config_from_mapping(EXTENDED, "sendguard.toml"))
    assert "SG201" not in [f.rule for f in plain]
    assert "SG201" in [f.rule for f in extended]


def test_every_pattern_keeps_an_anchor_word() -> None:
    # The prefilter: a pattern group runs only on texts holding one of its words. A
    # pattern without a required plain-word token would run on every text.
    label_matchers, _ = nlp._matchers()
    assert label_matchers and all(m.anchors for m in label_matchers)


def test_policy_words_also_shape_the_narrowest_edit() -> None:
    text = "Hi Lena,\n\nOur Diamond Circle members like you get 30% off the spring range this weekend."
    policy = policy_from_mapping(EXTENDED)
    result = judge({"subject": "Spring", "text": text}, policy=policy, customer=STANDARD_TIER)
    assert result.decision == "rewrite"
    assert (
        result.message["text"]
        == "Hi Lena,\n\nOur members get 30% off the spring range this weekend."
    )


def test_policy_survey_campaign_words() -> None:
    policy = policy_from_mapping({"vocabulary": {"survey_campaign_words": ["pulse"]}})
    history = [{"at": "2026-11-13T10:00:00Z", "channel": "email", "campaign": "monthly-pulse"}]
    request = {"text": "Hi Lena,\n\nHow did we do? Rate your delivery."}
    assert "SG608" not in rules_of(judge(request, customer=STANDARD_TIER, history=history))
    assert "SG608" in rules_of(judge(request, policy=policy, customer=STANDARD_TIER, history=history))


def test_judging_distinct_values_leaves_the_vocabulary_as_it_was() -> None:
    """Order numbers and tracking codes are new strings for spaCy in every message; they
    are analysed in a memory zone, so a long-lived guard does not grow with them. Labels
    of matchers compiled inside a zone stay readable afterwards."""
    from linters.engine import check
    from linters.models import parse_request

    def judge(order: str, tracking: str) -> list[str]:
        result = check(
            parse_request(
                {
                    "id": f"r-{order}",
                    "to": "ana@example.com",
                    "from": "orders@northwind.example",
                    "channel": "email",
                    "purpose": "marketing",
                    "template": {
                        "subject": "Order {{order}}: last chance to add a scarf",
                        "text": "Order {{order}} ships today (tracking {{tracking}}). Hurry, act now!",
                    },
                    "data": {"order": order, "tracking": tracking},
                }
            )
        )
        return sorted({f.rule for f in result.findings})

    first = judge("NW-0", "1ZA0")
    strings = len(nlp.pipeline().vocab.strings)
    for n in range(1, 300):
        assert judge(f"NW-{n}", f"1Z{n:06d}X") == first
    assert len(nlp.pipeline().vocab.strings) == strings
    assert "SG302" in first  # the PRESSURE label was read back by name
