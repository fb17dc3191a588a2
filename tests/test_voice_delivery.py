"""Voice delivery (issue 30, item 5): the guard places automated calls with AWS End User
Messaging SMS and Voice v2 ``SendVoiceMessage``, through the same delivery record,
ledger, holds and quarantine as email and texts.

moto has no model of that service (``pinpoint-sms-voice-v2``), so the call itself is
tested with botocore's ``Stubber`` on the guard's own client: botocore validates every
parameter against the real service model before the stub answers, and each test names
the exact parameters it expects. Everything else (the outbox, the delivery record, the
decisions table, the ledger, the policy parameter) is template.yaml on moto, as in
tests/test_guard.py and tests/test_delivery_faults.py.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from botocore.stub import Stubber

from functions import aws, local
from functions.guard import delivery, voice
from linters.models import RequestError, SendRequest
from linters.policy import PolicyError, policy_from_mapping
from tests import iam_policy, test_guard
from tests.test_delivery_faults import Crash, breaking, dead_letters, later, outage, outbox, run
from tests.test_guard import decision_row, ledger_contacts, put, queue_counts

stack = test_guard.stack

PHONE_ID = "phone-5b0a6f2c9d8e47a1b3c4d5e6f7a8b9c0"

# A dental office's reminder call: service, not marketing (no consent needed, but quiet
# hours apply). Seattle number, 15:00 UTC = 07:00 in Seattle, a service call (SG609 is
# marketing's floor; quiet hours use the record's zone, here none: UTC).
REMINDER: dict[str, Any] = {
    "id": "appt-reminder-88213",
    "channel": "voice",
    "purpose": "service",
    "to": "+12065550148",
    "template": {
        "text": "Hello {{first_name}}. This is an automated reminder from Harbor Dental: your cleaning "
        "is tomorrow, Friday, at 10:30 in the morning. To reschedule, call us at 206-555-0190 "
        "during office hours. Goodbye."
    },
    "data": {"first_name": "Dana"},
    "customer": {"customer_id": "c-dana", "first_name": "Dana", "last_name": "Okafor"},
}
REMINDER_SPOKEN = (
    "Hello Dana. This is an automated reminder from Harbor Dental: your cleaning is tomorrow, "
    "Friday, at 10:30 in the morning. To reschedule, call us at 206-555-0190 during office hours. Goodbye."
)

# A marketing call in SSML to a New York number (15:00 UTC is 10:00 there), with consent.
OFFER: dict[str, Any] = {
    "id": "voice-offer-4410",
    "channel": "voice",
    "purpose": "marketing",
    "campaign": "winter-tuneup",
    "to": "+12125550163",
    "template": {
        "text": '<speak>Hi {{first_name}}, this is an automated call from Metro Bikes. <break time="300ms"/> '
        "Winter tune-ups are 20 percent off through December 15. To stop these calls, press 9 or say "
        "stop.</speak>"
    },
    "data": {"first_name": "Luis"},
    "customer": {"customer_id": "c-luis", "first_name": "Luis", "purchase_count": 3, "consent": {"voice_marketing": True}},
}

# The essays' robot call: a recording that claims to care while the caller waits.
HOLD_LINE: dict[str, Any] = {
    "id": "callback-queue-2291",
    "channel": "voice",
    "purpose": "service",
    "to": "+13125550177",
    "template": {
        "text": "Thank you for calling Lakeside Energy. Your call is important to us. Please stay on the "
        "line and the next agent will be with you."
    },
}


@dataclass
class Calls:
    """The guard's SendVoiceMessage client, stubbed; ``placed`` holds every call's parameters."""

    stubber: Stubber
    placed: list[dict[str, Any]] = field(default_factory=list)

    def answer(self, message_id: str, expected: dict[str, Any] | None = None) -> None:
        self.stubber.add_response("send_voice_message", {"MessageId": message_id}, expected)

    def refuse(self, code: str, status: int) -> None:
        self.stubber.add_client_error("send_voice_message", service_error_code=code, http_status_code=status)


@pytest.fixture
def calls(stack: local.Stack, monkeypatch: pytest.MonkeyPatch) -> Iterator[Calls]:
    monkeypatch.setenv(voice.ORIGINATION_IDENTITY, PHONE_ID)
    client = aws.send_client(voice.SERVICE)
    found = Calls(Stubber(client))

    def note(params: dict[str, Any], **_: Any) -> None:
        found.placed.append(dict(params))

    # Before the parameters are validated and serialised: every attempt to call is counted.
    client.meta.events.register("before-parameter-build.pinpoint-sms-voice-v2.SendVoiceMessage", note)
    with found.stubber:
        yield found


def tag_of(body: dict[str, Any]) -> str:
    return delivery.decision_id(body["id"], delivery.payload_hash(json.dumps(body)))


def set_policy(stack: local.Stack, document: dict[str, Any]) -> None:
    aws.client("ssm").put_parameter(
        Name=stack.refs["PolicyParameter"], Type="String", Value=json.dumps(document), Overwrite=True
    )


# --- the call ------------------------------------------------------------------------------


def test_a_reminder_call_is_placed_once_with_the_checked_text(stack: local.Stack, calls: Calls) -> None:
    calls.answer(
        "c0ffee00-0000-4000-8000-000000088213",
        {
            "DestinationPhoneNumber": "+12065550148",
            "OriginationIdentity": PHONE_ID,
            "MessageBody": REMINDER_SPOKEN,
            "MessageBodyTextType": "TEXT",
            "Context": {"sendguard-decision": tag_of(REMINDER)},
        },
    )
    put(stack, REMINDER)
    assert run(stack) == [{"batchItemFailures": []}]

    calls.stubber.assert_no_pending_responses()
    assert len(calls.placed) == 1
    record = delivery.load("appt-reminder-88213")
    assert record.state == "sent" and record.provider_id == "c0ffee00-0000-4000-8000-000000088213"
    row = decision_row("appt-reminder-88213")
    assert row["decision"] == "allow" and row["provider_id"] == record.provider_id
    [contact] = ledger_contacts("+12065550148")
    assert contact.channel == "voice" and contact.purpose == "service" and contact.text == REMINDER_SPOKEN


def test_ssml_is_spoken_as_ssml_in_the_policys_voice(stack: local.Stack, calls: Calls) -> None:
    set_policy(stack, {"voice": {"voice_id": "joanna"}})
    spoken = OFFER["template"]["text"].replace("{{first_name}}", "Luis")
    calls.answer(
        "c0ffee00-0000-4000-8000-000000004410",
        {
            "DestinationPhoneNumber": "+12125550163",
            "OriginationIdentity": PHONE_ID,
            "MessageBody": spoken,
            "MessageBodyTextType": "SSML",
            "Context": {"sendguard-decision": tag_of(OFFER)},
            "VoiceId": "JOANNA",
        },
    )
    put(stack, OFFER)
    assert run(stack) == [{"batchItemFailures": []}]
    calls.stubber.assert_no_pending_responses()
    [contact] = ledger_contacts("+12125550163")
    assert contact.campaign == "winter-tuneup" and contact.purpose == "marketing"


def test_a_recording_that_claims_to_care_is_quarantined_and_never_called(
    stack: local.Stack, calls: Calls
) -> None:
    put(stack, HOLD_LINE)
    assert run(stack) == [{"batchItemFailures": []}]
    assert calls.placed == []
    row = decision_row("callback-queue-2291")
    assert row["decision"] == "block" and row["quarantined"] is True
    [finding] = json.loads(row["findings"])
    assert (finding["rule"], finding["action"]) == ("SG303", "block")
    assert delivery.load("callback-queue-2291").state == "quarantined"


def test_a_marketing_call_in_the_recipients_night_is_held_not_placed(stack: local.Stack, calls: Calls) -> None:
    # 15:00 UTC is midnight in Tokyo: quiet hours (SG606) hold it until 08:00 there.
    night = {**OFFER, "id": "voice-offer-4411", "to": "+81355550123"}
    night["customer"] = {**OFFER["customer"], "timezone": "Asia/Tokyo"}
    put(stack, night)
    assert run(stack, rounds=1) == [{"batchItemFailures": []}]
    assert calls.placed == []
    record = delivery.load("voice-offer-4411")
    assert record.state == "held" and record.not_before.isoformat() == "2026-11-20T23:00:00+00:00"
    assert queue_counts(stack)["delayed"] == 1


# --- refusals before the call: nothing placed, the field named ---------------------------


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('<!DOCTYPE speak [<!ENTITY a "again">]><speak>&a;</speak>', "DOCTYPE"),
        ("<speak>Your table is ready. <break time='1s'></speak>", "well-formed"),
        ("<speak>Your table is ready.</speak><speak>Second script.</speak>", "one <speak>"),
        ("Your order is ready. " * 160, "at most 3000"),
    ],
)
def test_a_body_the_service_could_not_speak_as_judged_is_refused_before_any_call(text: str, problem: str) -> None:
    with pytest.raises(RequestError, match=problem) as refused:
        voice.message_body(text)
    assert refused.value.field == "template.text"


def test_a_refused_body_is_never_called_and_the_record_knows_nothing_was_sent(
    stack: local.Stack, calls: Calls
) -> None:
    broken = {**REMINDER, "id": "appt-reminder-88214"}
    broken["template"] = {"text": "<speak>Hello {{first_name}}, your cleaning is tomorrow.</speak"}
    put(stack, broken)
    [first] = run(stack, rounds=1)
    assert len(first["batchItemFailures"]) == 1
    assert calls.placed == []
    assert delivery.load("appt-reminder-88214").state == "retry"


def test_a_call_claimed_to_be_written_by_a_person_is_refused(calls: Calls) -> None:
    request = SendRequest.model_validate({**REMINDER, "automated": False})
    with pytest.raises(RequestError) as refused:
        voice.call_parameters(request, REMINDER_SPOKEN, "0" * 32)
    assert refused.value.field == "automated"
    assert calls.placed == []


def test_without_an_origination_identity_nothing_is_called(calls: Calls, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(voice.ORIGINATION_IDENTITY)
    request = SendRequest.model_validate(REMINDER)
    with pytest.raises(RequestError) as refused:
        voice.send_voice(request, REMINDER_SPOKEN, "0" * 32)
    assert refused.value.field == voice.ORIGINATION_IDENTITY and calls.placed == []


def test_a_voice_polly_does_not_have_is_refused_naming_the_policy_field(stack: local.Stack, calls: Calls) -> None:
    set_policy(stack, {"voice": {"voice_id": "Hal"}})
    request = SendRequest.model_validate(REMINDER)
    with pytest.raises(RequestError, match="'Hal' is not a voice") as refused:
        voice.send_voice(request, REMINDER_SPOKEN, "0" * 32)
    assert refused.value.field == "voice.voice_id" and calls.placed == []


@pytest.mark.parametrize(
    ("table", "key"),
    [({"voice_id": "Joanna Neural"}, "voice.voice_id"), ({"voice": "JOANNA"}, "voice.voice"), ("JOANNA", "voice")],
)
def test_a_bad_voice_table_is_a_policy_error_naming_the_key(table: Any, key: str) -> None:
    with pytest.raises(PolicyError, match=rf"policy: {key}\b"):
        policy_from_mapping({"voice": table})


# --- failures around the call: at most one call -------------------------------------------


def test_a_refused_call_is_tried_again_and_placed_once(stack: local.Stack, calls: Calls) -> None:
    calls.refuse("ThrottlingException", 400)  # certainly not placed
    calls.answer("c0ffee00-0000-4000-8000-000000088213")
    put(stack, REMINDER)
    outcomes = run(stack)
    assert len(outcomes[0]["batchItemFailures"]) == 1 and outcomes[-1] == {"batchItemFailures": []}
    assert len(calls.placed) == 2  # the refused attempt and the call
    calls.stubber.assert_no_pending_responses()
    assert delivery.load("appt-reminder-88213").state == "sent"
    assert len(ledger_contacts("+12065550148")) == 1


def test_a_5xx_answer_may_hide_a_placed_call_so_it_is_never_called_again(
    stack: local.Stack, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls.refuse("InternalServerException", 500)
    put(stack, REMINDER)
    run(stack, rounds=1)
    later(monkeypatch)
    run(stack)
    assert len(calls.placed) == 1
    row = decision_row("appt-reminder-88213")
    assert row["quarantined"] is True and row["reason"].startswith("delivery-unknown")
    assert outbox(stack) == 0 and dead_letters(stack) == 0


def test_a_failed_write_right_after_the_call_is_repaired_without_calling_again(
    stack: local.Stack, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls.answer("c0ffee00-0000-4000-8000-000000088213")
    # Every write of "sent" to the delivery record fails (the table's writes are down).
    breaking(monkeypatch, delivery, "mark_sent", outage("UpdateItem"))
    put(stack, REMINDER)
    [first] = run(stack, rounds=1)
    assert len(first["batchItemFailures"]) == 1
    assert decision_row("appt-reminder-88213")["provider_id"] == "c0ffee00-0000-4000-8000-000000088213"

    [waiting] = run(stack, rounds=1)  # redelivered at once: the attempt might still be running
    assert len(waiting["batchItemFailures"]) == 1
    later(monkeypatch)
    assert run(stack) == [{"batchItemFailures": []}]
    assert len(calls.placed) == 1
    record = delivery.load("appt-reminder-88213")
    assert record.state == "sent" and record.provider_id == "c0ffee00-0000-4000-8000-000000088213"
    assert len(ledger_contacts("+12065550148")) == 1
    assert outbox(stack) == 0 and dead_letters(stack) == 0


def test_a_crash_right_after_the_call_never_calls_again(
    stack: local.Stack, calls: Calls, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls.answer("c0ffee00-0000-4000-8000-000000088213")
    breaking(monkeypatch, delivery, "mark_sent", Crash())
    put(stack, REMINDER)
    assert run(stack, rounds=1) == ["crash"]
    later(monkeypatch)
    assert run(stack) == [{"batchItemFailures": []}]
    assert len(calls.placed) == 1
    row = decision_row("appt-reminder-88213")
    assert row["quarantined"] is True and row["reason"].startswith("delivery-unknown")


# --- who may call ------------------------------------------------------------------------

GUARD_ROLE = "arn:aws:iam::123456789012:role/sendguard/guard/sendguard-GuardFunctionRole-Q1w2E3r4T5y6"
OTHER_ROLE = "arn:aws:iam::123456789012:role/marketing-dialer"
ARN = "arn:aws:sms-voice:us-east-1:123456789012:{}"


def _guard_statements(identity: str) -> dict[str, Any]:
    template = local.load_template()
    stack = local.Stack(template, "us-east-1")
    stack.refs.update(VoiceOriginationId=identity, ReviewTopic="arn:aws:sns:us-east-1:123456789012:review")
    stack.refs.update(SesConfigurationSet="sendguard")
    for logical in ("CustomersTable", "LedgerTable", "DecisionsTable", "IdempotencyTable", "OutboxQueue"):
        stack.arns[logical] = f"arn:aws:dynamodb:us-east-1:123456789012:table/{logical}"
    [inline] = [p for p in template["Resources"]["GuardFunction"]["Properties"]["Policies"] if "Statement" in p]
    return {"Statement": stack.resolve(inline["Statement"])}


@pytest.mark.parametrize(
    ("resource", "allowed"),
    [
        (ARN.format(f"phone-number/{PHONE_ID}"), True),
        (ARN.format("phone-number/phone-00000000000000000000000000000000"), False),
        (ARN.format("pool/pool-00000000000000000000000000000000"), False),
        ("*", False),
    ],
)
def test_the_guard_calls_only_from_the_stacks_origination_identity(resource: str, allowed: bool) -> None:
    statements = _guard_statements(PHONE_ID)
    request = iam_policy.Request.by(GUARD_ROLE, "sms-voice:SendVoiceMessage", resource)
    assert iam_policy.allows(statements, request) is allowed


def test_without_an_identity_the_guard_may_call_from_none() -> None:
    statements = _guard_statements("")
    for resource in (ARN.format(f"phone-number/{PHONE_ID}"), ARN.format("pool/pool-1")):
        assert not iam_policy.allows(statements, iam_policy.Request.by(GUARD_ROLE, "sms-voice:SendVoiceMessage", resource))


def test_everyone_but_the_guard_is_denied_voice_calls() -> None:
    for name in ("only-the-guard-sends.scp.json", "only-the-guard-sends.boundary.json"):
        policy = json.loads((local.ROOT / "policies" / name).read_text())
        resource = ARN.format(f"phone-number/{PHONE_ID}")
        assert iam_policy.denies(policy, iam_policy.Request.by(OTHER_ROLE, "sms-voice:SendVoiceMessage", resource))
        assert not iam_policy.denies(policy, iam_policy.Request.by(GUARD_ROLE, "sms-voice:SendVoiceMessage", resource))
