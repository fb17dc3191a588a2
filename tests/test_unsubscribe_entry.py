"""Applications' own entry, UnsubscribeFunction (functions/feedback/unsubscribe.py): an
unsubscribe stops marketing on its channel and nothing else; no event an application
sends there becomes a bounce or a complaint (moto DynamoDB in-process)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from functions.feedback import unsubscribe
from functions.local import LocalContext
from tests.test_feedback import (
    ARTHUR,
    CATALOGUE,
    NOW,
    RECEIPT,
    RESET,
    judge_from_ledger,
    ledger,  # noqa: F401 - the fixture
    load,
    rules_of,
)

CONTEXT = LocalContext(function_name="sendguard-unsubscribe")


def rows(table: Any) -> list[dict[str, Any]]:
    return [json.loads(item["record"]) for item in table.scan()["Items"]]


def test_an_app_unsubscribe_blocks_marketing_but_a_receipt_still_goes(
    ledger: Any,  # noqa: F811
    regular: dict[str, Any],
) -> None:
    outcome = unsubscribe.handler(load("unsubscribe.json"), CONTEXT)

    assert (outcome["written"], outcome["errors"]) == (1, [])
    campaign = judge_from_ledger(ledger, regular, CATALOGUE, to=ARTHUR, now=NOW)
    receipt = judge_from_ledger(ledger, regular, RECEIPT, to=ARTHUR, purpose="transactional", now=NOW)
    reset = judge_from_ledger(ledger, regular, RESET, to=ARTHUR, purpose="transactional", now=NOW)
    assert "SG601" in rules_of(campaign)
    assert campaign.decision == "block"
    for still_sent in (receipt, reset):
        assert "SG601" not in rules_of(still_sent)
        assert still_sent.sendable


def test_it_writes_a_marketing_unsubscribe_and_nothing_else(ledger: Any) -> None:  # noqa: F811
    unsubscribe.handler(load("unsubscribe.json"), CONTEXT)

    [record] = rows(ledger)
    assert record == {
        "type": "unsubscribe",
        "at": "2026-11-19T08:00:00Z",
        "channel": "email",
        "bounce_type": "permanent",  # the Event model's default; read only for bounces
        "purpose": "marketing",
    }


def test_a_redelivered_unsubscribe_is_written_once(ledger: Any) -> None:  # noqa: F811
    first = unsubscribe.handler(load("unsubscribe.json"), CONTEXT)
    again = unsubscribe.handler(load("unsubscribe.json"), CONTEXT)

    assert (first["written"], again["written"], again["duplicates"]) == (1, 0, 1)


def test_an_unsubscribe_without_a_time_or_purpose_is_marketing_now(ledger: Any) -> None:  # noqa: F811
    outcome = unsubscribe.handler({"to": "+447700900123", "channel": "sms"}, CONTEXT)

    assert outcome["written"] == 1
    [record] = rows(ledger)
    assert (record["type"], record["channel"], record["purpose"]) == ("unsubscribe", "sms", "marketing")


@pytest.mark.parametrize(
    ("body", "error"),
    [
        ({"type": "unsubscribe", "to": "a@example.com"}, "event: channel: required field is missing"),
        ({"type": "unsubscribe", "to": "a@example.com", "channel": "fax"}, "event: channel"),
        ({"type": "unsubscribe", "to": "a@example.com", "channel": "email", "reason": "x"}, "event: reason"),
        ({"to": "a@example.com", "channel": "email", "at": "yesterday"}, "event: at: not an ISO 8601 time"),
        (
            {"to": "a@example.com", "channel": "email", "at": "2027-06-01T00:00:00Z"},
            "event: at: more than a day",
        ),
        ({"type": "complaint", "to": "a@example.com", "channel": "email"}, "event: type"),
        ({"type": "bounce", "to": "a@example.com", "channel": "email"}, "event: type"),
        (
            {"to": "a@example.com", "channel": "email", "purpose": "transactional"},
            "event: purpose: this entry",
        ),
        ({"to": "a@example.com", "channel": "email", "purpose": "service"}, "event: purpose: this entry"),
        ({"to": "x" * 5000 + "@example.com", "channel": "email"}, "event: to: String should have at most"),
        (
            {"to": "x" * 300 + "@example.com", "channel": "email"},
            "event: to: an email address is at most 254",
        ),
        ({"to": "not-an-address", "channel": "email"}, "event: to: not an email address"),
        ({"to": "a@example.com", "channel": "sms"}, "event: to: not an E.164 phone number"),
        ({"to": "+4477009001234567890", "channel": "sms"}, "event: to: not an E.164 phone number"),
        ({"to": "a@example.com", "channel": "push"}, "event: to: not an SNS platform endpoint ARN"),
        ({"to": ["a@example.com"], "channel": "email"}, "event: to: Input should be a valid string"),
        ({"to": "a\udc80@example.com", "channel": "email"}, "event: to: Input should be a valid string"),
        ({"to": "a\u200b@example.com", "channel": "email"}, "event: to: not an email address"),
        ({"to": "a@example.com", "channel": "email", "source": 7}, "event: source"),
        ({"hello": "world"}, "event: to: required field is missing"),
        ([{"to": "a@example.com", "channel": "email"}], "event: an unsubscribe is a JSON object"),
        ("a@example.com", "event: an unsubscribe is a JSON object"),
        (None, "event: an unsubscribe is a JSON object"),
    ],
)
def test_a_malformed_unsubscribe_is_reported_by_field(ledger: Any, body: Any, error: str) -> None:  # noqa: F811
    outcome = unsubscribe.handler(body, CONTEXT)

    assert outcome["written"] == 0
    [reported] = outcome["errors"]
    assert reported.startswith(error), reported
    assert ledger.scan()["Items"] == []


@pytest.mark.parametrize("name", ["ses-bounce.json", "ses-complaint.json"])
def test_ses_feedback_sent_to_the_unsubscribe_entry_writes_nothing(
    ledger: Any,  # noqa: F811
    regular: dict[str, Any],
    name: str,
) -> None:
    event = load(name)
    notification = json.loads(event["Records"][0]["Sns"]["Message"])

    for body in (event, notification):
        outcome = unsubscribe.handler(body, CONTEXT)
        assert outcome["written"] == 0
        assert outcome["errors"][0].startswith(
            "event: SES notifications and SNS records are not accepted here"
        )
    assert ledger.scan()["Items"] == []


def test_addresses_are_read_as_the_ledger_keys_them(ledger: Any, regular: dict[str, Any]) -> None:  # noqa: F811
    outcome = unsubscribe.handler({"to": "  Arthur.Pendleton@Example.com ", "channel": "email"}, CONTEXT)

    assert outcome["written"] == 1
    campaign = judge_from_ledger(ledger, regular, CATALOGUE, to=ARTHUR, now=NOW)
    assert "SG601" in rules_of(campaign)


def test_the_template_gives_apps_a_marketing_only_entry() -> None:
    from functions import local

    template = local.load_template()
    function = template["Resources"]["UnsubscribeFunction"]
    properties = function["Properties"]
    assert properties["Handler"] == "functions.feedback.unsubscribe.handler"
    assert properties["CodeUri"] == "build/lambda/feedback"  # shares the feedback function's code
    assert properties["ReservedConcurrentExecutions"] > 0
    assert "Events" not in properties  # invoked by applications, nothing subscribes it
    assert set(properties["Environment"]["Variables"]) == {"POWERTOOLS_SERVICE_NAME", "LEDGER_TABLE"}
    [policy] = properties["Policies"]
    [statement] = policy["Statement"]
    assert statement["Action"] == ["dynamodb:Query", "dynamodb:PutItem"]
    assert statement["Resource"] == {"Fn::GetAtt": ["LedgerTable", "Arn"]}
    assert template["Outputs"]["UnsubscribeFunctionArn"]["Value"] == {
        "Fn::GetAtt": ["UnsubscribeFunction", "Arn"]
    }


def test_invoke_unsubscribe_on_embedded_moto(capsys: pytest.CaptureFixture[str]) -> None:
    """`sendguard invoke unsubscribe events/unsubscribe.json`."""
    from tests.test_feedback import invoke_on_embedded_moto

    assert '"written": 1' in invoke_on_embedded_moto("unsubscribe", "unsubscribe.json", capsys)
