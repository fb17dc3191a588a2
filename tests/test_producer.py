"""The producer client and the botocore hook put send requests on the outbox (moto SQS)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto import mock_aws
from sendguard_client import OutboxError, install_hook, send, uninstall_hook

from linters.models import parse_request

ROOT = Path(__file__).resolve().parent.parent
RECEIPT = {
    "channel": "email",
    "purpose": "transactional",
    "from": "orders@northwind.example",
    "to": "ada@example.com",
    "template": {"name": "receipt"},
    "data": {"order": "1042"},
    "customer_id": "c-1042",
}


@pytest.fixture
def outbox(monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("OUTBOX_QUEUE_URL", raising=False)
    with mock_aws():
        sqs = boto3.client("sqs")
        url = sqs.create_queue(QueueName="sendguard-outbox")["QueueUrl"]
        yield sqs, url


def queued(sqs: Any, url: str) -> list[dict[str, Any]]:
    found = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in found]


def simple_email(to: list[str], subject: str, text: str, **extra: Any) -> dict[str, Any]:
    return {
        "FromEmailAddress": "hello@northwind.example",
        "Destination": {"ToAddresses": to},
        "Content": {"Simple": {"Subject": {"Data": subject}, "Body": {"Text": {"Data": text}}}},
        **extra,
    }


# --- send() -------------------------------------------------------------------------


def test_send_puts_one_request_on_the_outbox(outbox: Any) -> None:
    sqs, url = outbox

    request_id = send(RECEIPT, queue_url=url, sqs=sqs)

    [body] = queued(sqs, url)
    assert body == {**RECEIPT, "id": request_id}
    assert parse_request(body).purpose == "transactional"


def test_send_keeps_the_callers_id(outbox: Any) -> None:
    sqs, url = outbox

    assert send({**RECEIPT, "id": "order-1042-receipt"}, queue_url=url, sqs=sqs) == "order-1042-receipt"


def test_send_reads_the_queue_from_the_environment(outbox: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    sqs, url = outbox
    monkeypatch.setenv("OUTBOX_QUEUE_URL", url)

    send(RECEIPT)

    assert len(queued(sqs, url)) == 1


def test_a_fifo_outbox_is_refused_because_the_guard_requeues_with_a_delay(outbox: Any) -> None:
    sqs, _ = outbox
    url = sqs.create_queue(QueueName="sendguard-outbox.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    with pytest.raises(OutboxError, match=r"^queue_url: the outbox is a standard queue"):
        send({**RECEIPT, "id": "r-1"}, queue_url=url, sqs=sqs)
    assert queued(sqs, url) == []


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        ({k: v for k, v in RECEIPT.items() if k != "to"}, "to"),
        ({k: v for k, v in RECEIPT.items() if k != "template"}, "template"),
        ({**RECEIPT, "channel": "fax"}, "channel"),
    ],
)
def test_send_refuses_what_the_outbox_cannot_route(outbox: Any, request_: dict[str, Any], field: str) -> None:
    sqs, url = outbox
    with pytest.raises(OutboxError, match=f"^{field}: "):
        send(request_, queue_url=url, sqs=sqs)
    assert queued(sqs, url) == []


def test_send_without_a_queue_says_how_to_name_one(outbox: Any) -> None:
    with pytest.raises(OutboxError, match="OUTBOX_QUEUE_URL"):
        send(RECEIPT)


def test_the_client_loads_neither_spacy_nor_the_engine() -> None:
    code = (
        "import sys, sendguard_client; "
        "heavy = [m for m in ('spacy', 'linters.engine', 'linters.nlp', 'pydantic') if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- the botocore hook ----------------------------------------------------------------


def test_a_plain_send_email_goes_to_the_outbox_not_to_ses(outbox: Any) -> None:
    sqs, url = outbox
    ses = boto3.client("sesv2")
    install_hook(ses, queue_url=url, sqs=sqs)

    response = ses.send_email(
        **simple_email(
            ["ada@example.com"],
            "Your order 1042 has shipped",
            "Order 1042 left our warehouse today.",
            EmailTags=[
                {"Name": "purpose", "Value": "transactional"},
                {"Name": "campaign", "Value": "orders"},
            ],
        )
    )

    [request] = queued(sqs, url)
    assert response["MessageId"] == request["id"]
    assert request == {
        "id": request["id"],
        "channel": "email",
        "purpose": "transactional",
        "campaign": "orders",
        "from": "hello@northwind.example",
        "to": "ada@example.com",
        "template": {
            "subject": "Your order 1042 has shipped",
            "text": "Order 1042 left our warehouse today.",
        },
    }
    assert parse_request(request).channel == "email"
    # SES itself never saw the call: nothing was sent from this (unverified) sender.
    assert boto3.client("ses").get_send_quota()["SentLast24Hours"] == 0


def test_without_the_hook_the_same_call_reaches_ses(outbox: Any) -> None:
    sqs, url = outbox
    hooked, plain = boto3.client("sesv2"), boto3.client("sesv2")
    install_hook(hooked, queue_url=url, sqs=sqs)

    with pytest.raises(plain.exceptions.MessageRejected):  # moto: the sender is not verified
        plain.send_email(**simple_email(["ada@example.com"], "Hi", "Hello"))
    assert queued(sqs, url) == []


def test_uninstall_restores_direct_sending(outbox: Any) -> None:
    sqs, url = outbox
    ses = boto3.client("sesv2")
    ses.create_email_identity(EmailIdentity="hello@northwind.example")
    install_hook(ses, queue_url=url, sqs=sqs)
    uninstall_hook(ses)

    ses.send_email(**simple_email(["ada@example.com"], "Hi", "Hello"))

    assert queued(sqs, url) == []


def test_a_stored_template_call_keeps_the_name_and_data(outbox: Any) -> None:
    sqs, url = outbox
    ses = boto3.client("sesv2")
    install_hook(ses, queue_url=url, sqs=sqs, defaults={"purpose": "marketing", "campaign": "autumn"})

    ses.send_email(
        FromEmailAddress="hello@northwind.example",
        Destination={"ToAddresses": ["ada@example.com"]},
        Content={"Template": {"TemplateName": "autumn-sale", "TemplateData": '{"first_name": "Ada"}'}},
    )

    [request] = queued(sqs, url)
    assert request["template"] == {"name": "autumn-sale"}
    assert request["data"] == {"first_name": "Ada"}
    assert (request["purpose"], request["campaign"]) == ("marketing", "autumn")


def test_each_recipient_becomes_its_own_request(outbox: Any) -> None:
    sqs, url = outbox
    ses = boto3.client("sesv2")
    install_hook(ses, queue_url=url, sqs=sqs)

    ses.send_email(**simple_email(["ada@example.com", "bob@example.com"], "Hi", "Our autumn range is in."))

    requests = queued(sqs, url)
    assert sorted(r["to"] for r in requests) == ["ada@example.com", "bob@example.com"]
    assert len({r["id"] for r in requests}) == 2


def test_a_raw_mime_email_is_refused_not_sent_unchecked(outbox: Any) -> None:
    sqs, url = outbox
    ses = boto3.client("sesv2")
    install_hook(ses, queue_url=url, sqs=sqs)

    with pytest.raises(OutboxError, match=r"Content\.Raw"):
        ses.send_email(
            FromEmailAddress="hello@northwind.example",
            Destination={"ToAddresses": ["ada@example.com"]},
            Content={"Raw": {"Data": b"Subject: hi\r\n\r\nhello"}},
        )
    assert queued(sqs, url) == []


def test_an_sms_publish_goes_to_the_outbox_with_its_purpose(outbox: Any) -> None:
    sqs, url = outbox
    sns = boto3.client("sns")
    install_hook(sns, queue_url=url, sqs=sqs)

    response = sns.publish(
        PhoneNumber="+447700900123",
        Message="Northwind: your order 1042 has shipped.",
        MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
    )

    [request] = queued(sqs, url)
    assert response["MessageId"] == request["id"]
    assert request["channel"] == "sms"
    assert request["to"] == "+447700900123"
    assert request["purpose"] == "transactional"
    assert request["template"] == {"text": "Northwind: your order 1042 has shipped."}
    assert parse_request(request).channel == "sms"


def test_a_push_publish_to_an_endpoint_goes_to_the_outbox(outbox: Any) -> None:
    sqs, url = outbox
    sns = boto3.client("sns")
    install_hook(sns, queue_url=url, sqs=sqs)
    endpoint = (
        "arn:aws:sns:us-east-1:123456789012:endpoint/APNS/northwind/8d1f0e6c-0000-0000-0000-000000000000"
    )

    sns.publish(
        TargetArn=endpoint,
        MessageStructure="json",
        Message=json.dumps({"default": "Your order has shipped.", "APNS": "{}"}),
    )

    [request] = queued(sqs, url)
    assert (request["channel"], request["to"]) == ("push", endpoint)
    assert request["template"] == {"text": "Your order has shipped."}


def test_a_topic_publish_is_not_a_customer_message_and_passes_through(outbox: Any) -> None:
    sqs, url = outbox
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="ops-alerts")["TopicArn"]
    install_hook(sns, queue_url=url, sqs=sqs)

    response = sns.publish(TopicArn=topic, Message="disk 91% full on db-2")

    assert response["MessageId"]
    assert queued(sqs, url) == []


def test_the_hook_refuses_other_services(outbox: Any) -> None:
    with pytest.raises(OutboxError, match="sesv2 and sns"):
        install_hook(boto3.client("s3"))
