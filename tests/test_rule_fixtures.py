"""Every rule on fresh wording: tests/fixtures/rules/<ID>.jsonl, one case a line.

Like ruff's ``resources/test/fixtures``: each rule has realistic messages it must catch
and near misses it must let through (a real Platinum member told she is Platinum, a
security alert saying "we noticed a sign-in", a receipt after an unsubscribe). A case:

- ``expect``: ``"catch"`` (the rule must be among the findings) or ``"pass"`` (it must not);
- ``why``: one line, the reason;
- ``request``: a complete send request, judged with ``linters.engine.check``;
- ``template_lints: true`` with ``template`` (a template file's text, front matter
  included; ``template_name``, default ``template.hbs``; ``template_encoding``,
  default UTF-8): also linted with ``sendguard lint --format json``;
- ``known_miss: true`` with ``known_miss_reason``: the rule gets this case wrong today.
  It is kept, not bent to fit, and xfailed strictly, so a fix is noticed (then drop the
  mark). ``known_miss_in: ["check"]`` or ``["lint"]`` limits it to one judgement.

SG900 (template syntax) is lint's name for what the engine refuses as an input error:
a SG900 catch request must raise ``RequestError`` naming the template; a pass request
must be judged. SG901 and SG902 are about template files only: their cases have no
request.

Ids read ``SG201-catch-3`` (the third catch case of SG201's file), with ``-lint`` for
the lint judgement of a case.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from linters.catalog import catalog
from linters.cli import main
from linters.engine import check
from linters.models import RequestError, parse_request
from linters.rule_examples import FIXTURES, example_lines, examples

EXPECTS = ("catch", "pass")
KEYS = {
    "expect",
    "why",
    "request",
    "template_lints",
    "template",
    "template_name",
    "template_encoding",
    "known_miss",
    "known_miss_reason",
    "known_miss_in",
}
# Rules the engine reports through an input error (SG900) or never sees (SG901, SG902).
SYNTAX_RULE = "SG900"
FILE_ONLY_RULES = {"SG901", "SG902"}


def _load() -> list[tuple[str, str, dict[str, Any]]]:
    """(rule, case id, case) for every line of every fixture file."""
    loaded = []
    for path in sorted(FIXTURES.glob("*.jsonl")):
        counts = dict.fromkeys(EXPECTS, 0)
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            case = json.loads(line)
            expect = case.get("expect")
            assert expect in EXPECTS, f"{path.name}:{number}: expect is {expect!r}"
            counts[expect] += 1
            loaded.append((path.stem, f"{path.stem}-{expect}-{counts[expect]}", case))
    return loaded


CASES = _load()


def _marks(case: dict[str, Any], judgement: str) -> list[pytest.MarkDecorator]:
    if not case.get("known_miss") or judgement not in case.get("known_miss_in", ["check", "lint"]):
        return []
    return [pytest.mark.xfail(reason=case.get("known_miss_reason", "known miss"), strict=True)]


CHECK_PARAMS = [
    pytest.param(rule, case, id=case_id, marks=_marks(case, "check"))
    for rule, case_id, case in CASES
    if "request" in case
]
LINT_PARAMS = [
    pytest.param(rule, case, id=f"{case_id}-lint", marks=_marks(case, "lint"))
    for rule, case_id, case in CASES
    if case.get("template_lints")
]


def _rules_of(result: Any) -> list[str]:
    return sorted({finding.rule for finding in result.findings})


@pytest.mark.parametrize(("rule", "case"), CHECK_PARAMS)
def test_engine_judges_the_fixture(rule: str, case: dict[str, Any]) -> None:
    request = parse_request(case["request"])
    if rule == SYNTAX_RULE:
        if case["expect"] == "catch":
            with pytest.raises(RequestError, match=r"^template\."):
                check(request)
        else:
            assert rule not in _rules_of(check(request))
        return
    found = _rules_of(check(request))
    if case["expect"] == "catch":
        assert rule in found, f"{rule} did not fire ({case['why']}); findings: {found}"
    else:
        assert rule not in found, f"{rule} fired on a near miss ({case['why']}); findings: {found}"


@pytest.mark.parametrize(("rule", "case"), LINT_PARAMS)
def test_lint_judges_the_fixture(
    rule: str, case: dict[str, Any], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / case.get("template_name", "template.hbs")
    path.write_bytes(case["template"].encode(case.get("template_encoding", "utf-8")))
    code = main(["lint", str(path), "--format", "json", "--exit-zero"])
    out = capsys.readouterr().out
    assert code == 0, out
    found = sorted({finding["rule"] for finding in json.loads(out)["findings"]})
    if case["expect"] == "catch":
        assert rule in found, f"lint did not report {rule} ({case['why']}); findings: {found}"
    else:
        assert rule not in found, f"lint reported {rule} on a near miss ({case['why']}); findings: {found}"


@pytest.mark.parametrize(("rule", "case_id", "case"), CASES, ids=[case_id for _, case_id, _ in CASES])
def test_fixture_case_is_well_formed(rule: str, case_id: str, case: dict[str, Any]) -> None:
    assert set(case) <= KEYS, f"unknown keys {sorted(set(case) - KEYS)}"
    assert isinstance(case.get("why"), str) and case["why"].strip() and "\n" not in case["why"]
    assert "request" in case or case.get("template_lints"), "a case needs a request or a lint template"
    if rule in FILE_ONLY_RULES:
        assert "request" not in case, f"{rule} is about template files: lint cases only"
    if case.get("template_lints"):
        assert isinstance(case.get("template"), str) and case["template"]
    else:
        assert not {"template", "template_name", "template_encoding"} & set(case)
    if case.get("known_miss"):
        assert case["known_miss"] is True and case.get("known_miss_reason", "").strip()
        assert set(case.get("known_miss_in", ["check"])) <= {"check", "lint"}
    else:
        assert not {"known_miss_reason", "known_miss_in"} & set(case)
    if "request" in case:
        request = case["request"]
        for field in ("id", "channel", "purpose", "from", "to", "template", "now"):
            assert field in request, f"the request has no {field!r}: write it out in full"
        assert parse_request(request).id == request["id"]


def test_request_ids_are_unique() -> None:
    ids = [case["request"]["id"] for _, _, case in CASES if "request" in case]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)


def test_every_catalog_rule_has_fixtures_it_catches_and_lets_through() -> None:
    rules = {entry["id"] for entry in catalog()}
    files = {path.stem for path in FIXTURES.glob("*.jsonl")}
    assert files <= rules, f"fixtures for rules not in the catalog: {sorted(files - rules)}"
    for rule in sorted(rules):
        expects = [case["expect"] for r, _, case in CASES if r == rule]
        assert rule in files, f"no tests/fixtures/rules/{rule}.jsonl"
        assert "catch" in expects and "pass" in expects, (
            f"{rule}: {expects.count('catch')} catch, {expects.count('pass')} pass"
        )


def test_rule_examples_are_the_first_catch_and_pass_that_are_not_known_misses() -> None:
    caught, passed = examples("sg201")
    firsts = {}
    for rule, _, case in CASES:
        if rule == "SG201" and not case.get("known_miss"):
            firsts.setdefault(case["expect"], case)
    assert caught is not None and passed is not None
    assert (caught.why, caught.request) == (firsts["catch"]["why"], firsts["catch"]["request"])
    assert (passed.why, passed.request) == (firsts["pass"]["why"], firsts["pass"]["request"])
    lines = example_lines("SG201")
    assert lines[1] == "Examples (from tests/fixtures/rules/SG201.jsonl):"
    assert f"Caught: {caught.why}" in lines and f"Let through (a near miss): {passed.why}" in lines


def test_rule_examples_of_lint_only_rules_show_the_template() -> None:
    caught, _ = examples("SG901")
    assert caught is not None and caught.request is None and caught.template
    assert "  template file (sendguard lint):" in example_lines("SG901")


def test_rule_examples_never_print_invisible_or_reordering_characters() -> None:
    text = "\n".join(example_lines("SG801"))
    assert "\\u200b" in text
    assert not any(ord(c) in (0x200B, 0x00AD, 0x202E, 0x2067) for c in text)


def test_the_loader_reads_these_fixtures() -> None:
    """linters/rule_examples.py finds them beside the package, from the checkout's root."""
    assert Path(__file__).resolve().parent / "fixtures" / "rules" == FIXTURES


def test_no_fixtures_no_examples(tmp_path: Path) -> None:
    """An installed wheel has no tests/ folder beside the package."""
    assert examples("SG201", tmp_path) == (None, None)
    assert example_lines("SG201", tmp_path) == []
    assert examples("../SG201") == (None, None) and examples("SG9999") == (None, None)


def test_outside_a_checkout_there_are_no_examples(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Installed, the package's parent is site-packages: no pyproject.toml, no examples,
    even when some distribution left a tests/fixtures/rules folder there."""
    from linters import rule_examples

    stray = tmp_path / "tests" / "fixtures" / "rules"
    stray.mkdir(parents=True)
    (stray / "SG201.jsonl").write_text(
        (FIXTURES / "SG201.jsonl").read_text(encoding="utf-8"), encoding="utf-8"
    )
    monkeypatch.setattr(rule_examples, "CHECKOUT", tmp_path)
    monkeypatch.setattr(rule_examples, "FIXTURES", stray)
    assert examples("SG201") == (None, None) and example_lines("SG201") == []


def test_sendguard_rule_prints_a_caught_message_and_a_near_miss_from_the_fixtures(capsys) -> None:
    from linters.cli import main

    assert main(["rule", "SG201"]) == 0
    out = capsys.readouterr().out
    assert "Examples (from tests/fixtures/rules/SG201.jsonl):" in out
    assert "\nCaught: " in out and "\nLet through (a near miss): " in out
