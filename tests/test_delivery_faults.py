"""Fault injection on moto: a crash or a failed call at each point of a delivery.

Each test breaks one thing in the real handler, lets SQS deliver again the way the event
source mapping does, and then counts everything: sends (moto's SES and SNS backends),
the decision row, the delivery record, the outbox and the dead-letter queue. The promise
being tested (docs/aws.md, "Duplicates and failures"): at most one send per request, and
every request sent, held on the outbox, quarantined or in the dead-letter queue.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, ReadTimeoutError

from functions import aws, local
from functions.guard import app, delivery
from tests import test_guard
from tests.test_guard import (
    NOW,
    RECEIPT,
    RESIDENT,
    decision_row,
    ledger_contacts,
    put,
    queue_counts,
)
from tests.test_guard import _held_request as held_request

# The guard tests' fixtures: template.yaml on moto, and a rule that holds until a fixed time.
stack = test_guard.stack
hold_rule = test_guard.hold_rule

AFTER_GRACE = NOW + delivery.SENDING_GRACE + timedelta(seconds=1)


class Crash(BaseException):
    """The Lambda dies here: not an Exception, so no batch processor catches it."""


def outage(operation: str = "PutItem") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "InternalServerError", "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 500},
        },
        operation,
    )


def run(stack: local.Stack, rounds: int = 10) -> list[dict[str, Any] | str]:
    """The SQS event source mapping: receive, invoke, delete what succeeded; after a
    crash (or a failure) the messages become visible again. Returns each outcome."""
    sqs = aws.client("sqs")
    url = stack.refs["OutboxQueue"]
    outcomes: list[dict[str, Any] | str] = []
    for _ in range(rounds):
        received = sqs.receive_message(
            QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], AttributeNames=["All"]
        ).get("Messages", [])
        if not received:
            break
        try:
            response = app.lambda_handler(
                local.sqs_event(received, stack.arns["OutboxQueue"]), local.LocalContext()
            )
        except Crash:
            outcomes.append("crash")
            failed = {m["MessageId"] for m in received}
        else:
            outcomes.append(response)
            failed = {f["itemIdentifier"] for f in response["batchItemFailures"]}
        local.settle(url, received, failed)
    return outcomes


def dead_letters(stack: local.Stack) -> int:
    return sum(queue_counts(stack, "OutboxDeadLetterQueue").values())


def outbox(stack: local.Stack) -> int:
    return sum(queue_counts(stack).values())


def breaking(
    monkeypatch: pytest.MonkeyPatch, target: Any, name: str, error: BaseException, times: int = 1
) -> list[int]:
    """Make ``target.name`` raise ``error`` on its first ``times`` calls; returns a call counter."""
    real: Callable[..., Any] = getattr(target, name)
    calls = [0]

    def broken(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] <= times:
            raise error
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, broken)
    return calls


def later(monkeypatch: pytest.MonkeyPatch, moment: Any = AFTER_GRACE) -> None:
    monkeypatch.setattr(app, "clock", lambda: moment)


# --- sent twice ------------------------------------------------------------------------


def test_crash_after_the_send_before_the_record_then_redelivery_never_sends_again(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking(monkeypatch, delivery, "mark_sent", Crash())
    put(stack, RECEIPT)
    assert run(stack, rounds=1) == ["crash"]
    assert len(local.sent_email()) == 1

    # Redelivered at once: the attempt might still be running, so it fails and waits.
    [waiting] = run(stack, rounds=1)
    assert len(waiting["batchItemFailures"]) == 1 and len(local.sent_email()) == 1

    later(monkeypatch)
    [final] = run(stack)
    assert final == {"batchItemFailures": []}
    assert len(local.sent_email()) == 1
    row = decision_row("receipt-30118")
    assert row["quarantined"] is True and row["reason"].startswith("delivery-unknown")
    assert delivery.load("receipt-30118").state == "quarantined"
    assert outbox(stack) == 0 and dead_letters(stack) == 0


def test_failed_sent_write_after_the_send_is_repaired_from_the_decision_row(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every retry of the "sent" write fails (an outage of the delivery table's writes).
    breaking(monkeypatch, delivery, "mark_sent", outage("UpdateItem"))
    put(stack, RECEIPT)
    [first] = run(stack, rounds=1)
    assert len(first["batchItemFailures"]) == 1
    # The other writes went ahead on their own: the contact and the row naming the send.
    assert len(ledger_contacts("omar.h@example.com")) == 1
    assert decision_row("receipt-30118")["provider_id"]

    later(monkeypatch)
    [second] = run(stack)
    assert second == {"batchItemFailures": []}
    assert len(local.sent_email()) == 1
    record = delivery.load("receipt-30118")
    assert record.state == "sent" and record.provider_id == decision_row("receipt-30118")["provider_id"]
    assert decision_row("receipt-30118")["quarantined"] is False
    assert len(ledger_contacts("omar.h@example.com")) == 1
    assert outbox(stack) == 0 and dead_letters(stack) == 0


def test_producer_set_hop_and_step_attributes_do_not_get_a_duplicate_past_dedupe(stack: local.Stack) -> None:
    put(stack, RECEIPT)
    run(stack)
    sqs = aws.client("sqs")
    for attributes in (
        {"sendguard-hop": {"DataType": "Number", "StringValue": "3"}},
        {delivery.STEP_ATTR: {"DataType": "String", "StringValue": "guessed-token"}},
        {"sendguard-not-before": {"DataType": "String", "StringValue": "2026-11-20T14:00:00+00:00"}},
    ):
        sqs.send_message(
            QueueUrl=stack.refs["OutboxQueue"], MessageBody=json.dumps(RECEIPT), MessageAttributes=attributes
        )
    outcomes = run(stack)
    assert outcomes == [{"batchItemFailures": []}]
    assert len(local.sent_email()) == 1
    assert outbox(stack) == 0 and dead_letters(stack) == 0


def test_a_redelivered_sent_request_from_the_dead_letter_queue_is_not_sent_again(stack: local.Stack) -> None:
    put(stack, RECEIPT)
    run(stack)
    put(stack, RECEIPT)  # an operator's redrive: the same body once more
    assert run(stack) == [{"batchItemFailures": []}]
    assert len(local.sent_email()) == 1 and len(ledger_contacts("omar.h@example.com")) == 1


# --- lost ------------------------------------------------------------------------------


def test_same_id_with_a_different_payload_is_quarantined_as_an_id_conflict(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    counted: list[str] = []
    real_count = app._count_event
    monkeypatch.setattr(app, "_count_event", lambda name: (counted.append(name), real_count(name)))
    blocked = {**RESIDENT, "id": "refi-77"}
    corrected = copy.deepcopy(blocked)
    corrected["template"]["subject"] = "Refinancing rates for this quarter"
    corrected["template"]["text"] = "Hello,\n\nOur rates for the quarter are below.\n\nLakeshore Lending"
    put(stack, blocked)
    run(stack)
    put(stack, corrected)
    assert run(stack) == [{"batchItemFailures": []}]

    assert local.sent_email() == []
    assert decision_row("refi-77")["reason"] == "blocked by policy"  # the first is untouched
    key = delivery.conflict_key("refi-77", delivery.payload_hash(json.dumps(corrected)))
    conflict = decision_row(key)
    assert conflict["quarantined"] is True and conflict["reason"].startswith("id-conflict")
    assert conflict["request_id"] == "refi-77" and json.loads(conflict["body"]) == corrected
    assert "IdConflict" in counted

    put(stack, corrected)  # the conflicting request delivered again: still one row, no send
    run(stack)
    assert counted.count("IdConflict") == 1 and local.sent_email() == []
    assert outbox(stack) == 0 and dead_letters(stack) == 0


def test_same_payload_with_other_key_order_and_spacing_is_the_same_request(stack: local.Stack) -> None:
    put(stack, RECEIPT)
    run(stack)
    reordered = json.dumps(dict(reversed(list(RECEIPT.items()))), indent=2)
    put(stack, reordered)
    run(stack)
    assert len(local.sent_email()) == 1
    assert not [k for k in _delivery_keys() if "#conflict" in k]


def _delivery_keys() -> list[str]:
    return [item["id"] for item in aws.table(aws.IDEMPOTENCY_TABLE).scan()["Items"]]


# --- multiplied ------------------------------------------------------------------------


def test_a_hold_during_a_decisions_table_outage_is_requeued_once(
    stack: local.Stack, hold_rule: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "MAX_DELAY_SECONDS", 0)
    calls = breaking(monkeypatch, app, "_write_decision", outage(), times=4)
    put(stack, held_request())
    outcomes = run(stack, rounds=8)

    assert calls[0] >= 5  # four failed attempts, then the write went through
    assert local.sent_email() == []
    assert decision_row("held-1")["decision"] == "hold"
    # Exactly one live copy on the outbox (whatever the number of retries).
    assert outbox(stack) == 1 and dead_letters(stack) == 0
    assert any(isinstance(o, dict) and o["batchItemFailures"] for o in outcomes)
    [copy_] = aws.client("sqs").receive_message(
        QueueUrl=stack.refs["OutboxQueue"], MessageAttributeNames=["All"]
    )["Messages"]
    assert copy_["MessageAttributes"][delivery.STEP_ATTR]["StringValue"] == delivery.load("held-1").step


def test_a_hold_whose_decision_row_fails_leaves_only_the_new_copy_which_finishes_the_row(
    stack: local.Stack, hold_rule: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking(monkeypatch, app, "_write_decision", outage(), times=1)
    put(stack, held_request())
    assert run(stack, rounds=1) == [{"batchItemFailures": []}]  # the hold itself is done
    assert queue_counts(stack) == {"visible": 0, "in_flight": 0, "delayed": 1}  # one copy, not two
    assert decision_row("held-1") is None and delivery.load("held-1").todo == {delivery.DECISION}
    monkeypatch.setattr(delivery, "MAX_DELAY_SECONDS", 0)
    later(monkeypatch, NOW + timedelta(minutes=16))
    # The copy arrives (delay 0 now): it finishes the row first, then is passed on again.
    aws.client("sqs").purge_queue(QueueUrl=stack.refs["OutboxQueue"])
    record = delivery.load("held-1")
    aws.client("sqs").send_message(
        QueueUrl=stack.refs["OutboxQueue"],
        MessageBody=json.dumps(held_request()),
        MessageAttributes={delivery.STEP_ATTR: {"DataType": "String", "StringValue": record.step}},
    )
    run(stack, rounds=1)
    assert decision_row("held-1")["decision"] == "hold"
    assert outbox(stack) == 1 and local.sent_email() == []


def test_a_held_request_redriven_with_its_body_alone_is_not_lost(
    stack: local.Stack, hold_rule: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(stack, held_request())
    run(stack, rounds=1)
    # The live copy died in the dead-letter queue; an operator re-sends its body alone.
    aws.client("sqs").purge_queue(QueueUrl=stack.refs["OutboxQueue"])
    later(monkeypatch, test_guard.HOLD_UNTIL + timedelta(minutes=1))  # past the hold: it may go now
    put(stack, held_request())
    assert run(stack, rounds=1) == [{"batchItemFailures": []}]
    assert delivery.load("held-1").state == delivery.SENT
    assert len(local.sent_email()) == 1


def test_a_body_only_redrive_during_the_hold_takes_over_as_the_one_live_copy(
    stack: local.Stack, hold_rule: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "MAX_DELAY_SECONDS", 0)
    put(stack, held_request())
    run(stack, rounds=1)
    old_step = delivery.load("held-1").step
    aws.client("sqs").purge_queue(QueueUrl=stack.refs["OutboxQueue"])
    put(stack, held_request())  # the body alone, no attributes
    run(stack, rounds=1)
    record = delivery.load("held-1")
    assert record.state == delivery.HELD and record.step != old_step
    [copy_] = aws.client("sqs").receive_message(
        QueueUrl=stack.refs["OutboxQueue"], MessageAttributeNames=["All"]
    )["Messages"]
    assert copy_["MessageAttributes"][delivery.STEP_ATTR]["StringValue"] == record.step
    assert local.sent_email() == []


def test_a_stale_copy_of_the_guards_own_is_acknowledged_while_the_live_one_is_on_time(
    stack: local.Stack, hold_rule: None
) -> None:
    put(stack, held_request())
    run(stack, rounds=1)
    step = delivery.load("held-1").step
    aws.client("sqs").send_message(
        QueueUrl=stack.refs["OutboxQueue"],
        MessageBody=json.dumps(held_request()),
        MessageAttributes={delivery.STEP_ATTR: {"DataType": "String", "StringValue": "an-old-token"}},
    )
    run(stack, rounds=1)
    assert delivery.load("held-1").step == step  # nothing changed
    assert local.sent_email() == []


def test_crash_between_the_hold_record_and_the_requeue_keeps_exactly_one_copy(
    stack: local.Stack, hold_rule: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "MAX_DELAY_SECONDS", 0)
    put(stack, held_request())
    breaking(monkeypatch, aws.client("sqs"), "send_message", Crash())
    assert run(stack, rounds=1) == ["crash"]
    record = delivery.load("held-1")
    assert record.state == "held" and record.requeued is False

    # The parent comes back and sends the copy the record names, once.
    run(stack, rounds=1)
    record = delivery.load("held-1")
    assert record.requeued is True and record.hop == 1
    assert outbox(stack) == 1 and local.sent_email() == []
    later(monkeypatch, NOW + timedelta(hours=1))
    run(stack)
    assert len(local.sent_email()) == 1 and outbox(stack) == 0 and dead_letters(stack) == 0


# --- half-recorded ---------------------------------------------------------------------


def test_a_ledger_failure_after_the_send_keeps_the_decision_row_and_is_finished_later(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking(monkeypatch, app, "_write_ledger", outage(), times=1)
    put(stack, RECEIPT)
    first, second = run(stack)

    assert len(first["batchItemFailures"]) == 1 and second == {"batchItemFailures": []}
    assert len(local.sent_email()) == 1
    assert decision_row("receipt-30118")["decision"] == "allow"  # written although the ledger failed
    assert len(ledger_contacts("omar.h@example.com")) == 1  # written by the redelivery, once
    assert delivery.load("receipt-30118").todo == set()
    assert outbox(stack) == 0 and dead_letters(stack) == 0


def test_a_review_notice_failure_keeps_the_quarantine_out_of_the_dead_letter_queue(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking(monkeypatch, app, "_send_notice", outage("Publish"), times=99)
    put(stack, RESIDENT)
    assert run(stack) == [{"batchItemFailures": []}]

    row = decision_row("resident-mailer-5512")
    assert row["quarantined"] is True and row["review_notice"] == "failed"
    assert delivery.NOTICE in delivery.load("resident-mailer-5512").todo  # tried again on any redelivery
    assert local.sent_email() == [] and outbox(stack) == 0 and dead_letters(stack) == 0


def test_a_review_notice_is_retried_by_the_next_delivery(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = breaking(monkeypatch, app, "_send_notice", outage("Publish"), times=1)
    put(stack, RESIDENT)
    run(stack)
    put(stack, RESIDENT)  # a duplicate delivery
    run(stack)
    assert calls[0] == 2
    assert decision_row("resident-mailer-5512")["review_notice"] == "sent"
    assert delivery.load("resident-mailer-5512").todo == set()


def test_a_producer_set_not_before_is_ignored(stack: local.Stack) -> None:
    aws.client("sqs").send_message(
        QueueUrl=stack.refs["OutboxQueue"],
        MessageBody=json.dumps(RECEIPT),
        MessageAttributes={
            "sendguard-not-before": {"DataType": "String", "StringValue": "2099-01-01T00:00:00+00:00"}
        },
    )
    assert run(stack) == [{"batchItemFailures": []}]
    assert len(local.sent_email()) == 1 and outbox(stack) == 0


def test_the_hop_cap_applies_between_steps_too(
    stack: local.Stack, hold_rule: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(delivery, "MAX_DELAY_SECONDS", 0)
    monkeypatch.setattr(delivery, "MAX_HOPS", 2)
    put(stack, held_request())
    run(stack, rounds=1)  # judged: held, hop 1
    run(stack, rounds=1)  # between steps: hop 2
    assert delivery.load("held-1").hop == 2
    run(stack)  # at the cap: quarantined without being judged again
    row = decision_row("held-1")
    assert row["quarantined"] is True and "hold steps" in row["reason"]
    assert local.sent_email() == [] and outbox(stack) == 0 and dead_letters(stack) == 0


# --- crashes and failures at other points ------------------------------------------------


def test_crash_before_the_sending_record_then_redelivery_sends_once(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking(monkeypatch, app, "judge", Crash())
    put(stack, RECEIPT)
    assert run(stack) == ["crash", {"batchItemFailures": []}]
    assert len(local.sent_email()) == 1 and delivery.load("receipt-30118").state == "sent"


def test_crash_after_the_sending_record_before_the_provider_call_is_quarantined_not_sent(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking(monkeypatch, app, "send", Crash())
    put(stack, RECEIPT)
    run(stack, rounds=1)
    later(monkeypatch)
    run(stack)
    # The guard cannot tell this from a crash after the send: a person checks.
    assert local.sent_email() == []
    assert decision_row("receipt-30118")["reason"].startswith("delivery-unknown")
    assert outbox(stack) == 0 and dead_letters(stack) == 0


def test_crash_after_the_sent_record_before_the_bookkeeping_finishes_it_without_a_send(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking(monkeypatch, delivery, "finish_bookkeeping", Crash())
    put(stack, RECEIPT)
    assert run(stack) == ["crash", {"batchItemFailures": []}]
    assert len(local.sent_email()) == 1
    assert decision_row("receipt-30118")["decision"] == "allow"
    assert len(ledger_contacts("omar.h@example.com")) == 1


def test_an_ambiguous_send_failure_is_never_retried(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    breaking(monkeypatch, app, "send", ReadTimeoutError(endpoint_url="https://email.us-east-1.amazonaws.com"))
    put(stack, RECEIPT)
    run(stack, rounds=1)
    later(monkeypatch)
    run(stack)
    assert local.sent_email() == []
    assert delivery.load("receipt-30118").reason.startswith("delivery-unknown")


def test_a_refused_send_is_judged_again_and_sent_once(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    refused = ClientError(
        {"Error": {"Code": "TooManyRequestsException"}, "ResponseMetadata": {"HTTPStatusCode": 429}},
        "SendEmail",
    )
    breaking(monkeypatch, app, "send", refused, times=2)
    put(stack, RECEIPT)
    outcomes = run(stack)
    assert len(outcomes) == 3 and outcomes[-1] == {"batchItemFailures": []}
    assert len(local.sent_email()) == 1 and delivery.load("receipt-30118").state == "sent"


def test_records_not_started_before_the_deadline_are_handed_back(stack: local.Stack) -> None:
    bodies = [{**RECEIPT, "id": f"receipt-{i}"} for i in range(3)]
    event = local.sqs_event(
        [
            {"MessageId": f"m{i}", "ReceiptHandle": f"h{i}", "Body": json.dumps(b)}
            for i, b in enumerate(bodies)
        ],
        stack.arns["OutboxQueue"],
    )

    class Running(local.LocalContext):
        """Time runs out after the first record."""

        calls = 0

        def get_remaining_time_in_millis(self) -> int:
            Running.calls += 1
            return 20_000 if Running.calls == 1 else app.TIME_RESERVE_MS - 1

    response = app.lambda_handler(event, Running())
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}, {"itemIdentifier": "m2"}]}
    assert len(local.sent_email()) == 1
    assert delivery.load("receipt-1") is None  # not started: nothing recorded, nothing sent


def test_every_sent_message_carries_its_decision_id(stack: local.Stack) -> None:
    seen: list[dict[str, Any]] = []
    aws.send_client("sesv2").meta.events.register(
        "provide-client-params.sesv2.SendEmail", lambda params, **_: seen.append(params)
    )
    aws.send_client("sns").meta.events.register(
        "provide-client-params.sns.Publish", lambda params, **_: seen.append(params)
    )
    sms = {
        "id": "otp-1",
        "channel": "sms",
        "purpose": "transactional",
        "to": "+15035550188",
        "template": {"text": "Your Northwind code is 449102. It expires in 10 minutes."},
        "now": "2026-11-20T15:00:00Z",
    }
    put(stack, RECEIPT, sms)
    run(stack)

    email, text = sorted(seen, key=lambda p: "PhoneNumber" in p)
    tag = decision_row("receipt-30118")["decision_id"]
    assert email["EmailTags"] == [{"Name": "sendguard-decision", "Value": tag}]
    assert (
        text["MessageAttributes"]["sendguard-decision"]["StringValue"] == decision_row("otp-1")["decision_id"]
    )
    assert len(tag) == 32 and tag.isalnum()
    assert len(local.sent_email()) == 1 and len(local.sent_sms()) == 1


def test_the_sending_grace_outlasts_the_guard_timeout() -> None:
    template = local.load_template()
    timeout = (
        template["Resources"]["GuardFunction"]["Properties"].get("Timeout")
        or template["Globals"]["Function"]["Timeout"]
    )
    assert delivery.SENDING_GRACE.total_seconds() > 2 * int(timeout)


# --- one record cannot stall a batch ----------------------------------------------------------


def _endless_for(request_id: str, real: Callable[..., Any]) -> Callable[..., Any]:
    """``check``, but judging ``request_id`` never ends (a template no limit foresaw)."""

    def check(request: Any, *args: Any, **kwargs: Any) -> Any:
        while request.id == request_id:
            pass
        return real(request, *args, **kwargs)

    return check


def test_a_record_that_cannot_be_judged_in_time_fails_alone_and_its_neighbours_are_sent(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app, "check", _endless_for("poison-1", app.check))
    monkeypatch.setattr(app, "MAX_JUDGING_SECONDS", 0.2)
    bodies = [{**RECEIPT, "id": "receipt-a"}, {**RECEIPT, "id": "poison-1"}, {**RECEIPT, "id": "receipt-b"}]
    put(stack, *bodies)
    outcomes = run(stack, rounds=10)

    assert len(local.sent_email()) == 2  # both neighbours, on the first receive
    first = outcomes[0]
    assert isinstance(first, dict) and len(first["batchItemFailures"]) == 1
    # Failed on every receive, the poison record rests in the dead-letter queue, alone.
    assert dead_letters(stack) == 1 and outbox(stack) == 0
    assert delivery.load("poison-1") is None  # never judged, so no record: a redrive is judged afresh


def test_the_judging_deadline_comes_from_the_time_left(stack: local.Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "check", _endless_for("poison-2", app.check))
    monkeypatch.setattr(app, "ACT_RESERVE_MS", app.TIME_RESERVE_MS - 100)  # 0.1 s left to judge

    class NearlyOut(local.LocalContext):
        def get_remaining_time_in_millis(self) -> int:
            return app.TIME_RESERVE_MS

    event = local.sqs_event(
        [{"MessageId": "m0", "ReceiptHandle": "h0", "Body": json.dumps({**RECEIPT, "id": "poison-2"})}],
        stack.arns["OutboxQueue"],
    )
    assert app.lambda_handler(event, NearlyOut()) == {"batchItemFailures": [{"itemIdentifier": "m0"}]}
