"""SG302, SG303, SG401, SG501-503 and SG701: catches, paraphrases and near misses."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import judge, rules_of

from linters.findings import Action, Decision
from linters.policy import policy_from_mapping


def text(body: str, subject: str = "News from Northwind") -> dict[str, str]:
    return {"subject": subject, "text": body}


def findings(result, rule_id: str):
    return [f for f in result.findings if f.rule == rule_id]


# --- SG302 false-urgency -------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Hurry! Our winter sale ends tonight.",
        "Last chance to save 30% on every armchair.",
        "Only 3 hours left to claim your free cushion.",
        "Act now: these prices won't last.",
        "The walnut desk is selling fast. Get yours before it's gone.",
        "Don't miss out on our biggest sale of the year.",
        "It's now or never: 40% off ends in 2 hours.",
    ],
)
def test_false_urgency_in_marketing(body: str, regular: dict[str, Any]) -> None:
    result = judge(text(body), customer=regular)
    assert "SG302" in rules_of(result)
    assert all(f.action == Action.WARN for f in findings(result, "SG302"))


@pytest.mark.parametrize(
    ("body", "purpose"),
    [
        (
            "Your password reset link is valid for 24 hours. Act now if you did not ask for it.",
            "transactional",
        ),
        ("Your reservation expires at noon tomorrow; last chance to change the time is 10am.", "service"),
        ("Our winter sale runs until 30 November. Come and have a look.", "marketing"),
        ("New in: the walnut desk, made in Vermont.", "marketing"),
    ],
)
def test_real_deadlines_and_calm_marketing_are_not_false_urgency(
    body: str, purpose: str, regular: dict[str, Any]
) -> None:
    assert "SG302" not in rules_of(judge(text(body), customer=regular, purpose=purpose))


# --- SG303 automated-empathy --------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Your call is important to us. Please continue to hold.",
        "We truly care about you and your family.",
        "You matter to us, so we're updating our delivery times.",
        "We understand how frustrating this must be.",
        "Our thoughts are with you at this difficult time.",
        "Your business is very important to us.",
    ],
)
def test_automated_empathy_blocks_on_voice(body: str, regular: dict[str, Any]) -> None:
    result = judge({"text": body}, customer=regular, channel="voice", to="+14155550100", purpose="service")
    hits = findings(result, "SG303")
    assert hits and all(f.action == Action.BLOCK for f in hits)
    assert result.decision == Decision.BLOCK


def test_automated_empathy_warns_on_email(regular: dict[str, Any]) -> None:
    result = judge(text("We care about our customers, so your order ships free."), customer=regular)
    assert [f.action for f in findings(result, "SG303")] == [Action.WARN]


def test_empathy_written_by_a_person_is_not_judged(regular: dict[str, Any]) -> None:
    body = "Maggie, I'm so sorry about the broken lamp. We care about you and I've sent a new one today."
    assert "SG303" not in rules_of(judge(text(body), customer=regular, automated=False, purpose="service"))


@pytest.mark.parametrize(
    "body",
    [
        "We care about quality: every chair is hand-finished.",
        "Your order is important and ships today.",
        "Call us if you need us: 0800 123 4567.",
    ],
)
def test_empathy_near_misses(body: str, regular: dict[str, Any]) -> None:
    assert "SG303" not in rules_of(judge(text(body), customer=regular))


@pytest.mark.parametrize(
    "body",
    [
        "We're here for you at <support@zulip.com> if you have any questions.",
        "We are here for you on +44 20 7946 0958, day and night.",
        "We're here for you via https://help.northwind.example/contact any time.",
    ],
)
def test_empathy_that_goes_on_to_a_channel_offers_help(body: str, regular: dict[str, Any]) -> None:
    assert "SG303" not in rules_of(judge(text(body), customer=regular))


@pytest.mark.parametrize(
    "body",
    [
        "We're here for you at every step of the journey.",
        "We're here for you. Call us at 0800 123 4567.",  # the channel is another sentence
        "We're here for you at noreply@northwind.example.",  # a reply reaches nobody
        "We care about you on this special day.",
        # The channel must come at once, and a link must lead to people:
        "We care about you at Northwind, so shop the winter sale at https://northwind.example/sale",
        "We're here for you at every step, see https://northwind.example/blog",
        "We care about you at Northwind; ref 2026-11-20 order 123 456 7890",
        "We're here for you at https://northwind.example/sale",
    ],
)
def test_empathy_with_no_channel_right_after_is_still_judged(body: str, regular: dict[str, Any]) -> None:
    assert "SG303" in rules_of(judge(text(body), customer=regular))


@pytest.mark.parametrize(
    "body",
    [
        "Your call is important to us at Northwind Bank, 0800 123 4567. Please continue to hold.",
        "Your call is important to us on this line, 0800 123 4567. Please continue to hold.",
    ],
)
def test_a_number_later_in_the_sentence_does_not_excuse_a_hold_message(
    body: str, regular: dict[str, Any]
) -> None:
    result = judge({"text": body}, customer=regular, channel="voice", to="+14155550100", purpose="service")
    assert [f.action for f in findings(result, "SG303")] == [Action.BLOCK]


def test_policy_action_wins_over_the_voice_block(regular: dict[str, Any]) -> None:
    policy = policy_from_mapping({"rules": {"SG303": "warn"}})
    result = judge(
        {"text": "Your call is important to us."},
        policy,
        customer=regular,
        channel="voice",
        to="+14155550100",
    )
    assert [f.action for f in findings(result, "SG303")] == [Action.WARN]


# --- SG401 tracking-disclosure -------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "We noticed you were looking at the Alder armchair. It's still available!",
        "Still thinking about the items you recently viewed?",
        "You searched for walnut desks last week, so here are three.",
        "We spotted you near our Boston store yesterday. Pop in!",
        "You haven't opened our last few emails. Is everything OK?",
        "You spent 12 minutes browsing rugs. Need a hand choosing?",
        "You left something in your cart.",
        "Based on your browsing history, we picked these lamps.",
    ],
)
def test_tracking_disclosed_without_consent(body: str, arthur: dict[str, Any]) -> None:
    result = judge(text(body), customer=arthur)
    assert "SG401" in rules_of(result)
    assert result.decision == Decision.BLOCK


def test_cart_reminder_to_a_consenting_customer_is_fine(regular: dict[str, Any]) -> None:
    body = "You left the Alder armchair in your cart. It's saved for you."
    assert "SG401" not in rules_of(judge(text(body), customer=regular, trigger="cart_abandoned"))


def test_tracking_to_an_anonymous_record_is_flagged_even_with_consent(regular: dict[str, Any]) -> None:
    anonymous = {**regular, "anonymous": True}
    result = judge(text("Items you recently viewed are on sale."), customer=anonymous)
    assert "SG401" in rules_of(result)
    assert "anonymous" in findings(result, "SG401")[0].message


@pytest.mark.parametrize(
    "body",
    [
        "Have you looked at our new spring range yet?",
        "We hope to see you in store soon.",
        "You can view your order at any time in your account.",
        "Our most viewed lamps this month, all under $80.",
        "Find a store near you with our store finder.",
    ],
)
def test_tracking_near_misses(body: str, arthur: dict[str, Any]) -> None:
    assert "SG401" not in rules_of(judge(text(body), customer=arthur))


# --- SG501 segment-mismatch ---------------------------------------------------------


def parent(*ages: int) -> dict[str, Any]:
    return {"first_name": "Dana", "purchase_count": 4, "attributes": {"children_ages": list(ages)}}


DIAPERS = "Stock up on diapers: 20% off all sizes this week."


def test_diapers_to_the_parent_of_a_teenager(regular: dict[str, Any]) -> None:
    result = judge(text(DIAPERS), customer=parent(15))
    hit = findings(result, "SG501")
    assert hit and "diapers" in hit[0].excerpt and "15" in hit[0].message
    assert result.decision == Decision.BLOCK


def test_diapers_to_the_parent_of_a_baby() -> None:
    assert "SG501" not in rules_of(judge(text(DIAPERS), customer=parent(15, 1)))


def test_no_record_of_children_is_not_a_mismatch(regular: dict[str, Any]) -> None:
    assert "SG501" not in rules_of(judge(text(DIAPERS), customer=regular))


@pytest.mark.parametrize(
    ("body", "attributes"),
    [
        ("New puppy? Our puppy food starter kit is here.", {"pets": ["cat"]}),
        ("Fresh cat litter, delivered monthly.", {"pets": ["dog"]}),
        ("Prom dresses for your teen, in every size.", {"children_ages": [2]}),
        ("Hearing aids at a senior discount.", {"birth_year": 1996}),
    ],
)
def test_text_vocabulary_mismatches(body: str, attributes: dict[str, Any]) -> None:
    customer = {"first_name": "Sam", "attributes": attributes}
    assert "SG501" in rules_of(judge(text(body), customer=customer))


def test_declared_audience_against_the_record() -> None:
    template = text("Everything for the first months, in one box.")
    assert "SG501" in rules_of(judge(template, customer=parent(15), audience=["parent_infant"]))
    assert "SG501" not in rules_of(judge(template, customer=parent(0), audience=["parent_infant"]))
    # Meant for infants or toddlers: a 3-year-old fits one of them.
    assert "SG501" not in rules_of(
        judge(template, customer=parent(3), audience=["parent_infant", "parent_toddler"])
    )


def test_declared_audience_takes_precedence_over_the_text() -> None:
    # The request says who it is for; the words are not second-guessed.
    result = judge(text(DIAPERS), customer=parent(15), audience=["parent"])
    assert "SG501" not in rules_of(result)


def test_custom_audience_tags_need_segments_complete() -> None:
    customer = {"first_name": "Sam", "segments": ["golf"]}
    template = text("The new season of tennis rackets is in.")
    assert "SG501" not in rules_of(judge(template, customer=customer, audience=["tennis"]))
    policy = policy_from_mapping({"rules": {"SG501": {"segments_complete": True}}})
    assert "SG501" in rules_of(judge(template, policy, customer=customer, audience=["tennis"]))
    assert "SG501" not in rules_of(judge(template, policy, customer=customer, audience=["golf"]))


# --- SG502 upsell-overload ----------------------------------------------------------

RECEIPT = (
    "Your order #10482 has shipped and arrives Thursday.\n\n"
    "You might also like our Winter Collection: 20% off with code SNOW. Shop now!"
)


def test_receipt_crowded_with_offers(regular: dict[str, Any]) -> None:
    result = judge(text(RECEIPT, "Your order has shipped"), customer=regular, purpose="transactional")
    hit = findings(result, "SG502")
    assert hit and hit[0].action == Action.WARN and "offers" in hit[0].message


def test_receipt_with_one_offer_is_fine(regular: dict[str, Any]) -> None:
    body = "Your order #10482 has shipped and arrives Thursday.\n\nYou might also like our Winter Collection."
    assert "SG502" not in rules_of(judge(text(body), customer=regular, purpose="transactional"))


def test_one_amount_offered_twice_in_the_same_words_is_one_offer(regular: dict[str, Any]) -> None:
    """The Postmark receipt template: a heading and the line under it state one coupon."""
    body = (
        "This is the receipt for your purchase.\n\n10% off your next purchase!\n\n"
        "Thanks for your support! Here's a coupon for 10% off your next purchase if used by 31 December."
    )
    assert "SG502" not in rules_of(judge(text(body), customer=regular, purpose="transactional"))
    two_amounts = body.replace("a coupon for 10% off", "a coupon for 15% off")
    assert "SG502" in rules_of(judge(text(two_amounts), customer=regular, purpose="transactional"))


@pytest.mark.parametrize(
    "offers",
    [
        "20% off coats. 20% off boots. 20% off scarves.",
        "Save $10 on coats. Save $10 on boots. Save $10 on hats.",
        "Buy 2 get 1 free on socks. Buy 2 get 1 free on hats.",
    ],
)
def test_one_amount_for_different_things_is_several_offers(offers: str, regular: dict[str, Any]) -> None:
    body = f"Your order #10482 has shipped.\n\n{offers}"
    assert "SG502" in rules_of(judge(text(body), customer=regular, purpose="transactional"))


def test_a_call_to_buy_counts_each_time(regular: dict[str, Any]) -> None:
    body = "Your order #10482 has shipped.\n\nThe walnut desk: shop now.\n\nThe oak shelf: shop now."
    assert "SG502" in rules_of(judge(text(body), customer=regular, purpose="transactional"))


def test_offers_in_marketing_are_not_upsell_overload(regular: dict[str, Any]) -> None:
    assert "SG502" not in rules_of(judge(text(RECEIPT), customer=regular))


def test_max_offers_from_policy(regular: dict[str, Any]) -> None:
    policy = policy_from_mapping({"rules": {"SG502": {"max_offers": 5}}})
    assert "SG502" not in rules_of(judge(text(RECEIPT), policy, customer=regular, purpose="transactional"))


# --- SG503 cart-discount ------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "Still thinking it over? Here's 10% off to help you decide.",
        "Use code COMEBACK for free shipping on your order.",
        "Complete your order today and save $15.",
    ],
)
def test_discount_after_an_abandoned_cart(body: str, regular: dict[str, Any]) -> None:
    assert "SG503" in rules_of(judge(text(body), customer=regular, trigger="cart_abandoned"))


def test_cart_reminder_without_discount(regular: dict[str, Any]) -> None:
    body = "Your saved items are here whenever you want them."
    assert "SG503" not in rules_of(judge(text(body), customer=regular, trigger="cart_abandoned"))


def test_discount_after_another_trigger(regular: dict[str, Any]) -> None:
    body = "Happy birthday, Maggie! Here's 10% off anything you like."
    assert "SG503" not in rules_of(judge(text(body), customer=regular, trigger="birthday"))


# --- SG701 no-human-path ------------------------------------------------------------

NO_REPLY = "no-reply@northwind.example"


def test_no_reply_email_without_a_way_to_reach_anyone(regular: dict[str, Any]) -> None:
    body = "Your subscription renews tomorrow. Please do not reply to this email."
    result = judge(text(body), customer=regular, purpose="service", **{"from": NO_REPLY})
    hit = findings(result, "SG701")
    assert hit and hit[0].part is None and NO_REPLY in hit[0].message


@pytest.mark.parametrize(
    "sender",
    ["noreply@northwind.example", "DoNotReply@northwind.example", "Northwind <do-not-reply@nw.example>"],
)
def test_no_reply_spellings(sender: str, regular: dict[str, Any]) -> None:
    result = judge(text("Your subscription renews tomorrow."), customer=regular, **{"from": sender})
    assert "SG701" in rules_of(result)


@pytest.mark.parametrize(
    "template",
    [
        text("Questions? Call us on +1 (800) 555-0199."),
        text("Questions? Write to help@northwind.example."),
        text("Questions? Visit https://northwind.example/contact-us"),
        {
            "subject": "Renewal",
            "html": '<p>Questions? <a href="https://northwind.example/support">We can help</a></p>',
        },
        {
            "subject": "Renewal",
            "html": '<p>Questions? <a href="mailto:care@northwind.example">Write to us</a></p>',
        },
    ],
)
def test_a_human_path_satisfies_no_reply(template: dict[str, str], regular: dict[str, Any]) -> None:
    assert "SG701" not in rules_of(judge(template, customer=regular, **{"from": NO_REPLY}))


def test_near_misses_for_no_human_path(regular: dict[str, Any]) -> None:
    body = "Order 20261120 ships on 2026-11-22. Track it at https://northwind.example/orders/10482"
    assert "SG701" in rules_of(judge(text(body), customer=regular, **{"from": NO_REPLY}))
    reply_able = judge(text("Your subscription renews tomorrow."), customer=regular)
    assert "SG701" not in rules_of(reply_able)
    by_hand = judge(text("Renewal tomorrow."), customer=regular, automated=False, **{"from": NO_REPLY})
    assert "SG701" not in rules_of(by_hand)
    sms = judge(
        {"text": "Renewal tomorrow."},
        customer=regular,
        channel="sms",
        to="+14155550100",
        **{"from": NO_REPLY},
    )
    assert "SG701" not in rules_of(sms)
