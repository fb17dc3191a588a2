"""Numbers that differ per recipient share a class, and the verdict is the one `check` gives.

A letter that prints each recipient's balance, total and renewal date
(linters/number_stand_ins.py) is judged once per shape of those numbers: these tests judge
records through one campaign and one by one with `check`, and require the same decision,
rules and examples, including where digits do matter to a rule (an amount the other part
repeats, a history holding the number, a finding printing it, a tokenizer exception).
"""

from __future__ import annotations

import random

import pytest

from linters.campaign import Campaign, CampaignTemplate, request_from_record
from linters.nlp import words_a_value_needs
from linters.number_stand_ins import NumberStandIns, amounts, is_number_value
from tests.test_recipient_classes import NOW, _expected, always_traced  # noqa: F401 (a fixture)

_FOOTER = "\n\nNorthwind Outfitters, 12 Harbour Street, Portland\nUnsubscribe: https://northwind.example/unsubscribe"
_CONSENTED = {"email_marketing": True, "sms_marketing": True, "personalization": True}
_MONTHS = ["March", "May", "August", "October"]


def _finder(*fixed: str) -> NumberStandIns:
    return NumberStandIns(words_a_value_needs(()), fixed)


@pytest.mark.parametrize(
    ("value", "eligible"),
    [
        ("1,234", True),
        ("£12.50", True),
        ("3 March 2027", True),
        ("12/03/2027", True),
        ("2027-03-12", True),
        ("15%", True),
        ("0161 555 0199", True),
        ("1", False),  # a word a pattern needs ("top 1%")
        ("2", False),  # a word a pattern needs ("reply STOP 2 END")
        ("0.0", False),  # a tokenizer exception
        ("£0.0", False),  # the same once the currency is split off
        ("10am", False),  # digits joined to letters
        ("3rd", False),
        ("NW-7103689", False),
        ("12 x 4", False),  # a letter standing alone
        ("-5", False),
        ("1,,2", False),
        ("Bofuka", False),
    ],
)
def test_which_values_are_numbers_their_digits_may_stand_in_for(value, eligible):
    assert (is_number_value(value) and _finder().eligible(value)) is eligible


def test_stand_ins_keep_the_shape_and_pair_runs_one_to_one():
    found = _finder().shown(["1,234", "£12.34", "£123.45", "3 March 2027", "1,234", "34"], ["Ana"])
    assert found is not None
    for real, stand_in in found.shown.items():
        assert len(stand_in) == len(real)
        assert [c.isdigit() for c in stand_in] == [c.isdigit() for c in real]
        assert [c for c in stand_in if not c.isdigit()] == [c for c in real if not c.isdigit()]
        assert not set(stand_in) & set("0138")
    # "34" of the price and the "34" on its own are one run, so one stand-in.
    assert found.shown["34"] == found.shown["£12.34"][-2:]


@pytest.mark.parametrize(
    ("values", "others", "fixed"),
    [
        (["1,234", "£1,234.00"], [], ()),  # the same amount written two ways
        (["12.5", "12.50"], [], ()),
        (["£12.50"], [], ("Last year it was £12.50.",)),  # the template's own amount
        (["£12.50"], ["NW-1250 12.50"], ()),  # an amount in a value that keeps its digits
    ],
)
def test_amounts_equal_in_one_way_only_keep_their_digits(values, others, fixed):
    assert _finder(*fixed).shown(values, others) is None


def test_amounts_are_read_as_the_rules_read_them():
    assert amounts("£1,234.50 and 15%") == (1234.5, 15.0, 1.0, 234.5, 15.0)


def _record(i: int, data: dict, history: list | None = None) -> dict:
    record = {
        "id": f"r{i}",
        "to": f"r{i}@example.com",
        "customer": {"first_name": "Ana", "customer_id": f"c{i}", "consent": _CONSENTED},
        "data": data,
    }
    if history:
        record["history"] = history
    return record


def _judge_all(template: CampaignTemplate, datas: list[dict], histories: list | None = None) -> Campaign:
    campaign = Campaign(template, now=NOW)
    for i, data in enumerate(datas):
        record = _record(i, data, histories[i] if histories else None)
        assert campaign.judge_record(i, record) == _expected(i, record, template), data
    return campaign


def _balances(rng: random.Random) -> dict:
    points = rng.randint(0, 9000)
    return {
        "first_name": "Ana",
        "points": f"{points:,}",
        "points_value": f"£{points / 100:,.2f}",
        "order_total": f"£{rng.randint(9, 640)}.{rng.randrange(100):02d}",
        "renewal_date": f"{rng.randint(1, 28)} {rng.choice(_MONTHS)} 2027",
    }


_LETTER = (
    "Hi {{first_name}},\n\nYour balance stands at {{points}} points, worth {{points_value}} off your "
    "next order. Your last order came to {{order_total}}, and your membership renews on "
    "{{renewal_date}}; nothing changes in the price." + _FOOTER
)


def test_a_letter_of_balances_shares_classes_and_equals_check(always_traced):  # noqa: F811
    template = CampaignTemplate({"text": _LETTER}, {"channel": "email", "purpose": "marketing"})
    rng = random.Random(29)
    campaign = _judge_all(template, [_balances(rng) for _ in range(400)])
    assert campaign._memo.hits > 100, campaign._memo.hits  # numbers of one shape shared


def test_numbers_in_both_parts_are_compared_as_the_real_ones(always_traced):  # noqa: F811
    """SG805 compares the parts' prices: the html's fixed price equals the text's value
    for one record and not for the next, whose numbers have the same shape."""
    template = CampaignTemplate(
        {
            "text": "Hello,\n\nThe coat is now {{price}} in every shop." + _FOOTER,
            "html": "<p>Hello,</p><p>The coat is now £12.50 in every shop.</p><p>Northwind Outfitters, "
            "12 Harbour Street, Portland. <a href='https://northwind.example/unsubscribe'>Unsubscribe</a></p>",
        },
        {"channel": "email", "purpose": "marketing"},
    )
    datas = [{"price": p} for p in ("£12.50", "£47.20", "£12.50", "£47.20", "£98.40")]
    _judge_all(template, datas)


def test_a_number_the_history_holds_is_judged_on_its_own(always_traced):  # noqa: F811
    """SG607 compares a message's opening with the openings in its history."""
    template = CampaignTemplate(
        {"text": "Your balance is {{points}} points this week.\n\nSpend them in any shop." + _FOOTER},
        {"channel": "email", "purpose": "marketing"},
    )
    sent = "2026-11-18T10:00:00Z"
    histories = [
        [
            {
                "channel": "email",
                "purpose": "marketing",
                "at": sent,
                "text": f"Your balance is {p} points this week.",
            }
        ]
        for p in ("4,120", "4,120", "7,310", "4,120")
    ]
    datas = [{"points": p} for p in ("4,120", "7,310", "4,120", "5,555")]
    _judge_all(template, datas, histories)


def test_a_finding_that_prints_a_number_gives_each_recipient_its_own(always_traced):  # noqa: F811
    """SG805 prints the price the text part gives and the html part does not."""
    template = CampaignTemplate(
        {
            "text": "Hello,\n\nThe coat is now {{price}} in every shop." + _FOOTER,
            "html": "<p>Hello,</p><p>The coat is now in every shop.</p><p>Northwind Outfitters, "
            "12 Harbour Street, Portland. <a href='https://northwind.example/unsubscribe'>Unsubscribe</a></p>",
        },
        {"channel": "email", "purpose": "marketing"},
    )
    campaign = _judge_all(template, [{"price": p} for p in ("£47.20", "£98.40", "£47.20")])
    verdict = campaign.judge_record(9, _record(9, {"price": "£76.90"}))
    assert any("£76.90" in message for _, message, _ in verdict.examples), verdict.examples


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("Hello,\n\nYour code (ref {{n}}) is ready :) for you." + _FOOTER, ["8", "9", "8", "7"]),  # "8)"
        ("Hello,\n\nIt costs {{n}} today." + _FOOTER, ["0.0", "2.5", "0.0"]),  # an exception
        ("Hello,\n\nCall us on {{n}} any time." + _FOOTER, ["0161 555 0199", "0161 555 0200", "12 34"]),
        ("Hello,\n\nText STOP {{n}} END to leave." + _FOOTER, ["2", "5", "2"]),
        ("Hello,\n\nYou are in the top {{n}} percent of our customers." + _FOOTER, ["1", "5", "1"]),
        ("Hello,\n\nOnly {{n}} hours left to save on coats!" + _FOOTER, ["24", "36", "24", "48"]),
    ],
)
def test_digits_a_rule_reads_keep_their_verdicts(text, values, always_traced):  # noqa: F811
    template = CampaignTemplate({"text": text}, {"channel": "email", "purpose": "marketing"})
    _judge_all(template, [{"n": v} for v in values])


def test_a_template_whose_rules_read_no_value_still_keys_numbers_by_shape():
    template = CampaignTemplate({"text": _LETTER}, {"channel": "email", "purpose": "marketing"})
    stand_ins = Campaign(template, now=NOW)._stand_ins()
    keys = set()
    for points in ("4,120", "7,310"):
        data = {**_balances(random.Random(1)), "points": points}
        keys.add(stand_ins.canonical(request_from_record(_record(0, data), template), NOW).key)
    assert len(keys) == 1
