"""`sendguard preflight`: streamed recipients in, one verdict a recipient out, a summary."""

from __future__ import annotations

import csv
import json
import re

import pytest

from linters.campaign import MAX_RECORD_BYTES
from linters.cli import main

NOW = "2026-11-20T15:00:00Z"
# A win-back email with the footer every marketing email carries (address and opt-out, SG702).
TEMPLATE = """---
channel: email
purpose: marketing
campaign: winter-sale
subject: "{{first_name}}, the winter sale starts today"
---
Hi {{first_name}},

As one of our most valued customers, you get early access to the {{collection}} sale.
We noticed you were looking at the {{product}} last week.

Questions? Reply to this email and a person on our team will answer.

Northwind Outfitters, 12 Harbour Street, Portland, OR 97201
Unsubscribe: https://northwind-outfitters.com/unsubscribe
"""
GOLD = {
    "first_name": "Ana",
    "tier": "gold",
    "purchase_count": 40,
    "consent": {"email_marketing": True, "personalization": True},
}
RECIPIENTS = [
    {
        "id": "c1",
        "to": "ana@example.com",
        "customer": GOLD,
        "data": {"first_name": "Ana", "collection": "Harbour", "product": "Alder armchair"},
    },
    {
        "id": "c2",
        "to": "bob@example.com",
        "customer": {"first_name": "Robert", "preferred_name": "Bob", "consent": {"email_marketing": True}},
        "data": {"first_name": "Robert", "collection": "Harbour", "product": "Fell jacket"},
    },
    {"id": "c3", "to": "x@example.com", "customer": {"purchase_count": -2}, "data": {}},
    {
        "id": "c4",
        "to": "lee@example.com",
        "customer": {"first_name": "Lee", "consent": {"email_marketing": False}},
        "data": {"first_name": "Lee", "collection": "Harbour", "product": "Scarf"},
        "history": [{"at": "2026-11-20T09:00:00Z", "channel": "email"}],
    },
]


@pytest.fixture
def campaign(tmp_path):
    template = tmp_path / "winback.hbs"
    template.write_text(TEMPLATE)
    return tmp_path, template


def _write_jsonl(path, records, extra_lines=()):
    lines = [json.dumps(r) for r in records]
    lines[2:2] = extra_lines
    path.write_text("\n".join(lines) + "\n")
    return path


def _run(capsys, *args):
    code = main(["preflight", "--now", NOW, "--no-progress", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def test_json_lines_in_input_order_with_summary_and_bad_records(campaign, capsys):
    folder, template = campaign
    recipients = _write_jsonl(folder / "r.jsonl", RECIPIENTS, ["", "{not json"])
    code, out, err = _run(capsys, "--template", template, "--recipients", recipients, "--format", "json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 2  # bad records, like `check`
    assert [line.get("id") for line in lines[:-1]] == ["c1", "c2", None, "c3", "c4"]
    assert lines[0] == {"id": "c1", "decision": "allow", "rules": []}
    assert lines[1]["decision"] == "block" and {"SG101", "SG201", "SG401"} <= set(lines[1]["rules"])
    assert lines[2]["line"] == 4 and lines[2]["error"].startswith("not valid JSON")
    assert lines[3] == {
        "line": 5,
        "id": "c3",
        "error": "Input should be greater than or equal to 0",
        "field": "customer.purchase_count",
    }
    assert "SG602" in lines[4]["rules"]
    summary = lines[-1]["summary"]
    assert summary["recipients"] == 5
    assert summary["decisions"] == {"allow": 1, "block": 2, "error": 2}
    assert summary["rules"]["SG201"] == 2
    assert summary["examples"]["SG101"][0]["message"].startswith("'Robert' is not what this customer goes by")
    assert [s["id"] for s in summary["stopped"]] == ["c2", "c4"]
    assert "r.jsonl:5 (id c3): error: customer.purchase_count:" in err


def test_exit_codes(campaign, capsys):
    folder, template = campaign
    fine = _write_jsonl(folder / "fine.jsonl", [RECIPIENTS[0]] * 3)
    assert _run(capsys, "--template", template, "--recipients", fine)[0] == 0
    stopped = _write_jsonl(folder / "stopped.jsonl", [RECIPIENTS[0], RECIPIENTS[1], RECIPIENTS[0]])
    code, out, _ = _run(capsys, "--template", template, "--recipients", stopped)
    assert code == 1
    assert out.startswith("c2  block  ")
    assert "would block or hold 1 recipients" in out
    assert _run(capsys, "--template", folder / "missing.hbs", "--recipients", fine)[0] == 2


def test_csv_gives_the_same_verdicts_as_jsonl(campaign, capsys):
    folder, template = campaign
    columns = [
        "id",
        "to",
        "customer.first_name",
        "customer.preferred_name",
        "customer.tier",
        "customer.purchase_count",
        "customer.consent.email_marketing",
        "customer.consent.personalization",
        "data.first_name",
        "data.collection",
        "data.product",
        "history",
    ]
    path = folder / "r.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for r in (RECIPIENTS[0], RECIPIENTS[1], RECIPIENTS[3]):
            flat = {
                "id": r["id"],
                "to": r["to"],
                "history": json.dumps(r["history"]) if "history" in r else "",
            }
            for key, value in r["customer"].items():
                if isinstance(value, dict):
                    flat |= {f"customer.{key}.{k}": str(v).lower() for k, v in value.items()}
                else:
                    flat[f"customer.{key}"] = value
            flat |= {f"data.{k}": v for k, v in r["data"].items()}
            writer.writerow([flat.get(c, "") for c in columns])
    jsonl = _write_jsonl(folder / "same.jsonl", [RECIPIENTS[0], RECIPIENTS[1], RECIPIENTS[3]])
    _, from_csv, _ = _run(capsys, "--template", template, "--recipients", path, "--format", "json")
    _, from_jsonl, _ = _run(capsys, "--template", template, "--recipients", jsonl, "--format", "json")
    assert from_csv.splitlines()[:3] == from_jsonl.splitlines()[:3]


def test_a_spreadsheet_export_with_a_byte_order_mark(campaign, capsys):
    folder, template = campaign
    path = folder / "export.csv"
    path.write_bytes(b"\xef\xbb\xbfid,to,customer.first_name,data.first_name\nb1,b@example.com,Bo,Bo\n")
    code, out, _ = _run(capsys, "--template", template, "--recipients", path, "--format", "json")
    assert json.loads(out.splitlines()[0])["id"] == "b1"
    jsonl = folder / "export.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + json.dumps(RECIPIENTS[0]).encode() + b"\n")
    code, out, _ = _run(capsys, "--template", template, "--recipients", jsonl, "--format", "json")
    assert code == 0 and json.loads(out.splitlines()[0])["id"] == "c1"


def test_a_bad_csv_cell_names_its_column(campaign, capsys):
    folder, template = campaign
    path = folder / "bad.csv"
    path.write_text("id,to,customer.first_name,history\nb1,b@example.com,Bo,[oops\nb2,c@example.com,Cy,\n")
    code, out, _ = _run(capsys, "--template", template, "--recipients", path, "--format", "json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 2
    assert lines[0]["field"] == "history" and lines[0]["line"] == 2
    assert lines[1]["id"] == "b2"


def test_the_size_limit_is_per_record_not_per_file(campaign, capsys):
    folder, template = campaign
    huge = dict(RECIPIENTS[0], id="huge", data={"first_name": "Ana", "note": "x" * (MAX_RECORD_BYTES + 10)})
    path = _write_jsonl(folder / "r.jsonl", [RECIPIENTS[0], huge, RECIPIENTS[0]] + [RECIPIENTS[0]] * 30)
    assert path.stat().st_size > MAX_RECORD_BYTES
    _code, out, _ = _run(capsys, "--template", template, "--recipients", path, "--format", "json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines[1] == {"line": 2, "id": None, "error": "record larger than 1024 KiB", "field": None}
    assert lines[-1]["summary"]["decisions"] == {"allow": 32, "error": 1}


def test_jobs_keep_input_order(campaign, capsys, monkeypatch):
    import linters.preflight

    monkeypatch.setattr(linters.preflight, "BATCH", 3)  # many small batches across two processes
    folder, template = campaign
    records = [dict(r, id=f"{r['id']}-{i}") for i in range(8) for r in RECIPIENTS]
    path = _write_jsonl(folder / "r.jsonl", records)
    _, one, _ = _run(capsys, "--template", template, "--recipients", path, "--format", "json")
    _, two, _ = _run(capsys, "--template", template, "--recipients", path, "--format", "json", "--jobs", "2")
    assert one == two
    assert len(one.splitlines()) == len(records) + 1


def test_html_report_is_self_contained(campaign, capsys):
    folder, template = campaign
    recipients = _write_jsonl(folder / "r.jsonl", RECIPIENTS)
    report = folder / "report.html"
    code, out, _ = _run(
        capsys, "--template", template, "--recipients", recipients, "--format", "html", "--output-file", report
    )
    page = report.read_text()
    assert code == 2 and out == ""
    assert page.startswith("<!doctype html>") and "<svg" in page
    assert "SG201 unearned-status" in page and "customer.purchase_count" in page
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", page)  # no external assets
    assert "<script" not in page


def test_the_ruff_style_flags_work_as_in_check_and_lint(campaign, capsys):
    folder, template = campaign
    stopped = _write_jsonl(folder / "stopped.jsonl", [RECIPIENTS[0], RECIPIENTS[1], RECIPIENTS[0]])
    args = ("--template", template, "--recipients", stopped)
    code, out, _ = _run(capsys, *args, "--statistics")
    assert code == 1
    assert {line.split()[1] for line in out.splitlines()} >= {"SG101", "SG201"}
    code, out, _ = _run(capsys, *args, "--exit-zero", "--quiet")
    assert code == 0
    assert out.startswith("c2  block  ") and "would block" not in out
    code, out, _ = _run(capsys, *args, "--format", "json", "--ignore", "SG1,SG2,SG4")
    rules = {r for line in out.splitlines()[:-1] for r in json.loads(line)["rules"]}
    assert not {r for r in rules if r.startswith(("SG1", "SG2", "SG4"))}
    report = folder / "reports" / "nested" / "preflight.json"
    code, out, _ = _run(capsys, *args, "--format", "json", "--output-file", report)
    assert out == "" and json.loads(report.read_text().splitlines()[-1])["summary"]["recipients"] == 3
