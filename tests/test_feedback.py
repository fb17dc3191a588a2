"""The feedback loop: SES complaints and bounces and app unsubscribes become ledger events
that the next check sees (moto DynamoDB in-process)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws

from functions import aws
from functions.feedback import app as feedback
from functions.ledger import read_recent
from functions.local import LocalContext
from linters.engine import check
from linters.models import parse_request
from tests.conftest import create_table, make_request, rules_of

EVENTS = Path(__file__).resolve().parent.parent / "events"
CONTEXT = LocalContext(function_name="sendguard-feedback")
NOW = "2026-11-20T15:00:00Z"
MAGGIE = "maggie.okafor@example.com"  # the complainant in events/ses-complaint.json
ARTHUR = "arthur.pendleton@example.com"  # the unsubscriber in events/unsubscribe.json

CATALOGUE = {
    "subject": "The autumn catalogue is out",
    "text": "Our autumn catalogue is out: wool coats, rain boots and new scarves.\n\n"
    "Browse it at https://northwind.example/autumn\n\nNorthwind",
}
RECEIPT = {
    "subject": "Your Northwind receipt, order 1042",
    "text": "Order 1042: one wool coat, 89.00 GBP, paid by card ending 4242.\n\n"
    "Questions? Reply to this email and a person on our team will answer.\n\nNorthwind",
}


def load(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture
def ledger(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("LEDGER_TABLE", "sendguard-ledger")
    aws.reset()
    with mock_aws():
        table = create_table("LedgerTable", "sendguard-ledger")
        yield table
    aws.reset()


def judge_from_ledger(table: Any, customer: dict[str, Any], template: dict[str, Any], **fields: Any) -> Any:
    """What the guard does: history and events from the ledger, then the engine."""
    raw = make_request(template, customer=customer, **fields)
    request = parse_request(raw)
    contacts, events = read_recent(table, request.to, request.now)
    request.history = contacts
    request.events = [*request.events, *events]
    return check(request)


def test_complaint_blocks_the_next_marketing_email(ledger: Any, regular: dict[str, Any]) -> None:
    before = judge_from_ledger(ledger, regular, CATALOGUE, to=MAGGIE, now=NOW)
    assert "SG601" not in rules_of(before)
    assert before.decision != "block"

    outcome = feedback.handler(load("ses-complaint.json"), CONTEXT)

    assert outcome == {
        "written": 1,
        "duplicates": 0,
        "skipped": 0,
        "unguarded": 0,
        "guarded": 0,
        "errors": [],
    }
    after = judge_from_ledger(ledger, regular, CATALOGUE, to=MAGGIE, now=NOW)
    assert "SG601" in rules_of(after)
    assert after.decision == "block"


def test_complaint_on_email_leaves_an_sms_receipt_alone(ledger: Any, regular: dict[str, Any]) -> None:
    feedback.handler(load("ses-complaint.json"), CONTEXT)
    receipt = judge_from_ledger(
        ledger,
        regular,
        {"text": "Northwind: order 1042 has shipped. Track it at https://northwind.example/t/1042"},
        to=MAGGIE,
        channel="sms",
        purpose="transactional",
        now="2026-11-20T12:00:00Z",  # midday in London: outside quiet hours
    )
    assert "SG601" not in rules_of(receipt)
    assert receipt.sendable


def test_unsubscribe_stops_marketing_but_a_receipt_still_goes_out(
    ledger: Any, regular: dict[str, Any]
) -> None:
    outcome = feedback.handler(load("unsubscribe.json"), CONTEXT)
    assert outcome["written"] == 1

    campaign = judge_from_ledger(ledger, regular, CATALOGUE, to=ARTHUR, now=NOW)
    receipt = judge_from_ledger(ledger, regular, RECEIPT, to=ARTHUR, purpose="transactional", now=NOW)

    assert "SG601" in rules_of(campaign)
    assert campaign.decision == "block"
    assert "SG601" not in rules_of(receipt)
    assert receipt.sendable


def test_the_ledger_holds_the_event_the_rules_read(ledger: Any) -> None:
    feedback.handler(load("ses-complaint.json"), CONTEXT)
    feedback.handler(load("ses-bounce.json"), CONTEXT)

    _, maggie = read_recent(ledger, MAGGIE, parse_request(make_request(now=NOW)).now)
    _, gone = read_recent(ledger, "GONE@example.com", parse_request(make_request(now=NOW)).now)

    assert [(e.type, e.channel) for e in maggie] == [("complaint", "email")]
    assert [(e.type, e.bounce_type) for e in gone] == [("bounce", "permanent")]


def test_a_redelivered_notification_is_written_once(ledger: Any) -> None:
    first = feedback.handler(load("ses-complaint.json"), CONTEXT)
    again = feedback.handler(load("ses-complaint.json"), CONTEXT)

    assert (first["written"], again["written"], again["duplicates"]) == (1, 0, 1)
    assert len(ledger.scan()["Items"]) == 1


def test_a_transient_bounce_is_not_suppression(ledger: Any) -> None:
    event = load("ses-bounce.json")
    notification = json.loads(event["Records"][0]["Sns"]["Message"])
    notification["bounce"]["bounceType"] = "Transient"
    notification["bounce"]["bounceSubType"] = "MailboxFull"
    event["Records"][0]["Sns"]["Message"] = json.dumps(notification)

    assert feedback.handler(event, CONTEXT) == {
        "written": 0,
        "duplicates": 0,
        "skipped": 1,
        "unguarded": 0,
        "guarded": 0,
        "errors": [],
    }
    assert ledger.scan()["Items"] == []


def test_identity_notifications_are_read_like_event_publishing(ledger: Any) -> None:
    # Identity-level notifications say "notificationType" where configuration sets say "eventType".
    event = load("ses-complaint.json")
    notification = json.loads(event["Records"][0]["Sns"]["Message"])
    notification["notificationType"] = notification.pop("eventType")
    event["Records"][0]["Sns"]["Message"] = json.dumps(notification)

    assert feedback.handler(event, CONTEXT)["written"] == 1


def test_deliveries_and_opens_are_ignored(ledger: Any) -> None:
    event = load("ses-complaint.json")
    event["Records"][0]["Sns"]["Message"] = json.dumps({"eventType": "Open", "open": {}, "mail": {}})

    assert feedback.handler(event, CONTEXT)["skipped"] == 1
    assert ledger.scan()["Items"] == []


def test_an_unsubscribe_published_to_the_topic_is_accepted(ledger: Any) -> None:
    event = load("ses-complaint.json")
    event["Records"][0]["Sns"]["Message"] = json.dumps(load("unsubscribe.json"))

    assert feedback.handler(event, CONTEXT)["written"] == 1


def test_an_unsubscribe_without_a_time_is_stamped_now(ledger: Any) -> None:
    body = {"type": "unsubscribe", "to": "someone@example.com", "channel": "sms"}
    feedback.handler(body, CONTEXT)

    item = ledger.scan()["Items"][0]
    record = json.loads(item["record"])
    assert (record["type"], record["channel"], record["purpose"]) == ("unsubscribe", "sms", "marketing")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "unsubscribe", "to": "a@example.com"}, "channel"),
        ({"type": "unsubscribe", "to": "a@example.com", "channel": "fax"}, "channel"),
        ({"type": "unsubscribe", "to": "a@example.com", "channel": "email", "reason": "x"}, "reason"),
        ({"type": "unsubscribe", "to": "a@example.com", "channel": "email", "at": "yesterday"}, "at"),
        ({"hello": "world"}, "type"),
    ],
)
def test_a_malformed_message_is_reported_by_field(ledger: Any, body: dict[str, Any], field: str) -> None:
    outcome = feedback.handler(body, CONTEXT)

    assert outcome["written"] == 0
    assert len(outcome["errors"]) == 1
    assert outcome["errors"][0].startswith(f"event: {field}")


def test_one_bad_record_does_not_stop_the_others(ledger: Any) -> None:
    event = load("ses-complaint.json")
    broken = copy.deepcopy(event["Records"][0])
    broken["Sns"]["Message"] = "{not json"
    event["Records"].insert(0, broken)

    outcome = feedback.handler(event, CONTEXT)

    assert outcome["written"] == 1
    assert outcome["errors"] == [
        "Records[0]: Sns.Message: not valid JSON: Expecting property name enclosed in double quotes"
    ]


def test_without_a_ledger_table_the_function_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.delenv("LEDGER_TABLE", raising=False)
    aws.reset()
    with pytest.raises(RuntimeError, match="LEDGER_TABLE"):
        feedback.handler(load("unsubscribe.json"), CONTEXT)


def test_the_demo_shows_the_loop_on_a_moto_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from moto.server import ThreadedMotoServer

    from scripts.demo_loop import show_feedback_loop

    for name in ("AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "us-east-1" if name == "AWS_DEFAULT_REGION" else "testing")
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client("dynamodb", endpoint_url=endpoint).create_table(
            TableName="sendguard-ledger",
            KeySchema=[
                {"AttributeName": "recipient", "KeyType": "HASH"},
                {"AttributeName": "at", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": "recipient", "AttributeType": "S"},
                {"AttributeName": "at", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
        show_feedback_loop(endpoint)
    finally:
        server.stop()

    lines = capsys.readouterr().out.splitlines()
    before = next(line for line in lines if "before:" in line)
    after = next(line for line in lines if "after:" in line)
    assert "block" not in before
    assert "block" in after and "SG601" in after


# --- suppression does not expire ---------------------------------------------------------


def test_a_complaint_200_days_old_still_blocks_marketing(ledger: Any, regular: dict[str, Any]) -> None:
    from functions.ledger import put_event
    from linters.models import Event

    long_ago = "2026-05-04T10:00:00Z"  # 200 days before NOW: outside the 90-day window
    put_event(ledger, MAGGIE, Event(type="complaint", at=long_ago, channel="email"))

    [item] = ledger.scan()["Items"]
    after = judge_from_ledger(ledger, regular, CATALOGUE, to=MAGGIE, now=NOW)

    assert "ttl" not in item  # DynamoDB never expires it
    assert "SG601" in rules_of(after)
    assert after.decision == "block"


def test_old_suppression_is_read_but_other_old_rows_are_not(ledger: Any) -> None:
    from functions.ledger import put_contact, put_event
    from linters.models import Contact, Event

    old = "2026-03-01T09:00:00Z"  # well outside the window; moto does not expire rows
    put_event(ledger, ARTHUR, Event(type="unsubscribe", at=old, channel="email", purpose="marketing"))
    put_event(ledger, ARTHUR, Event(type="bounce", at=old, channel="email", bounce_type="transient"))
    put_event(ledger, ARTHUR, Event(type="site_visit", at=old))
    put_contact(ledger, ARTHUR, Contact(at=old, channel="email", campaign="spring", purpose="marketing"))
    put_event(ledger, ARTHUR, Event(type="login", at="2026-11-18T09:00:00Z"))

    contacts, events = read_recent(ledger, ARTHUR, parse_request(make_request(now=NOW)).now)

    assert contacts == []
    assert [e.type for e in events] == ["unsubscribe", "login"]
    ttl = {
        json.loads(i["record"])["type"]: "ttl" in i for i in ledger.scan()["Items"] if i["kind"] == "event"
    }
    assert ttl == {"unsubscribe": False, "bounce": True, "site_visit": True, "login": True}


def test_invoke_feedback_on_embedded_moto(capsys: pytest.CaptureFixture[str]) -> None:
    """`sendguard invoke feedback events/ses-complaint.json`: template.yaml's resources on a
    moto server, the handler run with FeedbackFunction's environment."""
    import argparse

    from functions import local

    args = argparse.Namespace(
        function="feedback",
        event=str(EVENTS / "ses-complaint.json"),
        endpoint=None,
        customers=str(EVENTS / "customers.jsonl"),
        history=str(EVENTS / "history.jsonl"),
    )
    exit_code = local.run(args)

    out = capsys.readouterr().out
    assert exit_code == local.EXIT_OK
    assert '"written": 1' in out


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({"Records": "not a list"}, "event: Records: expected a list of SNS records"),
        ({"Records": [{"EventSource": "aws:sqs", "body": "{}"}]}, "Records[0]: Sns.Message: missing"),
        ({"Records": [{"Sns": {"Message": 42}}]}, "Records[0]: Sns.Message: not valid JSON: not text"),
    ],
)
def test_records_that_are_not_sns_messages_are_reported(
    ledger: Any, event: dict[str, Any], error: str
) -> None:
    outcome = feedback.handler(event, CONTEXT)

    assert outcome["written"] == 0
    assert [e.split(" (")[0] for e in outcome["errors"]] == [error]
