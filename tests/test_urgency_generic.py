"""SG301 urgency-to-generic: urgent or personal language to nobody in particular."""

from __future__ import annotations

import pytest

from tests.conftest import judge, rules_of


@pytest.mark.parametrize(
    ("subject", "text"),
    [
        ("URGENT information for you", "Dear Current Resident,\n\nRates are changing."),
        ("Important notice about your home", "To the Occupant:\n\nYour neighbourhood qualifies."),
        ("Time-sensitive: respond immediately", "Dear Valued Customer,\n\nYour offer is waiting."),
        ("Personal and confidential", "Dear Homeowner,\n\nA private offer inside."),
        ("Last chance", "Dear customer,\n\nAct now before prices rise."),
    ],
)
def test_urgency_to_a_generic_addressee(subject, text):
    result = judge({"subject": subject, "text": text})
    assert "SG301" in rules_of(result)
    assert result.decision == "block"


def test_urgency_to_an_anonymous_record_without_a_salutation():
    result = judge(
        {"subject": "Urgent: your rate", "text": "Rates rise Friday."}, customer={"anonymous": True}
    )
    assert "SG301" in rules_of(result)


def test_transactional_deadline_to_a_named_customer_is_not_sg301():
    result = judge(
        {
            "subject": "Reset your password",
            "text": "Hi Sam,\n\nThis link expires in 24 hours. Act now if it was not you.",
        },
        purpose="transactional",
        customer={"first_name": "Sam", "purchase_count": 2},
    )
    assert "SG301" not in rules_of(result)


def test_named_marketing_urgency_is_not_sg301():
    result = judge(
        {"subject": "Last chance", "text": "Hi Sam,\n\nThe sale ends tonight."},
        customer={"first_name": "Sam"},
    )
    assert "SG301" not in rules_of(result)


def test_generic_salutation_without_urgency_is_fine():
    result = judge(
        {"subject": "Spring catalogue", "text": "Dear Current Resident,\n\nOur spring catalogue is enclosed."}
    )
    assert "SG301" not in rules_of(result)


def test_generic_addressee_from_data_counts():
    result = judge(
        {"subject": "URGENT: for you", "text": "Dear {{salutation}},\n\nRead this."},
        data={"salutation": "Current Resident"},
    )
    assert "SG301" in rules_of(result)
