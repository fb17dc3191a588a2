"""The feedback loop: SES complaints and bounces, as SNS records from the stack's feedback
topic, become ledger events that the next check sees (moto DynamoDB in-process). Anything
else (another topic, no SNS envelope, an application's unsubscribe) is refused: apps
unsubscribe through UnsubscribeFunction (tests/test_unsubscribe_entry.py)."""

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
GONE = "gone@example.com"  # the bounced address in events/ses-bounce.json
# The topic events/*.json come from: the stack "sendguard" in moto's account.
FEEDBACK_TOPIC = "arn:aws:sns:us-east-1:123456789012:sendguard-ses-feedback"
OTHER_TOPIC = "arn:aws:sns:us-east-1:123456789012:payments-alerts"

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
    monkeypatch.setenv("FEEDBACK_TOPIC_ARN", FEEDBACK_TOPIC)
    aws.reset()
    with mock_aws():
        table = create_table("LedgerTable", "sendguard-ledger")
        yield table
    aws.reset()


RESET = {
    "subject": "Reset your Northwind password",
    "text": "Someone asked to reset the password of your Northwind account. If it was you, "
    "open https://northwind.example/reset/8f2c within the hour. If not, ignore this email.\n\nNorthwind",
}


def with_message(event: dict[str, Any], notification: dict[str, Any]) -> dict[str, Any]:
    """``event`` (an SNS event from events/) carrying ``notification`` instead."""
    event = copy.deepcopy(event)
    event["Records"][0]["Sns"]["Message"] = json.dumps(notification)
    return event


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


def test_a_direct_unsubscribe_is_refused_and_points_at_the_unsubscribe_entry(
    ledger: Any, regular: dict[str, Any]
) -> None:
    """The old way (apps invoked the feedback function with an unsubscribe): refused,
    nothing written, and the error names the entry to use instead."""
    outcome = feedback.handler(load("unsubscribe.json"), CONTEXT)

    assert outcome["written"] == 0
    [error] = outcome["errors"]
    assert error.startswith("event: an application unsubscribe is not accepted by the feedback function")
    assert "UnsubscribeFunction" in error and "UnsubscribeFunctionArn" in error
    assert ledger.scan()["Items"] == []
    campaign = judge_from_ledger(ledger, regular, CATALOGUE, to=ARTHUR, now=NOW)
    assert "SG601" not in rules_of(campaign)


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


def test_an_unsubscribe_published_to_the_topic_is_refused(ledger: Any) -> None:
    event = with_message(load("ses-complaint.json"), load("unsubscribe.json"))

    outcome = feedback.handler(event, CONTEXT)

    assert outcome["written"] == 0
    assert outcome["errors"][0].startswith(
        "Records[0]: Sns.Message: an application unsubscribe is not accepted"
    )
    assert ledger.scan()["Items"] == []


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"hello": "world"}, "event: Records: missing; refused"),
        ({"type": "unsubscribe", "to": "a@example.com"}, "event: an application unsubscribe is not accepted"),
        ([{"Records": []}], "event: the feedback function takes SNS records, not list"),
        ("Records", "event: the feedback function takes SNS records, not text"),
        (42, "event: the feedback function takes SNS records, not number"),
        (None, "event: the feedback function takes SNS records, not null"),
    ],
)
def test_an_invocation_without_sns_records_is_refused(ledger: Any, body: Any, error: str) -> None:
    outcome = feedback.handler(body, CONTEXT)

    assert outcome["written"] == 0
    [reported] = outcome["errors"]
    assert reported.startswith(error)


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
    monkeypatch.setenv("FEEDBACK_TOPIC_ARN", FEEDBACK_TOPIC)
    monkeypatch.delenv("LEDGER_TABLE", raising=False)
    aws.reset()
    with pytest.raises(RuntimeError, match="LEDGER_TABLE"):
        feedback.handler(load("ses-complaint.json"), CONTEXT)


def test_without_the_topic_setting_the_function_raises_so_lambda_keeps_the_event(ledger: Any) -> None:
    """A deployment mistake, never data: raised (SNS retries, then the DLQ keeps the event)
    rather than every real notification refused."""
    import os

    os.environ.pop("FEEDBACK_TOPIC_ARN")
    with pytest.raises(aws.MissingSetting, match="FEEDBACK_TOPIC_ARN"):
        feedback.handler(load("ses-complaint.json"), CONTEXT)
    assert ledger.scan()["Items"] == []


def test_the_demo_shows_the_loop_on_a_moto_server(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from moto.server import ThreadedMotoServer

    from scripts.demo_loop import show_feedback_loop

    for name in ("AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"):
        monkeypatch.setenv(name, "us-east-1" if name == "AWS_DEFAULT_REGION" else "testing")
    # The feedback function's setting (template.yaml): the demo's complaint comes from this topic.
    monkeypatch.setenv("FEEDBACK_TOPIC_ARN", FEEDBACK_TOPIC)
    # The demo names only the ledger; a customers table named by an earlier test of this
    # process is not the demo's (`make demo` runs in a process of its own).
    for name in ("CUSTOMERS_TABLE", "POLICY_PARAMETER"):
        monkeypatch.delenv(name, raising=False)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        boto3.client("dynamodb", endpoint_url=endpoint).create_table(
            TableName="sendguard-customers",
            KeySchema=[{"AttributeName": "customer_id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "customer_id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
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


def invoke_on_embedded_moto(function: str, event: str, capsys: pytest.CaptureFixture[str]) -> str:
    """`sendguard invoke FUNCTION events/EVENT`: template.yaml's resources on a moto
    server, the handler run with the function's environment; returns what it printed."""
    import argparse

    from functions import local

    args = argparse.Namespace(
        function=function,
        event=str(EVENTS / event),
        endpoint=None,
        customers=str(EVENTS / "customers.jsonl"),
        history=str(EVENTS / "history.jsonl"),
    )
    assert local.run(args) == local.EXIT_OK
    return capsys.readouterr().out


def test_invoke_feedback_on_embedded_moto(capsys: pytest.CaptureFixture[str]) -> None:
    """`sendguard invoke feedback events/ses-complaint.json`."""
    assert '"written": 1' in invoke_on_embedded_moto("feedback", "ses-complaint.json", capsys)


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({"Records": "not a list"}, "event: Records: expected a list of SNS records"),
        ({"Records": [{"EventSource": "aws:sqs", "body": "{}"}]}, 'Records[0]: EventSource: not "aws:sns"'),
        ({"Records": [["aws:sns"]]}, "Records[0]: an SNS record is an object, not list"),
        ({"Records": [{"EventSource": "aws:sns", "Sns": [1]}]}, "Records[0]: Sns: missing or not an object"),
    ],
)
def test_records_that_are_not_sns_messages_are_reported(
    ledger: Any, event: dict[str, Any], error: str
) -> None:
    outcome = feedback.handler(event, CONTEXT)

    assert outcome["written"] == 0
    assert [e.split(";")[0] for e in outcome["errors"]] == [error]


# --- only the stack's own SES notifications suppress (issue 27, item 4) ----------------------


def forged(event: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """``event`` with its first record changed: top-level keys, or ``Sns.<key>``."""
    event = copy.deepcopy(event)
    record = event["Records"][0]
    for key, value in changes.items():
        target, name = (record["Sns"], key[5:]) if key.startswith("Sns__") else (record, key)
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    return event


FORGERIES = {
    "another topic": {"Sns__TopicArn": OTHER_TOPIC, "EventSubscriptionArn": f"{OTHER_TOPIC}:1f2e"},
    "the topic of another account": {
        "Sns__TopicArn": FEEDBACK_TOPIC.replace("123456789012", "210987654321"),
        "EventSubscriptionArn": FEEDBACK_TOPIC.replace("123456789012", "210987654321") + ":1f2e",
    },
    "no TopicArn": {"Sns__TopicArn": None},
    "no EventSource": {"EventSource": None},
    "an SQS record": {"EventSource": "aws:sqs"},
    "a subscription to another topic": {"EventSubscriptionArn": f"{OTHER_TOPIC}:0b2b"},
}


@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_a_forged_permanent_bounce_writes_nothing_and_the_password_reset_still_goes(
    ledger: Any, regular: dict[str, Any], forgery: str
) -> None:
    event = forged(load("ses-bounce.json"), **FORGERIES[forgery])

    outcome = feedback.handler(event, CONTEXT)

    assert outcome["written"] == 0
    [error] = outcome["errors"]
    assert error.startswith("Records[0]: ") and "refused" in error
    assert ledger.scan()["Items"] == []
    reset = judge_from_ledger(ledger, regular, RESET, to=GONE, purpose="transactional", now=NOW)
    assert "SG601" not in rules_of(reset)
    assert reset.sendable


def test_a_bare_ses_notification_invoked_directly_writes_nothing(
    ledger: Any, regular: dict[str, Any]
) -> None:
    notification = json.loads(load("ses-bounce.json")["Records"][0]["Sns"]["Message"])

    outcome = feedback.handler(notification, CONTEXT)

    assert outcome["written"] == 0
    assert outcome["errors"][0].startswith("event: Records: missing; refused")
    reset = judge_from_ledger(ledger, regular, RESET, to=GONE, purpose="transactional", now=NOW)
    assert reset.sendable


def test_the_real_bounce_from_the_stacks_topic_suppresses_even_the_password_reset(
    ledger: Any, regular: dict[str, Any]
) -> None:
    outcome = feedback.handler(load("ses-bounce.json"), CONTEXT)

    assert (outcome["written"], outcome["errors"]) == (1, [])
    reset = judge_from_ledger(ledger, regular, RESET, to=GONE, purpose="transactional", now=NOW)
    assert "SG601" in rules_of(reset)
    assert reset.decision == "block"


def test_one_forged_record_beside_a_real_one_is_refused_alone(ledger: Any) -> None:
    real = load("ses-complaint.json")
    fake = forged(load("ses-bounce.json"), **FORGERIES["another topic"])
    event = {"Records": [fake["Records"][0], real["Records"][0]]}

    outcome = feedback.handler(event, CONTEXT)

    assert outcome["written"] == 1
    assert [e.split(":")[0] for e in outcome["errors"]] == ["Records[0]"]
    assert [i["recipient"] for i in ledger.scan()["Items"]] == [MAGGIE]


BOUNCE = json.loads(load("ses-bounce.json")["Records"][0]["Sns"]["Message"])


def bounce_with(**bounce: Any) -> dict[str, Any]:
    notification = copy.deepcopy(BOUNCE)
    notification["bounce"].update(bounce)
    return notification


@pytest.mark.parametrize(
    ("notification", "error"),
    [
        ({**BOUNCE, "mail": ["not", "an", "object"]}, "mail: Input should be a valid dictionary"),
        (
            bounce_with(bouncedRecipients=[{"emailAddress": "x" * 5000 + "@example.com"}]),
            "bounce.bouncedRecipients.0.emailAddress: an email address is at most 254 characters",
        ),
        (
            bounce_with(bouncedRecipients=[{"emailAddress": "a" * 65 + "@example.com"}]),
            "bounce.bouncedRecipients.0.emailAddress: the local part of an email address is at most 64",
        ),
        (bounce_with(bouncedRecipients=[{"emailAddress": 42}]), "bounce.bouncedRecipients.0.emailAddress"),
        (bounce_with(bouncedRecipients=[{"emailAddress": "no-at-sign"}]), "bounce.bouncedRecipients.0"),
        (bounce_with(bouncedRecipients={"emailAddress": "a@example.com"}), "bounce.bouncedRecipients"),
        (bounce_with(bouncedRecipients=[]), "bounce.bouncedRecipients"),
        (bounce_with(bouncedRecipients=[["a@example.com"]]), "bounce.bouncedRecipients.0"),
        (bounce_with(bounceType=["Permanent"]), "bounce.bounceType"),
        (bounce_with(timestamp=12), "bounce.timestamp: a time is ISO 8601 text"),
        (bounce_with(timestamp="0001-01-01T00:00:00+05:00"), "bounce.timestamp: a time between the years"),
        ({**BOUNCE, "bounce": "Permanent"}, "bounce: Input should be a valid dictionary"),
        ({**BOUNCE, "eventType": ["Bounce"]}, "eventType: an SES event type is short text"),
        ({"eventType": "Complaint", "complaint": {"complainedRecipients": [{}]}}, "complaint.complained"),
    ],
)
def test_a_malformed_notification_from_the_topic_is_listed_not_raised(
    ledger: Any, notification: dict[str, Any], error: str
) -> None:
    outcome = feedback.handler(with_message(load("ses-bounce.json"), notification), CONTEXT)

    assert outcome["written"] == 0
    [reported] = outcome["errors"]
    assert reported.startswith(f"Records[0]: {error}"), reported
    assert ledger.scan()["Items"] == []


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ("[1, 2]", "Sns.Message: an SES notification is a JSON object, not list"),
        ('"text"', "Sns.Message: an SES notification is a JSON object, not text"),
        ("{not json", "Sns.Message: not valid JSON"),
        ("[" * 100_000, "Sns.Message: not valid JSON: nested too deeply"),
        ('{"mail": {}}', "Sns.Message: not an SES notification"),
    ],
)
def test_a_message_that_is_not_a_notification_is_listed(ledger: Any, message: str, error: str) -> None:
    event = load("ses-bounce.json")
    event["Records"][0]["Sns"]["Message"] = message

    outcome = feedback.handler(event, CONTEXT)

    assert outcome["errors"][0].startswith(f"Records[0]: {error}")


def test_the_envelope_is_checked_like_powertools_sns_model(ledger: Any) -> None:
    event = forged(load("ses-bounce.json"), Sns__Type="SubscriptionConfirmation")

    outcome = feedback.handler(event, CONTEXT)

    assert outcome["errors"][0].startswith("Records[0]: Sns.Type: Input should be 'Notification'")


def test_the_template_hands_the_function_its_topic_and_only_sns_invokes_it() -> None:
    from functions import local

    template = local.load_template()
    resources = template["Resources"]
    function = resources["FeedbackFunction"]["Properties"]
    assert function["Environment"]["Variables"]["FEEDBACK_TOPIC_ARN"] == {"Ref": "SesFeedbackTopic"}
    # The SNS event source: a subscription and a resource policy for this topic alone.
    assert list(function["Events"].values()) == [
        {"Type": "SNS", "Properties": {"Topic": {"Ref": "SesFeedbackTopic"}}}
    ]
    assert not [r for r in resources.values() if r["Type"] == "AWS::Lambda::Permission"]
    # Only SES publishes to the topic: IAM principals in the account are denied.
    statements = resources["SesFeedbackTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert (deny["Principal"], deny["Action"], deny["Resource"]) == (
        "*",
        "sns:Publish",
        {"Ref": "SesFeedbackTopic"},
    )
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert deny["Condition"]["StringNotLike"] == allow["Condition"]["StringLike"]
    # Applications are pointed at the unsubscribe entry, not the feedback function.
    outputs = template["Outputs"]
    assert outputs["UnsubscribeFunctionArn"]["Value"] == {"Fn::GetAtt": ["UnsubscribeFunction", "Arn"]}
    assert "UnsubscribeFunctionArn" in outputs["FeedbackFunctionArn"]["Description"]


def test_the_local_stack_gives_the_feedback_function_the_events_topic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from functions import local

    for key, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        local._reset_clients()
        stack = local.provision()
        env = stack.function_environment("FeedbackFunction")
    local._reset_clients()
    assert env["FEEDBACK_TOPIC_ARN"] == FEEDBACK_TOPIC
