"""SG101 wrong-name, SG102 unwanted-familiarity, SG103 broken-merge."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linters.models import Customer
from tests.conftest import judge, rules_of


def findings(result, rule):
    return [f for f in result.findings if f.rule == rule]


# SG101 ---------------------------------------------------------------------------


def test_legal_first_name_for_someone_who_goes_by_a_preferred_name(regular):
    result = judge(
        {"text": "Hi {{first_name}},\n\nYour spring catalogue is here."},
        data={"first_name": "Margaret"},
        customer=regular,
    )
    [finding] = findings(result, "SG101")
    assert finding.excerpt == "Margaret"
    assert finding.fix == "Maggie"
    assert result.message["text"].startswith("Hi Maggie,")


def test_another_persons_name_typed_into_the_template(regular):
    result = judge({"text": "Dear Susan,\n\nYour spring catalogue is here."}, customer=regular)
    assert findings(result, "SG101")


def test_sample_name_left_in_a_template_without_a_record():
    result = judge({"text": "Hi John Doe,\n\nThe app is here."})
    [finding] = findings(result, "SG101")
    assert "sample name" in finding.message


def test_a_name_for_an_anonymous_record():
    result = judge({"text": "Hello Pat,\n\nNew listings near you."}, customer={"anonymous": True})
    assert findings(result, "SG101")


def test_vocative_name_from_data_that_is_not_theirs(regular):
    result = judge(
        {"subject": "{{first_name}}, your order shipped", "text": "On its way."},
        data={"first_name": "Meg"},
        purpose="transactional",
        customer=regular,
    )
    assert findings(result, "SG101")


@pytest.mark.parametrize(
    "greeting", ["Hi Maggie,", "Hello maggie!", "Dear Margaret Okafor,", "Hi there,", "Dear valued customer,"]
)
def test_forms_the_customer_accepts_are_spared(regular, greeting):
    result = judge({"text": f"{greeting}\n\nYour spring catalogue is here."}, customer=regular)
    assert "SG101" not in rules_of(result)


def test_formal_address_for_a_formal_customer_is_right():
    doctor = {"first_name": "Ngozi", "last_name": "Okafor", "title": "Dr.", "address_as": "formal"}
    for greeting in ("Dear Dr. Okafor,", "Dear Dr Okafor,", "Dear Dr. Ngozi Okafor,"):
        result = judge({"text": f"{greeting}\n\nYour results are ready."}, purpose="service", customer=doctor)
        assert rules_of(result) == [], greeting


@pytest.mark.parametrize(
    ("preferred", "expected"),
    [(None, []), ("Gozi", ["SG101"])],
)
def test_a_surname_alone_is_wrong_only_against_a_preferred_name(preferred, expected):
    # "Hi Okafor" is one of the customer's own names, not a form they accept: SG101 says
    # so only when there is a preferred name to offer instead.
    customer = {"first_name": "Ngozi", "last_name": "Okafor", "preferred_name": preferred}
    result = judge({"text": "Hi Okafor,\n\nYour results are ready."}, purpose="service", customer=customer)
    assert rules_of(result) == expected


def test_no_record_no_judgement_of_names_from_data():
    # With the footer a marketing email carries (address and opt-out), so SG702 has nothing to say.
    text = (
        "Hi {{first_name}},\n\nThanks.\n\nNorthwind Outfitters, 12 Harbour Street, Portland, OR 97201\n"
        "Unsubscribe: https://northwind.example/unsubscribe"
    )
    assert rules_of(judge({"text": text}, data={"first_name": "Zed"})) == []


# SG102 ---------------------------------------------------------------------------


def test_first_name_to_a_man_who_never_used_it(arthur):
    result = judge(
        {"text": "Hey {{first_name}}, hope you've been well.\n\nOur winter coats are in."},
        data={"first_name": "Arthur"},
        customer=arthur,
    )
    greeting, small_talk = findings(result, "SG102")
    assert greeting.excerpt == "Hey Arthur"
    assert greeting.fix == "Dear Mr. Pendleton"
    assert "small talk" in small_talk.message
    assert result.decision == "rewrite"
    assert result.message["text"].startswith("Dear Mr. Pendleton,")
    assert "hope you've been well" not in result.message["text"]


def test_casual_greeting_without_a_name_to_a_formal_customer(arthur):
    assert findings(judge({"text": "Hey there! Coats are in."}, customer=arthur), "SG102")


def test_any_name_to_someone_who_wants_none():
    person = {"first_name": "Christopher", "address_as": "none"}
    result = judge({"text": "Hi Christopher, boots are back."}, customer=person)
    [finding] = findings(result, "SG102")
    assert finding.fix == "Hello"


@pytest.mark.parametrize(
    "small_talk",
    [
        "Hope you're doing well!",
        "Long time no see!",
        "How have you been?",
        "It's been a while.",
        "Just checking in.",
        "We've been thinking about you.",
    ],
)
def test_fake_intimacy_in_automated_marketing(small_talk):
    result = judge({"text": f"Hi Ana,\n\n{small_talk} The new menu is out."})
    assert findings(result, "SG102"), small_talk


def test_small_talk_from_a_person_or_in_a_receipt_is_not_judged():
    template = {"text": "Hi Ana,\n\nHope you're doing well! Your invoice is attached."}
    assert "SG102" not in rules_of(judge(template, automated=False))
    assert "SG102" not in rules_of(judge(template, purpose="transactional"))


def test_first_name_for_first_name_people_is_fine(regular):
    assert "SG102" not in rules_of(judge({"text": "Hey Maggie! The spring range is in."}, customer=regular))


# SG103 ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Dear *|FNAME|*, your order shipped.",
        "Hi [First Name], your order shipped.",
        "Dear %%First_Name%%, your order shipped.",
        "Hello ${first_name}, your order shipped.",
        "Hi {first_name}, your order shipped.",
        "Hi null, your order shipped.",
        "Dear {{first_name}}, your order shipped.",
        "Your [Product Name] is on the way.",
    ],
)
def test_placeholders_and_foreign_merge_tags(text):
    # The Handlebars case arrives as data, the way a bad CRM export delivers it.
    if "{{" in text:
        result = judge({"text": "{{body}}"}, data={"body": text}, purpose="transactional")
    else:
        result = judge({"text": text}, purpose="transactional")
    assert findings(result, "SG103"), text
    assert result.decision == "block"


def test_missing_variable_is_a_finding_not_a_crash():
    result = judge(
        {"text": "Hi {{first_name}},\n\nTrack it: {{tracking_url}}"},
        data={"first_name": "Ana"},
        purpose="transactional",
    )
    [finding] = findings(result, "SG103")
    assert "tracking_url" in finding.message
    assert result.decision == "block"


def test_empty_value_in_greeting():
    result = judge(
        {"text": "Hi {{first_name}},\n\nThanks."}, data={"first_name": ""}, purpose="transactional"
    )
    assert findings(result, "SG103")


def test_null_value_from_data():
    result = judge(
        {"text": "Hi {{first_name}},\n\nThanks."}, data={"first_name": "undefined"}, purpose="transactional"
    )
    assert findings(result, "SG103")


@pytest.mark.parametrize(
    "text",
    [
        "Hello,\n\nYour order shipped. See [the tracking page](https://x.example/t).",
        "Hi,\n\nThe null hypothesis of our survey: nobody reads footers.",
        "Dear Dr. Okafor,\n\nResults attached.",
        "Hi {{#if first_name}}{{first_name}}{{else}}there{{/if}},\n\nThanks.",
    ],
)
def test_merge_near_misses(text):
    assert "SG103" not in rules_of(judge({"text": text}, purpose="transactional"))


def test_small_talk_after_a_greeting_leaves_a_clean_paragraph():
    doctor = {
        "first_name": "Ngozi",
        "last_name": "Okafor",
        "title": "Dr.",
        "address_as": "formal",
        "consent": {"email_marketing": True},
    }
    result = judge(
        {"text": "Hey Ngozi, hope you've been well! The winter sale starts Friday."}, customer=doctor
    )
    assert result.message["text"] == "Dear Dr. Okafor,\n\nThe winter sale starts Friday."


# ------------------------------------------------ faster forms of the same questions


def _greeting_lines_line_by_line(text: str) -> list[int]:
    """The greeting-line scan as it was before its regex prefilter: the oracle."""
    from linters.address import _GREETING_WORDS

    found, at = [], 0
    for line in text.split("\n"):
        if line.lstrip(" \t>")[:9].lower().startswith(_GREETING_WORDS):
            found.append(at)
        at += len(line) + 1
    return found


_LINE_PIECES = ["Hi", "hello", "HEY", "Dear", "good", "Welcome", "yo", "Greetings", "Ana", " ", "\t", ">",
                "\u00a0", "\u0130", "\u212a", "H\u0130", ",", "\n", "w", "G"]


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(_LINE_PIECES), max_size=30).map("".join))
def test_greeting_lines_are_the_lines_the_line_by_line_scan_finds(text: str) -> None:
    from linters.address import _greeting_lines

    assert list(_greeting_lines(text)) == _greeting_lines_line_by_line(text)


def _known_name_forms_as_written_before(customer: Customer) -> set[str]:
    from linters.address import accepted_forms, formal_forms, normalize_name

    parts = [customer.first_name, customer.preferred_name, customer.last_name]
    return accepted_forms(customer) | {normalize_name(p) for p in parts if p} | formal_forms(customer)


@pytest.mark.parametrize("address_as", ["first_name", "formal", "none"])
@pytest.mark.parametrize("first", [None, "", "  ", "Robert"])
@pytest.mark.parametrize("preferred", [None, " ", "Bob"])
@pytest.mark.parametrize("title", [None, "Dr", "Mrs."])
@pytest.mark.parametrize("last", [None, "Okafor"])
def test_known_name_forms_are_the_forms_accepted_and_the_names(
    address_as: str, first: str | None, preferred: str | None, title: str | None, last: str | None
) -> None:
    from linters.address import known_name_forms

    customer = Customer(
        first_name=first, preferred_name=preferred, title=title, last_name=last, address_as=address_as
    )
    assert known_name_forms(customer) == _known_name_forms_as_written_before(customer)


def _normalize_name_word_by_word(name: str) -> str:
    """normalize_name as it was before its one-word shortcut: the oracle."""
    words = [w.strip(".").casefold() for w in name.replace("\u00a0", " ").split()]
    return " ".join(w for w in words if w)


_NAME_PIECES = ["Ana", "ANA", "Straße", "Ǆemal", "İlkay", "Σοφία", "\u00a0", " ", ".", "Dr", "-", "O'", "ﬁ", "7", "\t"]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.lists(st.sampled_from(_NAME_PIECES), max_size=6).map("".join), st.text(max_size=12)))
def test_normalize_name_is_the_word_by_word_definition(name: str) -> None:
    from linters.address import normalize_name

    assert normalize_name(name) == _normalize_name_word_by_word(name)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from("{*%$<[]>}ab \n\u00e9"), max_size=20) | st.text(max_size=20))
def test_may_hold_tag_is_a_search_for_the_characters_a_tag_starts_with(text: str) -> None:
    import re

    from linters.merge_tags import may_hold_tag, unrendered

    # Every alternative of merge_tags.unrendered starts with one of these (its lookahead).
    assert may_hold_tag(text) == bool(re.search(r"[{*%$<\[]", text))
    if not may_hold_tag(text):
        assert unrendered().search(text) is None
