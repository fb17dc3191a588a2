"""Decision rows are an audit record: written with conditions, never reset, never lost.

Each test is a way a tester overwrote evidence (issue 27): a producer id that names an
internal key, a redelivered SES Send event, a request id reused after its delivery
record expired, and a review notice sent while its decision row could not be written.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from functions import aws, ledger, local
from functions.feedback.unguarded import UnguardedSend
from functions.guard import app, delivery
from functions.review import release, store
from tests import test_review
from tests.test_delivery_faults import breaking, outage, run
from tests.test_review import BOOTS, REVIEWER, row, run_guard, sent_to, variant

stack = test_review.stack

SEND = UnguardedSend(
    message_id="0100019a-unguarded-1",
    sent_at=datetime(2026, 11, 20, 14, 0, tzinfo=UTC),
    identity="arn:aws:ses:us-east-1:123456789012:identity/northwind.example",
    caller="arn:aws:iam::123456789012:user/legacy-cron",
    operation="SendEmail",
    configuration_set=None,
    recipients=1,
)


def decisions() -> Any:
    return aws.table(aws.DECISIONS_TABLE)


def test_a_producer_id_naming_an_internal_key_is_refused_and_the_evidence_stays(stack: local.Stack) -> None:
    ledger.put_unguarded_send(decisions(), SEND, SEND.sent_at)
    before = row(SEND.review_id)
    forged = variant(BOOTS, id=SEND.review_id, data={"first_name": "Julia", "boots_url": "https://x.example"})
    aws.client("sqs").send_message(QueueUrl=stack.refs["OutboxQueue"], MessageBody=json.dumps(forged))
    responses = local.drain(stack.refs["OutboxQueue"], stack.arns["OutboxQueue"], app.lambda_handler)
    assert len(responses[0]["batchItemFailures"]) == 1  # malformed: it rests in the dead-letter queue
    assert row(SEND.review_id) == before
    assert sent_to(BOOTS["to"]) == 0


def test_a_redelivered_send_event_leaves_a_denied_row_denied(stack: local.Stack) -> None:
    ledger.put_unguarded_send(decisions(), SEND, SEND.sent_at)
    release.deny(SEND.review_id, "the legacy cron job is being retired", REVIEWER)
    assert ledger.put_unguarded_send(decisions(), SEND, SEND.sent_at) is False
    kept = row(SEND.review_id)
    assert kept["review_state"] == "denied" and len(kept["review_log"]) == 1


def test_an_id_reused_after_its_record_expired_is_a_new_request_and_the_old_review_stays(
    stack: local.Stack,
) -> None:
    run_guard(stack, BOOTS)
    release.deny(BOOTS["id"], "the boots link is missing", REVIEWER)
    first = row(BOOTS["id"])
    # 35 days later DynamoDB's TTL removes the delivery record; the producer reuses the id.
    aws.table(aws.IDEMPOTENCY_TABLE).delete_item(Key={"id": BOOTS["id"]})
    fixed = variant(BOOTS, data={"first_name": "Julia", "boots_url": "https://northwind.example/boots"})
    run_guard(stack, fixed)
    assert sent_to(BOOTS["to"]) == 1  # judged as a new request, and sendable
    now = row(BOOTS["id"])
    assert now["outcome"] == "sent" and "review_state" not in now
    [kept] = [r for r in decisions().scan()["Items"] if r["id"].startswith(f"{BOOTS['id']}#earlier-")]
    assert kept["review_state"] == "denied" and kept["review_log"] == first["review_log"]
    assert kept["findings"] == first["findings"] and kept["kept_from"] == BOOTS["id"]


def test_a_redelivery_of_a_reviewed_quarantine_never_resets_its_review(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    release.deny(BOOTS["id"], "stale campaign", REVIEWER)
    record = delivery.load(BOOTS["id"])
    # A quarantine whose bookkeeping is finished again (a redelivery after a failure).
    delivery.finish_bookkeeping(
        delivery.Record(**{**record.__dict__, "todo": {delivery.DECISION}, "pending": {delivery.DECISION: {
            **ledger.decision_item({"id": BOOTS["id"], "decision": "block"}, app.clock(), quarantined=True),
            "generation": record.generation,
        }}}),
        app.effects(),
    )
    kept = row(BOOTS["id"])
    assert kept["review_state"] == "denied" and len(kept["review_log"]) == 1


def test_no_review_notice_before_its_decision_row_and_no_stub_row(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    notices = breaking(monkeypatch, app, "_send_notice", outage("Publish"), times=0)
    breaking(monkeypatch, app, "_write_decision", outage(), times=1)
    aws.client("sqs").send_message(QueueUrl=stack.refs["OutboxQueue"], MessageBody=json.dumps(BOOTS))
    run(stack, rounds=1)
    assert notices[0] == 0  # the notice waits for the row it points at
    assert decisions().get_item(Key={"id": BOOTS["id"]}).get("Item") is None
    run(stack, rounds=1)  # SQS delivers it again: the row, then the notice
    assert notices[0] == 1
    shown = store.get(BOOTS["id"])
    assert shown["review_notice"] == "sent" and shown["quarantined"] is True


def test_a_released_message_keeps_its_review_log_when_the_guard_records_the_send(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    release.release(BOOTS["id"], "the link is added by the footer", REVIEWER)
    sent = row(BOOTS["id"])
    assert sent["outcome"] == "sent" and sent["release_outcome"] == "sent"
    assert [entry["state"] for entry in sent["review_log"]] == ["released"]
    assert "reason" not in sent  # the quarantine's reason is not the sent message's


def test_the_reviewer_who_loses_a_release_race_is_told_it_was_sent(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    run_guard(stack, BOOTS)
    stale = delivery.load(BOOTS["id"])  # what the second reviewer's guard read, before the send
    stale_body = release._body_of(BOOTS["id"], row(BOOTS["id"]))
    release.release(BOOTS["id"], "the link is added by the footer", REVIEWER)
    assert sent_to(BOOTS["to"]) == 1
    # The second click arrived while the first was still sending: its row says released
    # without an outcome, and its read of the delivery record is from before the send.
    decisions().update_item(Key={"id": BOOTS["id"]}, UpdateExpression="REMOVE release_outcome")
    real_load = delivery.load
    reads = iter([stale])
    monkeypatch.setattr(delivery, "load", lambda key: next(reads, None) or real_load(key))
    monkeypatch.setattr(release, "_body_of", lambda key, found: stale_body)
    outcome = release.release(BOOTS["id"], "the link is added by the footer", "arn:aws:sts::1:assumed-role/R/lee")
    assert outcome.state == "released" and "already sent by another release" in outcome.detail
    assert sent_to(BOOTS["to"]) == 1
