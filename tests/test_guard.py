"""The send guard end to end on moto: outbox -> handler -> SES / SNS / ledger / quarantine."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.stub import Stubber
from moto import mock_aws

from functions import aws, ledger, local
from functions.guard import app, delivery
from linters.findings import Action, Hit
from linters.models import Contact, Customer, RequestError, parse_request
from linters.registry import RULES, NoSettings, Rule
from linters.rules import all_rules

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)

RECEIPT: dict[str, Any] = {
    "id": "receipt-30118",
    "channel": "email",
    "purpose": "transactional",
    "from": "receipts@northwind.example",
    "to": "omar.h@example.com",
    "template": {
        "subject": "Your receipt from Northwind",
        "text": "Hi {{first_name}},\n\nThanks for your order NW-30118: one wool scarf, $38.00.\n\n"
        "Questions? Reply to this email.\n\nNorthwind Outfitters",
    },
    "data": {"first_name": "Omar"},
    "customer": {"customer_id": "c-omar", "first_name": "Omar", "last_name": "Haddad", "purchase_count": 1},
    "now": "2026-11-20T15:00:00Z",
}

WRONG_NAME: dict[str, Any] = {
    "id": "newsletter-dec-robert",
    "channel": "email",
    "purpose": "marketing",
    "campaign": "december-newsletter",
    "from": "news@greenleaf.example",
    "to": "r.hastings@example.org",
    "template": {
        "subject": "What's growing in December",
        "text": "Hi {{first_name}},\n\nTime to prune the apple trees: our guide shows where to cut.\n\n"
        "Read it: https://greenleaf.example/pruning\n\nGreenleaf Garden Supply",
    },
    "data": {"first_name": "Robert"},
    "customer": {
        "customer_id": "c-robert",
        "first_name": "Robert",
        "preferred_name": "Bobby",
        "last_name": "Hastings",
        "purchase_count": 4,
        "consent": {"email_marketing": True},
    },
    "now": "2026-11-20T15:00:00Z",
}

RESIDENT: dict[str, Any] = {
    "id": "resident-mailer-5512",
    "channel": "email",
    "purpose": "marketing",
    "campaign": "refinance-q4",
    "from": "rates@lakeshore-lending.example",
    "to": "resident-5512@example.net",
    "template": {
        "subject": "URGENT: important information for you",
        "text": "Dear Current Resident,\n\nThis is time-sensitive and needs your immediate attention. "
        "Call 1-800-555-0142 before Friday.\n\nLakeshore Lending",
    },
    "customer": {"anonymous": True},
    "now": "2026-11-20T15:00:00Z",
}

SENDERS = ["x@northwind.example", "x@greenleaf.example", "x@lakeshore-lending.example"]


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[local.Stack]:
    """template.yaml's resources on in-process moto, the guard's environment set."""
    for key, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(app, "clock", lambda: NOW)
    with mock_aws():
        app.reset()
        created = local.provision()
        for key, value in created.function_environment("GuardFunction").items():
            monkeypatch.setenv(key, value)
        local.verify_senders(SENDERS)
        yield created
        app.reset()


def put(stack: local.Stack, *bodies: dict[str, Any] | str) -> None:
    sqs = aws.client("sqs")
    for body in bodies:
        text = body if isinstance(body, str) else json.dumps(body)
        sqs.send_message(QueueUrl=stack.refs["OutboxQueue"], MessageBody=text)


def drain(stack: local.Stack, rounds: int = 1) -> list[dict[str, Any]]:
    return local.drain(stack.refs["OutboxQueue"], stack.arns["OutboxQueue"], app.lambda_handler, rounds)


def queue_counts(stack: local.Stack, logical: str = "OutboxQueue") -> dict[str, int]:
    attributes = aws.client("sqs").get_queue_attributes(QueueUrl=stack.refs[logical], AttributeNames=["All"])[
        "Attributes"
    ]
    return {
        "visible": int(attributes["ApproximateNumberOfMessages"]),
        "in_flight": int(attributes["ApproximateNumberOfMessagesNotVisible"]),
        "delayed": int(attributes["ApproximateNumberOfMessagesDelayed"]),
    }


def decision_row(request_id: str) -> dict[str, Any] | None:
    return aws.table(aws.DECISIONS_TABLE).get_item(Key={"id": request_id}).get("Item")


def ledger_contacts(to: str) -> list[Contact]:
    contacts, _ = ledger.read_recent(aws.table(aws.LEDGER_TABLE), to, NOW + timedelta(days=1))
    return contacts


def event_for(*bodies: dict[str, Any] | str, first_id: int = 0) -> dict[str, Any]:
    """An SQS event as Lambda receives it (for deliveries that bypass the queue)."""
    messages = [
        {
            "MessageId": f"msg-{first_id + i}",
            "ReceiptHandle": f"handle-{first_id + i}",
            "Body": body if isinstance(body, str) else json.dumps(body),
        }
        for i, body in enumerate(bodies)
    ]
    return local.sqs_event(messages, "arn:aws:sqs:us-east-1:123456789012:sendguard-outbox")


# --- allow, rewrite, block -------------------------------------------------------------


def test_allowed_receipt_is_sent_as_checked_and_recorded(stack: local.Stack) -> None:
    put(stack, RECEIPT)
    [response] = drain(stack)

    assert response == {"batchItemFailures": []}
    [sent] = local.sent_email()
    assert sent.source == "receipts@northwind.example"
    assert sent.destinations["ToAddresses"] == ["omar.h@example.com"]
    assert sent.subject == "Your receipt from Northwind"
    assert sent.body.startswith("Hi Omar,\n\nThanks for your order NW-30118")
    row = decision_row("receipt-30118")
    assert row["decision"] == "allow" and row["quarantined"] is False
    [contact] = ledger_contacts("omar.h@example.com")
    assert contact.purpose == "transactional" and contact.text.startswith("Hi Omar,")
    assert queue_counts(stack) == {"visible": 0, "in_flight": 0, "delayed": 0}


def test_rewrite_sends_the_rewritten_text_not_the_original(stack: local.Stack) -> None:
    put(stack, WRONG_NAME)
    drain(stack)

    [sent] = local.sent_email()
    assert sent.body.startswith("Hi Bobby,")
    assert "Robert" not in sent.body
    row = decision_row("newsletter-dec-robert")
    assert row["decision"] == "rewrite"
    assert [c["rule"] for c in json.loads(row["changes"])] == ["SG101"]
    assert json.loads(row["message"])["text"].startswith("Hi Bobby,")


def test_blocked_message_is_quarantined_with_findings_and_reviewers_are_told(
    stack: local.Stack,
) -> None:
    sqs = aws.client("sqs")
    inbox = sqs.create_queue(QueueName="review-inbox")["QueueUrl"]
    aws.client("sns").subscribe(
        TopicArn=stack.refs["ReviewTopic"],
        Protocol="sqs",
        Endpoint="arn:aws:sqs:us-east-1:123456789012:review-inbox",
        Attributes={"RawMessageDelivery": "true"},
    )
    put(stack, RESIDENT, RECEIPT)
    [response] = drain(stack)

    assert response == {"batchItemFailures": []}
    assert [m.destinations["ToAddresses"] for m in local.sent_email()] == [["omar.h@example.com"]]
    row = decision_row("resident-mailer-5512")
    assert row["decision"] == "block" and row["quarantined"] is True
    findings = json.loads(row["findings"])
    assert "SG301" in {f["rule"] for f in findings}
    assert json.loads(row["message"])["subject"] == "URGENT: important information for you"
    assert ledger_contacts("resident-5512@example.net") == []

    [notice] = sqs.receive_message(QueueUrl=inbox, MaxNumberOfMessages=10)["Messages"]
    body = json.loads(notice["Body"])
    assert body["id"] == "resident-mailer-5512" and "SG301" in body["rules"]
    assert "example.net" not in notice["Body"]  # no address in the notice


def test_policy_from_the_ssm_parameter_is_applied(stack: local.Stack) -> None:
    aws.client("ssm").put_parameter(
        Name=stack.refs["PolicyParameter"],
        Type="String",
        Value=json.dumps({"rules": {"SG101": "block"}}),
        Overwrite=True,
    )
    put(stack, WRONG_NAME)
    drain(stack)

    assert local.sent_email() == []
    assert decision_row("newsletter-dec-robert")["quarantined"] is True


def test_stored_template_and_stored_customer_are_looked_up(stack: local.Stack) -> None:
    aws.client("ses").create_template(
        Template={
            "TemplateName": "order-shipped",
            "SubjectPart": "Your order {{order_number}} has shipped",
            "TextPart": "Hi {{first_name}},\n\nYour order {{order_number}} is on its way with UPS.\n\n"
            "Northwind Outfitters",
        }
    )
    tom = Customer(customer_id="c-tom", first_name="Thomas", preferred_name="Tom", purchase_count=7)
    ledger.put_customer(aws.table(aws.CUSTOMERS_TABLE), tom)
    request = {
        "id": "shipped-nw-60411",
        "channel": "email",
        "purpose": "transactional",
        "from": "orders@northwind.example",
        "to": "tom.becker@example.com",
        "template": {"name": "order-shipped"},
        "data": {"first_name": "Tom", "order_number": "NW-60411"},
        "customer_id": "c-tom",
        "now": "2026-11-20T15:00:00Z",
    }
    put(stack, request)
    drain(stack)

    [sent] = local.sent_email()
    assert sent.subject == "Your order NW-60411 has shipped"
    assert sent.body.startswith("Hi Tom,")


def test_history_and_events_come_from_the_ledger_when_absent(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    earlier = Contact(at=NOW - timedelta(hours=6), channel="email", campaign="winter-sale", text="Hi Omar")
    ledger.put_contact(aws.table(aws.LEDGER_TABLE), "Omar.H@example.com", earlier)
    seen: list[Any] = []
    real_check = app.check

    def spy(request: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(request)
        return real_check(request, *args, **kwargs)

    monkeypatch.setattr(app, "check", spy)
    put(stack, RECEIPT)
    drain(stack)

    [request] = seen
    assert [c.campaign for c in request.history] == ["winter-sale"]


def test_unknown_customer_id_fails_closed(stack: local.Stack) -> None:
    request = {**RECEIPT, "customer": None, "customer_id": "c-nobody"}
    del request["customer"]
    put(stack, request)
    [response] = drain(stack)

    assert len(response["batchItemFailures"]) == 1
    assert local.sent_email() == []
    assert queue_counts(stack)["visible"] == 1  # still there, for the next attempt


# --- hold ------------------------------------------------------------------------------

HOLD_UNTIL = NOW + timedelta(minutes=40)


def _hold_until_fixed_time(message: Any, settings: Any) -> Iterator[Hit]:
    """Test rule: holds "hold-me" campaigns until HOLD_UNTIL."""
    if message.request.campaign == "hold-me" and message.now < HOLD_UNTIL:
        yield Hit("held for the test", retry_at=HOLD_UNTIL)


@pytest.fixture
def hold_rule() -> Iterator[None]:
    """A rule that holds until a fixed time, so the test does not depend on SG6xx details."""
    RULES["SG990"] = Rule("SG990", "test-hold", Action.HOLD, _hold_until_fixed_time, NoSettings, __name__)
    all_rules.cache_clear()
    yield
    del RULES["SG990"]
    all_rules.cache_clear()


def _held_request() -> dict[str, Any]:
    request = copy.deepcopy(RECEIPT)
    request.update(id="held-1", purpose="marketing", campaign="hold-me")
    del request["now"]  # judged on the guard's clock, so time can pass
    request["customer"]["consent"] = {"email_marketing": True}
    return request


def test_hold_goes_back_on_the_outbox_with_a_capped_delay(stack: local.Stack, hold_rule: None) -> None:
    put(stack, _held_request())
    [response] = drain(stack)

    assert response == {"batchItemFailures": []}
    assert local.sent_email() == []
    assert queue_counts(stack) == {"visible": 0, "in_flight": 0, "delayed": 1}  # 40 min > 15 min: one step
    assert decision_row("held-1")["decision"] == "hold"


def test_long_hold_travels_in_steps_then_is_judged_and_sent(
    stack: local.Stack, hold_rule: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "MAX_DELAY_SECONDS", 0)  # moto's delays are real time: skip them
    put(stack, _held_request())
    drain(stack)
    [step] = aws.client("sqs").receive_message(
        QueueUrl=stack.refs["OutboxQueue"], MessageAttributeNames=["All"], VisibilityTimeout=0
    )["Messages"]
    # The copy carries only a token; hop and not-before are the guard's own record.
    assert set(step["MessageAttributes"]) == {delivery.STEP_ATTR}
    record = delivery.load("held-1")
    assert record.state == "held" and record.hop == 1 and record.not_before == HOLD_UNTIL
    assert record.step == step["MessageAttributes"][delivery.STEP_ATTR]["StringValue"]

    monkeypatch.setattr(app, "clock", lambda: NOW + timedelta(minutes=15))
    [waiting] = drain(stack)  # between steps: passed on unjudged, nothing sent
    assert waiting == {"batchItemFailures": []} and local.sent_email() == []

    monkeypatch.setattr(app, "clock", lambda: HOLD_UNTIL + timedelta(seconds=1))
    drain(stack)
    assert len(local.sent_email()) == 1
    assert decision_row("held-1")["decision"] == "allow"
    assert queue_counts(stack) == {"visible": 0, "in_flight": 0, "delayed": 0}


# --- duplicates, malformed records and send failures -----------------------------------


def test_a_duplicate_delivery_sends_once(stack: local.Stack) -> None:
    first = app.lambda_handler(event_for(RECEIPT), local.LocalContext())
    second = app.lambda_handler(event_for(RECEIPT, first_id=5), local.LocalContext())

    assert first == second == {"batchItemFailures": []}
    assert len(local.sent_email()) == 1
    assert len(ledger_contacts("omar.h@example.com")) == 1


def test_a_malformed_record_fails_alone_and_ends_in_the_dead_letter_queue(stack: local.Stack) -> None:
    malformed = {**RECEIPT, "id": "typo-7781", "cusomer": {"first_name": "Sam"}}
    del malformed["customer"]
    put(stack, RECEIPT, "{not json", malformed, RESIDENT)
    responses = drain(stack, rounds=10)

    assert len(responses[0]["batchItemFailures"]) == 2
    assert [m.subject for m in local.sent_email()] == ["Your receipt from Northwind"]
    assert decision_row("resident-mailer-5512")["quarantined"] is True
    # maxReceiveCount receives later, both rest in the DLQ with their exact bodies.
    assert queue_counts(stack) == {"visible": 0, "in_flight": 0, "delayed": 0}
    dead = aws.client("sqs").receive_message(
        QueueUrl=stack.refs["OutboxDeadLetterQueue"], MaxNumberOfMessages=10
    )
    assert sorted(m["Body"][:9] for m in dead["Messages"]) == ['{"id": "t', "{not json"]


def test_unverified_sender_leaves_the_message_on_the_queue_then_sends_once(stack: local.Stack) -> None:
    request = {**RECEIPT, "from": "receipts@unverified.example"}
    put(stack, request)
    [response] = drain(stack)

    assert len(response["batchItemFailures"]) == 1
    assert local.sent_email() == []
    assert decision_row("receipt-30118") is None
    assert queue_counts(stack)["visible"] == 1

    local.verify_senders(["receipts@unverified.example"])
    [retry] = drain(stack)
    assert retry == {"batchItemFailures": []}
    assert len(local.sent_email()) == 1
    assert queue_counts(stack)["visible"] == 0


def test_throttled_send_is_retried_and_sent_once(stack: local.Stack) -> None:
    put(stack, RECEIPT)
    with Stubber(aws.send_client("sesv2")) as stub:
        stub.add_client_error(
            "send_email", service_error_code="TooManyRequestsException", http_status_code=429
        )
        [response] = drain(stack)
        stub.assert_no_pending_responses()
    assert len(response["batchItemFailures"]) == 1
    assert local.sent_email() == []
    assert ledger_contacts("omar.h@example.com") == []

    [retry] = drain(stack)
    assert retry == {"batchItemFailures": []}
    assert len(local.sent_email()) == 1
    assert len(ledger_contacts("omar.h@example.com")) == 1


# --- logs ------------------------------------------------------------------------------


def test_logs_hold_no_addresses_phone_numbers_or_names(stack: local.Stack) -> None:
    buffer = io.StringIO()
    previous = app.logger.registered_handler.setStream(buffer)
    try:
        put(stack, RECEIPT, {**RECEIPT, "id": "receipt-2", "from": "receipts@unverified.example"})
        drain(stack)
    finally:
        app.logger.registered_handler.setStream(previous)

    logged = buffer.getvalue()
    assert '"decided"' in logged and "receipt-30118" in logged
    assert "unverified.example" in logged  # the SES error is logged, the address masked
    for personal in ("omar.h@example.com", "receipts@unverified.example", "Omar", "Haddad"):
        assert personal not in logged


def test_mask_personal() -> None:
    text = "to ann.lee@example.com or +1 503 555 0188, (555) 010-2233; Ann Lee; on 2026-11-20"
    masked = app.mask_personal(text, ("Ann", "Lee"))
    assert masked == "to a***@example.com or [phone], [phone]; [name] [name]; on 2026-11-20"


def test_bookkeeping_clients_retry_on_their_own_and_sending_clients_never(stack: local.Stack) -> None:
    # A retried write repeats only itself; a retried SendEmail could be a second email.
    assert aws.table(aws.DECISIONS_TABLE).meta.client.meta.config.retries["mode"] == "standard"
    assert aws.client("sns").meta.config.retries["total_max_attempts"] == aws.RETRY_ATTEMPTS + 1
    assert aws.send_client("sesv2").meta.config.retries["total_max_attempts"] == 1
    assert aws.send_client("sns").meta.config.retries["total_max_attempts"] == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [({"channel": "postal"}, "channel"), ({"channel": "in_app"}, "channel"), ({"channel": "voice", "automated": False}, "automated")],
)
def test_a_contact_the_guard_does_not_deliver_is_refused_before_judging(
    stack: local.Stack, change: dict[str, Any], field: str
) -> None:
    # A postcard, an in-app message or a rep's call goes through /contacts/ask and
    # /contacts (issue 31); on the outbox it is a producer's mistake, not a message.
    request = {**RECEIPT, "id": f"not-ours-{field}-{change['channel']}", **change}
    put(stack, request)
    [response] = drain(stack)

    assert len(response["batchItemFailures"]) == 1
    assert local.sent_email() == []
    assert decision_row(request["id"]) is None  # never judged, nothing recorded
    with pytest.raises(RequestError, match="/contacts/ask") as refused:
        app.deliverable(parse_request(request))
    assert refused.value.field == field


def test_a_send_is_kept_under_the_customer_too_so_an_ask_by_customer_id_counts_it(stack: local.Stack) -> None:
    # A rep's dialer asks before a call naming only the customer (POST /contacts/ask):
    # the receipt the guard sent to Omar's address must be in what that ask reads.
    put(stack, RECEIPT)
    drain(stack)

    table = aws.table(aws.LEDGER_TABLE)
    by_customer, _ = ledger.read_recent(table, "", NOW + timedelta(hours=1), customer_id="c-omar")
    by_both, _ = ledger.read_recent(table, RECEIPT["to"], NOW + timedelta(hours=1), customer_id="c-omar")
    assert [c.channel for c in by_customer] == ["email"]
    assert len(by_both) == 1  # the same row under both keys counts once
    assert len(ledger_contacts(RECEIPT["to"])) == 1
