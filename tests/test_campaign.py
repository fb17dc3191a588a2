"""The campaign path gives `check`'s decisions and findings, recipient by recipient."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linters.campaign import Campaign, CampaignTemplate, record_from_csv_row, request_from_record
from linters.engine import check
from linters.models import RequestError
from linters.nlp import _analyse_value, _needed_words, analyse_value, pipeline, value_needs_pipeline

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)

WINBACK = CampaignTemplate(
    {
        "subject": "{{first_name}}, we saved something for you",
        "text": (
            "Hi {{first_name}},\n\n"
            "How are you today? As one of our most valued customers, you get early access to the "
            "{{collection}} sale. Thanks for your loyalty over the years, and welcome back!\n\n"
            "We noticed you were looking at the {{product}} last week. It's still in your cart.\n\n"
            "Stock up on diapers for the little one: 20% off all sizes. Hurry, this offer ends tonight!\n\n"
            "Questions? Reply to this email and a person on our team will answer.\n"
        ),
    },
    {"channel": "email", "purpose": "marketing", "campaign": "winter-sale", "automated": True},
)
GENERIC = CampaignTemplate(
    {
        "text": (
            "Dear valued customer,\n\nYour account needs attention. Act now: this offer expires at "
            "midnight! {{note}}\n\nCall us on 0161 555 0199 to talk to a person."
        )
    },
    {"channel": "email", "purpose": "marketing", "automated": True},
)
VISIT = CampaignTemplate(
    {
        "subject": "Still thinking about the {{product}}?",
        "html": (
            "<html><body><p>Hello {{first_name}},</p><p>The {{product}} you viewed is back in stock. "
            "Shop now: <a href='https://shop.example/p/{{sku}}'>see it</a>.</p>"
            "<p>Questions? Reply and a person will answer.</p></body></html>"
        ),
    },
    {"channel": "email", "purpose": "marketing", "trigger": "site_visit", "automated": True},
)
SMS = CampaignTemplate(
    {"text": "Hi {{first_name}}, the {{collection}} sale starts now: 20% off. Reply STOP to opt out."},
    {"channel": "sms", "purpose": "marketing", "campaign": "winter-sale"},
)
TEMPLATES = {"winback": WINBACK, "generic": GENERIC, "visit": VISIT, "sms": SMS}

CUSTOMERS = [
    {"first_name": "Ana", "purchase_count": 40, "tier": "gold", "consent": {"email_marketing": True}},
    {"first_name": "Robert", "preferred_name": "Bob", "purchase_count": 2},  # SG101: goes by Bob
    {"first_name": "Ngozi", "last_name": "Okafor", "title": "Dr", "address_as": "formal"},  # SG102
    {"first_name": "Sam", "address_as": "none", "consent": {"email_marketing": True}},
    {"anonymous": True},  # SG101, SG301
    {"first_name": "Lee", "purchase_count": 0, "consent": {"email_marketing": False}},  # SG201, SG202, SG602
    {
        "first_name": "Maya",
        "purchase_count": 12,
        "customer_since": "2015-03-01T00:00:00Z",
        "consent": {"email_marketing": True, "personalization": True},
        "attributes": {"children_ages": [15]},  # SG501: diapers to the parent of a teenager
    },
    {
        "first_name": "Kofi",
        "consent": {"email_marketing": True},
        "unsubscribed": ["email"],  # SG601
    },
    {
        "first_name": "Ines",
        "consent": {"email_marketing": True},
        "timezone": "Asia/Tokyo",  # 00:00 there: SG606 quiet hours
    },
    {"first_name": "Chidi", "consent": {"email_marketing": True, "personalization": False}},  # SG401
    {"first_name": "Émilie-Rose", "consent": {"email_marketing": True}},
    {"first_name": "Hope", "consent": {"email_marketing": True}},  # a name that is a pattern word
]

DATA = [
    {"collection": "Harbour", "product": "Alder armchair", "note": "P.S. see you soon.", "sku": "a1"},
    {"collection": "VIP", "product": "null", "note": "Limited time only!", "sku": "b2"},  # SG103, value hits
    {"product": "Fell jacket"},  # missing values: SG103
]

HISTORIES = [
    None,
    [  # SG603 frequency cap, SG604 channel pile-up, SG607 repeated opener
        {
            "at": "2026-11-20T09:00:00Z",
            "channel": "email",
            "purpose": "marketing",
            "text": "Hi, how are you today?",
        },
        {"at": "2026-11-19T09:00:00Z", "channel": "sms", "campaign": "winter-sale"},
        {"at": "2026-11-18T09:00:00Z", "channel": "email"},
    ],
]
EVENTS = [
    [],
    [{"type": "site_visit", "at": "2026-11-20T14:30:00Z"}],
    [{"type": "complaint", "at": "2026-11-01T00:00:00Z"}],
]


def _records():
    cases = itertools.product(CUSTOMERS, DATA, HISTORIES, EVENTS)
    for i, (customer, data, history, events) in enumerate(cases):
        name = customer.get("preferred_name") or customer.get("first_name")
        values = {**data, "first_name": name} if name and i % 5 else {**data, "first_name": "Arthur"}
        record = {"id": f"r{i}", "to": f"r{i}@example.com", "customer": customer, "data": values}
        if history:
            record["history"] = history
        if events:
            record["events"] = events
        yield record


def _comparable(result):
    return result.decision, [
        (f.rule, f.action, f.message, f.part, f.start, f.end, f.excerpt, f.fix) for f in result.findings
    ]


@pytest.mark.parametrize("name", TEMPLATES)
def test_campaign_decisions_equal_check(name):
    template = TEMPLATES[name]
    campaign = Campaign(template, now=NOW)
    fired: set[str] = set()
    for record in _records():
        request = request_from_record(record, template)
        expected = check(request, now=NOW)
        assert _comparable(campaign.judge(request)) == _comparable(expected), record["id"]
        fired |= {f.rule for f in expected.findings}
    assert fired, "the cases must make rules fire"


def test_the_cases_cover_every_customer_dependent_rule():
    fired: set[str] = set()
    for template in TEMPLATES.values():
        for record in _records():
            fired |= {f.rule for f in check(request_from_record(record, template), now=NOW).findings}
    wanted = {"SG101", "SG102", "SG103", "SG201", "SG202", "SG301", "SG401", "SG501"}
    wanted |= {f"SG60{i}" for i in range(1, 8)}
    assert wanted <= fired, sorted(wanted - fired)


def test_verdict_lists_rules_and_decision():
    campaign = Campaign(WINBACK, now=NOW)
    verdict = campaign.judge_record(
        1, {"id": "x", "to": "x@example.com", "customer": CUSTOMERS[5], "data": DATA[0]}
    )
    assert verdict.decision == "block"
    assert "SG602" in verdict.rules and "SG201" in verdict.rules
    assert verdict.to_dict() == {"id": "x", "decision": "block", "rules": list(verdict.rules)}


def test_bad_record_names_the_field():
    campaign = Campaign(WINBACK, now=NOW)
    verdict = campaign.judge_record(7, {"id": "y", "to": "y@example.com", "customer": {"purchase_count": -1}})
    assert verdict.error and verdict.field == "customer.purchase_count"
    verdict = campaign.judge_record(8, {"id": "z", "to": "z@example.com", "cusomer": {}})
    assert verdict.field == "cusomer"
    assert campaign.judge_record(9, ["not", "an", "object"]).error


@pytest.mark.parametrize(
    "name", ["Ana", "Émilie", "Zoë Brontë", "Nguyễn Văn", "Ørsted", "Łukasz", "Ιωάννης", "12345", "Mary Ann"]
)
def test_plain_values_skip_spacy_and_match_nothing(name):
    assert not value_needs_pipeline(name)
    assert analyse_value(name).hits == {}
    assert not any(pipeline()(name)[i].is_punct for i in range(len(name.split(" "))))


@pytest.mark.parametrize(
    "value", ["VIP", "O'Brien", "ends tonight!", "cannot", "20% off", "a  b", ""]
)
def test_values_with_pattern_words_or_punctuation_go_to_spacy(value):
    assert value_needs_pipeline(value)


@pytest.mark.parametrize("value", ["Hope", "Grace Miss", "NW-7103689", "£368.20"])
def test_values_that_only_share_a_word_with_a_pattern_skip_spacy(value):
    # "Hope" is a word of "we hope you ..." but cannot match alone: no pipeline run.
    assert not value_needs_pipeline(value)
    assert _analyse_value(value, ()).hits == {}


def test_no_name_reaches_the_vocabulary():
    campaign = Campaign(WINBACK, now=NOW)
    # The first judgement builds the matchers (their labels and words are the vocabulary's
    # own); run alone, this test would count them. Names come after.
    campaign.judge(request_from_record({"id": "warm", "to": "a@b.c", "data": {"first_name": "Ann"}}, WINBACK))
    before = len(pipeline().vocab.strings)
    for i in range(200):
        name = "Qa" + "".join(chr(97 + (i // 26**k) % 26) for k in range(3))
        campaign.judge(
            request_from_record({"id": str(i), "to": "a@b.c", "data": {"first_name": name}}, WINBACK)
        )
    assert len(pipeline().vocab.strings) == before


def test_csv_row_becomes_a_record():
    row = {
        "id": "c1",
        "to": "c1@example.com",
        "customer.first_name": "Ana",
        "customer.consent.email_marketing": "true",
        "customer.segments": '["new_parent"]',
        "data.order.id": "A-17",
        "data.note": "",
        "history": '[{"at": "2026-11-19T09:00:00Z", "channel": "sms"}]',
    }
    record = record_from_csv_row(row)
    assert record == {
        "id": "c1",
        "to": "c1@example.com",
        "customer": {"first_name": "Ana", "consent": {"email_marketing": "true"}, "segments": ["new_parent"]},
        "data": {"order": {"id": "A-17"}},
        "history": [{"at": "2026-11-19T09:00:00Z", "channel": "sms"}],
    }
    request = request_from_record(record, WINBACK)
    assert request.customer.consent.email_marketing is True
    with pytest.raises(RequestError) as error:
        record_from_csv_row({"history": "[oops"})
    assert error.value.field == "history"


# Words some pattern needs, in the cases a merge value may have them, and plain names.
WORDS = sorted(
    {w for w in _needed_words()[0] | _needed_words()[1] if w.isalpha()}
    | {w.capitalize() for w in _needed_words()[0] if w.isalpha()}
    | {w + ending for w in _needed_words()[1] if w.isalpha() for ending in ("s", "ed", "ing", "es")}
    | {"Ana", "Hope", "Will", "Grace", "Joy", "Miss", "Gold", "Baby", "Cart", "Viewed", "Browsing"}
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from(WORDS) | st.text(st.characters(categories=["Lu", "Ll"]), min_size=1, max_size=9),
        min_size=1,
        max_size=4,
    )
)
def test_a_value_spacy_is_skipped_for_could_match_nothing(words):
    value = " ".join(words)
    if not value_needs_pipeline(value):
        assert _analyse_value(value, ()).hits == {}


def test_a_policy_vocabulary_and_the_limits_apply_as_in_check():
    from linters.policy import policy_from_mapping

    template = CampaignTemplate(
        {
            "subject": "Your December perks",
            "text": "Hi {{first_name}},\n\nAs a Diamond Circle member, you get first pick of the spring range.",
        },
        {"channel": "email", "purpose": "marketing", "campaign": "perks", "automated": True},
    )
    policy = policy_from_mapping({"vocabulary": {"status_words": ["Diamond Circle"]}}, "test")
    standard = {"first_name": "Lena", "purchase_count": 1, "tier": "standard", "consent": {"email_marketing": True}}
    record = {"id": "d1", "to": "d1@example.com", "customer": standard, "data": {"first_name": "Lena"}}
    request = request_from_record(record, template)
    expected = check(request, policy, now=NOW)
    assert "SG201" in {f.rule for f in expected.findings}
    assert _comparable(Campaign(template, policy, now=NOW).judge(request)) == _comparable(expected)
    # The base vocabulary does not know the tier name, and the shared parts do not leak it:
    # with the claim reader's status classes off (it reads the claim by meaning), only the
    # policy's words find it.
    reader_off = policy_from_mapping(
        {"claims": {"thresholds": {"status": 1.0, "personal_importance": 1.0}}}, "test"
    )
    assert "SG201" not in {f.rule for f in Campaign(template, reader_off, now=NOW).judge(request).findings}
    # The reader on: a Diamond Circle member claim to a standard customer is caught by meaning.
    assert "SG201" in {f.rule for f in Campaign(template, now=NOW).judge(request).findings}

    deep: dict = {"leaf": "x"}
    for _ in range(20):
        deep = {"a": deep}
    nested = request_from_record({**record, "data": {"first_name": "Lena", "deep": deep}}, template)
    with pytest.raises(RequestError) as refused:
        Campaign(template, policy, now=NOW).judge(nested)
    assert refused.value.field.startswith("data.deep")
