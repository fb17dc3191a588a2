"""Paraphrases: synonym classes for status, relationship and age-targeted content,
and segment conflicts read from the customer's `segments`."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import judge, rules_of

STANDARD = {
    "first_name": "Priya",
    "purchase_count": 1,
    "lifetime_value": 58.0,
    "tier": "standard",
    "customer_since": "2026-08-10T00:00:00Z",
    "consent": {"email_marketing": True},
}
NEWCOMER = {**STANDARD, "purchase_count": 0, "lifetime_value": 0.0, "customer_since": "2026-11-01T00:00:00Z"}


def email(body: str) -> dict[str, str]:
    return {"subject": "Spring at Harbour & Pine", "text": f"Hi Priya,\n\n{body}\n\nHarbour & Pine"}


# --- SG201: status words and ranked claims ---------------------------------------


@pytest.mark.parametrize(
    "claim",
    [
        "As one of our VIP members, you get first pick of the spring range.",
        "As one of our elite members, you get first pick of the spring range.",
        "As one of our insider members, you get first pick of the spring range.",
        "You're one of our most loyal clients, so the spring range opens to you first.",
        "As one of our most devoted patrons, you get a table before anyone else.",
        "Thanks for being one of our top-tier clients: the spring range is yours first.",
        "Your Platinum status gets you first pick of the spring range.",
        "As an Elite member, you get first pick of the spring range.",
        "You are among our very best, so the spring range opens to you first.",
        "You're one of the most valued customers we have, so the spring range is yours first.",
    ],
)
def test_status_paraphrases_to_a_standard_tier_customer(claim: str) -> None:
    assert "SG201" in rules_of(judge(email(claim), customer=STANDARD)), claim


@pytest.mark.parametrize(
    "text",
    [
        "Become a Platinum member today and get free delivery for a year.",
        "Join our Insider club to hear about new arrivals first.",
        "Earn Gold status with three more orders this year.",
        "Upgrade to Elite membership for free returns on every order.",
        "Our VIP support line is open until 8pm if you need a hand.",
    ],
)
def test_invitations_and_services_are_not_status_claims(text: str) -> None:
    assert "SG201" not in rules_of(judge(email(text), customer=STANDARD)), text


def test_status_words_to_a_platinum_customer_are_facts() -> None:
    platinum = {**STANDARD, "tier": "platinum"}
    result = judge(email("As a Platinum member, you get first pick of the spring range."), customer=platinum)
    assert "SG201" not in rules_of(result)


# --- SG202: relationship claims ---------------------------------------------------


@pytest.mark.parametrize(
    "claim",
    [
        "You've been missed! The spring range is in.",
        "We haven't seen you in a while, so here is what's new.",
        "So good to have you back. The spring range is in.",
        "As a returning customer, you know our linen.",
        "Thank you for your continued trust. The spring range is in.",
        "Thanks for choosing us again and again. The spring range is in.",
        "You've been with us since day one. The spring range is in.",
        "Thanks for sticking by us. The spring range is in.",
    ],
)
def test_relationship_paraphrases_to_a_newcomer(claim: str) -> None:
    assert "SG202" in rules_of(judge(email(claim), customer=NEWCOMER)), claim


@pytest.mark.parametrize(
    "text",
    [
        "Thanks for your order. The spring range is in.",
        "Thanks for signing up. Here is what to expect from us.",
        "We hope to see you in store soon.",
    ],
)
def test_newcomer_near_misses(text: str) -> None:
    assert "SG202" not in rules_of(judge(email(text), customer=NEWCOMER)), text


# --- SG501: age-targeted topics and segment conflicts ----------------------------

YOUNG = {**STANDARD, "attributes": {"birth_year": 2004}}  # 22 in 2026
FIFTY_EIGHT = {**STANDARD, "attributes": {"birth_year": 1968}}


@pytest.mark.parametrize(
    "body",
    [
        "It's never too early to start planning for retirement: book a free session with our advisers.",
        "Take your pension from 55: see how pension drawdown works.",
        "Compare Medicare Advantage plans in one place.",
        "Retirement income you can count on: see our annuity rates.",
    ],
)
def test_age_targeted_topics_to_someone_in_their_early_twenties(body: str) -> None:
    result = judge(email(body), customer=YOUNG)
    assert "SG501" in rules_of(result), body
    assert "born 2004" in next(f for f in result.findings if f.rule == "SG501").message


@pytest.mark.parametrize(
    ("body", "purpose"),
    [
        ("Your annual pension statement is ready. Your pension pot grew by 4% this year.", "transactional"),
        ("Our pension transfer service is now free of charge.", "marketing"),
        ("Your employer pays into your workplace pension plan every month.", "service"),
    ],
)
def test_a_pension_is_not_only_for_the_old(body: str, purpose: str) -> None:
    """Workers of every age have a pension (UK auto-enrolment starts at 22)."""
    assert "SG501" not in rules_of(judge(email(body), customer=YOUNG, purpose=purpose)), body


def test_retirement_planning_is_fine_at_fifty_eight_and_without_a_birth_year() -> None:
    body = email("It's never too early to start planning for retirement: book a free session.")
    assert "SG501" not in rules_of(judge(body, customer=FIFTY_EIGHT))
    assert "SG501" not in rules_of(judge(body, customer=STANDARD))


@pytest.mark.parametrize(
    "segments",
    [["parent_teen"], ["teen_parent"], ["Parents of teens"], ["parents-of-teenagers"], ["empty_nester"]],
)
def test_infant_audience_against_teen_parenting_segments(segments: list[str]) -> None:
    customer = {**STANDARD, "segments": segments}
    result = judge(
        email("New in: organic cotton onesies and swaddles."), customer=customer, audience=["parent_infant"]
    )
    assert "SG501" in rules_of(result), segments
    assert segments[0] in result.findings[0].message


@pytest.mark.parametrize(
    ("segments", "audience"),
    [
        (["parent_teen", "new_parents"], ["parent_infant"]),  # a teen and a baby at home
        (["parent_teen"], ["teen_parents"]),  # the audience says it with an alias
        (["newsletter", "outdoor"], ["parent_infant"]),  # the record says nothing about children
    ],
)
def test_segments_that_fit_or_say_nothing(segments: list[str], audience: list[str]) -> None:
    customer: dict[str, Any] = {**STANDARD, "segments": segments}
    result = judge(
        email("New in: organic cotton onesies and swaddles."), customer=customer, audience=audience
    )
    assert "SG501" not in rules_of(result)


def test_text_vocabulary_uses_segment_conflicts_too() -> None:
    customer = {**STANDARD, "segments": ["teen_parent"]}
    result = judge(email("Stock up on diapers: 20% off all sizes this week."), customer=customer)
    assert "SG501" in rules_of(result)


@pytest.mark.parametrize(
    "text",
    [
        "This jacket is among our best sellers, and you'll see why on the first cold morning.",
        "Book our signature treatment and you'll leave feeling ten years younger.",
        "Regular customers get a free coffee with every tenth stamp on your card.",
        "Why choose us over the big chains? You get a tailor who knows your name.",
        "Bring an old friend along: you both get a free class.",
        # A rank word about a product is not a rank of the reader's (claims.json: ranked_things).
        "Our best-selling merino crew is back, and you can have it in six colours.",
        "You'll find one of our most popular styles in the window this week.",
        "These are the top-rated walking boots of the season, and they are yours for £95.",
    ],
)
def test_everyday_phrases_near_the_new_classes_are_not_claims(text: str) -> None:
    found = rules_of(judge(email(text), customer=NEWCOMER))
    assert "SG201" not in found and "SG202" not in found, text
