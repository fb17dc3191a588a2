"""No output lets input drive the terminal or the GitHub runner (issue 27, item 8).

Whatever a file name, id, rule message, customer label or configuration key holds,
every format prints it with its control characters escaped, and no line of text or
github output starts with ``::`` (after the leading whitespace the runner trims)
except our own annotations.
"""

from __future__ import annotations

import dataclasses
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from linters import safe_text
from linters.campaign import Verdict
from linters.cli import main
from linters.findings import Action
from linters.formats import LINT as FORMATTERS
from linters.formats.text import preflight_summary as preflight_text
from linters.lint.findings import CustomerSummary, LintFinding
from linters.preflight_report import Summary
from tests.conftest import make_request

PAYLOADS = {
    "newline-command": "\n::error file=x::pwned",
    "stop-commands": "\r\n::stop-commands::tok",
    "leading-command": "::error file=x::pwned",
    "ansi-red": "\x1b[31m",
    "bell": "\x07",
    "carriage-return": "\r",
    "c1-csi": "\x9b31m",
    "line-separator": "\u2028::error::x",
    "bidi-override": "\u202egnp.exe",
}
# Raw characters that must never reach stdout or stderr (tab and our own newlines aside).
RAW = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# Our own annotations: "::error file=...,line=N,...::message" with escaped properties.
OUR_COMMAND = re.compile(r"::(error|warning|notice) file=[^:\s][^:]*,line=\d+[^:]*::[^\n]*")


def assert_clean(output: str, *, commands: bool = False) -> None:
    """No raw control character; no line a workflow command unless it is one of ours."""
    assert not RAW.search(output), repr(output)
    for line in output.split("\n"):
        if line.lstrip().startswith("::"):
            assert commands and OUR_COMMAND.fullmatch(line), repr(line)


def finding(**change: Any) -> LintFinding:
    base = LintFinding("SG301", "urgency-to-generic", Action.BLOCK, "urgent", "t.hbs", 2, 1, 2, 8)
    return dataclasses.replace(base, **change)


def customer_summary(**change: Any) -> CustomerSummary:
    base = CustomerSummary("t.hbs", "SG201", "unearned-status", Action.REWRITE, 1, 2, "c-1", "status claim")
    return dataclasses.replace(base, **change)


# --- the helper ----------------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_visible_is_one_line_without_controls(payload: str) -> None:
    shown = safe_text.visible(f"x{payload}y")
    assert "\n" not in shown and not RAW.search(shown)
    assert shown.startswith("x") and shown.endswith("y")


def test_visible_keeps_printable_text_and_names_each_escape() -> None:
    assert safe_text.visible("Zoë 日本 ok") == "Zoë 日本 ok"
    assert safe_text.visible("a\nb\rc\td\x1be\x07\x9bf\u2028") == "a\\nb\\rc\\td\\x1be\\x07\\x9bf\\u2028"


def test_workflow_escapes_follow_github() -> None:
    assert safe_text.workflow_data("100%\r\n::x") == "100%25%0D%0A::x"
    assert safe_text.workflow_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    assert safe_text.workflow_property("\x1b") == "\\x1b"


@pytest.mark.parametrize("text", ["\x7f", "\x85", "\x9b", "\u2028", "\u2029", "\u202e", "\x1b"])
def test_dumps_escapes_what_json_leaves_raw_and_decodes_the_same(text: str) -> None:
    dumped = safe_text.dumps({"k": f"é{text}"})
    assert not RAW.search(dumped)
    assert "é" in dumped  # ensure_ascii stays off: letters stay readable
    assert json.loads(dumped) == {"k": f"é{text}"}


@pytest.mark.parametrize("line", ["::error::x", "  ::x", "\u3000::x", "\xa0::set-output name=a::b"])
def test_a_line_never_starts_a_workflow_command(line: str) -> None:
    assert_clean(safe_text.plain_lines(f"ok\n{line}"))
    assert_clean(safe_text.error_line(line))


# --- sendguard lint: every writer, every field -------------------------------------------


FIELDS = {
    "path": lambda p: ([finding(path=f"t{p}.hbs")], []),
    "message": lambda p: ([finding(message=f"urgent{p}")], []),
    "name": lambda p: ([finding(name=f"n{p}")], []),
    "rule": lambda p: ([finding(rule=f"SG301{p}")], []),
    "summary-path": lambda p: ([], [customer_summary(path=f"t{p}.hbs")]),
    "customer-label": lambda p: ([], [customer_summary(example_customer=f"c{p}")]),
    "customer-message": lambda p: ([], [customer_summary(example_message=f"m{p}")]),
}


@pytest.mark.parametrize("fmt", FORMATTERS)
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_lint_writers_escape_every_field(fmt: str, field: str, payload: str) -> None:
    findings, summaries = FIELDS[field](payload)
    report = FORMATTERS[fmt](findings, summaries)

    assert_clean(report, commands=fmt == "github")
    if fmt == "github":
        assert len(report.split("\n")) == len(findings) + len(summaries)  # one command each
    # SARIF percent-encodes a path, and names rules from the catalog; GitLab names them by id.
    decodes = {"json": FIELDS, "sarif": ("message", "customer-label", "customer-message")}
    decodes["gitlab"] = (*decodes["sarif"], "path", "summary-path", "name")
    if field in decodes.get(fmt, ()):
        # JSON escapes, and the data decodes unchanged.
        assert any(payload in text for text in strings(json.loads(report)))
    if fmt == "junit":
        # Well-formed XML, the payload shown as visible() shows it.
        texts = xml_strings(ET.fromstring(report))
        assert any(safe_text.visible(payload) in text for text in texts)


@pytest.mark.parametrize("fmt", ["text", "junit"])
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_lint_snippets_escape_the_template_source(fmt: str, payload: str) -> None:
    from linters.handlebars import position

    source = f"{payload}URGENT{payload}\n{payload}\n"
    line, column = position(source, source.index("URGENT"))
    findings = [finding(line=line, column=column, end_line=line, end_column=column + 6)]
    report = FORMATTERS[fmt](findings, [], sources={"t.hbs": source})
    assert_clean(report)
    if fmt == "junit":
        ET.fromstring(report)
    assert f"{line} | " in report and "^^^^^^" in report


def xml_strings(element: ET.Element) -> list[str]:
    texts = [element.text or "", *element.attrib.values()]
    return texts + [text for child in element for text in xml_strings(child)]


def strings(document: Any) -> list[str]:
    if isinstance(document, dict):
        return [s for value in document.values() for s in strings(value)]
    if isinstance(document, list):
        return [s for value in document for s in strings(value)]
    return [document] if isinstance(document, str) else []


def template_named(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text(
        "---\npurpose: marketing\n---\nDear Current Resident,\n\nAct now: this offer ends tonight.\n",
        encoding="utf-8",
    )
    return path


@pytest.mark.parametrize("fmt", ["text", "github", "json", "sarif", "junit", "gitlab"])
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_lint_of_a_hostile_file_name_and_customer(
    fmt: str,
    payload: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    template_named(tmp_path, f"a{payload}.hbs")
    (tmp_path / "customers.jsonl").write_text(json.dumps({"customer_id": f"c{payload}"}) + "\n")

    status = main(["lint", "--format", fmt, "--customers", "customers.jsonl", "--color", "always", "."])
    out, err = capsys.readouterr()

    assert status == 1
    assert_clean(err)
    if fmt == "text":
        assert "SG301" in out
        # --color always paints actions, and only that: strip our colour codes first.
        out = re.sub(r"\x1b\[[0-9;]*m", "", out)
    assert_clean(out, commands=fmt == "github")
    if fmt in ("json", "sarif", "gitlab"):
        json.loads(out)
    if fmt == "gitlab":
        paths = {issue["location"]["path"] for issue in json.loads(out)}
        assert paths == {f"a{payload}.hbs"}  # escaped on the wire, exact when decoded
    if fmt == "junit":
        [suite] = ET.fromstring(out).findall("testsuite")
        assert suite.get("name") == safe_text.visible(f"a{payload}.hbs")


@pytest.mark.parametrize("fmt", ["text", "github"])
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_lint_configuration_key_errors_are_one_clean_line(
    fmt: str,
    payload: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    template_named(tmp_path, "t.hbs")
    key = json.dumps(f"SG999{payload}")  # a TOML basic string is a JSON string here
    (tmp_path / "sendguard.toml").write_text(f'[rules]\n{key} = "block"\n', encoding="utf-8")

    status = main(["lint", "--format", fmt, "t.hbs"])
    out, err = capsys.readouterr()

    assert status == 2
    assert out == ""
    assert err.count("\n") == 1 and "sendguard.toml" in err and "unknown rule id" in err
    assert_clean(err)


def test_lint_no_templates_message_is_clean(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    folder = tmp_path / "e\n::error::x\x1b"
    folder.mkdir()
    main(["lint", str(folder.name)])
    assert_clean(capsys.readouterr().err)


# --- sendguard check ------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "junit"])
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_check_report_escapes_ids_file_names_and_template_text(
    fmt: str, payload: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    request = make_request(
        {"subject": "URGENT for you", "text": f"Dear Current Resident,\n{payload}\nRates rise Friday."},
        id=f"req{payload}",
    )
    path = tmp_path / f"r{payload}.json"
    path.write_text(json.dumps(request), encoding="utf-8")

    main(["check", "--format", fmt, "--color", "always", str(path)])
    out, err = capsys.readouterr()

    if fmt == "text":
        out = re.sub(r"\x1b\[[0-9;]*m", "", out)
        assert "BLOCK" in out or "HOLD" in out or "REWRITE" in out
    elif fmt == "junit":
        [case] = ET.fromstring(out).iter("testcase")
        assert case.get("name") == safe_text.visible(f"req{payload}")
    else:
        assert json.loads(out)["id"] == f"req{payload}"
    assert_clean(out)
    assert_clean(err)


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_check_rewrite_diff_shows_template_lines_escaped(
    payload: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # The diff's context lines are the template's own: "    ::error::..." would be a command.
    request = make_request(
        {"subject": "Spring range", "text": f"Hi {{{{first_name}}}},\n{payload}\nThe spring range is here."},
        data={"first_name": "Margaret"},
        customer={"first_name": "Margaret", "preferred_name": "Maggie", "consent": {"email_marketing": True}},
    )
    path = tmp_path / "r.json"
    path.write_text(json.dumps(request), encoding="utf-8")

    main(["check", str(path)])
    out, err = capsys.readouterr()

    assert "SG101" in out  # the rewrite (a bidi override also blocks the message)
    assert ("+Hi Maggie," in out) == ("BLOCK" not in out)
    assert_clean(out)
    assert_clean(err)


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_check_input_errors_name_the_file_cleanly(
    payload: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / f"r{payload}.json"
    path.write_text("{not json", encoding="utf-8")

    assert main(["check", "--format", "json", str(path)]) == 2
    out, err = capsys.readouterr()

    assert_clean(out)
    assert_clean(err)
    assert err.count("\n") == 1


def test_a_crash_trace_is_printed_clean(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import linters.cli as cli

    def boom(args: Any) -> int:
        raise RuntimeError("bad \x1b[2J\n::error::pwned")

    monkeypatch.setattr(cli, "command_schema", boom)
    assert main(["schema"]) == 2
    err = capsys.readouterr().err
    assert "internal error" in err and "RuntimeError" in err
    assert_clean(err)


# --- preflight's text report -------------------------------------------------------------


@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_preflight_text_escapes_template_ids_and_messages(payload: str) -> None:
    summary = Summary(
        template=f"t{payload}.hbs", recipients=f"r{payload}.csv", now="2026-11-20T09:00:00+00:00"
    )
    summary.add(
        Verdict(1, f"id{payload}", "block", ("SG301",), (("SG301", f"urgent{payload}", f"ex{payload}"),))
    )

    report = preflight_text(summary)

    assert "SG301" in report
    assert_clean(report)


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize("payload", PAYLOADS.values(), ids=PAYLOADS.keys())
def test_preflight_per_recipient_lines_and_errors_are_escaped(
    tmp_path, capsys, fmt: str, payload: str
) -> None:
    from tests.test_preflight import NOW, RECIPIENTS, TEMPLATE

    template = tmp_path / "winback.hbs"
    template.write_text(TEMPLATE)
    blocked = {**RECIPIENTS[0], "id": f"c{payload}", "customer": {"consent": {"email_marketing": False}}}
    broken = {"id": f"bad{payload}", "to": 5}
    recipients = tmp_path / "r.jsonl"
    recipients.write_text("\n".join(json.dumps(r) for r in (blocked, broken)) + "\n")
    main(
        [
            "preflight",
            "--now",
            NOW,
            "--no-progress",
            "--format",
            fmt,
            "--template",
            str(template),
            "--recipients",
            str(recipients),
        ]
    )
    out, err = capsys.readouterr()
    assert_clean(out)
    assert_clean(err)
    if fmt == "json":
        ids = [
            json.loads(line).get("id")
            for line in out.splitlines()
            if '"id"' in line and "summary" not in line
        ]
        assert f"c{payload}" in ids  # escaped on the wire, exact when decoded
