"""`sendguard check`, `rule` and `schema` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sendguard._entry import main
from tests.conftest import make_request

REQUESTS = Path(__file__).resolve().parent.parent / "events" / "requests"


def write(tmp_path: Path, name: str, content: str | bytes) -> str:
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return str(path)


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


CLEAN = make_request(
    {
        "subject": "Pruning season",
        "text": "Hi Ana,\n\nPrune apple trees in December. Questions? Reply to this email.",
    },
    customer={"first_name": "Ana", "consent": {"email_marketing": True}},
)
URGENT = make_request(
    {"subject": "URGENT for you", "text": "Dear Current Resident,\n\nRates rise Friday."}, id="urgent-1"
)


def test_clean_message_exits_zero_with_a_short_report(tmp_path, capsys):
    code, out, _ = run(capsys, "check", write(tmp_path, "clean.json", json.dumps(CLEAN)))
    assert code == 0
    assert "test-1: ALLOW" in out


def test_blocked_message_exits_one(tmp_path, capsys):
    code, out, _ = run(capsys, "check", write(tmp_path, "urgent.json", json.dumps(URGENT)))
    assert code == 1
    assert "urgent-1: BLOCK" in out and "SG301" in out


def test_json_format_is_one_object_per_request_in_input_order(tmp_path, capsys):
    lines = "\n".join(json.dumps(r) for r in (URGENT, CLEAN))
    code, out, _ = run(capsys, "check", "--format", "json", write(tmp_path, "two.jsonl", lines))
    results = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in results] == ["urgent-1", "test-1"]
    assert set(results[0]) >= {"id", "decision", "findings", "message"}
    finding = results[0]["findings"][0]
    assert set(finding) >= {"rule", "name", "action", "message", "part", "start", "end", "excerpt", "fix"}
    assert results[1]["message"]["subject"] == "Pruning season"
    assert code == 1


def test_a_malformed_file_among_many_is_named_and_the_rest_are_checked(tmp_path, capsys):
    good = write(tmp_path, "good.json", json.dumps(CLEAN))
    typo = write(tmp_path, "typo.json", json.dumps(dict(CLEAN, cusomer={})))
    broken = write(tmp_path, "broken.json", '{"id": "x", ')
    latin1 = write(tmp_path, "latin1.json", json.dumps(CLEAN).replace("Ana", "Ana\u00e9").encode("latin-1"))
    code, out, err = run(capsys, "check", typo, good, broken, latin1, str(tmp_path / "missing.json"))
    assert code == 2
    assert "test-1: ALLOW" in out
    assert f"{typo}: error: cusomer: unknown field" in err
    assert f"{broken}: error: not valid JSON" in err
    assert f"{latin1}: error: not UTF-8" in err
    assert "missing.json: error: no such file" in err
    assert "Traceback" not in err


def test_unclosed_if_is_an_input_error_not_a_traceback(tmp_path, capsys):
    request = make_request({"text": "Hi {{#if first_name}}{{first_name}}"})
    code, _, err = run(capsys, "check", write(tmp_path, "bad.json", json.dumps(request)))
    assert code == 2
    assert "template.text" in err and "never closed" in err


def test_one_megabyte_body_is_an_input_error(tmp_path, capsys):
    request = make_request({"text": "x" * (1024 * 1024)})
    code, _, err = run(capsys, "check", write(tmp_path, "big.json", json.dumps(request)))
    assert code == 2
    assert "template.text" in err


def test_stdin(monkeypatch, capsys):
    import io
    import sys

    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(json.dumps(CLEAN).encode())))
    code, out, _ = run(capsys, "check", "-")
    assert code == 0 and "ALLOW" in out


def test_text_report_shows_a_rewrite_as_a_diff(tmp_path, capsys):
    request = make_request(
        {"subject": "Spring range", "text": "Hi {{first_name}},\n\nThe spring range is here."},
        data={"first_name": "Margaret"},
        customer={"first_name": "Margaret", "preferred_name": "Maggie", "consent": {"email_marketing": True}},
    )
    code, out, _ = run(capsys, "check", write(tmp_path, "r.json", json.dumps(request)))
    assert code == 0
    assert "REWRITE" in out
    assert "-Hi Margaret," in out and "+Hi Maggie," in out


def test_policy_file_changes_the_decision(tmp_path, capsys):
    policy = write(tmp_path, "sendguard.toml", '[rules]\nSG301 = "warn"\n')
    code, out, _ = run(capsys, "check", "--policy", policy, write(tmp_path, "u.json", json.dumps(URGENT)))
    assert code == 0 and "SG301 urgency-to-generic [warn]" in out


def test_bad_policy_file_is_named(tmp_path, capsys):
    policy = write(tmp_path, "sendguard.toml", '[rules]\nSG999 = "warn"\n')
    code, _, err = run(capsys, "check", "--policy", policy, write(tmp_path, "u.json", json.dumps(URGENT)))
    assert code == 2 and "SG999" in err


def test_customers_file_and_templates_folder(tmp_path, capsys):
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "winter.json").write_text(
        json.dumps(
            {
                "Template": {
                    "TemplateName": "winter",
                    "SubjectPart": "Winter",
                    "TextPart": "Hi {{name}}, coats are in.",
                }
            }
        )
    )
    customers = write(
        tmp_path,
        "customers.jsonl",
        json.dumps({"customer_id": "c-9", "first_name": "Ana", "consent": {"email_marketing": True}}),
    )
    request = make_request({"name": "winter"}, customer_id="c-9", data={"name": "Ana"})
    args = ["check", "--format", "json", "--customers", customers, "--templates", str(tmp_path / "templates")]
    code, out, _ = run(capsys, *args, write(tmp_path, "r.json", json.dumps(request)))
    assert json.loads(out)["message"]["text"] == "Hi Ana, coats are in."
    assert code == 0


def test_sample_requests_all_parse_and_are_judged(capsys):
    files = sorted(str(p) for p in REQUESTS.glob("*.json"))
    assert len(files) >= 12
    code, out, err = run(capsys, "check", "--format", "json", *files)
    assert err == ""
    decisions = {json.loads(line)["decision"] for line in out.splitlines()}
    assert decisions >= {"allow", "rewrite", "block"}
    assert code == 1


def test_rule_explains_a_rule_from_its_docstring(capsys):
    code, out, _ = run(capsys, "rule", "sg201")
    assert code == 0
    assert out.startswith("SG201 unearned-status")
    assert "Why it hurts" in out and "min_purchases" in out


def test_rule_all_lists_the_catalog(capsys):
    code, out, _ = run(capsys, "rule", "--all")
    ids = [line.split()[0] for line in out.splitlines()]
    assert code == 0 and ids == sorted(ids)
    assert {"SG101", "SG102", "SG103", "SG201", "SG202", "SG301"} <= set(ids)


def test_unknown_rule(capsys):
    code, _, err = run(capsys, "rule", "SG000X")
    assert code == 2 and "unknown rule" in err


def test_schema_is_json_schema(capsys):
    code, out, _ = run(capsys, "schema")
    schema = json.loads(out)
    assert code == 0 and schema["title"] == "SendRequest"


@pytest.mark.parametrize("argv", [["check"], ["frobnicate"], []])
def test_usage_errors_exit_two(argv, capsys):
    with pytest.raises(SystemExit) as caught:
        main(argv)
    assert caught.value.code == 2


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("sendguard.toml", "[rules.SG201]\ntop_tiers = " + "[" * 500 + "]" * 500 + "\n"),
        ("sendguard.toml", "[rules]\nSG201 = " + "{a = " * 500 + "1" + "}" * 500 + "\n"),
        ("policy.json", '{"rules": {"SG201": {"top_tiers": ' + "[" * 500 + "]" * 500 + "}}}"),
        ("policy.json", "[" * 50_000 + "]" * 50_000),
    ],
)
@pytest.mark.parametrize("command", ["check", "lint", "discovered"])
def test_deeply_nested_config_is_exit_two_with_one_line_not_a_trace(
    tmp_path, capsys, monkeypatch, name, content, command
):
    monkeypatch.chdir(tmp_path)
    config = write(tmp_path, name, content)
    request = write(tmp_path, "u.json", json.dumps(URGENT))
    template = write(tmp_path, "t.hbs", "---\npurpose: marketing\n---\nHello.\n")
    if command == "check":
        argv = ["check", "--config", config, request]
    elif command == "lint":
        argv = ["lint", "--config", config, template]
    elif name == "sendguard.toml":  # found by walking up, as ruff finds its config
        argv = ["lint", template]
    else:
        pytest.skip("only sendguard.toml and pyproject.toml are discovered")

    code, out, err = run(capsys, *argv)

    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and "Traceback" not in err and "internal error" not in err
    assert name in err and "nested more than 16 levels deep" in err
