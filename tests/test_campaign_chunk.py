"""The campaign preflight Lambdas on moto S3, and the state machine that runs them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from functions import aws, local
from functions.campaign_chunk import app
from linters.campaign import Campaign, CampaignTemplate
from linters.engine import check
from linters.models import parse_request

ROOT = Path(__file__).resolve().parent.parent
BUCKET = "sendguard-campaigns"
NOW = "2026-11-20T15:00:00Z"
TEMPLATE = """---
channel: email
purpose: marketing
subject: "{{first_name}}, the winter sale starts today"
---
Hi {{first_name}},

As one of our most valued customers, you get early access to the {{collection}} sale.

Questions? Reply to this email and a person on our team will answer.
"""
RECIPIENTS = [
    {
        "id": "c1",
        "to": "ana@example.com",
        "customer": {"first_name": "Ana", "tier": "gold", "consent": {"email_marketing": True}},
        "data": {"first_name": "Ana", "collection": "Harbour"},
    },
    {
        "id": "c2",
        "to": "lee@example.com",
        "customer": {"first_name": "Lee", "purchase_count": 0, "consent": {"email_marketing": False}},
        "data": {"first_name": "Lee", "collection": "Harbour"},
    },
    {"id": "c3", "to": "x@example.com", "customer": {"purchase_count": "many"}},
]


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("POLICY_PARAMETER", raising=False)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    aws.reset()
    app._campaigns.clear()
    with mock_aws():
        client = aws.client("s3")
        client.create_bucket(Bucket=BUCKET)
        client.put_object(Bucket=BUCKET, Key="templates/winter.hbs", Body=TEMPLATE.encode())
        yield client
    aws.reset()


def _batch_event(items: list[Any], fmt: str = "jsonl") -> dict[str, Any]:
    return {
        "Items": items,
        "BatchInput": {
            "template": {"bucket": BUCKET, "key": "templates/winter.hbs"},
            "output": {"bucket": BUCKET, "prefix": "runs/winter"},
            "now": NOW,
            "format": fmt,
        },
    }


def _verdicts(s3, key: str) -> list[dict[str, Any]]:
    body = s3.get_object(Bucket=BUCKET, Key=key)["Body"].read().decode()
    return [json.loads(line) for line in body.splitlines()]


def test_chunk_judges_each_recipient_like_check_and_writes_verdicts(s3) -> None:
    tally = app.chunk_handler(_batch_event(RECIPIENTS), None)
    verdicts = _verdicts(s3, tally["verdicts"])
    assert [v.get("id") for v in verdicts] == ["c1", "c2", "c3"]
    template = {
        "subject": "{{first_name}}, the winter sale starts today",
        "text": TEMPLATE.split("---\n", 2)[2],
    }
    for recipient, verdict in zip(RECIPIENTS[:2], verdicts, strict=False):
        request = parse_request(
            {**recipient, "channel": "email", "purpose": "marketing", "template": template, "now": NOW}
        )
        expected = check(request)
        assert verdict["decision"] == expected.decision
        assert verdict["rules"] == sorted({f.rule for f in expected.findings})
    assert verdicts[1]["decision"] == "block" and "SG602" in verdicts[1]["rules"]
    assert verdicts[2] == {
        "line": 3,
        "id": "c3",
        "error": verdicts[2]["error"],
        "field": "customer.purchase_count",
    }
    assert tally["recipients"] == 3
    assert tally["decisions"] == {"allow": 1, "block": 1, "error": 1}
    assert tally["stopped"] == [{"id": "c2", "decision": "block", "rules": verdicts[1]["rules"]}]


def test_a_retried_batch_overwrites_its_own_file(s3) -> None:
    first = app.chunk_handler(_batch_event(RECIPIENTS), None)
    again = app.chunk_handler(_batch_event(RECIPIENTS), None)
    assert first["verdicts"] == again["verdicts"]
    listed = s3.list_objects_v2(Bucket=BUCKET, Prefix="runs/winter/verdicts/")["Contents"]
    assert len(listed) == 1


def test_an_edited_template_is_read_again(s3) -> None:
    assert (
        "SG201"
        in _verdicts(s3, app.chunk_handler(_batch_event(RECIPIENTS[1:2]), None)["verdicts"])[0]["rules"]
    )
    plain = TEMPLATE.replace("As one of our most valued customers, you", "You")
    s3.put_object(Bucket=BUCKET, Key="templates/winter.hbs", Body=plain.encode())
    assert (
        "SG201"
        not in _verdicts(s3, app.chunk_handler(_batch_event(RECIPIENTS[1:2]), None)["verdicts"])[0]["rules"]
    )


def test_csv_rows_from_the_item_reader(s3) -> None:
    rows = [
        {
            "id": "r1",
            "to": "ana@example.com",
            "customer.first_name": "Ana",
            "customer.consent.email_marketing": "false",
            "data.first_name": "Ana",
            "data.collection": "Harbour",
            "history": "",
        },
        {"id": "r2", "to": "b@example.com", "customer.first_name": "Bo", "history": "[oops"},
    ]
    tally = app.chunk_handler(_batch_event(rows, "csv"), None)
    verdicts = _verdicts(s3, tally["verdicts"])
    assert verdicts[0]["id"] == "r1" and "SG602" in verdicts[0]["rules"]
    assert verdicts[1]["field"] == "history"


def test_a_bad_batch_input_is_refused(s3) -> None:
    event = _batch_event(RECIPIENTS)
    del event["BatchInput"]["output"]
    with pytest.raises(ValueError, match="BatchInput"):
        app.chunk_handler(event, None)


def test_summary_sums_the_result_writer_files(s3) -> None:
    tallies = [app.chunk_handler(_batch_event(RECIPIENTS[i : i + 2]), None) for i in (0, 1)]
    # What a Distributed Map's ResultWriter stores: a manifest and files of child results.
    results = [{"Status": "SUCCEEDED", "Output": json.dumps(t)} for t in tallies]
    s3.put_object(Bucket=BUCKET, Key="runs/winter/map/SUCCEEDED_0.json", Body=json.dumps(results).encode())
    failed = [{"Status": "FAILED", "Error": "States.Timeout", "Cause": "the batch timed out"}]
    s3.put_object(Bucket=BUCKET, Key="runs/winter/map/FAILED_0.json", Body=json.dumps(failed).encode())
    manifest = {
        "DestinationBucket": BUCKET,
        "MapRunArn": "arn:aws:states:us-east-1:123456789012:mapRun:campaign/run:1",
        "ResultFiles": {
            "FAILED": [{"Key": "runs/winter/map/FAILED_0.json", "Size": 100}],
            "PENDING": [],
            "SUCCEEDED": [{"Key": "runs/winter/map/SUCCEEDED_0.json", "Size": 1000}],
        },
    }
    s3.put_object(Bucket=BUCKET, Key="runs/winter/map/manifest.json", Body=json.dumps(manifest).encode())
    event = {
        "ResultWriterDetails": {"Bucket": BUCKET, "Key": "runs/winter/map/manifest.json"},
        "output": {"bucket": BUCKET, "prefix": "runs/winter"},
    }
    answer = app.summary_handler(event, None)
    summary = json.loads(s3.get_object(Bucket=BUCKET, Key="runs/winter/summary.json")["Body"].read())
    assert answer["summary"] == f"s3://{BUCKET}/runs/winter/summary.json"
    assert summary["recipients"] == 4
    assert summary["decisions"] == {"allow": 1, "block": 2, "error": 1}
    assert summary["failed_batches"] == [
        {"status": "FAILED", "error": "States.Timeout", "cause": "the batch timed out"}
    ]
    assert answer["failed_batches"] == 1


def test_the_campaign_path_is_the_one_preflight_uses() -> None:
    template = CampaignTemplate({"text": "Hi {{first_name}}"}, {"channel": "email"})
    assert isinstance(app._verdict(Campaign(template), 1, RECIPIENTS[0], "jsonl").decision, str)


def test_state_machine_is_a_distributed_map_over_s3() -> None:
    resources = local.load_template(ROOT / "template.yaml")["Resources"]
    machine = resources["CampaignPreflightStateMachine"]["Properties"]
    states = machine["Definition"]["States"]
    for name, input_type in (("JudgeJsonl", "JSONL"), ("JudgeCsv", "CSV")):
        judge = states[name]
        assert judge["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
        assert judge["ItemReader"]["ReaderConfig"]["InputType"] == input_type
        assert judge["ItemReader"]["Resource"] == "arn:aws:states:::s3:getObject"
        assert judge["ItemBatcher"]["MaxInputBytesPerBatch"] <= 262144
        assert judge["ResultWriter"]["Resource"] == "arn:aws:states:::s3:putObject"
        assert judge["Next"] == "Summarize"
        task = judge["ItemProcessor"]["States"]["JudgeBatch"]
        assert task["Parameters"]["FunctionName"] == "${ChunkFunctionArn}"
    assert machine["DefinitionSubstitutions"]["ChunkFunctionArn"] == {
        "Fn::GetAtt": ["CampaignChunkFunction", "Arn"]
    }
    handlers = {
        resources[name]["Properties"]["Handler"]
        for name in ("CampaignChunkFunction", "CampaignSummaryFunction")
    }
    assert handlers == {
        "functions.campaign_chunk.app.chunk_handler",
        "functions.campaign_chunk.app.summary_handler",
    }
