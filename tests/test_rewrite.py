"""Safe rewrites: what the reader gets reads naturally, HTML markup survives, and
anything that cannot be edited safely is blocked."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import judge, rules_of

from linters.findings import Decision
from linters.formats.text import check_result as format_text
from linters.policy import policy_from_mapping
from linters.rewrite import UNSAFE_RULE

NEW = {
    "first_name": "Dana",
    "last_name": "Reyes",
    "purchase_count": 1,
    "customer_since": "2026-10-01T00:00:00Z",
    "consent": {"email_marketing": True},
}
NEVER_BOUGHT = {**NEW, "purchase_count": 0}
FORMAL = {
    "first_name": "Ngozi",
    "last_name": "Okafor",
    "title": "Dr.",
    "address_as": "formal",
    "purchase_count": 0,
    "consent": {"email_marketing": True},
}
BOB = {
    "first_name": "Robert",
    "preferred_name": "Bob",
    "last_name": "Hale",
    "purchase_count": 0,
    "consent": {"email_marketing": True},
}


def rewritten(template: dict[str, str], customer: dict[str, Any], **fields: Any) -> dict[str, str]:
    result = judge(template, customer=customer, **fields)
    assert result.decision == Decision.REWRITE, format_text(result)
    return result.message


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # a leading clause goes; the rest is re-capitalized
        (
            "As one of our most valuable customers, you get early access to the winter sale.",
            "You get early access to the winter sale.",
        ),
        # a trailing clause goes; the full stop stays
        (
            "The winter sale starts Friday, because you're one of our VIPs.",
            "The winter sale starts Friday.",
        ),
        # the clause holds an offer (early access): only "as one of our VIPs" goes
        (
            "The winter sale starts Friday, and you get early access as one of our VIPs.",
            "The winter sale starts Friday, and you get early access.",
        ),
        # a clause between commas goes with one comma
        (
            "Hi Dana, as one of our VIP customers, you get early access to the winter sale.",
            "Hi Dana, you get early access to the winter sale.",
        ),
        # "so" is not left at the front of the sentence
        (
            "You're one of our best customers, so here's early access. See you soon!",
            "Here's early access. See you soon!",
        ),
        # a whole sentence in a paragraph: no double or trailing space
        (
            "The sale starts Friday. You are a VIP to us. See you soon!",
            "The sale starts Friday. See you soon!",
        ),
        (
            "The sale starts Friday. You are a VIP to us.\nSee you soon!",
            "The sale starts Friday.\nSee you soon!",
        ),
    ],
)
def test_claims_are_cut_to_a_sentence_that_stands(before: str, after: str) -> None:
    assert rewritten({"subject": "Winter sale", "text": before}, NEW)["text"] == after


def test_a_claim_that_is_a_whole_line_leaves_no_empty_line() -> None:
    body = "Hi Dana,\n\nWe've missed you!\n\nThe winter sale starts Friday.\n\nThanks for your loyalty,\nNorthwind"
    assert rewritten({"subject": "Winter sale", "text": body}, NEVER_BOUGHT)["text"] == (
        "Hi Dana,\n\nThe winter sale starts Friday.\n\nNorthwind"
    )


def test_short_remainder_goes_with_the_claim() -> None:
    # "Bob!" cannot stand on its own once "Welcome back," is cut.
    body = "Hi Dana,\n\nWelcome back, Dana! The winter sale starts Friday."
    assert rewritten({"subject": "Winter sale", "text": body}, NEVER_BOUGHT)["text"] == (
        "Hi Dana,\n\nThe winter sale starts Friday."
    )


def test_wrong_name_gets_the_name_they_use() -> None:
    message = rewritten({"subject": "Hi Robert", "text": "Hi Robert,\n\nThe winter sale starts Friday."}, BOB)
    assert message == {"subject": "Hi Bob", "text": "Hi Bob,\n\nThe winter sale starts Friday."}


def test_casual_greeting_and_small_talk_to_a_formal_customer() -> None:
    body = "Hey Ngozi,\n\nHope you've been well! As one of our most valuable customers, you get early access."
    assert rewritten({"subject": "Winter sale", "text": body}, FORMAL)["text"] == (
        "Dear Dr. Okafor,\n\nYou get early access."
    )


def test_subject_text_and_html_are_edited_alike() -> None:
    template = {
        "subject": "Robert, we've missed you: the winter sale is here",
        "text": "Hi Robert,\n\nWe've missed you! The winter sale starts Friday.",
        "html": "<p>Hi <b>Robert</b>,</p>\n<p>We've missed you! The winter sale starts Friday.</p>",
    }
    message = rewritten(template, BOB)
    assert message["text"] == "Hi Bob,\n\nThe winter sale starts Friday."
    assert message["html"] == "<p>Hi <b>Bob</b>,</p>\n<p>The winter sale starts Friday.</p>"


def test_html_keeps_markup_and_entities() -> None:
    html = (
        '<p style="margin:0">Hi Dana,</p>\n'
        "<p>As a loyal customer, <em>you</em> get early access &amp; free delivery.</p>"
    )
    message = rewritten({"subject": "Winter sale", "html": html}, NEW)
    assert message["html"] == (
        '<p style="margin:0">Hi Dana,</p>\n<p><em>You</em> get early access &amp; free delivery.</p>'
    )


def test_html_removal_may_take_whole_formatting_elements() -> None:
    html = "<p>Hey Ngozi,</p><p>As one of our <b>most valuable</b> customers, you get early access.</p>"
    assert rewritten({"subject": "Sale", "html": html}, FORMAL)["html"] == (
        "<p>Dear Dr. Okafor,</p><p>You get early access.</p>"
    )


def test_html_paragraph_that_was_all_claim_is_removed() -> None:
    html = "<p>Hi Dana,</p><p>We've missed you!</p><p>The winter sale starts Friday.</p>"
    assert rewritten({"subject": "Sale", "html": html}, NEVER_BOUGHT)["html"] == (
        "<p>Hi Dana,</p><p>The winter sale starts Friday.</p>"
    )


def test_html_replacement_is_escaped() -> None:
    customer = {**FORMAL, "last_name": "Smith & Sons"}
    html = "<p>Hey Ngozi,</p><p>The winter sale starts Friday.</p>"
    assert rewritten({"subject": "Sale", "html": html}, customer)["html"].startswith(
        "<p>Dear Dr. Smith &amp; Sons,</p>"
    )


def test_a_claim_across_a_link_is_unsafe() -> None:
    html = '<p>As one of our <a href="https://nw.example/vip">most valuable customers</a>, you get early access.</p>'
    result = judge({"subject": "Sale", "html": html}, customer=NEW)
    assert result.decision == Decision.BLOCK
    assert UNSAFE_RULE in rules_of(result)
    assert result.message["html"] == html  # nothing half-edited is kept


def test_removing_the_whole_subject_is_unsafe() -> None:
    result = judge(
        {"subject": "We've missed you!", "text": "The winter sale starts Friday."}, customer=NEVER_BOUGHT
    )
    assert result.decision == Decision.BLOCK
    assert UNSAFE_RULE in rules_of(result)


def test_changes_and_original_are_recorded() -> None:
    body = "Hi Dana,\n\nWe've missed you! The winter sale starts Friday."
    result = judge({"subject": "Winter sale", "text": body}, customer=NEVER_BOUGHT)
    assert result.original == {"subject": "Winter sale", "text": body}
    [change] = result.changes
    assert (change.rule, change.part, change.original, change.replacement) == (
        "SG202",
        "text",
        "We've missed you! ",
        "",
    )
    assert body[change.start : change.end] == change.original
    assert result.to_dict()["changes"][0]["rule"] == "SG202"


def test_text_report_shows_the_rewrite_as_a_diff() -> None:
    body = "Hi Robert,\n\nThe winter sale starts Friday."
    report = format_text(judge({"subject": "Sale", "text": body}, customer=BOB))
    assert "REWRITE" in report
    assert 'SG101 text:1:4 "Robert" -> "Bob"' in report
    assert "-Hi Robert," in report and "+Hi Bob," in report


def test_a_rule_that_still_fires_after_the_rewrite_blocks(monkeypatch: pytest.MonkeyPatch) -> None:
    import linters.rewrite as rewrite

    # An edit that does not remove the claim: the re-check must catch it.
    real = rewrite._apply

    def keeps_the_claim(sent, findings, is_html=False):
        _text, changes = real(sent, findings, is_html)
        return sent, changes

    monkeypatch.setattr(rewrite, "_apply", keeps_the_claim)
    result = judge(
        {"subject": "Sale", "text": "Hi Dana,\n\nWe've missed you! Sale Friday."}, customer=NEVER_BOUGHT
    )
    assert result.decision == Decision.BLOCK
    assert "still fails SG202" in result.findings[-1].message


def test_policy_can_turn_a_rewrite_into_a_block() -> None:
    policy = policy_from_mapping({"rules": {"SG202": "block"}})
    result = judge(
        {"subject": "Sale", "text": "Hi Dana,\n\nWe've missed you! Sale Friday."},
        policy,
        customer=NEVER_BOUGHT,
    )
    assert result.decision == Decision.BLOCK and not result.changes
