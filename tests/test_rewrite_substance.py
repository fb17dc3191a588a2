"""A rewrite never deletes substance: an offer, a fact, a call to action, a date, a price, a link."""

from __future__ import annotations

import pytest

from linters.findings import Decision
from linters.substance import substance_in
from tests.conftest import judge

ONE_ORDER = {
    "first_name": "Dana",
    "last_name": "Reyes",
    "purchase_count": 1,
    "tier": "standard",
    "customer_since": "2026-10-01T00:00:00Z",
    "consent": {"email_marketing": True, "sms_marketing": True},
}


@pytest.mark.parametrize(
    ("removed", "kind"),
    [
        ("Welcome back! Book your table at northwind.example.", "a link"),
        ("Hope you've been well, your warranty registration is now complete.", "news"),
        ("As a loyal customer, you pay $12 less.", "a price"),
        ("Our most loyal clients get 30% off this weekend.", "an offer"),
        ("We've missed you, and the sale starts Friday.", "a date"),
        ("We've missed you, and our new menu launches this week.", "news"),
        ("Hope you're well! Reply to this email to rebook.", "a call to action"),
        ("Thanks for your loyalty since 2019.", "a number or date"),
        ("Welcome back, write to care@northwind.example", "an e-mail address"),
    ],
)
def test_substance_is_named(removed: str, kind: str) -> None:
    found = substance_in(removed)
    assert found is not None and found.startswith(kind), (removed, found)


@pytest.mark.parametrize(
    "removed",
    [
        "As one of our most valuable customers, ",
        ", because you're one of our VIP customers",
        "We've missed you!",
        "Hope you've been well!",
        "How are you today?",
        "Happy Friday!",
        "You are among the top 1% of our customers.",
        "Thanks for your loyalty,",
        "<b>As one of our most valuable</b> customers, ",
    ],
)
def test_the_claim_or_small_talk_alone_is_not_substance(removed: str) -> None:
    assert substance_in(removed) is None, removed


def test_small_talk_carrying_the_news_is_not_rewritten_but_held_for_review() -> None:
    text = (
        "Hi Dana,\n\nHope you've been well and that the new kitchen is treating you kindly, "
        "your warranty registration is now complete.\n\nNorthwind Kitchens"
    )
    result = judge({"subject": "Your warranty", "text": text}, customer=ONE_ORDER)
    assert result.decision == Decision.BLOCK
    unsafe = [f for f in result.findings if f.rule == "SG000"]
    assert unsafe and "SG102" in unsafe[0].message and "would also delete news" in unsafe[0].message
    assert result.message["text"] == text and not result.changes  # nothing half-deleted


def test_status_claim_with_the_offer_in_its_sentence_keeps_the_offer() -> None:
    # A marketing text carries its opt-out (SG703), which the rewrite leaves in place.
    sms = (
        "You're one of our most loyal clients: 30% off everything this weekend with code LOYAL30. "
        "Reply STOP to opt out."
    )
    result = judge({"text": sms}, channel="sms", to="+442079460000", customer=ONE_ORDER)
    assert result.decision == Decision.REWRITE
    assert result.message["text"] == (
        "30% off everything this weekend with code LOYAL30. Reply STOP to opt out."
    )


def test_only_the_status_words_go_when_the_clause_is_the_offer() -> None:
    text = (
        "Hi Dana,\n\nOur most loyal clients like you get 30% off everything this weekend with code LOYAL30."
    )
    result = judge({"subject": "This weekend", "text": text}, customer=ONE_ORDER)
    assert result.decision == Decision.REWRITE
    assert result.message["text"] == (
        "Hi Dana,\n\nOur clients get 30% off everything this weekend with code LOYAL30."
    )


def test_a_trailing_as_phrase_goes_alone() -> None:
    text = "Hi Dana,\n\nThe spring sale starts Friday, and you get early access as one of our elite members."
    result = judge({"subject": "Spring sale", "text": text}, customer=ONE_ORDER)
    assert result.message["text"] == "Hi Dana,\n\nThe spring sale starts Friday, and you get early access."


def test_a_claim_with_no_safe_edit_blocks_and_says_what_it_would_delete() -> None:
    text = "Hi Dana,\n\nEvery VIP like you gets 20% off at northwind.example/spring this week."
    result = judge({"subject": "Spring sale", "text": text}, customer=ONE_ORDER)
    assert result.decision == Decision.BLOCK
    unsafe = [f.message for f in result.findings if f.rule == "SG000"]
    assert unsafe and "would also delete a link ('northwind.example/spring')" in unsafe[0]


def test_a_message_cut_down_to_its_greeting_is_not_sent() -> None:
    text = "Hi Dana,\n\nYou are among our very best. Thanks for being one of our top-tier clients!"
    result = judge({"subject": "Thank you", "text": text}, customer=ONE_ORDER)
    assert result.decision == Decision.BLOCK
    assert any("nothing but the greeting" in f.message for f in result.findings if f.rule == "SG000")
