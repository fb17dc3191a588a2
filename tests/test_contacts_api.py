"""Ask before, record after, end to end on moto: the essays' scenarios.

The client (sendguard_client.ask / record) signs its calls with SigV4; tests/contacts_http.py
serves the contacts Lambda on 127.0.0.1 behind the IAM check API Gateway makes (the
signature, then the caller's policy on the route); the Lambda reads and writes the
stack's tables on in-process moto; later sends go through the guard's own handler.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
import sendguard_client
from moto import mock_aws

from functions import aws, ledger, local
from functions.contacts import app as contacts_app
from functions.guard import app as guard_app
from linters.models import Customer
from tests.contacts_http import ApiServer, Request, route_arn
from tests.iam_policy import allows

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 09:00 in Chicago
PHONE, EMAIL = "+13125550142", "dana.whitfield@example.com"
ASKER, RECORDER, CRM = "AKIDASKER0001", "AKIDRECORDER01", "AKIDCRMHOOK001"
SECRET = "askers-and-recorders-secret"

DANA = Customer(
    customer_id="c-dana",
    first_name="Dana",
    last_name="Whitfield",
    purchase_count=3,
    timezone="America/Chicago",
    consent={"email_marketing": True, "sms_marketing": True, "voice_marketing": True},
)


def with_record(**changes: Any) -> Customer:
    """Dana's stored record with ``changes``."""
    return Customer.model_validate({**DANA.model_dump(), **changes})


def policy(name: str) -> dict[str, Any]:
    return json.loads((ROOT / "policies" / name).read_text())


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[local.Stack]:
    """template.yaml's resources on moto, with the contacts and guard functions' environment."""
    for key, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(contacts_app, "clock", lambda: NOW)
    monkeypatch.setattr(guard_app, "clock", lambda: NOW)
    monkeypatch.setattr(sendguard_client.contacts, "sleep", lambda seconds: None)
    with mock_aws():
        guard_app.reset()
        created = local.provision()
        for logical in ("GuardFunction", "ContactsFunction"):
            for key, value in created.function_environment(logical).items():
                monkeypatch.setenv(key, value)
        local.verify_senders(["news@lakeside-outfitters.example"])
        ledger.put_customer(aws.table(aws.CUSTOMERS_TABLE), DANA)
        yield created
        guard_app.reset()


@pytest.fixture
def api(stack: local.Stack) -> Iterator[ApiServer]:
    """The HTTP API: askers may ask, recorders record, the CRM hook has both policies."""
    principals = {
        ASKER: (SECRET, [policy("contact-askers.json")]),
        RECORDER: (SECRET, [policy("contact-recorders.json")]),
        CRM: (SECRET, [policy("contact-askers.json"), policy("contact-recorders.json")]),
    }
    with ApiServer(contacts_app.handler, principals) as server:
        yield server


def session(key: str = CRM) -> boto3.Session:
    return boto3.Session(aws_access_key_id=key, aws_secret_access_key=SECRET, region_name="us-east-1")


def ask(server: ApiServer, body: dict[str, Any], key: str = CRM) -> dict[str, Any]:
    return sendguard_client.ask(body, api_url=server.url, session=session(key))


def record(server: ApiServer, body: dict[str, Any], key: str = CRM) -> dict[str, Any]:
    return sendguard_client.record(body, api_url=server.url, session=session(key))


def ledger_rows() -> list[dict[str, Any]]:
    return aws.table(aws.LEDGER_TABLE).scan()["Items"]


def guard(stack: local.Stack, request: dict[str, Any]) -> dict[str, Any]:
    """Put ``request`` on the outbox, run the guard, return its decision row."""
    aws.client("sqs").send_message(QueueUrl=stack.refs["OutboxQueue"], MessageBody=json.dumps(request))
    local.drain(stack.refs["OutboxQueue"], stack.arns["OutboxQueue"], guard_app.lambda_handler, 1)
    return aws.table(aws.DECISIONS_TABLE).get_item(Key={"id": request["id"]})["Item"]


def rules(answer: dict[str, Any]) -> list[str]:
    return [f["rule"] for f in answer["findings"]]


REPS_CALL = {
    "id": "ask-call-5512",
    "channel": "voice",
    "automated": False,  # a person dials
    "purpose": "marketing",
    "campaign": "winter-tires",
    "customer_id": "c-dana",
    "to": PHONE,
}
LOGIN = {"type": "login", "at": "2026-11-20T14:30:00Z"}


# --- the essays' scenarios ----------------------------------------------------------------


def test_a_reps_call_half_an_hour_after_a_login_is_held_until_the_cooldown_ends(api: ApiServer) -> None:
    """"Every time I log in ... I get a phone call from my sales rep within an hour." The
    ask names no trigger: a person's contact is timed from the login all the same."""
    answer = ask(api, {**REPS_CALL, "events": [LOGIN]})

    assert answer["decision"] == "hold"
    assert rules(answer) == ["SG605"]
    assert answer["next_allowed_at"] == "2026-11-21T14:30:00+00:00"  # the login plus 24 hours
    assert "30 minutes after a login" in answer["findings"][0]["message"]


def test_the_same_call_by_an_automated_dialer_without_a_trigger_is_not_timed(api: ApiServer) -> None:
    """SG605 as before for automated contacts: only a declared trigger is timed."""
    answer = ask(api, {**REPS_CALL, "automated": True, "events": [LOGIN]})

    assert (answer["decision"], rules(answer)) == ("allow", [])
    assert answer["next_allowed_at"] == NOW.isoformat()


def test_a_recorded_call_holds_the_same_days_marketing_email_by_the_cap(
    stack: local.Stack, api: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    call = {**REPS_CALL, "id": "dialer-call-88121", "at": "2026-11-20T14:55:00Z", "by": "rep:jordan.lee"}
    del call["automated"]
    assert record(api, call) == {"id": "dialer-call-88121", "recorded": True, "duplicate": False}

    monkeypatch.setattr(guard_app, "clock", lambda: NOW + timedelta(hours=3))
    row = guard(
        stack,
        {
            "id": "winter-tires-email-dana",
            "channel": "email",
            "purpose": "marketing",
            "campaign": "winter-tires-newsletter",
            "from": "news@lakeside-outfitters.example",
            "to": EMAIL,
            "customer_id": "c-dana",
            "template": {
                "subject": "Winter tires are in",
                "text": "Hi {{first_name}},\n\nOur winter tires arrived this week. Book a fitting online.\n\n"
                "Lakeside Outfitters, 2400 Lake Avenue, Evanston, IL 60201\n"
                "Unsubscribe: https://lakeside-outfitters.example/unsubscribe",
            },
            "data": {"first_name": "Dana"},
            "now": "2026-11-20T18:00:00Z",
        },
    )

    assert row["decision"] == "hold"
    [cap] = json.loads(row["findings"])
    assert cap["rule"] == "SG603" and "1 marketing message in the last 1 day (cap 1)" in cap["message"]
    assert row["retry_at"] == "2026-11-21T14:55:00+00:00"  # the call plus 24 hours
    assert local.sent_email() == []


def test_a_recorded_postcard_drop_blocks_that_campaigns_text_the_same_week(
    stack: local.Stack, api: ApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """"A postcard, text message, voicemail and email" for one sale: the postcard counts."""
    postcard = {
        "id": "mailhouse-drop-2211-c-dana",
        "channel": "postal",
        "purpose": "marketing",
        "campaign": "Holiday-Sale",
        "customer_id": "c-dana",
        "at": "2026-11-17T10:00:00Z",
        "by": "mail house: Prairie Print & Post",
    }
    record(api, postcard, key=RECORDER)

    monkeypatch.setattr(guard_app, "clock", lambda: NOW)
    row = guard(
        stack,
        {
            "id": "holiday-sale-sms-dana",
            "channel": "sms",
            "purpose": "marketing",
            "campaign": "holiday-sale",
            "to": PHONE,
            "customer_id": "c-dana",
            "template": {"text": "Lakeside: the holiday sale starts Friday, 20% off boots. Reply STOP to opt out."},
            "now": "2026-11-20T15:00:00Z",
        },
    )

    assert row["decision"] == "block"
    assert [f["rule"] for f in json.loads(row["findings"])] == ["SG604"]
    assert "already reached this person by postal" in json.loads(row["findings"])[0]["message"]
    assert local.sent_sms() == []


def test_a_postal_opt_out_blocks_the_next_postcard_ask(api: ApiServer) -> None:
    ledger.put_customer(aws.table(aws.CUSTOMERS_TABLE), with_record(unsubscribed=["postal"]))
    postcard = {"channel": "postal", "purpose": "marketing", "campaign": "spring-catalogue", "customer_id": "c-dana"}

    answer = ask(api, postcard)

    assert answer["decision"] == "block" and rules(answer) == ["SG601"]
    assert answer["next_allowed_at"] is None
    # The opt-out is postal only: an email to the same person is still a question of consent.
    assert ask(api, {**postcard, "channel": "email", "to": EMAIL})["decision"] == "allow"


def test_a_postal_refusal_of_consent_blocks_postcards(api: ApiServer) -> None:
    consent = {**DANA.consent.model_dump(), "postal_marketing": False}
    ledger.put_customer(aws.table(aws.CUSTOMERS_TABLE), with_record(consent=consent))
    answer = ask(api, {"channel": "postal", "purpose": "marketing", "customer_id": "c-dana"})

    assert answer["decision"] == "block" and rules(answer) == ["SG602"]
    assert "consent.postal_marketing" in answer["findings"][0]["message"]


# --- asks -----------------------------------------------------------------------------------


def test_an_ask_writes_nothing(api: ApiServer) -> None:
    before = ledger_rows()
    ask(api, {**REPS_CALL, "events": [LOGIN]})
    ask(api, {**REPS_CALL, "channel": "postal", "to": None})

    assert ledger_rows() == before


def test_a_call_script_is_judged_like_any_message(api: ApiServer) -> None:
    """An automated call's script that claims feelings is blocked on voice (SG303).

    It is also a marketing robocall that never says it is automated, which SG704 (EU AI Act
    Art. 50(1), TCPA) now blocks as well: both findings are deserved by this script.
    """
    robocall = {
        **REPS_CALL,
        "automated": True,
        "template": {"text": "Hello {{first_name}}, your call is important to us. Press 1 to hear our tire offers."},
        "data": {"first_name": "Dana"},
    }
    answer = ask(api, robocall)

    assert answer["decision"] == "block" and rules(answer) == ["SG704", "SG303"]
    assert answer["message"]["text"].startswith("Hello Dana,")


def test_a_postcard_to_current_resident_that_shouts_urgent_is_blocked(api: ApiServer) -> None:
    postcard = {
        "channel": "postal",
        "purpose": "marketing",
        "to": "Current Resident, 418 Larch Lane, Evanston IL 60201",
        "customer": {"anonymous": True},
        "template": {"text": "URGENT information for you, Current Resident: act now to lock in your rate."},
    }
    answer = ask(api, postcard)

    assert answer["decision"] == "block" and "SG301" in rules(answer)


def test_a_reps_script_with_the_wrong_name_is_allowed_with_the_name_they_use(api: ApiServer) -> None:
    ledger.put_customer(aws.table(aws.CUSTOMERS_TABLE), with_record(first_name="Danielle", preferred_name="Dana"))
    script = {
        **REPS_CALL,
        "purpose": "service",
        "template": {"text": "Hi {{first_name}}, this is Jordan from Lakeside about your tire fitting on Monday."},
        "data": {"first_name": "Danielle"},
    }
    answer = ask(api, script)

    assert answer["decision"] == "allow"
    assert answer["message"]["text"].startswith("Hi Dana,")
    assert [c["rule"] for c in answer["changes"]] == ["SG101"]


def test_a_person_calling_at_night_is_held_until_morning(api: ApiServer) -> None:
    answer = ask(api, {**REPS_CALL, "at": "2026-11-21T04:30:00Z"})  # 22:30 in Chicago

    assert answer["decision"] == "hold" and "SG606" in rules(answer)
    assert answer["next_allowed_at"] == "2026-11-21T14:00:00+00:00"  # 08:00 in Chicago


# --- records ------------------------------------------------------------------------------

CALL = {
    "id": "hubspot-task-7781",
    "channel": "voice",
    "purpose": "marketing",
    "campaign": "winter-tires",
    "customer_id": "c-dana",
    "to": PHONE,
    "at": "2026-11-20T14:40:00Z",
    "by": "rep:jordan.lee",
}


def contact_rows() -> list[dict[str, Any]]:
    return [row for row in ledger_rows() if row["kind"] == "contact"]


def test_a_record_is_kept_under_the_address_and_the_customer(api: ApiServer) -> None:
    record(api, CALL)

    rows = contact_rows()
    assert sorted(row["recipient"] for row in rows) == ["#customer#c-dana", PHONE]
    assert len({row["at"] for row in rows}) == 1  # one contact, counted once by a reader of both
    contacts, _ = ledger.read_recent(aws.table(aws.LEDGER_TABLE), PHONE, NOW, customer_id="c-dana")
    assert [(c.channel, c.by, c.campaign) for c in contacts] == [("voice", "rep:jordan.lee", "winter-tires")]


def test_recording_again_is_idempotent_by_the_callers_id(api: ApiServer) -> None:
    first = record(api, CALL)
    again = record(api, {**CALL, "at": "2026-11-20T08:40:00-06:00"})  # the same moment, in Chicago

    assert (first["duplicate"], again["duplicate"]) == (False, True)
    assert len(contact_rows()) == 2  # the address and the customer, once each


def test_the_same_id_with_another_body_is_409_and_writes_nothing(api: ApiServer) -> None:
    record(api, CALL)
    before = ledger_rows()

    with pytest.raises(sendguard_client.ContactConflict) as refused:
        record(api, {**CALL, "at": "2026-11-20T14:45:00Z"})

    assert (refused.value.status, refused.value.field) == (409, "id")
    assert ledger_rows() == before


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"at": "2026-11-20T16:00:00Z"}, "at", "in the future"),
        ({"at": "2026-07-01T12:00:00Z"}, "at", "older than the ledger keeps"),
        ({"channel": "fax"}, "channel", "Input should be"),
        ({"customer_id": None, "to": None}, "customer_id", "name the person"),
        ({"to": "#customer#c-other"}, "to", "may not start with '#'"),
        ({"to": "(312) 555-0142"}, "to", "not an E.164 phone number"),
        ({"purpose": "sales"}, "purpose", "Input should be"),
        ({"by": "x" * 300}, "by", "at most 256"),
        ({"campain": "winter-tires"}, "campain", "unknown field"),
    ],
    ids=["future", "too-old", "channel", "nobody", "ledger-key", "not-e164", "purpose", "long-by", "typo"],
)
def test_a_bad_record_is_400_naming_the_field(api: ApiServer, change: dict[str, Any], field: str, words: str) -> None:
    body = {key: value for key, value in {**CALL, **change}.items() if value is not None}
    with pytest.raises(sendguard_client.ContactError) as refused:
        record(api, body)

    # Naming nobody is refused by the client before any call; the rest by the API.
    assert (refused.value.status, refused.value.field) == (None if field == "customer_id" else 400, field)
    assert words in str(refused.value)
    assert contact_rows() == []


def test_a_bad_ask_is_400_naming_the_field(api: ApiServer) -> None:
    cases = [
        ({**REPS_CALL, "channel": "telegram"}, "channel"),
        ({**REPS_CALL, "at": "yesterday"}, "at"),
        ({**REPS_CALL, "events": [{"type": "login"}]}, "events.0.at"),
        ({**REPS_CALL, "template": {"html": "<p>Hi</p>"}}, "template.html"),
        ({**REPS_CALL, "customer_id": "c-nobody"}, "customer_id"),
    ]
    for body, field in cases:
        with pytest.raises(sendguard_client.ContactError) as refused:
            ask(api, body)
        assert (refused.value.status, refused.value.field) == (400, field), body


def test_a_body_that_is_not_json_is_400(stack: local.Stack) -> None:
    event = {
        "version": "2.0",
        "routeKey": "POST /contacts",
        "rawPath": "/contacts",
        "headers": {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/contacts"}, "stage": "$default"},
        "body": '{"id": "x", "channel": ',
        "isBase64Encoded": False,
    }
    from tests.contacts_http import CONTEXT

    response = contacts_app.handler(event, CONTEXT)

    assert response["statusCode"] == 400
    assert json.loads(response["body"])["error"].startswith("not valid JSON")


def test_answers_carry_no_personal_data_beyond_the_decision(api: ApiServer) -> None:
    answer = record(api, CALL)

    assert set(answer) == {"id", "recorded", "duplicate"}
    text = json.dumps(answer)
    for personal in (PHONE, "c-dana", "jordan.lee", "Dana"):
        assert personal not in text


def test_a_failing_ledger_is_503_and_the_client_says_so(api: ApiServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGER_TABLE", "no-such-table")
    aws.reset()

    with pytest.raises(sendguard_client.ApiUnavailable) as failed:
        record(api, CALL)

    assert failed.value.status == 503 and "ResourceNotFoundException" in str(failed.value)


# --- who may call what ------------------------------------------------------------------


def test_askers_cannot_record_and_recorders_cannot_ask(api: ApiServer) -> None:
    assert ask(api, REPS_CALL, key=ASKER)["decision"] == "allow"
    with pytest.raises(sendguard_client.ContactError) as refused:
        record(api, CALL, key=ASKER)
    assert refused.value.status == 403
    assert contact_rows() == []

    assert record(api, CALL, key=RECORDER)["recorded"] is True
    with pytest.raises(sendguard_client.ContactError) as refused:
        ask(api, REPS_CALL, key=RECORDER)
    assert refused.value.status == 403


def test_a_call_signed_with_the_wrong_secret_is_refused(api: ApiServer) -> None:
    forged = boto3.Session(aws_access_key_id=CRM, aws_secret_access_key="guessed", region_name="us-east-1")
    with pytest.raises(sendguard_client.ContactError) as refused:
        sendguard_client.record(CALL, api_url=api.url, session=forged)

    assert refused.value.status == 403
    assert contact_rows() == []


@pytest.mark.parametrize(
    ("name", "allowed", "refused"),
    [
        ("contact-askers.json", ("POST", "/contacts/ask"), ("POST", "/contacts")),
        ("contact-recorders.json", ("POST", "/contacts"), ("POST", "/contacts/ask")),
    ],
)
def test_each_policy_grants_its_own_route_only(name: str, allowed: tuple[str, str], refused: tuple[str, str]) -> None:
    document = policy(name)
    assert allows(document, Request.by("", "execute-api:Invoke", route_arn(*allowed)))
    for method, path in [refused, ("POST", "/check"), ("POST", "/check/stored"), ("POST", "/review/release")]:
        assert not allows(document, Request.by("", "execute-api:Invoke", route_arn(method, path))), path


def test_the_stack_gives_the_routes_their_own_function_and_managed_policies() -> None:
    template = local.load_template()
    resources = template["Resources"]
    function = resources["ContactsFunction"]["Properties"]
    routes = {(e["Properties"]["Method"], e["Properties"]["Path"]) for e in function["Events"].values()}
    assert routes == {("POST", "/contacts/ask"), ("POST", "/contacts")}
    assert function["Handler"] == "functions.contacts.handler.handler"
    granted = {
        action
        for policy_ in function["Policies"]
        for statement in policy_["Statement"]
        for action in statement["Action"]
    }
    assert granted == {
        "dynamodb:GetItem", "dynamodb:Query", "dynamodb:PutItem", "ssm:GetParameter", "ses:GetTemplate",
    }
    for logical, path in (("ContactAskersPolicy", "/contacts/ask"), ("ContactRecordersPolicy", "/contacts")):
        [statement] = resources[logical]["Properties"]["PolicyDocument"]["Statement"]
        assert statement["Action"] == ["execute-api:Invoke"]
        assert statement["Resource"]["Fn::Sub"].endswith("${LintHttpApi}/*/POST" + path)


# --- the guard does not deliver what it cannot ---------------------------------------------


@pytest.mark.parametrize("channel", ["postal", "in_app"])
def test_the_producer_client_sends_no_postcard_and_points_at_ask(channel: str) -> None:
    with pytest.raises(sendguard_client.OutboxError) as refused:
        sendguard_client.send(
            {"channel": channel, "to": "c-dana", "template": {"text": "Our spring catalogue is here."}},
            queue_url="https://sqs.us-east-1.amazonaws.com/123456789012/sendguard-outbox",
        )

    assert str(refused.value).startswith("channel: ")
    assert "POST /contacts/ask" in str(refused.value)
