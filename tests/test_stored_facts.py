"""Stored facts always count: nothing a request carries hides the ledger or the stored record.

Each test is an attack a tester made on the guard (issue 27): a request that carries its
own ``events``, an empty ``history``, an inline ``customer`` that contradicts the stored
one, or no customer at all; and a reviewer's release of a message to someone who
complained after it was quarantined. The precedence tested here is the one
linters/precedence.py and docs/security.md state.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from functions import aws, ledger, local
from functions.lint_api import app as lint_api
from functions.review import release
from linters.models import AddressAs, Consent, Contact, Customer, Event, RequestError, parse_request
from linters.precedence import customer_id_of, merge_customer, stricter_consent, union, with_stored_facts
from tests import test_review
from tests.test_review import BOOTS, REVIEWER, call, row, run_guard, sent_to, variant

stack = test_review.stack  # template.yaml's resources on moto, the guard's environment set

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)

# A store's autumn letter to a customer who agreed to marketing email, with the footer a
# marketing email carries (address and opt-out), so only the stored facts decide it.
AUTUMN: dict[str, Any] = {
    "id": "autumn-letter-ines",
    "channel": "email",
    "purpose": "marketing",
    "campaign": "autumn-letter",
    "from": "news@northwind.example",
    "to": "ines.k@example.com",
    "template": {
        "subject": "New in: waxed jackets",
        "text": "Hello,\n\nThe waxed jackets are in, in five colours. See them at "
        "https://northwind.example/jackets\n\nNorthwind Outfitters, 12 Harbour Street, Portland, OR 97201\n"
        "Unsubscribe: https://northwind.example/unsubscribe",
    },
    "customer_id": "c-ines",
    "now": "2026-11-20T15:00:00Z",
}
INES = {"customer_id": "c-ines", "first_name": "Ines", "last_name": "Kovač", "consent": {"email_marketing": True}}

# A password reset: transactional, so a marketing unsubscribe never stops it.
RESET: dict[str, Any] = {
    "id": "reset-ines-1",
    "channel": "email",
    "purpose": "transactional",
    "from": "security@northwind.example",
    "to": "ines.k@example.com",
    "template": {
        "subject": "Reset your password",
        "text": "Someone asked to reset the password of your Northwind account. If it was you, "
        "use this link within an hour: https://northwind.example/reset/8f2c\n\nNorthwind Outfitters",
    },
    "now": "2026-11-20T15:00:00Z",
}


def store_customer(record: dict[str, Any]) -> None:
    ledger.put_customer(aws.table(aws.CUSTOMERS_TABLE), Customer.model_validate(record))


def record_event(to: str, kind: str, at: str = "2026-11-18T10:00:00Z", **fields: Any) -> None:
    event = Event.model_validate({"type": kind, "at": at, "channel": "email", **fields})
    ledger.put_event(aws.table(aws.LEDGER_TABLE), to, event)


def decision(key: str) -> tuple[str, list[str]]:
    found = row(key)
    return found["decision"], sorted({f["rule"] for f in json.loads(found["findings"])})


@pytest.fixture
def ines(stack: local.Stack) -> local.Stack:
    local.verify_senders(["x@northwind.example"])
    store_customer(INES)
    return stack


# --- the guard ---------------------------------------------------------------------------


def test_a_request_carrying_its_own_events_still_meets_a_stored_complaint(ines: local.Stack) -> None:
    record_event(AUTUMN["to"], "complaint")
    visit = {"type": "site_visit", "at": "2026-11-20T14:00:00Z", "channel": "email"}
    run_guard(ines, variant(AUTUMN, events=[visit]))
    assert decision("autumn-letter-ines") == ("block", ["SG601"])
    assert sent_to(AUTUMN["to"]) == 0


def test_a_transactional_email_carrying_a_login_event_meets_a_stored_hard_bounce(ines: local.Stack) -> None:
    record_event(RESET["to"], "bounce", bounce_type="permanent")
    login = {"type": "login", "at": "2026-11-20T14:58:00Z"}
    run_guard(ines, variant(RESET, events=[login]))
    assert decision("reset-ines-1") == ("block", ["SG601"])
    assert sent_to(RESET["to"]) == 0


def test_an_empty_history_in_the_request_does_not_hide_the_ledgers_contacts(ines: local.Stack) -> None:
    letters = [variant(AUTUMN, id=f"autumn-{n}", history=[]) for n in range(6)]
    for letter in letters:
        run_guard(ines, letter)
    assert sent_to(AUTUMN["to"]) == 1
    for n in range(1, 6):
        assert decision(f"autumn-{n}")[0] == "hold"
        assert "SG603" in decision(f"autumn-{n}")[1]


def test_an_inline_record_cannot_give_consent_the_stored_record_does_not(ines: local.Stack) -> None:
    store_customer({**INES, "consent": {"email_marketing": False}})
    inline = {**INES, "consent": {"email_marketing": True}}
    run_guard(ines, variant(AUTUMN, customer=inline))
    assert decision("autumn-letter-ines") == ("block", ["SG602"])
    assert sent_to(AUTUMN["to"]) == 0


def test_an_inline_unsubscribe_adds_to_the_stored_record(ines: local.Stack) -> None:
    run_guard(ines, variant(AUTUMN, customer={**INES, "unsubscribed": ["email"]}))
    assert decision("autumn-letter-ines") == ("block", ["SG601"])


def test_marketing_with_no_customer_record_at_all_is_not_sent_without_consent(ines: local.Stack) -> None:
    anonymous_letter = variant(AUTUMN, id="autumn-nobody", to="someone@example.org")
    del anonymous_letter["customer_id"]
    run_guard(ines, anonymous_letter)
    assert decision("autumn-nobody") == ("block", ["SG602"])
    assert sent_to("someone@example.org") == 0


def test_a_receipt_with_no_customer_record_still_goes(ines: local.Stack) -> None:
    run_guard(ines, variant(RESET, to="someone@example.org"))
    assert sent_to("someone@example.org") == 1


def test_the_stored_record_is_read_when_the_inline_one_names_the_same_id(ines: local.Stack) -> None:
    store_customer({**INES, "unsubscribed": ["email"]})
    body = variant(AUTUMN, customer=INES)
    del body["customer_id"]  # the id only inside the inline record
    run_guard(ines, body)
    assert decision("autumn-letter-ines") == ("block", ["SG601"])


# --- a reviewer's release ----------------------------------------------------------------


def test_a_release_to_someone_who_complained_after_the_quarantine_is_refused(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    assert decision(BOOTS["id"])[1] == ["SG103"]
    record_event(BOOTS["to"], "complaint", at="2026-11-20T15:30:00Z")
    with pytest.raises(release.ReleaseRefused, match="SG601"):
        release.release(BOOTS["id"], "the link is fine", REVIEWER)
    status, answer = call("POST", "/review/release", {"id": BOOTS["id"], "reason": "the link is fine"})
    assert status == 409 and "SG601" in answer["error"]
    assert "review_state" not in row(BOOTS["id"])
    assert sent_to(BOOTS["to"]) == 0


def test_a_release_carrying_events_of_its_own_still_meets_the_complaint(stack: local.Stack) -> None:
    body = variant(BOOTS, events=[{"type": "site_visit", "at": "2026-11-20T14:00:00Z"}], history=[])
    run_guard(stack, body)
    record_event(BOOTS["to"], "complaint", at="2026-11-20T15:30:00Z")
    with pytest.raises(release.ReleaseRefused, match="SG601"):
        release.release(BOOTS["id"], "fine", REVIEWER)
    assert sent_to(BOOTS["to"]) == 0


# --- POST /check/stored ----------------------------------------------------------------


def test_check_stored_merges_like_the_guard(ines: local.Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(lint_api.RECORD_READS, "enabled")
    record_event(AUTUMN["to"], "complaint")
    visit = {"type": "site_visit", "at": "2026-11-20T14:00:00Z", "channel": "email"}
    answer = lint_api.judge(parse_request(variant(AUTUMN, events=[visit], history=[])), stored=True)
    assert answer["decision"] == "block" and [f["rule"] for f in answer["findings"]] == ["SG601"]


# --- the precedence, field by field ------------------------------------------------------


def test_consent_takes_the_stricter_of_stored_and_inline() -> None:
    stored = Consent(email_marketing=True, sms_marketing=None, push_marketing=False)
    inline = Consent(email_marketing=None, sms_marketing=True, push_marketing=True, voice_marketing=True)
    merged = stricter_consent(stored, inline)
    assert (merged.email_marketing, merged.sms_marketing, merged.push_marketing) == (None, None, False)
    assert merged.voice_marketing is None  # stored says nothing, so nothing was given


def test_stored_fields_win_and_inline_fields_only_fill_gaps() -> None:
    stored = Customer(customer_id="c-1", first_name="Arthur", tier=None, purchase_count=1)
    inline = Customer(
        customer_id="c-1",
        first_name="Art",
        tier="platinum",
        purchase_count=40,
        anonymous=True,
        address_as=AddressAs.FORMAL,
        unsubscribed=["sms"],
    )
    merged = merge_customer(Customer(**{**stored.model_dump(), "unsubscribed": ["email"]}), inline)
    assert merged is not None
    assert (merged.first_name, merged.purchase_count, merged.tier) == ("Arthur", 1, "platinum")
    assert merged.anonymous is True and merged.address_as == AddressAs.FORMAL
    assert merged.unsubscribed == ["email", "sms"]


def test_the_stricter_address_form_wins_either_way() -> None:
    formal = Customer(address_as=AddressAs.FORMAL)
    none = Customer(address_as=AddressAs.NONE)
    assert merge_customer(formal, none).address_as == AddressAs.NONE
    assert merge_customer(none, Customer()).address_as == AddressAs.NONE


def test_a_fact_in_both_the_ledger_and_the_request_counts_once() -> None:
    at = NOW - timedelta(hours=2)
    contact = Contact(at=at, channel="email", campaign="autumn-letter")
    other = Contact(at=at - timedelta(days=1), channel="sms")
    assert union([contact], [contact, other]) == [contact, other]
    assert union([contact], None) == [contact]


def test_two_different_customer_ids_are_refused() -> None:
    request = parse_request(variant(AUTUMN, customer={**INES, "customer_id": "c-someone-else"}))
    with pytest.raises(RequestError, match=r"customer\.customer_id"):
        customer_id_of(request)


def test_merging_keeps_what_the_request_adds() -> None:
    request = parse_request(variant(AUTUMN, customer=INES, history=[{"at": "2026-11-19T09:00:00Z", "channel": "sms"}]))
    merged = with_stored_facts(request, None, [], [])
    assert merged.customer == request.customer and len(merged.history or []) == 1


def test_a_request_cannot_choose_the_time_it_is_judged_at(ines: local.Stack) -> None:
    """A producer's ``now`` a year ahead would put today's contacts outside the ledger's
    window and lift every cap; the guard judges at its own clock."""
    letters = [variant(AUTUMN, id=f"future-{n}", now="2027-11-20T15:00:00Z") for n in range(3)]
    for letter in letters:
        run_guard(ines, letter)
    assert sent_to(AUTUMN["to"]) == 1
    assert decision("future-1")[0] == "hold" and "SG603" in decision("future-1")[1]
