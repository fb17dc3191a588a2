"""The two rules from seed 001: SG104 unwanted-occasion and SG608 survey-fatigue."""

from __future__ import annotations

from typing import Any

import pytest

from linters.models import parse_request
from linters.policy import policy_from_mapping
from linters.rules import all_rules
from tests.conftest import judge, make_request, rules_of

# --- SG104 unwanted-occasion ---------------------------------------------------------

OPTED_IN = {
    "first_name": "Maggie",
    "last_name": "Okafor",
    "purchase_count": 12,
    "consent": {"email_marketing": True, "personalization": True},
}
RECORDS_ONLY = {**OPTED_IN, "consent": {"email_marketing": True}}  # the date is on file, nothing more
DECLINED = {**OPTED_IN, "consent": {"email_marketing": True, "personalization": False}}
FORMAL = {
    **OPTED_IN,
    "title": "Mr.",
    "first_name": "Arthur",
    "last_name": "Pendleton",
    "address_as": "formal",
}


@pytest.mark.parametrize(
    "body",
    [
        "Happy birthday, Maggie! Enjoy 15% off anything this week.",
        "Wishing you a wonderful birthday from all of us at Brightsmile Dental.",
        "Your birthday treat is waiting: a free dessert with any main.",
        "Happy anniversary! It's been a year since you joined us.",
        "Many happy returns! Here's a little something from us.",
        "Happy belated birthday! We saved you a gift.",
        "Your birthday is coming up, so we saved you a table.",
        "It's your birthday month: claim your free coffee any day this month.",
    ],
)
@pytest.mark.parametrize(
    "customer", [RECORDS_ONLY, DECLINED, FORMAL], ids=["no-consent", "declined", "formal"]
)
def test_occasion_greetings_without_an_invitation(body: str, customer: dict[str, Any]) -> None:
    result = judge({"subject": "A little something", "text": body}, customer=customer)
    assert "SG104" in rules_of(result), body
    assert result.decision == "block"


def test_occasion_greeting_to_an_opted_in_first_name_customer_is_fine() -> None:
    result = judge({"text": "Happy birthday, Maggie! Enjoy 15% off anything this week."}, customer=OPTED_IN)
    assert "SG104" not in rules_of(result)


def test_the_reason_is_named() -> None:
    result = judge({"text": "Happy birthday, Mr. Pendleton!"}, customer=FORMAL)
    assert "address_as: formal" in result.findings[0].message
    result = judge({"text": "Happy birthday, Maggie!"}, customer=RECORDS_ONLY)
    assert "consent to personalization is not given" in result.findings[0].message


@pytest.mark.parametrize(
    "body",
    [
        "Our 10th anniversary sale starts Friday: 20% off everything.",
        "Happy birthday to us! We're turning five, so the cake is on us.",
        "Plan the perfect birthday party: balloons, banners and candles in store now.",
        "Gift ideas for your anniversary: engraved lockets from $45.",
        "Birthday cards and gift wrap are 2 for 1 this week.",
        "Save 20% on your anniversary dinner when you book by Thursday.",
        # Gifts for someone else's occasion (occasions.json: gift_nouns, someone_else).
        "Gifts for every birthday on your list, wrapped free until Sunday.",
        "Anniversary gift ideas for him, from engraved cufflinks to a weekend away.",
        "Find a card for your mum's birthday in our new stationery range.",
    ],
)
def test_a_business_celebrating_itself_or_occasion_marketing_is_not_a_greeting(body: str) -> None:
    assert "SG104" not in rules_of(judge({"text": body}, customer=RECORDS_ONLY)), body


@pytest.mark.parametrize(
    "body",
    [
        "A birthday gift for you: 20% off anything in store all week.",
        "Your big birthday is nearly here, so the gifts are on us this week.",
    ],
)
def test_a_gift_for_the_readers_own_occasion_is_still_a_greeting(body: str) -> None:
    assert "SG104" in rules_of(judge({"text": body}, customer=RECORDS_ONLY)), body


def test_formal_address_may_be_allowed_by_policy() -> None:
    policy = policy_from_mapping({"rules": {"SG104": {"formal_is_unwanted": False}}})
    result = judge({"text": "Happy birthday, Mr. Pendleton!"}, policy=policy, customer=FORMAL)
    assert "SG104" not in rules_of(result)


def test_no_customer_record_means_no_judgement() -> None:
    assert "SG104" not in rules_of(judge({"text": "Happy birthday!"}))


# --- SG608 survey-fatigue --------------------------------------------------------------

DRIVER = {"first_name": "Sam", "purchase_count": 1, "consent": {"email_marketing": True}}
SURVEY = {
    "subject": "How did we do?",
    "text": "Hi Sam,\n\nThanks for visiting Harbour Motors. How did we do? Rate your service visit in two minutes.",
}


def weekly(*days: int, **extra: Any) -> list[dict[str, Any]]:
    return [
        {"at": f"2026-11-{day:02d}T10:00:00Z", "channel": "email", "purpose": "service", **extra}
        for day in days
    ]


@pytest.mark.parametrize(
    "history",
    [
        weekly(13, campaign="csat-weekly"),
        weekly(6, campaign="Post-visit survey"),
        weekly(13, text="Hi Sam, please take our customer satisfaction survey about your recent visit."),
        weekly(18, text="How likely are you to recommend Harbour Motors to a friend? Reply 0-10."),
        [
            {
                "at": "2026-11-15T10:00:00Z",
                "channel": "sms",
                "text": "Rate your experience at Harbour Motors: 1-5",
            }
        ],
    ],
)
def test_a_second_survey_within_thirty_days(history: list[dict[str, Any]]) -> None:
    result = judge(SURVEY, purpose="service", customer=DRIVER, history=history)
    assert "SG608" in rules_of(result)
    assert result.decision == "block"


def test_a_survey_named_by_its_campaign_alone_counts() -> None:
    result = judge(
        {"text": "Hi Sam,\n\nTwo minutes of your time? Tap below."},
        purpose="service",
        customer=DRIVER,
        campaign="nps-q4",
        history=weekly(13, campaign="nps-q3"),
    )
    assert "SG608" in rules_of(result)


@pytest.mark.parametrize(
    "history",
    [
        [],
        weekly(13, campaign="winter-sale", text="The winter sale starts Friday."),
        [{"at": "2026-10-01T10:00:00Z", "channel": "email", "campaign": "csat-weekly"}],  # 50 days ago
    ],
)
def test_the_first_survey_in_the_window_is_fine(history: list[dict[str, Any]]) -> None:
    assert "SG608" not in rules_of(judge(SURVEY, purpose="service", customer=DRIVER, history=history))


def test_a_message_that_asks_nothing_is_not_judged() -> None:
    result = judge(
        {"text": "Hi Sam,\n\nYour car is ready for collection."},
        purpose="service",
        customer=DRIVER,
        history=weekly(6, 13, campaign="csat-weekly"),
    )
    assert "SG608" not in rules_of(result)


def test_the_window_and_the_count_are_policy() -> None:
    policy = policy_from_mapping(
        {"rules": {"SG608": {"max_requests": 3, "window_days": 90, "action": "hold"}}}
    )
    history = weekly(6, 13, campaign="csat-weekly")
    assert "SG608" not in rules_of(
        judge(SURVEY, policy=policy, purpose="service", customer=DRIVER, history=history)
    )
    history = weekly(2, 6, 13, campaign="csat-weekly")
    result = judge(SURVEY, policy=policy, purpose="service", customer=DRIVER, history=history)
    assert result.decision == "hold"
    # Room again when the oldest of the three leaves the 90-day window.
    assert result.retry_at is not None and result.retry_at.isoformat() == "2027-01-31T10:00:00+00:00"


def test_seed_rules_are_documented_and_registered() -> None:
    rules = {r.id: r for r in all_rules()}
    for rule_id, name in (("SG104", "unwanted-occasion"), ("SG608", "survey-fatigue")):
        rule = rules[rule_id]
        assert rule.name == name
        assert "Catches:" in rule.doc and "Why it hurts:" in rule.doc and "Fix:" in rule.doc
        for field_name, field in rule.settings.model_fields.items():
            assert field.description, f"{rule_id}.{field_name}"


def test_requests_parse() -> None:
    parse_request(make_request(SURVEY, history=weekly(13, campaign="csat-weekly")))


def test_a_newsletter_with_a_survey_link_in_its_footer_is_not_a_survey() -> None:
    newsletter = {
        "subject": "New this month at Harbour Motors",
        "text": (
            "Hi Sam,\n\nThe winter tyre check is back: free for every car we serviced this year. "
            "Book a slot online or call the workshop.\n\nOur new showroom in Leeds opens on 4 December, "
            "with a coffee bar and a children's corner.\n\nWe extended the workshop hours to 7pm on Thursdays."
            "\n\nHave two minutes? Take our customer satisfaction survey."
        ),
    }
    result = judge(newsletter, customer=DRIVER, history=weekly(13, campaign="csat-weekly"))
    assert "SG608" not in rules_of(result)
