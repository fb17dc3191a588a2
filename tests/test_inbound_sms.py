"""Replies to texts (InboundSmsFunction) on moto SNS with the real path: a two-way SMS
payload is published to the stack's inbound topic, moto delivers SNS's own envelope, and
the function's SNS event carries it to the ledger. STOP and its kin suppress marketing to
the number at once; HELP is answered through the guard; nothing else is touched.

moto cannot invoke a Lambda function from a subscription without Docker, so the topic
is tapped with an SQS subscription (raw delivery off): the message on it is the
envelope SNS delivers, and the record around it is the one the Lambda SNS event source
builds."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from moto import mock_aws

from functions import aws, ledger, local
from functions.feedback import inbound_sms
from functions.local import LocalContext
from linters.engine import check
from linters.models import Channel, parse_request
from linters.vocabulary import load

CONTEXT = LocalContext(function_name="sendguard-inbound-sms")
PHONE = "+14255550182"  # the customer
OUR_NUMBER = "+12125550101"  # the stack's number they texted
HELP_TEXT = (
    "Northwind Outfitters: order help at northwind.example/help or 1-800-555-0142. Reply STOP to opt out."
)
STOP_TEXT = "Northwind Outfitters: you will get no more marketing texts from us. Order updates still arrive."

CUSTOMER = {
    "customer_id": "c-dana",
    "first_name": "Dana",
    "last_name": "Whitaker",
    "purchase_count": 4,
    "consent": {"sms_marketing": True},
    "timezone": "America/New_York",
}
SALE_TEXT = {
    "id": "boots-sale-sms",
    "channel": "sms",
    "purpose": "marketing",
    "campaign": "boots-sale",
    "from": "Northwind",
    "to": PHONE,
    "template": {
        "text": "Northwind: rain boots are 20% off this weekend. northwind.example/boots Reply STOP to opt out."
    },
    "customer": CUSTOMER,
    "now": "2026-11-20T17:00:00Z",  # noon in New York
}
SHIPPED_TEXT = {
    "id": "shipped-sms",
    "channel": "sms",
    "purpose": "transactional",
    "from": "Northwind",
    "to": PHONE,
    "template": {"text": "Northwind: order 1042 has shipped. Track it at northwind.example/t/1042"},
    "customer": CUSTOMER,
    "now": "2026-11-20T17:00:00Z",
}


class Inbound:
    """The stack's inbound topic on moto, tapped so each publish yields its Lambda event."""

    def __init__(self, stack: local.Stack) -> None:
        self.stack = stack
        self.topic = stack.refs["InboundSmsTopic"]
        sqs = aws.client("sqs")
        self.tap = sqs.create_queue(QueueName="inbound-sms-tap")["QueueUrl"]
        tap_arn = sqs.get_queue_attributes(QueueUrl=self.tap, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self.subscription = aws.client("sns").subscribe(
            TopicArn=self.topic, Protocol="sqs", Endpoint=tap_arn
        )["SubscriptionArn"]

    def event(self, body: str, topic: str | None = None, **payload: Any) -> dict[str, Any]:
        """Publish a reply (End User Messaging's payload) and return the SNS event for it."""
        message = {
            "originationNumber": PHONE,
            "destinationNumber": OUR_NUMBER,
            "messageKeyword": "KEYWORD_123456789012",
            "messageBody": body,
            "inboundMessageId": str(uuid.uuid4()),
            "previousPublishedMessageId": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            **payload,
        }
        aws.client("sns").publish(TopicArn=topic or self.topic, Message=json.dumps(message))
        received = aws.client("sqs").receive_message(QueueUrl=self.tap, MaxNumberOfMessages=1)
        [delivered] = received.get("Messages", [])
        aws.client("sqs").delete_message(QueueUrl=self.tap, ReceiptHandle=delivered["ReceiptHandle"])
        envelope = json.loads(delivered["Body"])
        return {
            "Records": [
                {
                    "EventSource": "aws:sns",
                    "EventVersion": "1.0",
                    "EventSubscriptionArn": self.subscription,
                    "Sns": envelope,
                }
            ]
        }


@pytest.fixture
def inbound(monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbound]:
    for key, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    with mock_aws():
        local._reset_clients()
        stack = local.provision()
        for key, value in stack.function_environment("InboundSmsFunction").items():
            monkeypatch.setenv(key, value)
        yield Inbound(stack)
    local._reset_clients()


def set_replies(replies: dict[str, Any]) -> None:
    from functions import lookups

    aws.client("ssm").put_parameter(
        Name="/sendguard/policy", Value=json.dumps({"replies": replies}), Type="String", Overwrite=True
    )
    lookups.reset()
    aws.ssm_parameters.cache_clear()


def events_for(number: str = PHONE) -> list[Any]:
    _, events = ledger.read_recent(aws.table(aws.LEDGER_TABLE), number, datetime.now(UTC), days=0)
    return events


def judged(request: dict[str, Any]) -> Any:
    """What the guard decides: the ledger's events for the number, then the engine."""
    parsed = parse_request(request)
    parsed.events = events_for()
    return check(parsed)


def outbox() -> list[dict[str, Any]]:
    sqs = aws.client("sqs")
    url = sqs.get_queue_url(QueueName="sendguard-outbox")["QueueUrl"]
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in found]


# --- revocation -------------------------------------------------------------------------

REVOCATIONS = [
    "STOP",
    "stop",
    "Stop.",
    " STOP ",
    "STOP!!",
    "Stop please",
    "Please stop",
    "STOP STOP",
    "Stop, thanks",
    "QUIT",
    "End",
    "REVOKE",
    "OPT OUT",
    "opt-out",
    "Opt out please",
    "optout",
    "CANCEL",
    "Unsubscribe",
    "UNSUBSCRIBE ME",
    "stopall",
    "Stop texting me",
    "stop sending me texts",
    "Please remove me",
    "Take me off your list",
    "Don’t text me",
    "ＳＴＯＰ",  # full-width letters, as some keyboards send them
]


@pytest.mark.parametrize("body", REVOCATIONS)
def test_a_revoking_reply_suppresses_marketing_to_the_number_and_the_order_text_still_goes(
    inbound: Inbound, body: str
) -> None:
    before = judged(SALE_TEXT)
    assert "SG601" not in {f.rule for f in before.findings}

    outcome = inbound_sms.handler(inbound.event(body), CONTEXT)

    assert (outcome["revoked"], outcome["written"], outcome["errors"]) == (1, 2, [])
    suppressed = {(e.type, e.channel, e.purpose) for e in events_for()}
    assert suppressed == {
        ("unsubscribe", Channel.SMS, "marketing"),
        ("unsubscribe", Channel.VOICE, "marketing"),
    }
    sale = judged(SALE_TEXT)
    assert "SG601" in {f.rule for f in sale.findings} and sale.decision == "block"
    shipped = judged(SHIPPED_TEXT)
    assert "SG601" not in {f.rule for f in shipped.findings} and shipped.sendable


NOT_REVOCATIONS = [
    "Don't stop the deals!",
    "Can I cancel my order 1042?",
    "Will you stop by the store tomorrow?",
    "The boots stopped leaking, thanks",
    "the end of the line",
    "Yes",
    "START",
    "",
    "Where is my order? It was due to arrive before the weekend and it is not here yet.",
]


@pytest.mark.parametrize("body", NOT_REVOCATIONS)
def test_an_ordinary_reply_changes_nothing(inbound: Inbound, body: str) -> None:
    outcome = inbound_sms.handler(inbound.event(body), CONTEXT)

    assert (outcome["revoked"], outcome["written"], outcome["skipped"], outcome["replies"]) == (0, 0, 1, 0)
    assert events_for() == [] and outbox() == []


def test_every_word_in_the_data_file_revokes() -> None:
    data = load("sms_replies")
    assert {"stop", "quit", "end", "revoke", "opt out", "cancel", "unsubscribe"} <= set(data["revoke"])
    for word in data["revoke"]:
        assert inbound_sms.keyword(word.upper()) == "revoke", word
    for word in data["help"]:
        assert inbound_sms.keyword(f" {word.title()}? ") == "help", word


def test_a_redelivered_stop_is_written_once(inbound: Inbound) -> None:
    event = inbound.event("STOP")

    first = inbound_sms.handler(event, CONTEXT)
    again = inbound_sms.handler(event, CONTEXT)

    assert (first["written"], again["written"], again["duplicates"]) == (2, 0, 2)
    assert len(events_for()) == 2


def test_the_revocation_is_dated_when_sns_received_the_reply(inbound: Inbound) -> None:
    event = inbound.event("STOP")
    received = datetime.fromisoformat(event["Records"][0]["Sns"]["Timestamp"].replace("Z", "+00:00"))

    inbound_sms.handler(event, CONTEXT)

    assert {e.at for e in events_for()} == {received}


# --- HELP and confirmations -----------------------------------------------------------------


def test_help_is_answered_through_the_guard_from_the_number_they_texted(
    inbound: Inbound, monkeypatch: pytest.MonkeyPatch
) -> None:
    from functions.guard import app

    set_replies({"help_text": HELP_TEXT})
    event = inbound.event("help")
    message_id = json.loads(event["Records"][0]["Sns"]["Message"])["inboundMessageId"]

    outcome = inbound_sms.handler(event, CONTEXT)

    assert (outcome["replies"], outcome["written"]) == (1, 0)
    [request] = outbox()
    assert request == {
        "id": f"sms-help-{message_id}",
        "channel": "sms",
        "purpose": "transactional",
        "trigger": "sms-help",
        "from": OUR_NUMBER,
        "to": PHONE,
        "template": {"text": HELP_TEXT},
    }
    # The guard sends it (only the guard sends), from the stack's number.
    published: list[dict[str, Any]] = []
    for key, value in inbound.stack.function_environment("GuardFunction").items():
        monkeypatch.setenv(key, value)
    app.reset()
    aws.send_client("sns").meta.events.register(
        "provide-client-params.sns.Publish", lambda params, **_: published.append(dict(params))
    )
    sqs = aws.client("sqs")
    queue = inbound.stack.refs["OutboxQueue"]
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(request))
    local.drain(queue, inbound.stack.arns["OutboxQueue"], app.lambda_handler, rounds=1)
    [sms] = [p for p in published if p.get("PhoneNumber") == PHONE]
    assert sms["Message"] == HELP_TEXT
    attributes = sms["MessageAttributes"]
    assert attributes["AWS.MM.SMS.OriginationNumber"] == {"DataType": "String", "StringValue": OUR_NUMBER}
    assert attributes["AWS.SNS.SMS.SMSType"]["StringValue"] == "Transactional"
    app.reset()


def test_help_without_a_help_text_in_the_policy_sends_nothing(inbound: Inbound) -> None:
    outcome = inbound_sms.handler(inbound.event("HELP"), CONTEXT)

    assert (outcome["replies"], outcome["errors"]) == (0, [])
    assert outbox() == []


def test_stop_is_confirmed_once_when_the_policy_has_a_confirmation(inbound: Inbound) -> None:
    set_replies({"help_text": HELP_TEXT, "stop_text": STOP_TEXT})
    event = inbound.event("Stop please")

    inbound_sms.handler(event, CONTEXT)
    inbound_sms.handler(event, CONTEXT)  # SNS delivers it again

    requests = outbox()
    assert {r["id"] for r in requests} == {requests[0]["id"]}  # the same request: the guard sends it once
    assert requests[0]["template"] == {"text": STOP_TEXT} and requests[0]["purpose"] == "transactional"
    assert len(events_for()) == 2


def test_each_number_can_have_its_own_help_text(inbound: Inbound) -> None:
    other = "Riverside Clinic: call 555-0199 to change an appointment. Reply STOP to opt out."
    set_replies({"help_text": HELP_TEXT, "by_number": {"+12125550199": {"help_text": other}}})

    inbound_sms.handler(inbound.event("INFO", destinationNumber="+12125550199"), CONTEXT)
    inbound_sms.handler(inbound.event("help"), CONTEXT)

    assert sorted(r["template"]["text"] for r in outbox()) == sorted([other, HELP_TEXT])


# --- only the stack's topic, and only well-formed payloads -------------------------------------


def test_a_stop_from_another_topic_is_refused_and_nothing_is_written(inbound: Inbound) -> None:
    other = aws.client("sns").create_topic(Name="payments-alerts")["TopicArn"]
    event = inbound.event("STOP")
    event["Records"][0]["Sns"]["TopicArn"] = other

    outcome = inbound_sms.handler(event, CONTEXT)

    assert outcome["written"] == 0
    [error] = outcome["errors"]
    assert error.startswith("Records[0]: Sns.TopicArn: not the stack's inbound SMS topic")
    assert events_for() == []


@pytest.mark.parametrize(
    ("payload", "error"),
    [
        (
            {"originationNumber": "4255550182"},
            "Records[0]: Sns.Message: originationNumber: not an E.164 phone number",
        ),
        ({"destinationNumber": None}, "Records[0]: Sns.Message: destinationNumber"),
        (
            {"messageBody": "STOP" * 500},
            "Records[0]: Sns.Message: messageBody: String should have at most 1600",
        ),
        ({"inboundMessageId": "../../etc/passwd#"}, "Records[0]: Sns.Message: inboundMessageId"),
        ({"messageBody": ["STOP"]}, "Records[0]: Sns.Message: messageBody"),
    ],
)
def test_a_malformed_payload_is_reported_by_field_and_nothing_is_written(
    inbound: Inbound, payload: dict[str, Any], error: str
) -> None:
    outcome = inbound_sms.handler(inbound.event("STOP", **payload), CONTEXT)

    assert outcome["written"] == 0
    [reported] = outcome["errors"]
    assert reported.startswith(error), reported
    assert events_for() == []


@pytest.mark.parametrize(
    ("event", "error"),
    [
        ({"originationNumber": PHONE, "messageBody": "STOP"}, "event: Records: the inbound SMS function"),
        ({"Records": [{"EventSource": "aws:sqs", "body": "STOP"}]}, 'Records[0]: EventSource: not "aws:sns"'),
        (
            {"Records": [{"EventSource": "aws:sns", "Sns": "STOP"}]},
            "Records[0]: Sns: missing or not an object",
        ),
        ([], "event: Records"),
    ],
)
def test_an_invocation_that_is_not_from_the_topic_is_refused(
    inbound: Inbound, event: Any, error: str
) -> None:
    outcome = inbound_sms.handler(event, CONTEXT)

    assert outcome["errors"][0].startswith(error)
    assert events_for() == []


def test_without_the_topic_setting_the_function_raises_so_lambda_keeps_the_event(
    inbound: Inbound, monkeypatch: pytest.MonkeyPatch
) -> None:
    event = inbound.event("STOP")
    monkeypatch.delenv("INBOUND_SMS_TOPIC_ARN")

    with pytest.raises(aws.MissingSetting, match="INBOUND_SMS_TOPIC_ARN"):
        inbound_sms.handler(event, CONTEXT)
    assert events_for() == []


# --- template.yaml ---------------------------------------------------------------------------


def test_the_template_subscribes_the_function_to_its_topic_which_only_end_user_messaging_publishes_to() -> (
    None
):
    template = local.load_template()
    resources = template["Resources"]
    function = resources["InboundSmsFunction"]["Properties"]
    assert function["Handler"] == "functions.feedback.inbound_sms.handler"
    assert function["CodeUri"] == "build/lambda/feedback"
    assert function["Environment"]["Variables"]["INBOUND_SMS_TOPIC_ARN"] == {"Ref": "InboundSmsTopic"}
    assert list(function["Events"].values()) == [
        {"Type": "SNS", "Properties": {"Topic": {"Ref": "InboundSmsTopic"}}}
    ]
    [policy] = function["Policies"]
    granted = {action for s in policy["Statement"] for action in s["Action"]}
    assert granted == {"dynamodb:Query", "dynamodb:PutItem", "sqs:SendMessage", "ssm:GetParameter"}
    statements = resources["InboundSmsTopicPolicy"]["Properties"]["PolicyDocument"]["Statement"]
    [allow] = [s for s in statements if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "sms-voice.amazonaws.com"}
    [deny] = [s for s in statements if s["Effect"] == "Deny"]
    assert (deny["Principal"], deny["Action"]) == ("*", "sns:Publish")
    assert deny["Condition"] == {"Bool": {"aws:PrincipalIsAWSService": "false"}}
    assert template["Outputs"]["InboundSmsTopicArn"]["Value"] == {"Ref": "InboundSmsTopic"}
