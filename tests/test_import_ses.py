"""`sendguard import-ses` writes the account's stored templates to files lint and check read."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml
from moto import mock_aws

from sendguard._entry import main as cli

WELCOME = {
    "TemplateName": "welcome",
    "SubjectPart": "Welcome to Northwind, {{first_name}}",
    "TextPart": "{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}\n\nThanks for signing up.\n",
    "HtmlPart": "<p>{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}</p><p>Thanks for signing up.</p>",
}
RESET = {
    "TemplateName": "password-reset",
    "SubjectPart": "Reset your password",
    "TextPart": "Use this link within 24 hours to reset your password: {{link}}\n",
}
CURRENT_RESIDENT = {
    "TemplateName": "promo-resident",
    "SubjectPart": "A note for you",
    "TextPart": "Dear Current Resident,\n\nAct now: this offer is just for you and ends tonight.\n",
}


@pytest.fixture
def ses(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.chdir(tmp_path)
    with mock_aws():
        client = boto3.client("ses")
        for template in (WELCOME, RESET, CURRENT_RESIDENT):
            client.create_template(Template=template)
        yield client


def front_matter(path: Path) -> tuple[dict[str, Any], str]:
    _, header, body = path.read_text().split("---\n", 2)
    return yaml.safe_load(header), body


def test_json_layout_writes_what_ses_get_template_prints(ses: Any, tmp_path: Path) -> None:
    assert cli(["import-ses", "--out", "templates"]) == 0

    written = sorted(p.name for p in (tmp_path / "templates").iterdir())
    assert written == ["password-reset.json", "promo-resident.json", "welcome.json"]
    on_disk = json.loads((tmp_path / "templates" / "welcome.json").read_text())
    assert on_disk == {"Template": ses.get_template(TemplateName="welcome")["Template"]}


def test_imported_templates_serve_check_by_name(
    ses: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cli(["import-ses", "--out", "templates"])
    request = {
        "id": "reset-1",
        "channel": "email",
        "purpose": "transactional",
        "from": "security@northwind.example",
        "to": "ada@example.com",
        "template": {"name": "password-reset"},
        "data": {"link": "https://northwind.example/r/abc"},
        "now": "2026-11-20T15:00:00Z",
    }
    (tmp_path / "request.json").write_text(json.dumps(request))
    capsys.readouterr()

    status = cli(["check", "--format", "json", "--templates", "templates", "request.json"])

    result = json.loads(capsys.readouterr().out)
    assert status == 0
    assert result["message"]["subject"] == "Reset your password"


def test_lint_reads_the_imported_files(ses: Any, capsys: pytest.CaptureFixture[str]) -> None:
    cli(["import-ses", "--out", "templates"])
    capsys.readouterr()

    status = cli(["lint", "--format", "json", "templates"])

    report = json.loads(capsys.readouterr().out)
    assert status == 1  # the current-resident promo blocks
    assert {(Path(f["path"]).name, f["rule"]) for f in report["findings"]} == {
        ("promo-resident.json", "SG301")
    }


def test_files_layout_puts_the_subject_in_front_matter_once(ses: Any, tmp_path: Path) -> None:
    assert cli(["import-ses", "--out", "templates", "--layout", "files"]) == 0

    folder = tmp_path / "templates"
    html_meta, html_body = front_matter(folder / "welcome.html")
    text_meta, text_body = front_matter(folder / "welcome.txt")
    assert html_meta == {"channel": "email", "ses_template": "welcome", "subject": WELCOME["SubjectPart"]}
    assert text_meta == {"channel": "email", "ses_template": "welcome"}
    assert (html_body, text_body) == (WELCOME["HtmlPart"], WELCOME["TextPart"])
    assert not (folder / "password-reset.html").exists()
    assert front_matter(folder / "password-reset.txt")[0]["subject"] == "Reset your password"


def test_existing_files_are_kept_unless_forced(
    ses: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "templates"
    folder.mkdir()
    (folder / "welcome.json").write_text("edited in git\n")

    assert cli(["import-ses", "--out", "templates"]) == 1
    assert (folder / "welcome.json").read_text() == "edited in git\n"
    assert "kept templates/welcome.json" in capsys.readouterr().err

    assert cli(["import-ses", "--out", "templates", "--force"]) == 0
    assert json.loads((folder / "welcome.json").read_text())["Template"]["TemplateName"] == "welcome"


def test_prefix_picks_templates_by_name(ses: Any, tmp_path: Path) -> None:
    assert cli(["import-ses", "--out", "templates", "--prefix", "pass"]) == 0

    assert [p.name for p in (tmp_path / "templates").iterdir()] == ["password-reset.json"]


def test_an_unreachable_ses_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")

    status = cli(["import-ses", "--out", str(tmp_path), "--endpoint-url", "http://127.0.0.1:9"])

    assert status == 2
    assert "cannot read SES templates" in capsys.readouterr().err
