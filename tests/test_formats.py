"""The output formats of linters/formats/: JUnit XML and GitLab Code Quality on real lint
runs, parsed and checked field by field; the text format's source snippets."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from linters.cli import main
from linters.findings import Action
from linters.formats import LINT, LINT_FORMATS, text
from linters.lint.findings import LintFinding

STATUS = "Hi there,\n\nYou are our most valuable customer.\n"  # SG201 (rewrite) at 3:9
BROKEN = "Hello {{#if x}}there.\n"  # SG900 (block) at 1:7
CLEAN = "Your order has shipped.\n"
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with a status claim, a broken template and a clean one in emails/."""
    (tmp_path / ".git").mkdir()
    emails = tmp_path / "emails"
    emails.mkdir()
    (emails / "status.hbs").write_text(STATUS, encoding="utf-8")
    (emails / "broken.hbs").write_text(BROKEN, encoding="utf-8")
    (emails / "clean.hbs").write_text(CLEAN, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    code = main(["lint", *argv])
    out, err = capsys.readouterr()
    assert not RAW.search(out) and not RAW.search(err)
    return code, out


def test_every_lint_format_is_a_choice() -> None:
    assert LINT_FORMATS == ("text", "json", "sarif", "github", "junit", "gitlab")
    assert set(LINT) == set(LINT_FORMATS)


# --- JUnit XML ---------------------------------------------------------------------------


def suites_of(report: str) -> dict[str, ET.Element]:
    root = ET.fromstring(report)
    assert root.tag == "testsuites" and root.get("name") == "sendguard lint"
    return {suite.get("name"): suite for suite in root.iter("testsuite")}


def test_junit_has_a_suite_per_template_and_a_case_per_finding(repo: Path, capsys) -> None:
    code, out = lint(capsys, "emails", "--format", "junit")

    assert code == 1  # SG900 blocks
    assert out.startswith('<?xml version="1.0" encoding="UTF-8"?>\n')
    root = ET.fromstring(out)
    assert (root.get("tests"), root.get("failures"), root.get("errors")) == ("3", "1", "0")
    suites = suites_of(out)
    assert set(suites) == {"emails/broken.hbs", "emails/clean.hbs", "emails/status.hbs"}

    [broken] = suites["emails/broken.hbs"].findall("testcase")
    assert suites["emails/broken.hbs"].get("failures") == "1"
    assert broken.get("name") == "SG900 template-syntax"
    assert (broken.get("classname"), broken.get("file"), broken.get("line")) == (
        "emails/broken.hbs",
        "emails/broken.hbs",
        "1",
    )
    failure = broken.find("failure")
    assert failure is not None and failure.get("type") == "block"
    assert failure.get("message") == "SG900 template-syntax: {{#if}} is never closed with {{/if}}"
    assert failure.text.splitlines()[:4] == [
        "emails/broken.hbs:1:7: SG900 {{#if}} is never closed with {{/if}} [block]",
        "  |",
        "1 | Hello {{#if x}}there.",
        "  |       ^",
    ]

    # Below --fail-on (block) a finding is a passing case whose output is the finding.
    [status] = suites["emails/status.hbs"].findall("testcase")
    assert status.get("name") == "SG201 unearned-status" and status.get("line") == "3"
    assert status.find("failure") is None
    assert "our most valuable customer" in status.find("system-out").text

    [clean] = suites["emails/clean.hbs"].findall("testcase")
    assert clean.get("name") == "sendguard lint" and len(clean) == 0
    assert suites["emails/clean.hbs"].get("tests") == "1"


def test_junit_failures_follow_fail_on(repo: Path, capsys) -> None:
    _, out = lint(capsys, "emails", "--format", "junit", "--fail-on", "rewrite")
    [status] = suites_of(out)["emails/status.hbs"].findall("testcase")
    failure = status.find("failure")
    assert failure is not None and failure.get("type") == "rewrite"
    assert failure.get("message").startswith("SG201 unearned-status: 'our most valuable customer'")
    assert ET.fromstring(out).get("failures") == "2"


def test_junit_of_customer_summaries(repo: Path, capsys) -> None:
    (repo / "customers.jsonl").write_text(json.dumps({"customer_id": "c-1", "purchase_count": 1}) + "\n")
    _, out = lint(capsys, "emails/status.hbs", "--customers", "customers.jsonl", "--format", "junit")
    names = [case.get("name") for case in suites_of(out)["emails/status.hbs"].findall("testcase")]
    assert "SG201 unearned-status" in names
    assert any(name.endswith("(sample customers)") for name in names)


def test_check_junit_has_a_case_per_request(tmp_path: Path, capsys) -> None:
    from tests.conftest import make_request

    stopped = make_request(
        {"subject": "URGENT for you", "text": "Dear Current Resident,\nRates rise Friday."}, id="r-1"
    )
    path = tmp_path / "r.jsonl"
    path.write_text(json.dumps(stopped) + "\n{not json\n", encoding="utf-8")

    assert main(["check", "--format", "junit", str(path)]) == 2  # one request could not be read
    out = capsys.readouterr().out
    root = ET.fromstring(out)
    assert root.get("name") == "sendguard check"
    [suite] = root.findall("testsuite")
    first, second = suite.findall("testcase")
    assert suite.get("name") == str(path)  # one suite per file, a case per JSON Lines record
    assert (first.get("name"), first.get("classname"), first.get("line")) == ("r-1", str(path), "1")
    assert (second.get("name"), second.get("line")) == ("line 2", "2")
    failure = first.find("failure")
    assert failure is not None and failure.get("type") in ("block", "hold")
    assert failure.text.startswith("r-1: ")
    assert second.find("error") is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("2", "1", "1")


# --- GitLab Code Quality -----------------------------------------------------------------


def test_gitlab_code_quality_fields(repo: Path, capsys) -> None:
    code, out = lint(capsys, "emails", "--format", "gitlab")

    assert code == 1
    issues = json.loads(out)
    assert isinstance(issues, list) and len(issues) == 2
    by_rule = {issue["check_name"]: issue for issue in issues}
    broken, status = by_rule["SG900"], by_rule["SG201"]
    assert broken["description"] == "SG900 template-syntax: {{#if}} is never closed with {{/if}}"
    assert broken["severity"] == "blocker"
    assert broken["location"] == {"path": "emails/broken.hbs", "lines": {"begin": 1, "end": 1}}
    assert status["severity"] == "major"  # rewrite
    assert status["location"]["path"] == "emails/status.hbs"
    assert status["location"]["lines"]["begin"] == 3
    for issue in issues:
        assert {"description", "check_name", "fingerprint", "severity", "location"} <= set(issue)
        assert isinstance(issue["fingerprint"], str) and issue["fingerprint"]
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)


def test_gitlab_fingerprints_are_sarifs_and_survive_an_inserted_line(repo: Path, capsys) -> None:
    _, out = lint(capsys, "emails", "--format", "gitlab")
    first = {issue["check_name"]: issue for issue in json.loads(out)}
    _, sarif = lint(capsys, "emails", "--format", "sarif")
    prints = {
        r["ruleId"]: r["partialFingerprints"]["sendguardFinding/v1"]
        for r in json.loads(sarif)["runs"][0]["results"]
    }
    assert {rule: issue["fingerprint"] for rule, issue in first.items()} == prints

    (repo / "emails" / "status.hbs").write_text("{{! a comment }}\n" + STATUS, encoding="utf-8")
    _, again = lint(capsys, "emails", "--format", "gitlab")
    moved = {issue["check_name"]: issue for issue in json.loads(again)}
    assert moved["SG201"]["location"]["lines"]["begin"] == 4  # the line moved...
    assert moved["SG201"]["fingerprint"] == first["SG201"]["fingerprint"]  # ...the identity did not
    assert moved["SG900"]["fingerprint"] == first["SG900"]["fingerprint"]


@pytest.mark.parametrize(
    ("action", "severity"),
    [("block", "blocker"), ("hold", "critical"), ("rewrite", "major"), ("warn", "minor")],
)
def test_gitlab_severity_follows_the_action(action: str, severity: str) -> None:
    finding = LintFinding("SG301", "urgency-to-generic", Action(action), "urgent", "t.hbs", 2, 1, 2, 8)
    [issue] = json.loads(LINT["gitlab"]([finding], []))
    assert issue["severity"] == severity


# --- text: the source under each finding --------------------------------------------------


def test_text_shows_the_source_line_with_carets(repo: Path, capsys) -> None:
    _, out = lint(capsys, "emails/status.hbs", "--fail-on", "rewrite")
    lines = out.splitlines()
    assert lines[0].startswith("emails/status.hbs:3:9: SG201 ")
    assert lines[1:5] == [
        "  |",
        "3 | You are our most valuable customer.",
        "  |         " + "^" * len("our most valuable customer"),
        "  |",
    ]
    assert lines[-1] == "Found 1 finding (1 rewrite)."


def finding_at(line: int, column: int, end_line: int, end_column: int) -> LintFinding:
    return LintFinding(
        "SG301", "urgency-to-generic", Action.BLOCK, "urgent", "t.hbs", line, column, end_line, end_column
    )


@pytest.mark.parametrize(
    "source",
    [
        "::error file=x::pwned URGENT now",
        "\x1b[31m\x07URGENT now\x9b",
        "\u202eURGENT now\u2028::error::x",
        "\r::stop-commands::tok URGENT now",
    ],
)
def test_snippet_lines_are_escaped_and_never_workflow_commands(source: str) -> None:
    column = source.index("URGENT") + 1
    finding = finding_at(1, column, 1, column + len("URGENT"))

    report = text.lint_report([finding], [], sources={"t.hbs": f"{source}\nmore\n"})

    assert not RAW.search(report), repr(report)
    assert not any(line.lstrip().startswith("::") for line in report.split("\n"))
    shown, carets = report.split("\n")[2:4]
    assert shown.startswith("1 | ")
    # The carets sit under URGENT however many columns the escapes before it take.
    start = carets.index("^")
    assert shown[start : start + 6] == "URGENT" and carets[start:] == "^" * 6


def test_snippet_aligns_after_tabs_and_wide_letters() -> None:
    source = "\t日本 URGENT"
    column = source.index("URGENT") + 1
    report = text.lint_report([finding_at(1, column, 1, column + 6)], [], sources={"t.hbs": source})
    shown, carets = report.split("\n")[2:4]
    assert shown == "1 |     日本 URGENT"
    assert carets == "  | " + " " * (4 + 4 + 1) + "^" * 6  # a tab is 4 columns, each CJK letter 2


def test_snippet_of_a_span_over_lines_and_of_a_long_line() -> None:
    two = text.lint_report([finding_at(1, 3, 2, 4)], [], sources={"t.hbs": "ab URGENT\nnow hurry\n"})
    assert two.split("\n")[1:6] == ["  |", "1 | ab URGENT", "  |   ^^^^^^^", "2 | now hurry", "  | ^^^"]

    long_line = "x" * 150 + " URGENT " + "y" * 150
    column = long_line.index("URGENT") + 1
    report = text.lint_report([finding_at(1, column, 1, column + 6)], [], sources={"t.hbs": long_line})
    shown, carets = report.split("\n")[2:4]
    assert shown.startswith("1 | ...") and shown.endswith("...")
    assert len(shown) < 130
    start = carets.index("^")
    assert shown[start : start + 6] == "URGENT"


def test_no_snippet_without_the_source_or_outside_it() -> None:
    finding = finding_at(9, 1, 9, 2)
    assert text.lint_report([finding], []).split("\n") == [
        "t.hbs:9:1: SG301 urgent [block]",
        "Found 1 finding (1 block).",
    ]
    beyond = text.lint_report([finding], [], sources={"t.hbs": "one line\n"})
    assert beyond.split("\n")[0:2] == ["t.hbs:9:1: SG301 urgent [block]", "Found 1 finding (1 block)."]


def test_quiet_text_keeps_the_snippets_and_drops_the_total(repo: Path, capsys) -> None:
    _, out = lint(capsys, "emails/broken.hbs", "--quiet")
    assert "1 | Hello {{#if x}}there." in out and "Found " not in out


def test_findings_from_an_ses_json_file_show_the_json_line(capsys, monkeypatch) -> None:
    data = Path(__file__).parent / "data" / "lint"
    monkeypatch.chdir(data)
    main(["lint", "ses-v2.json"])
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith("ses-v2.json:5:51: SG103 ")
    assert out[2].startswith('5 |         "Text": "Hello,')
    assert out[3] == "  | " + " " * 50 + "^" * len("[Product Name]")
