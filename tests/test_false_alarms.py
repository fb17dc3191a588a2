"""False-alarm classes found on real mail (issue 12), each with the catch it must keep.

- SG103: a placeholder is shaped like a variable; a bracketed list or brand tag is not.
- SG101/SG102: only a word that can be a person's name is a name in a salutation.
- SG401: tracking needs a claim that someone watched the reader.
- SG102: a reported question ("...wants to know how things are going") is not small talk.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import judge, rules_of

from linters.address import can_be_person_name, given_names
from linters.merge_tags import foreign_tags

ANA = {
    "customer_id": "c-ana",
    "first_name": "Ana",
    "last_name": "Ribeiro",
    "purchase_count": 9,
    "consent": {"email_marketing": True, "personalization": True},
}
NO_TRACKING_CONSENT = {
    "customer_id": "c-tom",
    "first_name": "Tom",
    "last_name": "Hale",
    "consent": {"email_marketing": True, "personalization": False},
}


# --- SG103: bracket tags are not placeholders ------------------------------------------


@pytest.mark.parametrize(
    "subject",
    [
        "[Lobsters] Reset your password",
        "[Admin] Continue logging in",
        "[Harbour Books] Your order has shipped",
        "[Erratum] Thank you for your contribution",
        "[Product] New export options this week",
        "[SPAM?] Re: your invoice",
    ],
)
def test_bracketed_list_or_brand_tag_opening_a_subject_is_fine(subject: str) -> None:
    result = judge(
        {"subject": subject, "text": "Hello,\n\nDetails inside."}, customer=ANA, purpose="transactional"
    )
    assert "SG103" not in rules_of(result), subject


def test_a_bracketed_note_in_the_body_is_not_a_placeholder() -> None:
    body = "Your ticket [Priority] was answered. Our office [Bristol] reopens on Monday."
    assert "SG103" not in rules_of(judge({"subject": "Update", "text": body}, customer=ANA))


@pytest.mark.parametrize(
    "subject, body",
    [
        ("Your order", "Hi [First Name], your order shipped."),
        ("Your order", "Hi [FNAME], your order shipped."),
        ("Your order", "Dear [first name], your order shipped."),
        ("Your order", "Hi *|FNAME|*, your order shipped."),
        ("Your order", "Hi %%name%%, your order shipped."),
        ("Your order", "Hi {name}, your order shipped."),
        ("Your order", "Questions? Write to [email address]."),
        ("Your order", "Thanks,\nThe team at [Company Name, LLC]"),
        ("[FNAME], your order shipped", "Hello."),
        ("[Product Name] receipt", "Hello."),
        ("Your code expires in [x] days", "Hello."),
    ],
)
def test_variable_shaped_placeholders_are_still_caught(subject: str, body: str) -> None:
    result = judge({"subject": subject, "text": body}, customer=ANA, purpose="transactional")
    assert "SG103" in rules_of(result), (subject, body)
    assert result.decision == "block"


def test_handlebars_left_literal_in_data_is_still_caught() -> None:
    result = judge(
        {"subject": "Hi", "text": "{{greeting}}"}, data={"greeting": "Hi {{first_name}},"}, customer=ANA
    )
    assert "SG103" in rules_of(result)


def test_template_linter_shares_the_placeholder_shape() -> None:
    assert not foreign_tags().search("[Lobsters] Reset your password")
    assert not foreign_tags().search("[Admin] Continue logging in")
    assert foreign_tags().search("Thanks for trying [Product Name].")
    assert foreign_tags().search("Hi [FIRST_NAME],")


# --- SG101/SG102: only a person's name is a name ---------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "HEY GIRL, the winter edit is here.",
        "HEY MATE! New boots just landed.",
        "Hello Acme Zealot!\n\nThe new release is out.",
        "Hey Buddy,\n\nYour favourite tea is back.",
        "Hello Sunshine!\n\nSpring bulbs are in.",
        "Good morning, Early Birds!\n\nDoors open at 8.",
    ],
)
def test_all_caps_words_nouns_and_playful_salutations_are_not_names(body: str) -> None:
    result = judge({"subject": "News", "text": body}, customer=ANA)
    assert "SG101" not in rules_of(result), body


def test_an_organisation_name_from_a_non_name_field_is_not_a_wrong_first_name() -> None:
    result = judge(
        {"subject": "Getting started", "html": "<h1>Hey {{collective_name}} 👋</h1><p>Welcome aboard.</p>"},
        data={"collective_name": "Riverside Tool Library"},
        customer=ANA,
    )
    assert "SG101" not in rules_of(result)


def test_playful_salutation_is_not_familiarity_to_someone_who_wants_no_name() -> None:
    nameless = {**ANA, "address_as": "none"}
    result = judge(
        {"subject": "News", "text": "Hello Acme Zealot!\n\nThe release is out."}, customer=nameless
    )
    assert "SG102" not in rules_of(result)


@pytest.mark.parametrize(
    "body", ["Hi Robert,\n\nNew stock.", "Dear Priya,\n\nNew stock.", "Hey Tomasz!\n\nNew stock."]
)
def test_someone_elses_name_is_still_a_wrong_name(body: str) -> None:
    assert "SG101" in rules_of(judge({"subject": "News", "text": body}, customer=ANA)), body


def test_an_unusual_name_from_a_name_field_still_counts() -> None:
    result = judge(
        {"subject": "News", "text": "Hi {{first_name}},\n\nNew stock."},
        data={"first_name": "Xochitl"},
        customer=ANA,
    )
    assert "SG101" in rules_of(result)


@pytest.mark.parametrize(
    "body", ["Dear John Doe,\n\nYour order shipped.", "Hi First Name,\n\nYour order shipped."]
)
def test_sample_names_left_in_templates_are_still_caught(body: str) -> None:
    assert "SG101" in rules_of(judge({"subject": "Order", "text": body}, purpose="transactional"))


def test_given_names_are_a_shipped_list_not_a_guess() -> None:
    names = given_names()
    assert len(names) > 10_000
    assert {"maggie", "ngozi", "tomasz", "priya", "arthur"} <= names
    assert can_be_person_name("Dr. Okafor")
    assert not can_be_person_name("GIRL")
    assert not can_be_person_name("Mate")
    assert not can_be_person_name("Acme Zealot")


# --- SG401: tracking needs someone who watched -----------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "We're sorry to see you leave. Your subscription ends on 30 November.",
        "Sorry to see you go! You can rejoin any time.",
        "We hate to see you leave, but your data export is ready.",
        "It was great to see you at the Bristol meetup.",
    ],
)
def test_regret_at_a_goodbye_is_not_tracking(body: str) -> None:
    result = judge({"subject": "Your account", "text": body}, customer=NO_TRACKING_CONSENT)
    assert "SG401" not in rules_of(result), body


@pytest.mark.parametrize(
    "body",
    [
        "We noticed you were looking at the Alder armchair.",
        "Noticed you were checking out our boots? They're back in stock.",
        "We saw you browsing the winter range.",
        "Based on your browsing, you'll love these.",
        "Items you recently viewed are on sale.",
    ],
)
def test_claims_of_watching_are_still_tracking(body: str) -> None:
    result = judge({"subject": "For you", "text": body}, customer=NO_TRACKING_CONSENT)
    assert "SG401" in rules_of(result), body


# --- SG102: a reported question is not small talk ---------------------------------------


def test_reported_question_is_not_small_talk(regular: dict[str, Any]) -> None:
    body = "Share regular updates. Your community wants to know how things are going!"
    assert "SG102" not in rules_of(judge({"subject": "Tips", "text": body}, customer=regular))


@pytest.mark.parametrize(
    "body", ["How's life treating you? The sale is on.", "Just wanted to see how things are going with you!"]
)
def test_small_talk_to_the_reader_is_still_caught(body: str, regular: dict[str, Any]) -> None:
    assert "SG102" in rules_of(judge({"subject": "Hi", "text": body}, customer=regular)), body
