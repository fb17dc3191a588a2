"""SG201 unearned-status and SG202 fake-relationship, against the customer record."""

from __future__ import annotations

import pytest

from linters.policy import policy_from_mapping
from tests.conftest import judge, rules_of

CONSENT = {"email_marketing": True}
ONE_PURCHASE = {
    "first_name": "Ana",
    "purchase_count": 1,
    "lifetime_value": 40.0,
    "customer_since": "2026-06-01T00:00:00Z",
    "consent": CONSENT,
}


@pytest.mark.parametrize(
    "claim",
    [
        "You're our most valuable customer, so here's early access.",
        "As one of our very best customers, you get early access.",
        "As a valued VIP member, you get early access.",
        "Our top shoppers like you get early access.",
        "You are among the top 1% of our customers.",
        "As a Platinum member you get early access.",
        "You're special to us, so here's early access.",
        "To our favourite customers: early access is yours.",
    ],
)
def test_status_claims_to_a_one_time_buyer(claim):
    result = judge({"text": f"Hi Ana,\n\n{claim} The sale starts Friday."}, customer=ONE_PURCHASE)
    assert "SG201" in rules_of(result), claim


def test_status_claim_is_removed_by_the_rewrite():
    result = judge(
        {
            "text": "Hi Ana,\n\nAs one of our very best customers, you get early access. The sale starts Friday."
        },
        customer=ONE_PURCHASE,
    )
    assert result.decision == "rewrite"
    assert result.message["text"] == "Hi Ana,\n\nYou get early access. The sale starts Friday."


@pytest.mark.parametrize(
    "customer",
    [
        {"first_name": "Ana", "tier": "VIP", "purchase_count": 2},
        {"first_name": "Ana", "purchase_count": 25},
        {"first_name": "Ana", "purchase_count": 3, "lifetime_value": 5400.0},
    ],
)
def test_a_vip_may_be_called_one(customer):
    result = judge({"text": "Hi Ana,\n\nAs a valued VIP member, you get early access."}, customer=customer)
    assert "SG201" not in rules_of(result)


@pytest.mark.parametrize(
    "text",
    [
        "Our best customer service team is here seven days a week.",
        "Our best customers love this jacket, and the reviews say why.",
        "Our best sellers are back in stock.",
    ],
)
def test_status_near_misses(text):
    assert "SG201" not in rules_of(judge({"text": f"Hi Ana,\n\n{text}"}, customer=ONE_PURCHASE))


def test_gold_member_to_a_gold_tier_customer_is_a_fact():
    customer = {"first_name": "Ana", "tier": "gold", "purchase_count": 1}
    policy = policy_from_mapping({"rules": {"SG201": {"top_tiers": ["platinum"]}}})
    result = judge(
        {"text": "Hi Ana,\n\nAs a Gold member you get free returns."}, policy=policy, customer=customer
    )
    assert "SG201" not in rules_of(result)


def test_policy_changes_the_status_thresholds():
    customer = {"first_name": "Ana", "purchase_count": 4}
    text = {"text": "Hi Ana,\n\nAs one of our best customers, you get early access."}
    assert "SG201" in rules_of(judge(text, customer=customer))
    policy = policy_from_mapping({"rules": {"SG201": {"min_purchases": 4}}})
    assert "SG201" not in rules_of(judge(text, policy=policy, customer=customer))


def test_no_customer_record_means_no_status_judgement():
    assert "SG201" not in rules_of(judge({"text": "You're our most valuable customer."}))


def test_anonymous_records_never_earn_status():
    result = judge(
        {"text": "You're one of our best customers."}, customer={"anonymous": True, "purchase_count": 50}
    )
    assert "SG201" in rules_of(result)


# SG202 ---------------------------------------------------------------------------

NEWCOMER = {
    "first_name": "Lena",
    "purchase_count": 0,
    "customer_since": "2026-10-30T00:00:00Z",
    "consent": CONSENT,
}
REGULAR = {
    "first_name": "Dmitri",
    "purchase_count": 12,
    "customer_since": "2018-03-01T00:00:00Z",
    "consent": CONSENT,
}


@pytest.mark.parametrize(
    "claim",
    [
        "Welcome back!",
        "We've missed you.",
        "We really miss you around here.",
        "Thanks for your loyalty.",
        "Thank you so much for your continued loyalty.",
        "As a long-time customer, you know our beans.",
        "You've been with us for years.",
        "Loyal customers like you make this possible.",
        "Good to see you again!",
    ],
)
def test_relationship_claims_to_a_newcomer(claim):
    result = judge({"text": f"Hi Lena,\n\n{claim} New beans arrived this week."}, customer=NEWCOMER)
    assert "SG202" in rules_of(result), claim


@pytest.mark.parametrize(
    "claim",
    [
        "Welcome back!",
        "We've missed you.",
        "Thanks for your loyalty.",
        "As a long-time customer, you know our beans.",
    ],
)
def test_relationship_claims_are_fine_for_a_regular(claim):
    result = judge({"text": f"Hi Dmitri,\n\n{claim} New beans arrived this week."}, customer=REGULAR)
    assert "SG202" not in rules_of(result)


def test_welcome_back_needs_a_purchase_not_just_a_signup():
    one_order = dict(NEWCOMER, purchase_count=1)
    assert "SG202" in rules_of(judge({"text": "Welcome back! New beans."}, customer=NEWCOMER))
    assert "SG202" not in rules_of(judge({"text": "Welcome back! New beans."}, customer=one_order))


def test_tenure_is_judged_from_customer_since():
    two_months = dict(REGULAR, customer_since="2026-09-01T00:00:00Z")
    assert "SG202" in rules_of(
        judge({"text": "As a long-time customer, you get this first."}, customer=two_months)
    )


def test_relationship_claim_is_removed_and_the_rest_is_kept():
    result = judge({"text": "Hi Lena,\n\nWe've missed you! New beans arrived this week."}, customer=NEWCOMER)
    assert result.decision == "rewrite"
    assert result.message["text"] == "Hi Lena,\n\nNew beans arrived this week."


@pytest.mark.parametrize(
    "text",
    [
        "We're thrilled to have you on board.",
        "Thanks for your support, and enjoy the beans.",
        "Thank you for your business.",
    ],
)
def test_relationship_near_misses_from_real_templates(text):
    assert "SG202" not in rules_of(judge({"text": f"Hi Lena,\n\n{text}"}, customer=NEWCOMER))


@pytest.mark.parametrize(
    "text", ["Happy to have you back!", "Glad you're back.", "Thanks for your continued support."]
)
def test_relationship_claims_with_back_or_continued(text):
    assert "SG202" in rules_of(judge({"text": f"Hi Lena,\n\n{text}"}, customer=NEWCOMER))


def test_as_one_of_our_best_customers_is_said_of_the_reader():
    result = judge(
        {
            "text": "Hi Ana,\n\nEnjoy early access, as one of our most valuable customers. The sale starts Friday."
        },
        customer=ONE_PURCHASE,
    )
    assert "SG201" in rules_of(result)
    assert result.message["text"] == "Hi Ana,\n\nEnjoy early access. The sale starts Friday."


# --- a claim the reader reads into a phrase about something else (SG201, SG202) ------------
# linters/rules/claims/_shared.py: the sentence is read again without a product's rank or
# a third-person group that is the subject of a scheme's terms.


@pytest.mark.parametrize(
    ("sentence", "left"),
    [
        ("This jacket is among our best sellers, and you'll see why.", "This jacket is  , and you'll see why."),
        ("Regular customers get a free coffee with every tenth stamp.", "  get a free coffee with every tenth stamp."),
        ("Our members save 10% on Tuesdays.", "  save 10% on Tuesdays."),
    ],
)
def test_the_phrase_about_something_else_is_taken_out(sentence, left):
    from linters.rules.claims._shared import _without_a_group_subject, _without_ranked_things

    assert _without_a_group_subject(_without_ranked_things(sentence)) == left


@pytest.mark.parametrize(
    "sentence",
    [
        "You're one of our most loved customers.",  # a rank word before people ranks people
        "You're among our top rated members.",
        "You are one of our best-loved guests, and we've shared so many years together.",
        "Our longest-standing customers, of whom you are one, get a free gift.",  # the reader set in the group
        "Regular guests like you have been part of our story for years.",
        "Members have shared so many years with us, and you're one of them.",
        "Our members are our family, and you are family too.",  # says what the reader is
        "You're a patron of the highest order.",  # the reader is the subject
        "Dear valued member, you've been with us for ten years.",  # a greeting, not a third party
    ],
)
def test_a_claim_about_the_reader_is_read_whole(sentence):
    from linters.rules.claims._shared import _without_a_group_subject, _without_ranked_things

    assert _without_a_group_subject(_without_ranked_things(sentence)) == sentence


@pytest.mark.parametrize(
    ("sentence", "rule"),
    [
        ("You're one of our most loved customers.", "SG201"),
        ("You matter more to us than any of our best sellers.", "SG201"),
        ("Our longest-standing customers, of whom you are one, get a free gift.", "SG202"),
    ],
)
def test_claims_beside_a_rank_or_a_group_still_reach_a_newcomer(sentence, rule):
    template = {"subject": "News", "text": f"Hi Sam,\n\n{sentence}\n\nLeaf & Kettle, 9 Brook St, York."}
    newcomer = {"customer_id": "c-1", "first_name": "Sam", "purchase_count": 0, "tier": "standard"}
    assert rule in rules_of(judge(template, customer=newcomer, automated=True)), sentence
