"""Policy documents: per-rule actions and thresholds, and errors that name the key."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from conftest import judge, rules_of

from linters.findings import Action, Decision
from linters.policy import (
    PolicyError,
    discover_policy,
    find_policy_file,
    load_policy_file,
    policy_from_mapping,
)

URGENT = {"subject": "Winter sale", "text": "Hurry, the winter sale ends tonight!"}


def test_defaults_when_nothing_is_set(regular: dict[str, Any]) -> None:
    result = judge(URGENT, customer=regular)
    assert [f.action for f in result.findings if f.rule == "SG302"] == [Action.WARN, Action.WARN]
    assert result.decision == Decision.ALLOW


@pytest.mark.parametrize(
    ("action", "decision"),
    [
        ("block", Decision.BLOCK),
        ("hold", Decision.HOLD),
        ("warn", Decision.ALLOW),
    ],
)
def test_each_action_can_be_set(action: str, decision: Decision, regular: dict[str, Any]) -> None:
    policy = policy_from_mapping({"rules": {"SG302": action}})
    result = judge(URGENT, policy, customer=regular)
    assert {f.action for f in result.findings if f.rule == "SG302"} == {Action(action)}
    assert result.decision == decision


def test_off_silences_a_rule(regular: dict[str, Any]) -> None:
    policy = policy_from_mapping({"rules": {"SG302": "off"}})
    assert "SG302" not in rules_of(judge(URGENT, policy, customer=regular))


def test_rewrite_action_without_a_fix_blocks_as_unsafe(regular: dict[str, Any]) -> None:
    policy = policy_from_mapping({"rules": {"SG302": "rewrite"}})
    result = judge(URGENT, policy, customer=regular)
    assert result.decision == Decision.BLOCK
    assert "SG000" in rules_of(result)


def test_thresholds_and_action_in_one_table(arthur: dict[str, Any]) -> None:
    template = {"subject": "Thanks", "text": "Thanks for your loyalty, Mr. Pendleton. Here is 10% off."}
    assert "SG202" in rules_of(judge(template, customer=arthur))
    policy = policy_from_mapping({"rules": {"SG202": {"action": "warn", "loyal_min_purchases": 1}}})
    assert "SG202" not in rules_of(judge(template, policy, customer=arthur))
    assert policy.settings["SG202"].loyal_min_purchases == 1


def test_rule_ids_are_case_insensitive() -> None:
    assert policy_from_mapping({"rules": {"sg302": "block"}}).actions == {"SG302": Action.BLOCK}


@pytest.mark.parametrize(
    ("document", "named"),
    [
        ({"rules": {"SG999": "block"}}, "SG999"),
        ({"rules": {"SG302": "shout"}}, "shout"),
        ({"rules": {"SG502": {"action": "sometimes"}}}, "sometimes"),
        ({"rules": {"SG502": {"max_offer": 3}}}, "max_offer"),
        ({"rules": {"SG502": {"max_offers": "many"}}}, "max_offers"),
        ({"rules": {"SG502": {"max_offers": -1}}}, "max_offers"),
        ({"rules": {"SG302": 3}}, "SG302"),
        ({"rule": {}}, "rule"),
    ],
)
def test_errors_name_what_is_wrong(document: dict[str, Any], named: str) -> None:
    with pytest.raises(PolicyError, match=named):
        policy_from_mapping(document)


def test_unknown_setting_lists_the_known_ones() -> None:
    with pytest.raises(PolicyError) as error:
        policy_from_mapping({"rules": {"SG502": {"max_offer": 3}}})
    assert "max_offers" in str(error.value)


def test_pyproject_sendguard_toml_and_json(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.sendguard.rules]\nSG302 = "block"\n')
    assert load_policy_file(tmp_path / "pyproject.toml").actions == {"SG302": Action.BLOCK}
    (tmp_path / "sendguard.toml").write_text('[rules.SG502]\naction = "block"\nmax_offers = 3\n')
    policy = load_policy_file(tmp_path / "sendguard.toml")
    assert policy.actions == {"SG502": Action.BLOCK} and policy.settings["SG502"].max_offers == 3
    (tmp_path / "policy.json").write_text(json.dumps({"rules": {"SG303": "off"}}))
    assert load_policy_file(tmp_path / "policy.json").actions == {"SG303": Action.OFF}


def test_bad_files_name_the_file(tmp_path: Path) -> None:
    broken = tmp_path / "sendguard.toml"
    broken.write_text("[rules\nSG302 = ")
    with pytest.raises(PolicyError, match=r"sendguard\.toml"):
        load_policy_file(broken)
    with pytest.raises(PolicyError, match="cannot read"):
        load_policy_file(tmp_path / "missing.toml")
    wrong = tmp_path / "other.toml"
    wrong.write_text('[rules]\nSG123 = "warn"\n')
    with pytest.raises(PolicyError, match="SG123"):
        load_policy_file(wrong)


def test_policy_file_is_found_walking_up(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[tool.sendguard.rules]\nSG302 = "hold"\n'
    )
    deep = tmp_path / "campaigns" / "winter"
    deep.mkdir(parents=True)
    assert find_policy_file(deep) == tmp_path / "pyproject.toml"
    assert discover_policy(deep).actions == {"SG302": Action.HOLD}
    (tmp_path / "campaigns" / "sendguard.toml").write_text('[rules]\nSG302 = "off"\n')
    assert find_policy_file(deep) == tmp_path / "campaigns" / "sendguard.toml"


def test_pyproject_without_sendguard_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "shop"\n')
    found = find_policy_file(tmp_path)
    assert found is None or found.parent != tmp_path


# --- nesting too deep to read (issue 27, item 7) ----------------------------------------

DEEP = 500  # a 1 KB file: Python's parsers recurse once per level and run out of stack


def nested_dict(depth: int) -> dict[str, Any]:
    document: dict[str, Any] = {}
    for _ in range(depth):
        document = {"k": document}
    return document


@pytest.mark.parametrize(
    ("name", "content", "named"),
    [
        ("sendguard.toml", "[rules.SG201]\ntop_tiers = " + "[" * DEEP + "]" * DEEP, "rules.SG201.top_tiers"),
        ("sendguard.toml", "[rules]\nSG201 = " + "{a = " * DEEP + "1" + "}" * DEEP, "rules.SG201"),
        (
            "sendguard.toml",
            "[vocabulary]\nstatus_words = " + "[" * DEEP + "]" * DEEP,
            "vocabulary.status_words",
        ),
        ("sendguard.toml", "[lint]\nexclude = " + "[" * DEEP + "]" * DEEP, "lint.exclude"),
        (
            "sendguard.toml",
            "[rules.SG201]\n" + ".".join(f"k{i}" for i in range(DEEP)) + " = 1",
            "rules.SG201.k0",
        ),
        (
            "pyproject.toml",
            "[tool.sendguard.rules.SG201]\ntop_tiers = " + "[" * DEEP + "]" * DEEP,
            "tool.sendguard.rules.SG201.top_tiers",
        ),
        (
            "policy.json",
            '{"rules": {"SG201": {"top_tiers": ' + "[" * DEEP + "]" * DEEP + "}}}",
            "top_tiers[0]",
        ),
        ("policy.json", "[" * 20_000 + "]" * 20_000, "nested more than"),
    ],
)
def test_deep_nesting_is_refused_naming_file_and_key(
    tmp_path: Path, name: str, content: str, named: str
) -> None:
    path = tmp_path / name
    path.write_text(content + "\n", encoding="utf-8")
    assert len(content) < 60_000

    with pytest.raises(PolicyError) as caught:
        load_policy_file(path)

    message = str(caught.value)
    assert message.startswith(str(path)) and named in message
    assert "nested more than 16 levels deep" in message
    assert "\n" not in message and len(message) < 300


def test_deep_nesting_in_a_decoded_document_is_refused_before_it_is_walked() -> None:
    # As the SSM parameter arrives: already decoded, 10,000 levels (no recursion to fail).
    with pytest.raises(PolicyError, match=r"ssm:/p: rules\.SG201\.k\.k.*nested more than 16"):
        policy_from_mapping({"rules": {"SG201": nested_dict(10_000)}}, "ssm:/p")


def test_lint_config_refuses_deep_nesting_before_pydantic_reads_it() -> None:
    from linters.lint.config import config_from_mapping

    with pytest.raises(PolicyError, match=r"lint\.exclude\[0\]\[0\]\[\.\.\.\]: nested more than"):
        config_from_mapping({"lint": {"exclude": [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]}}, "sendguard.toml")


def test_a_policy_a_few_levels_deep_still_loads(tmp_path: Path) -> None:
    path = tmp_path / "sendguard.toml"
    path.write_text(
        '# [[not a header]] "quote\n[rules.SG201]\naction = "rewrite"  # [{\ntop_tiers = ["gold [a]", \'{x\']\n'
        '[vocabulary]\nstatus_words = ["""Diamond\n[Circle]"""]\n',
        encoding="utf-8",
    )
    policy = load_policy_file(path)
    assert policy.actions["SG201"] == Action.REWRITE


def test_a_too_deep_pyproject_is_found_and_named_not_skipped(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        "[tool.sendguard.rules]\nSG201 = " + "[" * DEEP + "]" * DEEP + "\n", encoding="utf-8"
    )
    assert find_policy_file(tmp_path) == tmp_path / "pyproject.toml"
    with pytest.raises(PolicyError, match=r"pyproject\.toml: line 2: tool\.sendguard\.rules\.SG201: nested"):
        discover_policy(tmp_path)
