"""`sendguard contacts ask|record` (in this process against the stack's tables on moto, or
through the signed HTTP API), and `sendguard check` judging postal, in-app and a
person's call with the same contact rules."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from moto import mock_aws

from functions import aws, ledger, local
from functions.contacts import app as contacts_app
from functions.contacts import command
from linters.models import Customer
from sendguard._entry import main
from tests.contacts_http import ApiServer

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)  # 09:00 in Chicago
PHONE = "+13125550142"
KEY, SECRET = "AKIDCRMHOOK001", "crm-hook-secret"
ORSON = Customer(
    customer_id="c-orson",
    first_name="Orson",
    last_name="Pike",
    timezone="America/Chicago",
    consent={"email_marketing": True, "sms_marketing": True, "voice_marketing": True},
)


@pytest.fixture(autouse=True)
def stack_settings_stay_in_the_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """`sendguard contacts --stack` run in-process sets the stack's table and parameter
    names for its process, as a CLI run does; a test must not hand them to the next."""
    for name in ("CUSTOMERS_TABLE", "LEDGER_TABLE", "POLICY_PARAMETER", "AWS_ENDPOINT_URL"):
        monkeypatch.setenv(name, "")  # noted, so the teardown puts back what was there
        monkeypatch.delenv(name)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[local.Stack]:
    """The stack on moto; the CLI finds its tables by --stack sendguard."""
    for key, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    for name in ("AWS_ENDPOINT_URL", "LEDGER_TABLE", "CUSTOMERS_TABLE", "POLICY_PARAMETER", command.API_URL_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(command, "clock", lambda: NOW)
    monkeypatch.setattr(contacts_app, "clock", lambda: NOW)
    with mock_aws():
        aws.reset()
        created = local.provision()
        with aws.environment({aws.CUSTOMERS_TABLE: created.refs["CustomersTable"]}):
            ledger.put_customer(aws.table(aws.CUSTOMERS_TABLE), ORSON)
        yield created
        aws.reset()


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


CALL = ["--channel", "voice", "--purpose", "marketing", "--customer-id", "c-orson", "--to", PHONE]


def test_record_then_ask_in_process(stack: local.Stack, capsys: pytest.CaptureFixture[str]) -> None:
    recorded = run(
        capsys, "contacts", "record", "--stack", "sendguard", *CALL,
        "--id", "five9-call-20261120-0142", "--at", "2026-11-20T14:20:00Z", "--by", "rep:amaya.cole",
    )
    assert recorded == (0, "five9-call-20261120-0142: recorded\n", "")

    status, out, _ = run(
        capsys, "contacts", "ask", "--stack", "sendguard",
        "--channel", "email", "--customer-id", "c-orson", "--to", "orson.pike@example.com",
    )

    assert status == 1
    first, cap = out.splitlines()
    assert first == "HOLD until 2026-11-21 14:20 UTC"
    assert cap.startswith("  SG603 frequency-cap [hold] 1 marketing message in the last 1 day")


def test_record_again_is_quiet_and_another_body_is_refused(stack: local.Stack, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["contacts", "record", "--stack", "sendguard", *CALL, "--id", "call-77", "--at", "2026-11-20T14:20:00Z"]
    run(capsys, *args)

    assert run(capsys, *args) == (0, "call-77: already recorded with the same body\n", "")
    status, out, err = run(capsys, *args[:-1], "2026-11-20T14:25:00Z")
    assert (status, out) == (1, "")
    assert "recorded before with another body" in err


def test_record_without_at_is_recorded_as_made_now(stack: local.Stack, capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "contacts", "record", "--stack", "sendguard", *CALL, "--id", "call-now")

    with aws.environment({aws.LEDGER_TABLE: stack.refs["LedgerTable"]}):
        contacts, _ = ledger.read_recent(aws.table(aws.LEDGER_TABLE), PHONE, NOW)
    assert [c.at for c in contacts] == [NOW]


def test_ask_reads_a_json_body_from_stdin_and_prints_json(
    stack: local.Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    body = {"channel": "voice", "automated": False, "customer_id": "c-orson", "to": PHONE, "at": "2026-11-21T04:30:00Z"}
    monkeypatch.setattr("sys.stdin", __import__("io").StringIO(json.dumps(body)))

    status, out, _ = run(capsys, "contacts", "ask", "--stack", "sendguard", "--json", "-", "--format", "json")

    answer = json.loads(out)
    assert status == 1
    # Quiet hours (and, where the calling-hours rule is on, SG609 too) until 08:00 in Chicago.
    assert answer["decision"] == "hold" and "SG606" in [f["rule"] for f in answer["findings"]]
    assert answer["next_allowed_at"] == "2026-11-21T14:00:00+00:00"


@pytest.mark.parametrize(
    ("args", "field"),
    [
        (["record", *CALL, "--id", "x", "--at", "2026-11-20T18:00:00Z"], "at"),
        (["record", "--channel", "voice", "--id", "x"], "customer_id"),
        (["ask", "--channel", "postal", "--to", "#customer#c-orson"], "to"),
        (["ask", *CALL, "--at", "tomorrow morning"], "at"),
    ],
    ids=["future", "nobody", "ledger-key", "bad-time"],
)
def test_bad_input_exits_2_naming_the_field(
    stack: local.Stack, capsys: pytest.CaptureFixture[str], args: list[str], field: str
) -> None:
    status, out, err = run(capsys, "contacts", *args[:1], "--stack", "sendguard", *args[1:])

    assert (status, out) == (2, "")
    assert err.startswith(f"sendguard contacts {args[0]}: {field}: ")


def test_without_a_stack_it_says_how_to_name_one(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("LEDGER_TABLE", "CUSTOMERS_TABLE", "AWS_REGION", command.API_URL_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    status, _, err = run(capsys, "contacts", "record", *CALL, "--id", "x", "--at", "2026-11-20T14:00:00Z")

    assert status == 2 and err.count("\n") == 1
    assert "LEDGER_TABLE" in err and "--api-url" in err and "--stack" in err


def test_without_a_region_it_names_the_flag(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", command.API_URL_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    status, _, err = run(capsys, "contacts", "ask", "--stack", "sendguard", *CALL)

    assert status == 2 and err.count("\n") == 1
    assert "--region" in err and "AWS_DEFAULT_REGION" in err


def test_through_the_signed_api(stack: local.Stack, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    for logical_env in stack.function_environment("ContactsFunction").items():
        monkeypatch.setenv(*logical_env)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET)
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    policies = [json.loads((ROOT / "policies" / name).read_text()) for name in ("contact-askers.json", "contact-recorders.json")]
    with ApiServer(contacts_app.handler, {KEY: (SECRET, policies)}) as api:
        recorded = run(
            capsys, "contacts", "record", "--api-url", api.url, *CALL, "--id", "call-88", "--at", "2026-11-20T14:20:00Z",
            "--format", "json",
        )
        status, out, _ = run(capsys, "contacts", "ask", "--api-url", api.url, *CALL, "--format", "json")

    assert (recorded[0], json.loads(recorded[1])) == (0, {"id": "call-88", "recorded": True, "duplicate": False})
    assert status == 1 and json.loads(out)["decision"] == "hold"
    assert [e["routeKey"] for e in api.seen] == ["POST /contacts", "POST /contacts/ask"]


# --- sendguard check judges the new channels and a person's call with the same rules ---------


CUSTOMER = {
    "customer_id": "c-orson",
    "first_name": "Orson",
    "last_name": "Pike",
    "timezone": "America/Chicago",
    "consent": {"email_marketing": True, "sms_marketing": True, "voice_marketing": True},
}


def request(**fields: Any) -> dict[str, Any]:
    base = {
        "id": "req",
        "purpose": "marketing",
        "to": "c-orson",
        "customer": CUSTOMER,
        "now": "2026-11-20T15:00:00Z",
        "template": {"text": "Our winter catalogue is out: new boots, parkas and gloves."},
    }
    return {**base, **fields}


CHECKS = [
    (
        request(id="postcard-opted-out", channel="postal", customer={**CUSTOMER, "unsubscribed": ["postal"]}),
        "block", ["SG601"],
    ),
    (
        request(id="postcard-refused", channel="postal", customer={**CUSTOMER, "consent": {"postal_marketing": False}}),
        "block", ["SG602"],
    ),
    (request(id="postcard-no-answer", channel="postal"), "allow", []),  # postal marketing is opt-out
    (request(id="in-app-no-consent", channel="in_app"), "block", ["SG602"]),
    (
        request(id="in-app-consent", channel="in_app", customer={**CUSTOMER, "consent": {"in_app_marketing": True}}),
        "allow", [],
    ),
    (
        request(
            id="postcard-after-email",
            channel="postal",
            campaign="winter-catalogue",
            history=[{"at": "2026-11-13T16:00:00Z", "channel": "email", "campaign": "Winter-Catalogue"}],
        ),
        "block", ["SG604"],
    ),
    (
        request(
            id="rep-call-after-login",
            channel="voice",
            automated=False,
            to=PHONE,
            template={"text": "Hi Orson, it's Amaya from Pike's Outfitters with news about our winter boots."},
            events=[{"type": "login", "at": "2026-11-20T14:30:00Z"}],
        ),
        "hold", ["SG605"],
    ),
    (
        request(
            id="rep-call-at-night",
            channel="voice",
            automated=False,
            to=PHONE,
            now="2026-11-21T04:30:00Z",
            template={"text": "Hi Orson, it's Amaya from Pike's Outfitters."},
        ),
        "hold", ["SG606"],
    ),
    (
        request(
            id="in-app-after-postcard",
            channel="in_app",
            customer={**CUSTOMER, "consent": {"in_app_marketing": True}},
            history=[{"at": "2026-11-20T10:00:00Z", "channel": "postal", "by": "mail house"}],
        ),
        "hold", ["SG603"],
    ),
]


@pytest.mark.parametrize(("body", "decision", "rules"), CHECKS, ids=[c[0]["id"] for c in CHECKS])
def test_check_judges_postal_in_app_and_a_persons_call(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: dict[str, Any], decision: str, rules: list[str]
) -> None:
    path = tmp_path / "request.json"
    path.write_text(json.dumps(body))

    status, out, _ = run(capsys, "check", "--format", "json", str(path))

    result = json.loads(out)
    found = [f["rule"] for f in result["findings"]]
    # A night call also meets the calling-hours floor (SG609) where that rule is on.
    assert (result["decision"], [r for r in found if r != "SG609"]) == (decision, rules)
    assert status == (0 if decision == "allow" else 1)


def test_invoke_contacts_on_embedded_moto(capsys: pytest.CaptureFixture[str]) -> None:
    """`sendguard invoke contacts events/api-contacts-ask.json` (the record route's event,
    events/api-contacts.json, is run the same way)."""
    from tests.test_feedback import invoke_on_embedded_moto

    assert '\\"decision\\": \\"allow\\"' in invoke_on_embedded_moto("contacts", "api-contacts-ask.json", capsys)
