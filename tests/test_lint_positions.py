"""Errors point at the right place, and syntax errors cannot be switched off (issue 32,
items 5 and 6): SG900 quotes file lines below front matter, front matter problems carry
their line, a misspelt request field is named with the field it resembles, a truncated
JSON request is one error, and SG900 survives every way of ignoring a rule."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from linters.documents import read_requests
from linters.lint.config import LintConfig, config_from_mapping
from linters.lint.inputs import InputError, ses_json_file, template_file, unreadable_finding
from linters.lint.linter import lint_template
from sendguard._entry import main
from tests.conftest import make_request

# An order confirmation whose {{#each}} (file line 9, body line 5) is closed by {{/if}}.
ORDER_CONFIRMATION = """\
---
name: order-confirmation
purpose: transactional
subject: "Your order {{order_id}} is confirmed"
---
{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}

Thanks for your order. Here is what we are packing:
{{#each items}}
  - {{quantity}} x {{name}}
{{/if}}

We'll email you again when it ships.
"""


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8")
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- SG900 below front matter ----------------------------------------------------------


def test_sg900_quotes_the_opener_by_its_line_in_the_file(tmp_path):
    path = write(tmp_path, "order.hbs", ORDER_CONFIRMATION)
    [finding] = lint_template(template_file(path), LintConfig())
    lines = path.read_text().splitlines()
    assert (finding.rule, finding.line, finding.column) == ("SG900", 11, 1)
    assert lines[finding.line - 1] == "{{/if}}"
    assert finding.message == "{{/if}} closes {{#each}} opened at line 9, column 1"
    assert lines[8] == "{{#each items}}"


def test_sg900_in_an_ses_json_file_quotes_the_json_file_line(tmp_path):
    html = "<p>Hello,</p>\n{{#each items}}<li>{{name}}</li>\n{{/unless}}"
    document = {"Template": {"TemplateName": "order", "SubjectPart": "Your order", "HtmlPart": html}}
    path = write(tmp_path, "order.json", json.dumps(document, indent=2))
    [finding] = lint_template(ses_json_file(path), LintConfig())
    line = path.read_text().splitlines()[4]
    assert line.lstrip().startswith('"HtmlPart"')  # the whole part is one JSON string
    assert (finding.rule, finding.line, finding.column) == ("SG900", 5, line.index("{{/unless}}") + 1)
    # "line 2, column 1" in the part; in the file, where {{#each sits in the JSON string
    assert finding.message.endswith(f"opened at line 5, column {line.index('{{#each') + 1}")


# --- front matter problems at their line -------------------------------------------------


def test_bad_yaml_is_one_line_at_the_line_it_breaks(tmp_path):
    path = write(
        tmp_path,
        "winter-sale.hbs",
        "---\npurpose: marketing\nsubject: Winter sale: 20% off\ncampaign: winter-2026\n---\nHello.\n",
    )
    with pytest.raises(InputError) as caught:
        template_file(path)
    error = caught.value
    line = path.read_text().splitlines()[2]
    assert (error.line, error.column) == (3, line.index(": 20%") + 1)  # the second colon
    assert error.detail == "front matter is not valid YAML: mapping values are not allowed here"
    assert "\n" not in str(error)


def test_an_unclosed_quote_points_at_where_the_quote_opens(tmp_path):
    path = write(tmp_path, "sale.hbs", '---\npurpose: marketing\nsubject: "Winter sale\n---\nHello.\n')
    with pytest.raises(InputError) as caught:
        template_file(path)
    assert (caught.value.line, caught.value.column) == (3, 10)


def test_a_misspelt_front_matter_key_is_at_its_line_with_a_suggestion(tmp_path):
    path = write(
        tmp_path,
        "reminder.hbs",
        "---\nname: appointment-reminder\npurpose: service\nchanel: sms\n---\nYour appointment is tomorrow.\n",
    )
    with pytest.raises(InputError) as caught:
        template_file(path)
    error = caught.value
    assert (error.line, error.column) == (4, 1)
    assert error.detail == "front matter chanel: unknown key; did you mean 'channel'?"
    assert str(error) == f"{path.as_posix()}: {error.detail} (line 4, column 1)"


def test_a_bad_front_matter_value_points_at_the_value(tmp_path):
    path = write(tmp_path, "promo.hbs", "---\nchannel: email\npurpose: marketting\n---\nNew arrivals.\n")
    with pytest.raises(InputError) as caught:
        template_file(path)
    assert (caught.value.line, caught.value.column) == (3, 10)
    assert "purpose" in caught.value.detail and "keys:" not in caught.value.detail


def test_unreadable_finding_is_at_the_problem_with_the_problem_alone(tmp_path):
    path = write(tmp_path, "reminder.hbs", "---\npurpose: service\nchanel: sms\n---\nSee you soon.\n")
    with pytest.raises(InputError) as caught:
        template_file(path)
    finding = unreadable_finding("reminder.hbs", caught.value)
    assert (finding.rule, finding.line, finding.column, str(finding.action)) == ("SG902", 3, 1, "block")
    assert finding.message == "front matter chanel: unknown key; did you mean 'channel'?"
    plain = unreadable_finding("missing.hbs", "missing.hbs: no such file or folder")
    assert (plain.line, plain.column, plain.message) == (1, 1, "no such file or folder")


def test_lint_reports_bad_front_matter_once_on_one_line(tmp_path, capsys):
    path = write(
        tmp_path,
        "winter-sale.hbs",
        "---\npurpose: marketing\nsubject: Winter sale: 20% off\n---\nHello.\n",
    )
    code, out, _ = run(capsys, "lint", str(path), "--format", "json")
    assert code == 1
    [finding] = json.loads(out)["findings"]
    assert finding["rule"] == "SG902"
    assert "\n" not in finding["message"]
    assert not finding["message"][:1].isdigit()  # no stray "4:" in front


def test_lint_puts_bad_front_matter_at_its_line(tmp_path, capsys):
    path = write(tmp_path, "reminder.hbs", "---\npurpose: service\nchanel: sms\n---\nSee you soon.\n")
    code, out, _ = run(capsys, "lint", str(path), "--format", "json")
    [finding] = json.loads(out)["findings"]
    assert (code, finding["line"], finding["column"]) == (1, 3, 1)
    assert finding["message"] == "front matter chanel: unknown key; did you mean 'channel'?"


# --- send requests: a misspelt field, a truncated file -----------------------------------


def _typo_request() -> dict:
    request = make_request({"subject": "Your table", "text": "Your table is booked for 7pm."})
    request["tempalte"] = request.pop("template")
    return request


def test_check_names_the_misspelt_field_and_suggests_the_right_one(tmp_path, capsys):
    path = tmp_path / "booking.json"
    path.write_text(json.dumps(_typo_request(), indent=2))
    code, _, err = run(capsys, "check", str(path))
    assert code == 2
    assert f"{path}: error: tempalte: unknown field; did you mean 'template'?" in err
    assert "required field is missing" not in err and "more problem" not in err


def test_check_json_output_names_the_misspelt_field(tmp_path, capsys):
    path = tmp_path / "booking.json"
    path.write_text(json.dumps(_typo_request(), indent=2))
    code, out, _ = run(capsys, "check", str(path), "--format", "json")
    assert code == 2
    assert json.loads(out) == {
        "source": str(path),
        "error": "tempalte: unknown field; did you mean 'template'?",
        "field": "tempalte",
    }


def test_a_truncated_json_request_is_one_error_at_its_line(tmp_path, capsys):
    whole = json.dumps(make_request({"subject": "Your order", "text": "It ships tomorrow."}), indent=2)
    path = tmp_path / "order.json"
    path.write_text(whole[: whole.index('"text"') + 12])  # cut inside the text string
    [source] = read_requests([str(path)])
    line = path.read_text().count("\n") + 1
    assert source.origin == str(path)
    assert source.error.startswith("not valid JSON: Unterminated string")
    assert source.error.endswith(f"(line {line}, column 13)")
    code, _, err = run(capsys, "check", str(path))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "Extra data" not in err


def test_json_lines_are_still_read_line_by_line(tmp_path):
    good = json.dumps(make_request(id="a"))
    path = tmp_path / "requests.jsonl"
    path.write_text(f"{good}\n{good[:30]}\n{json.dumps(make_request(id='c'))}\n")
    sources = list(read_requests([str(path)]))
    assert [s.origin for s in sources] == [f"{path}:1", f"{path}:2", f"{path}:3"]
    assert [s.error is None for s in sources] == [True, False, True]


def test_a_pretty_printed_array_cut_short_is_one_error(tmp_path):
    rows = json.dumps([make_request(id="a"), make_request(id="b")], indent=2)
    path = tmp_path / "batch.json"
    path.write_text("\n" + rows[:-40])
    [source] = read_requests([str(path)])
    assert source.error.startswith("not valid JSON")


# --- SG900 cannot be switched off --------------------------------------------------------


@pytest.fixture
def broken(tmp_path: Path) -> Path:
    return write(tmp_path, "order.hbs", ORDER_CONFIRMATION)


@pytest.mark.parametrize(
    "flags",
    [["--ignore", "SG9"], ["--ignore", "SG900"], ["--ignore", "ALL"], ["--select", "SG2"]],
)
def test_ignoring_sg900_on_the_command_line_still_reports_it(broken, capsys, flags):
    code, out, _ = run(capsys, "lint", str(broken), *flags)
    assert code == 1
    assert "SG900 {{/if}} closes {{#each}}" in out
    assert "All templates passed" not in out


@pytest.mark.parametrize(
    "config",
    [
        'ignore = ["SG9"]\n',
        '[lint]\nignore = ["SG900"]\n',
        'select = ["SG2"]\n',
        '[rules]\nSG900 = "off"\n',
        '[lint]\nper-file-ignores = { "*.hbs" = ["SG900"] }\n',
    ],
)
def test_ignoring_sg900_in_configuration_still_reports_it(broken, capsys, config):
    (broken.parent / "sendguard.toml").write_text(config)
    code, out, err = run(capsys, "lint", str(broken))
    assert (code, err) == (1, "")
    assert "SG900" in out and "[block]" in out


def test_a_disable_comment_cannot_hide_sg900(tmp_path, capsys):
    path = write(
        tmp_path,
        "order.hbs",
        ORDER_CONFIRMATION.replace(
            "{{#each items}}", "{{!-- sendguard-disable SG900: legacy --}}\n{{#each items}}"
        ),
    )
    code, out, _ = run(capsys, "lint", str(path))
    assert code == 1 and "SG900" in out


def test_a_disable_comment_naming_sg900_is_itself_sg901(tmp_path):
    path = write(
        tmp_path,
        "promo.hbs",
        "---\npurpose: marketing\n---\n{{!-- sendguard-disable-next-line SG900: legacy --}}\nNew arrivals.\n",
    )
    [finding] = lint_template(template_file(path), LintConfig())
    assert (finding.rule, finding.line) == ("SG901", 4)
    assert "SG900, which cannot be switched off" in finding.message


def test_sg901_cannot_be_switched_off_by_configuration():
    from linters.policy import PolicyError

    with pytest.raises(PolicyError, match="SG901 cannot be switched off"):
        config_from_mapping({"lint": {"bad_suppression": "off"}}, "sendguard.toml")
    warned = config_from_mapping({"lint": {"bad_suppression": "warn"}, "ignore": ["SG901"]}, "sendguard.toml")
    assert str(warned.lint.bad_suppression) == "warn"


def test_unreadable_input_sg902_cannot_be_ignored(tmp_path, capsys):
    code, out, _ = run(capsys, "lint", str(tmp_path / "missing.hbs"), "--ignore", "SG902")
    assert code == 1 and "SG902" in out
