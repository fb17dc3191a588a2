"""Recipients who read alike share one judgement, and it is the judgement `check` gives.

The campaign path keeps a verdict per recipient class (linters/recipient_classes.py):
names no rule knows are stood in for, and the fields the rules read are noted. These
tests judge the same records with `check`, one by one, and require the same decision,
rules and example findings, letters and all, for names that are made up, real, written
in other cases, equal to pattern words, brand words or contact words, or found again
in the address.
"""

from __future__ import annotations

import contextlib
import itertools
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linters.campaign import Campaign, CampaignTemplate, Verdict, _verdict, request_from_record
from linters.engine import check
from linters.models import Customer, RequestError
from linters.recipient_classes import (
    MAX_CLASSES,
    MAX_ENTRIES_PER_CLASS,
    Entry,
    Memo,
    Trace,
    _one_copy,
    _stand_in,
    _with_capitals,
    letters_of,
    put_back,
    same,
)
from tests.test_campaign import CUSTOMERS, DATA, EVENTS, HISTORIES, NOW, TEMPLATES
from tests.test_campaign import _records as campaign_records

# Made-up names (the stand-ins' case), the same in other capitals, real given names,
# and names that are words some rule or the template knows.
# Made-up names of one length and one case share a class: there are several of those.
NAMES = [
    "Bofuka", "BOFUKA", "bofuka", "BoFuKa", "Zelmira", "Quenby", "Tavisha", "Okonkwo",
    "Dalvek", "Morsan", "Tiluke", "Vandro", "Pirenta", "Sulovan", "Kerriwa",
    "Hope", "Youssef", "Helpdesk", "Harbour", "Vip", "Resident", "Customer", "Noreply",
    "Sam", "Robert", "Ana", "Émilie", "Mary Ann", "Jxqj", "Jqqqj",
]  # fmt: skip
LAST_NAMES = [None, "Okonkwo", "Bofuka", "Zelmira", "Harbour"]
MOMENTS = [
    None,
    "2026-11-20T15:00:00Z",
    "2026-11-20T16:00:00+01:00",  # the same instant, printed in another zone
    "2026-11-21T02:30:00+00:00",  # quiet hours in London
]


# Profiles with consent and a clean record, so that some verdicts allow or rewrite.
_KEPT_CUSTOMER = {
    "first_name": "-",
    "purchase_count": 30,
    "customer_since": "2016-05-01T00:00:00Z",
    "consent": {"email_marketing": True, "sms_marketing": True, "personalization": True},
}
_WELL_KEPT = [
    (_KEPT_CUSTOMER, DATA[0], None, [], last, moment) for last in LAST_NAMES[:3] for moment in MOMENTS[:3]
]


def _customer(base: dict, first: str, last: str | None, i: int) -> dict:
    customer = dict(base)
    if "first_name" in base:
        customer["first_name"] = first
    if last is not None and not base.get("anonymous"):
        customer["last_name"] = last
    if "preferred_name" in base:
        customer["preferred_name"] = ["Bob", first, "Quenby"][i % 3]
    return customer


def _greeted_as(customer: dict, first: str, i: int) -> str:
    """The name the merge data greets with: usually the customer's, sometimes not."""
    name = customer.get("preferred_name") or customer.get("first_name") or first
    return [name, name, name.upper(), "Arthur", "Zelmira", name.lower()][i % 6]


def _records(count: int):
    """Profiles (everything but the names) taken by a stride through their product, and
    each profile sent to every name in turn: the names are what classes share."""
    profiles = itertools.product(CUSTOMERS, DATA, HISTORIES, EVENTS, LAST_NAMES, MOMENTS)
    chosen = [*_WELL_KEPT, *itertools.islice(profiles, 0, None, 53)][: -(-count // len(NAMES))]
    cases = ((p, first, *profile) for p, profile in enumerate(chosen) for first in NAMES)
    for i, (p, first, base, data, history, events, last, moment) in enumerate(itertools.islice(cases, count)):
        # How the names are used varies by profile, and now and then within one.
        way = p if i % 7 else i
        customer = _customer(base, first, last, way)
        name_in_address = way % 4 == 0 and first.isascii() and " " not in first
        record = {
            "id": f"r{i}",
            "to": f"{first.lower()}.{i}@example.com" if name_in_address else f"r{i}@example.com",
            "customer": customer,
            "data": {**data, "first_name": _greeted_as(customer, first, way)},
        }
        for key, value in (("history", history), ("events", events), ("now", moment)):
            if value:
                record[key] = value
        yield record


def _expected(index: int, record: dict, template: CampaignTemplate):
    return _verdict(index, check(request_from_record(record, template), now=NOW))


@pytest.fixture
def always_traced(monkeypatch):
    """Every class judged traced, however little is shared: the tests of equality with
    `check` want the memo used as much as it can be (see Memo.cold), a class that keeps a
    name as it is from its first recipient on (see Memo.first_sight)."""
    monkeypatch.setattr(Memo, "RETRY_EVERY", 1)
    monkeypatch.setattr(Memo, "first_sight", lambda self, key: False)


@pytest.mark.parametrize("name", TEMPLATES)
def test_shared_verdicts_equal_check(name, always_traced):
    template = TEMPLATES[name]
    campaign = Campaign(template, now=NOW)
    records = list(_records(900))
    for i, record in enumerate(records):
        assert campaign.judge_record(i, record) == _expected(i, record, template), record
    # The memo was used, or this test proves nothing about it.
    assert campaign._memo.hits > len(records) // 10, campaign._memo.hits


def _renamed(record: dict, name: str) -> dict:
    """The record with its customer's given or preferred name, wherever it appears, made up."""
    customer = record["customer"]
    old = customer.get("preferred_name") or customer.get("first_name")
    if old is None:
        return record
    swap = {old: name, old.upper(): name.upper()}
    customer = {k: swap.get(v, v) if k.endswith("name") else v for k, v in customer.items()}
    data = {k: swap.get(v, v) for k, v in record["data"].items()}
    return {**record, "customer": customer, "data": data}


@pytest.mark.parametrize("name", TEMPLATES)
def test_every_customer_dependent_rule_is_shared_right(name, always_traced):
    """The cases of tests/test_campaign.py (each customer-dependent rule fires), as they
    are and with made-up names of one length, through one campaign's memo."""
    template = TEMPLATES[name]
    campaign = Campaign(template, now=NOW)
    originals = list(campaign_records())
    records = originals + [
        _renamed(r, made_up) for r in originals for made_up in ("Bofuka", "Dalvek", "Morsan")
    ]
    fired: set[str] = set()
    for i, record in enumerate(records):
        expected = _expected(i, record, template)
        assert campaign.judge_record(i, record) == expected, record
        fired |= set(expected.rules)
    assert campaign._memo.hits > len(originals), campaign._memo.hits
    assert fired


def test_order_does_not_change_a_verdict():
    template = TEMPLATES["winback"]
    records = list(_records(200))
    forward, backward = Campaign(template, now=NOW), Campaign(template, now=NOW)
    ahead = [forward.judge_record(i, r) for i, r in enumerate(records)]
    behind = [backward.judge_record(i, r) for i, r in reversed(list(enumerate(records)))]
    assert ahead == behind[::-1]


_CAMPAIGNS = {name: Campaign(template, now=NOW) for name, template in TEMPLATES.items()}
_letters = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=9)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    template=st.sampled_from(sorted(TEMPLATES)),
    first=st.tuples(_letters, st.sampled_from([str.capitalize, str.upper, str.lower])).map(
        lambda t: t[1](t[0])
    ),
    last=st.none() | _letters.map(str.capitalize),
    greeted=st.sampled_from(["first", "other", "upper"]),
    purchases=st.none() | st.integers(0, 60),
    tier=st.sampled_from([None, "silver", "gold"]),
    marketing=st.sampled_from([None, True, False]),
    zone=st.sampled_from([None, "Europe/London", "Asia/Tokyo", "America/New_York"]),
    years=st.integers(0, 12),
)
def test_any_made_up_name_gets_checks_verdict(
    template, first, last, greeted, purchases, tier, marketing, zone, years
):
    customer = {"first_name": first, "last_name": last, "purchase_count": purchases, "tier": tier}
    customer |= {"timezone": zone, "customer_since": (NOW - timedelta(days=365 * years + 3)).isoformat()}
    if marketing is not None:
        customer["consent"] = {"email_marketing": marketing}
    name = {"first": first, "other": "Quenby", "upper": first.upper()}[greeted]
    record = {
        "id": "h",
        "to": "h@example.com",
        "customer": {k: v for k, v in customer.items() if v is not None},
        "data": {
            "first_name": name,
            "collection": "Harbour",
            "product": "Alder armchair",
            "note": "",
            "sku": "a1",
        },
    }
    chosen = TEMPLATES[template]
    assert _CAMPAIGNS[template].judge_record(0, record) == _expected(0, record, chosen)


def test_a_verdict_that_cannot_be_shared_is_judged_on_its_own(monkeypatch):
    template = TEMPLATES["winback"]
    campaign = Campaign(template, now=NOW)
    monkeypatch.setattr(campaign, "_judge_class", lambda request, canonical: None)
    for i, record in enumerate(_records(30)):
        assert campaign.judge_record(i, record) == _expected(i, record, template)
    assert len(campaign._memo) == 0


def test_a_read_the_views_cannot_follow_makes_the_class_unshareable():
    trace = Trace()
    view = trace.view(Customer(first_name="Ana", purchase_count=3), "customer")
    assert view.purchase_count == 3 and trace.followed
    view.model_dump()
    assert not trace.followed
    # A number only compared is noted as the comparison and its outcome, not its value.
    assert trace.reads == {}
    [(path, kind, [(steps, _, other, outcome)])] = trace.tested()
    assert (path, kind, steps, other, outcome) == (("customer", "purchase_count"), int, (), 3, True)


@pytest.mark.parametrize("use", [str, repr, hash, list, lambda v: v == Customer(first_name="Ana")])
def test_a_record_used_whole_makes_the_class_unshareable(use):
    trace = Trace()
    view = trace.view(Customer(first_name="Ana"), "customer")
    assert isinstance(view, Customer) and bool(view) and trace.followed
    with contextlib.suppress(TypeError):  # hash: a model is not hashable, through a view or not
        use(view)
    assert not trace.followed


def test_names_are_not_noted_as_reads():
    trace = Trace()
    view = trace.view(Customer(first_name="Ana", last_name="Okafor", tier="gold"), "customer")
    assert (view.first_name, view.last_name, view.tier) == ("Ana", "Okafor", "gold")
    assert trace.reads == {("customer", "tier"): "gold"}


def test_stand_ins_are_distinct_and_keep_length_and_capitals():
    made = [_stand_in(6, i) for i in range(81)]
    assert len(set(made)) == 81 and all(len(s) == 6 and s[0] == s[-1] == "j" for s in made)
    assert _stand_in(3, 3) is None  # three letters have three stand-ins: no fourth
    assert _with_capitals("jqxzqj", "Bofuka") == "Jqxzqj"
    assert _with_capitals("jqxzqj", "BOFUKA") == "JQXZQJ"
    assert _with_capitals("jqxzqj", "BoFuKa") == "JqXzQj"
    assert _with_capitals("jqxzqj", "bofuka") == "jqxzqj"


def test_put_back_refuses_a_stand_in_in_another_case():
    assert put_back("Hi Jqqqqj, Jqqqqj!", {"Jqqqqj": "Bofuka"}) == "Hi Bofuka, Bofuka!"
    assert put_back("JQQQQJ", {"Jqqqqj": "Bofuka"}) is None


def test_a_name_found_in_another_merge_value_keeps_its_letters():
    template = TEMPLATES["visit"]
    stand_ins = Campaign(template, now=NOW)._stand_ins()
    record = {
        "id": "a",
        "to": "a@example.com",
        "customer": {"first_name": "Bofuka", "last_name": "Zelmira"},
        "data": {"first_name": "Bofuka", "product": "Bofuka's pick", "sku": "a1"},
    }
    canonical = stand_ins.canonical(request_from_record(record, template), NOW)
    names = canonical.stand_in_names()
    assert names["first_name"] == "Bofuka"  # in the product too: stays
    assert names["last_name"] != "Zelmira" and canonical.back[names["last_name"]] == "Zelmira"


def test_a_name_in_a_field_the_rules_read_is_judged_on_its_own():
    """SG607 reads the earlier messages' text, and "Hi Bofuka, how are you today?" holds
    Bofuka's name. The class's verdict was taken on a stand-in where Bofuka's message
    has the name, so Bofuka is judged on its own; the others share the verdict."""
    template = TEMPLATES["winback"]
    campaign = Campaign(template, now=NOW)
    records = []
    for i, name in enumerate(["Bofuka", "Dalvek", "Morsan", "Tiluke"]):
        opener = "Hi Bofuka, how are you today?"  # the same history for everyone
        history = [{"at": "2026-11-19T09:00:00Z", "channel": "email", "purpose": "marketing", "text": opener}]
        customer = {"first_name": name, "consent": {"email_marketing": True}, "purchase_count": 30}
        records.append({"id": f"h{i}", "to": "h@example.com", "customer": customer, "history": history,
                        "data": {"first_name": name, "collection": "Harbour", "product": "Alder armchair"}})  # fmt: skip
    records.insert(0, records.pop(1))  # Dalvek's is judged first, and kept for the class
    for i, record in enumerate(records):
        hits = campaign._memo.hits
        assert campaign.judge_record(i, record) == _expected(i, record, template)
        assert campaign._memo.hits == hits + (record["customer"]["first_name"] in ("Morsan", "Tiluke"))


def test_known_words_and_real_names_keep_their_letters():
    template = TEMPLATES["winback"]
    stand_ins = Campaign(template, now=NOW)._stand_ins()
    for word in ("Hope", "Customer", "Resident", "Robert", "Sam", "Vip", "Helpdesk", "Noreply"):
        assert not stand_ins.eligible(word), word
    for word in ("Bofuka", "ZELMIRA", "quenby"):
        assert stand_ins.eligible(word), word


def test_times_are_the_same_only_in_the_same_zone():
    utc = datetime(2026, 11, 20, 15, tzinfo=UTC)
    assert same(utc, datetime(2026, 11, 20, 15, tzinfo=UTC))
    assert not same(utc, utc.astimezone(timezone(timedelta(hours=1))))
    assert not same(1, 1.0) and not same(True, 1)


def test_the_memo_is_bounded():
    memo = Memo()
    entry = Entry.of({}, "allow", (), ())
    for i in range(MAX_CLASSES + 50):
        memo.keep(("class", i), entry)
    assert len(memo) == MAX_CLASSES
    for _ in range(MAX_ENTRIES_PER_CLASS + 5):
        memo.keep(("class", "one"), entry)
    assert len(memo._classes[("class", "one")].entries) == MAX_ENTRIES_PER_CLASS


def _bofuka(i: int, customer: dict, data: dict) -> dict:
    return {"id": f"c{i}", "to": "c@example.com", "customer": {"first_name": "Bofuka", **customer}, "data": {"first_name": "Bofuka", **data}}  # fmt: skip


def test_a_class_that_shares_nothing_goes_cold():
    """WINBACK claims status, so SG201 reads each customer's tier as text: with every
    tier different no two recipients share a judgement, and after a while none is traced."""
    template = TEMPLATES["winback"]
    campaign = Campaign(template, now=NOW)
    for i in range(40):
        record = _bofuka(i, {"tier": f"band {i}"}, {})
        assert campaign.judge_record(i, record) == _expected(i, record, template)
    (found,) = campaign._memo._classes.values()
    assert found.judged == Memo.COLD_AFTER and found.shared == 0


def test_numbers_and_times_only_compared_share_a_judgement(always_traced):
    """SG201 and SG202 compare the purchase count, the lifetime value and the tenure with
    thresholds: customers on the same side of every threshold share a judgement, each
    equal to `check`'s, though each has a count, a value and a date of their own; a
    count printed into a finding ("3 purchases") is read as a value."""
    template = TEMPLATES["winback"]
    campaign = Campaign(template, now=NOW)
    for i in range(60):
        since = (NOW - timedelta(days=40 + 61 * i)).isoformat()
        record = _bofuka(i, {"purchase_count": i % 25, "lifetime_value": 37.5 * i, "customer_since": since}, {})
        assert campaign.judge_record(i, record) == _expected(i, record, template), record
    assert campaign._memo.hits >= 10, campaign._memo.hits


def test_a_record_holding_stand_in_letters_is_judged_on_its_own():
    template = TEMPLATES["visit"]
    campaign = Campaign(template, now=NOW)
    records = [
        {"id": f"s{i}", "to": "s@example.com", "customer": {"first_name": first, "last_name": last},
         "data": {"first_name": first, "product": product, "sku": "a1"}}
        for i, (first, last, product) in enumerate([
            ("Bofuka", "Dalvek", "Jqqqqj chair"),
            ("Morsan", "Jqqqqj", "Alder armchair"),
            ("Jqqqqj", "Dalvek", "Alder armchair"),
            ("Tiluke", "Vandro", "Alder armchair"),
        ])
    ]  # fmt: skip
    for i, record in enumerate(records):
        assert campaign.judge_record(i, record) == _expected(i, record, template)
    stand_ins = campaign._stand_ins()
    for record in records[:3]:
        assert stand_ins.canonical(request_from_record(record, template), NOW) is None


def _expected_or_error(index: int, record: dict, template: CampaignTemplate):
    try:
        return _expected(index, record, template)
    except RequestError as exc:
        return Verdict(index, record.get("id"), None, error=exc.problem, field=exc.field or None)


def _nested(depth: int) -> dict:
    value: dict = {"leaf": "Bofuka"}
    for _ in range(depth):
        value = {"next": value}
    return value


def test_records_over_a_limit_get_checks_error_after_their_class_was_judged():
    template = TEMPLATES["visit"]
    campaign = Campaign(template, now=NOW)
    fine = {
        "id": "ok",
        "to": "ok@example.com",
        "customer": {"first_name": "Bofuka"},
        "data": {"first_name": "Bofuka", "product": "Alder armchair", "sku": "a1"},
    }
    long_note = "Dalvek " * 5000
    records = [
        fine,
        {**fine, "id": "deep", "data": {**fine["data"], "extra": _nested(30)}},
        {**fine, "id": "long", "data": {**fine["data"], "product": long_note}},
        {**fine, "id": "big customer", "customer": {"first_name": "Bofuka", "attributes": {"notes": long_note * 2}}},
        {**fine, "id": "both", "customer": {"first_name": "Bofuka", "attributes": {"notes": long_note * 2}},
         "data": {**fine["data"], "product": long_note}},
        {**fine, "id": "history", "history": [{"at": "2026-11-01T00:00:00Z", "channel": "email"}] * 501},
        {**fine, "id": "fine again", "customer": {"first_name": "Dalvek"}, "data": {**fine["data"], "first_name": "Dalvek"}},
    ]  # fmt: skip
    verdicts = [campaign.judge_record(i, record) for i, record in enumerate(records)]
    assert verdicts == [_expected_or_error(i, record, template) for i, record in enumerate(records)]
    fields = [v.field for v in verdicts[1:6]]
    assert fields[0].startswith("data.extra.next")
    assert fields[1:] == ["data.product", "customer.attributes.notes", "data.product", "history"]
    assert campaign._memo.hits == 1  # "fine again" shares the first record's class


NOTE = CampaignTemplate(
    {"text": "Hi {{first_name}},\n\n{{note}}\n\nReply to this email and a person will answer."},
    {"channel": "email", "purpose": "transactional"},
)


@pytest.mark.parametrize(
    "note",
    [
        "Dear B o f u k a, your order shipped.",  # spaced out: read "Bofuka"
        "Dear Ｂｏｆｕｋａ, your order shipped.",  # fullwidth
        "Dear B\u043efuka, your order shipped.",  # a Cyrillic o
        "Dear Bo\u200bfuka, your order shipped.",  # a zero-width space inside
        "Dear Bofuka's family, your order shipped.",
    ],
)
def test_a_name_written_again_in_disguise_keeps_its_letters(note):
    campaign = Campaign(NOTE, now=NOW)
    record = {"id": "d", "to": "d@example.com", "customer": {"first_name": "Bofuka"}, "data": {"first_name": "Bofuka", "note": note}}  # fmt: skip
    canonical = campaign._stand_ins().canonical(request_from_record(record, NOTE), NOW)
    assert canonical is None or canonical.stand_in_names()["first_name"] == "Bofuka"
    assert campaign.judge_record(0, record) == _expected(0, record, NOTE)


def test_values_that_join_into_one_word_are_not_stood_in():
    joined = CampaignTemplate({"text": "Hi {{a}}{{b}}, your order shipped."}, {"channel": "email", "purpose": "transactional"})  # fmt: skip
    spaced = CampaignTemplate({"text": "Hi {{a}} {{b}}, your order shipped."}, {"channel": "email", "purpose": "transactional"})  # fmt: skip
    record = {
        "id": "j",
        "to": "j@example.com",
        "customer": {"first_name": "Bofuka"},
        "data": {"a": "Bof", "b": "uka"},
    }
    canonical = Campaign(joined, now=NOW)._stand_ins().canonical(request_from_record(record, joined), NOW)
    assert "Bof" not in canonical.shown and "uka" not in canonical.shown
    letters = {**record, "data": {"a": "B o f", "b": "u k a"}}
    assert Campaign(spaced, now=NOW)._stand_ins().canonical(request_from_record(letters, spaced), NOW) is None
    for template, chosen in ((joined, record), (spaced, letters)):
        assert Campaign(template, now=NOW).judge_record(0, chosen) == _expected(0, chosen, template)


# Cases a review found (2026-11-23) where a stood-in word's letters mattered: a value
# joined to template letters, letters inside an HTML tag, a word only the code knew, a
# fixed-width window cutting a value, a message cutting a stand-in, a number's letters.
# Each runs three records through one campaign: X, then Y (same length and capitals),
# then X again, which is given Y's kept verdict if X's letters were stood in.
_NOREPLY = {"purpose": "transactional", "from": "noreply@shop.example"}
_SHIPPED = "Hello,\n\nYour order has shipped. Questions? "
_REVIEW_CASES = {
    "get-value": ({"text": "Hello. We're here for you at https://shop.example/get-{{x}} if you have questions."}, {"channel": "voice", "purpose": "transactional"}, ("intouch", "bofukaz")),
    "value-us": ({"text": _SHIPPED + "Visit https://shop.example/{{x}}-us any time."}, _NOREPLY, ("zocall", "bofuka")),
    "no-value@": ({"text": _SHIPPED + "Write to no-{{x}}@shop.example any time."}, _NOREPLY, ("replyz", "bofuka")),
    "href": ({"html": '<p>Hello,</p><p>Questions? <a href="https://shop.example/hel{{x}}">Visit us</a>.</p>'}, _NOREPLY, ("pdesk", "bofuk")),
    "tag name": ({"html": "<p>Hello,</p><{{x}}>Hurry, this offer ends tonight!</{{x}}><p>Reply and a person will answer.</p>"}, {}, ("noscript", "bofukaze")),
    "tel link": ({"html": '<p>Hello,</p><p>Questions? <a href="{{x}}:+441615550199">Phone us</a>.</p>'}, _NOREPLY, ("tel", "bof")),
    "entity": ({"html": "<p>Hello,</p><p>Your order has shipped. Hurry&{{x}};up now.</p>"}, {"purpose": "transactional"}, ("zwnj", "bofu")),
    "window": ({"text": "Hello,\n\nA note from {{x}} 1234567890123456789 happy birthday to you! Enjoy your day.\n\nReply and a person will answer."}, {}, ("Bofukour", "Dalvekab")),
    "cut message": ({"text": "Hello,\n\nHope you have been well, we saved 20% off everything for you, very very very very very very very ooo and the {{x}} family, until the end of the month.\n\nReply and a person will answer."}, {}, ("Bofukazelmir", "Quenbyokonkw")),
    "soft hyphen": ({"text": _SHIPPED + "Visit https://shop.example/hel\u00ad{{x}} any time."}, _NOREPLY, ("pdesk", "bofuk")),
    "combining mark": ({"text": "Hi {{first_name}}\u0301,\n\nYour order has shipped.\n\nReply and a person will answer."}, {"purpose": "transactional"}, (None, None)),
    "style": ({"html": '<p>Hello,</p><p style="{{x}}-hide:all">Hurry, this offer ends tonight!</p><p>Reply and a person will answer.</p>'}, {}, ("mso", "bof")),
    "infinity": ({"text": "Hi {{first_name}},\n\nYour order has shipped.\n\nReply and a person will answer."}, {"purpose": "transactional"}, (float("inf"), float("inf"))),
}  # fmt: skip


@pytest.mark.parametrize("case", _REVIEW_CASES)
def test_letters_a_rule_reads_around_a_value_keep_their_letters(case):
    parts, defaults, (x, y) = _REVIEW_CASES[case]
    template = CampaignTemplate(
        parts, {"channel": "email", "purpose": "marketing", "automated": True, **defaults}
    )
    campaign = Campaign(template, now=NOW)
    firsts = ("Inf", "Bof", "Inf") if case == "infinity" else ("Dalvek", "Morsan", "Tiluke")
    for i, (value, first) in enumerate(zip((x, y, x), firsts, strict=True)):
        customer = {"first_name": first, "consent": {"email_marketing": True}}
        data = {
            "first_name": value if case == "infinity" else first,
            **({} if value is None or case == "infinity" else {"x": value}),
        }
        record = {"id": f"r{i}", "to": "a@example.com", "customer": customer, "data": data}
        assert campaign.judge_record(i, record) == _expected(i, record, template), case


# A second review's cases (2026-11-23): whitespace control, {{#each}} printing items back
# to back, separators an HTML reader does not see, spaCy's number words, and claims in
# blocks that a render without data leaves out. Three records through one campaign.
_BODY = "\n\nYour order has shipped.\n\nReply to this email and a person will answer."
_SECOND_REVIEW = {
    "tilde url": ({"text": _SHIPPED + "Visit https://shop.example/hel {{~x}} any time."}, _NOREPLY, [{"x": "bofuk"}, {"x": "pdesk"}, {"x": "dalve"}]),
    "tilde greeting": ({"text": "Hi Und {{~x}}," + _BODY}, {"purpose": "transactional"}, [{"x": "bofuka"}, {"x": "efined"}, {"x": "dalvek"}]),
    "each": ({"text": "Hi {{#each names}}{{this}}{{/each}}," + _BODY}, {"purpose": "transactional"}, [{"names": ["Bof", "ukazel"]}, {"names": ["Und", "efined"]}, {"names": ["Dal", "vekoma"]}]),
    "hidden space": ({"html": "<p>Hi Und<span hidden> </span>{{x}},</p><p>Your order has shipped.</p>"}, {"purpose": "transactional"}, [{"x": "bofuka"}, {"x": "efined"}, {"x": "dalvek"}]),
    "hidden break": ({"html": '<p>Questions? Visit https://shop.example/hel<b style="display:none"><br></b>{{x}} any time.</p>'}, _NOREPLY, [{"x": "bofuk"}, {"x": "pdesk"}, {"x": "dalve"}]),
    "custom element": ({"html": "<p>Hi Und<p-x></p-x>{{x}},</p><p>Your order has shipped.</p>"}, {"purpose": "transactional"}, [{"x": "bofuka"}, {"x": "efined"}, {"x": "dalvek"}]),
    "number word": ({"text": "Hello,\n\nHope you have been well and enjoy {{x}} percent off." + _BODY}, {}, [{"x": "Bofukaz"}, {"x": "Seventy"}, {"x": "Dalvekz"}]),
    "number message": ({"text": "Hello,\n\nHope you have been well, save {{x}} today." + _BODY}, {}, [{"x": "bofukaz"}, {"x": "million"}, {"x": "dalvekz"}]),
    "claim in if": ({"text": "Hello,\n\nA note from {{x}} 1234567890123456789 {{#if show}}happy birthday{{/if}} to you!" + _BODY}, {}, [{"x": "Dalvekab", "show": True}, {"x": "Bofukour", "show": True}, {"x": "Zelmirab", "show": True}]),
    "claim as key": ({"text": "Hello,\n\nA note from {{x}} 1234567890123456789 {{#each o}}{{@key}}{{/each}} to you!" + _BODY}, {}, [{"x": "Dalvekab", "o": {"happy birthday": 1}}, {"x": "Bofukour", "o": {"happy birthday": 1}}, {"x": "Zelmirab", "o": {"happy birthday": 1}}]),
}  # fmt: skip


@pytest.mark.parametrize("case", _SECOND_REVIEW)
def test_what_a_reader_sees_around_a_value_decides_its_class(case):
    parts, defaults, datas = _SECOND_REVIEW[case]
    template = CampaignTemplate(
        parts, {"channel": "email", "purpose": "marketing", "automated": True, **defaults}
    )
    campaign = Campaign(template, now=NOW)
    for i, data in enumerate(datas):
        customer = {"first_name": "Ana", "consent": {"email_marketing": True}}
        record = {"id": f"r{i}", "to": "a@example.com", "customer": customer, "data": data}
        assert campaign.judge_record(i, record) == _expected(i, record, template), case


def test_spacy_number_words_are_known():
    """spaCy's ``like_num`` reads "seventy" as a number (substance checks run spaCy on
    raw text); for a word of letters it is membership in the lists the known words take."""
    from spacy.lang.en.lex_attrs import like_num

    from linters.recipient_classes import _number_words

    stand_ins = Campaign(TEMPLATES["winback"], now=NOW)._stand_ins()
    for word in ("Seventy", "MILLION", "trillionth", "bazillion", "Ten"):
        assert like_num(word) and not stand_ins.eligible(word), word
    for word in [*_number_words(), "Bofuka", "Dalvek", "dozen", "tenth", "Zelmira"]:
        assert bool(like_num(word)) == (word.lower() in _number_words()), word


def test_a_campaign_that_shares_little_stops_tracing_new_classes():
    """Every recipient a class of its own (an order number in the data) that shares
    nothing: after a while only one new class in RETRY_EVERY is traced."""
    template = TEMPLATES["winback"]
    campaign = Campaign(template, now=NOW)
    for i in range(200):
        record = _bofuka(i, {"purchase_count": i}, {"order": f"Order {i}"})
        assert campaign.judge_record(i, record) == _expected(i, record, template)
    assert len(campaign._memo) < 200 // 2, len(campaign._memo)


def test_given_names_share_a_class_in_a_name_field_but_not_elsewhere():
    """A real given name greeted from ``{{first_name}}`` is read only by its relation to
    the record's names, so Robert and Daniel share one judgement; "Florence" given as a
    city is a word the greeting rules would read against the given-name list, and keeps
    its letters."""
    template = CampaignTemplate(
        {"subject": "New in {{city}}", "text": "Hi {{first_name}},\n\nThe {{city}} shop opens on Saturday."},
        {"channel": "email", "purpose": "marketing", "campaign": "shop-opening"},
    )
    campaign = Campaign(template, now=NOW)
    stand_ins = campaign._stand_ins()

    def record(i: int, first: str, city: str) -> dict:
        customer = {"first_name": first, "consent": {"email_marketing": True}, "purchase_count": 3}
        return {"id": f"g{i}", "to": f"g{i}@example.com", "customer": customer,
                "data": {"first_name": first, "city": city}}  # fmt: skip

    records = [record(0, "Robert", "Leeds"), record(1, "Daniel", "Leeds"), record(2, "Robert", "Florence")]
    for i, one in enumerate(records):
        hits = campaign._memo.hits
        assert campaign.judge_record(i, one) == _expected(i, one, template)
        assert campaign._memo.hits == hits + (i == 1)
    florence = stand_ins.canonical(request_from_record(records[2], template), NOW)
    assert florence is not None and "Florence" not in florence.shown and "Robert" in florence.shown
    assert not stand_ins.eligible("Robert")  # a given name is no plain word


ACCENTED = ["Jürgen", "Łukasz", "Zoë", "Émilie", "Steingrímur", "Þrúða", "Müller", "Renée", "Ðorđe", "Ågot"]


@pytest.mark.parametrize("name", TEMPLATES)
def test_accented_names_share_and_equal_check(name, always_traced):
    """Accented Latin names in name fields are stood in for (an ASCII stand-in of the same
    length and capitals): their recipients share judgements, each equal to `check`'s."""
    template = TEMPLATES[name]
    campaign = Campaign(template, now=NOW)
    records = [
        {**record, "data": {**record["data"], "first_name": first},
         "customer": {**record["customer"], "first_name": first, "last_name": last}}
        for record in itertools.islice(_records(60), 0, 60, 6)
        for first, last in zip(ACCENTED, reversed(ACCENTED), strict=True)
    ]  # fmt: skip
    for i, record in enumerate(records):
        assert campaign.judge_record(i, record) == _expected(i, record, template), record


def test_accented_names_keep_their_letters_beside_other_accented_text():
    """An accented name is stood in for only where everything else the text prints is
    ASCII: beside "Zürich", or in a template written with accents, it keeps its letters."""
    plain = CampaignTemplate({"text": "Hi {{first_name}}, the {{city}} shop opens on Saturday."},
                             {"channel": "email", "purpose": "marketing", "campaign": "open"})  # fmt: skip
    accented = CampaignTemplate({"text": "Hi {{first_name}}, the café opens on Saturday."},
                                {"channel": "email", "purpose": "marketing", "campaign": "open"})  # fmt: skip

    def shown(template: CampaignTemplate, city: str) -> dict[str, str]:
        record = {"id": "a", "to": "a@example.com", "data": {"first_name": "Jürgen", "city": city},
                  "customer": {"first_name": "Jürgen", "consent": {"email_marketing": True}}}  # fmt: skip
        found = Campaign(template, now=NOW)._stand_ins().canonical(request_from_record(record, template), NOW)
        assert found is not None
        return found.shown

    assert "Jürgen" in shown(plain, "Leeds")
    assert "Jürgen" not in shown(plain, "Zürich")
    assert "Jürgen" not in shown(accented, "Leeds")


def test_the_source_words_hold_every_string_an_ast_walk_finds():
    """The words of the engine's code are read from code objects (fast); they must hold
    every word of every string constant but docstrings, as an ``ast`` walk reads them."""
    import ast
    from pathlib import Path

    from linters import recipient_classes

    expected: set[str] = set()
    for path in sorted(Path(recipient_classes.__file__).parent.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {
            id(node.body[0].value)
            for node in ast.walk(tree)
            if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
            and node.body
            and isinstance(node.body[0], ast.Expr)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings:
                expected.update(word.lower() for word in re.findall(r"[^\W\d_]+", node.value))
    assert expected <= recipient_classes._source_words()
    # and no docstring: the module's own example name is not known from its prose
    assert "bofuka" not in recipient_classes._source_words()


def test_a_class_that_keeps_a_name_is_traced_from_its_second_recipient():
    """"Walker" is an English word, so no stand-in is made for it: such a class is mostly
    one customer's, and tracing its first recipient would cost more than it saves. Its
    first recipient is judged untraced, its second traced, its third shares; all as
    `check` judges them."""
    template = CampaignTemplate(
        {"subject": "Spring is here", "text": "Hi {{first_name}},\n\nThe spring range is in the shop."},
        {"channel": "email", "purpose": "marketing", "campaign": "spring"},
    )
    campaign = Campaign(template, now=NOW)

    def record(i: int) -> dict:
        customer = {"first_name": "Walker", "consent": {"email_marketing": True}, "purchase_count": 3}
        return {"id": f"w{i}", "to": f"w{i}@example.com", "customer": customer, "data": {"first_name": "Walker"}}

    for i in range(3):
        assert campaign.judge_record(i, record(i)) == _expected(i, record(i), template)
        assert (len(campaign._memo), campaign._memo.hits) == [(0, 0), (1, 0), (1, 1)][i]
    key = campaign._stand_ins().canonical(request_from_record(record(3), template), NOW)
    assert key is not None and key.kept_name


def test_the_classes_seen_once_are_bounded(monkeypatch):
    monkeypatch.setattr(Memo, "SIGHTINGS", 3)
    memo = Memo()
    assert [memo.first_sight((n,)) for n in (1, 2, 3, 1, 4, 1)] == [True, True, True, False, True, True]
    assert len(memo._sighted) == 3


def test_the_source_words_snapshot_gives_the_words_of_the_code() -> None:
    """``linters/data/source_words.json`` (``make catalog``) spares a campaign compiling
    the engine at start; what it gives is what reading the code gives."""
    from linters import recipient_classes as rc

    live: set[str] = set()
    for path in sorted(Path(rc.__file__).parent.rglob("*.py")):
        rc._words_of_code(rc._code_of(path), live)
    rc._source_words.cache_clear()
    try:
        assert rc._source_words() == frozenset(live)
    finally:
        rc._source_words.cache_clear()


def test_a_file_edited_since_the_snapshot_is_read_from_its_code(monkeypatch: pytest.MonkeyPatch) -> None:
    from linters import recipient_classes as rc

    stale = {name: ("0" * 64, ["zqxstale"]) for name in rc._kept_source_words()}
    monkeypatch.setattr(rc, "_kept_source_words", lambda: stale)
    rc._source_words.cache_clear()
    try:
        words = rc._source_words()
    finally:
        rc._source_words.cache_clear()
    assert "zqxstale" not in words and {"https", "unsubscribe"} <= words


@given(st.text(alphabet="ab Zé\u0301£€¥\u2018\u2019\u201c\u201d\u2013\u2014\u2022\u00a0ﬁ™1\n", max_size=40))
@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
def test_the_letters_of_a_text_with_symbols_are_read_as_the_slow_path_reads_them(text):
    """Currency signs, dashes and curly quotes are dropped before the ASCII test
    (``letters_of``); the letters are those the full Unicode reading finds."""
    from linters.recipient_classes import _NOT_LOWER_LETTERS, _as_read

    slow = _as_read(text).encode("ascii", "ignore").lower().translate(None, _NOT_LOWER_LETTERS)
    assert letters_of(text) == slow


def test_judgements_keep_one_copy_of_equal_plain_reads_and_keep_look_alikes_apart() -> None:
    """The memo keeps one copy of what many judgements read alike (``_one_copy``), so a
    long campaign's memory stays bounded by its counts, not their size. Values equal
    but read differently (1, 1.0 and True; a time in two zones) are never merged."""
    first = _one_copy((("request", "channel"), "email"))
    assert _one_copy((("request", "channel"), "em" + "ail")) is first
    as_int, as_float, as_bool = (_one_copy((("customer", "purchase_count"), v)) for v in (1, 1.0, True))
    assert type(as_int[1]) is int and type(as_float[1]) is float and type(as_bool[1]) is bool
    noon_utc = datetime(2026, 11, 20, 12, tzinfo=UTC)
    noon_in_paris = noon_utc.astimezone(timezone(timedelta(hours=1)))
    utc_read = (("now",), noon_utc)
    paris_read = (("now",), noon_in_paris)
    assert _one_copy(utc_read) is utc_read and _one_copy(paris_read) is paris_read
