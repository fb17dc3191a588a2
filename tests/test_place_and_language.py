"""The customer record's place and language (issue 29, item 4).

``city``, ``region``, ``postal_code``, ``country`` (ISO 3166-1 alpha-2) and ``locale``
(BCP 47, loosely) on ``Customer``: validated, bounded by the limits, in the schema and
merged with a stored record like every other field. SG501 reads the place (a local
store or event in another town); SG401 catches wording that says where the reader is
right now.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from linters.engine import check
from linters.limits import _CUSTOMER_TEXTS, check_customer
from linters.models import Customer, RequestError, parse_request, request_schema
from linters.precedence import merge_customer
from linters.vocabulary import load

PLACE_FIELDS = ("city", "region", "postal_code", "country", "locale")


def _request(text: str, customer: dict[str, Any], purpose: str = "marketing") -> dict[str, Any]:
    return {
        "id": "place-1",
        "channel": "email",
        "purpose": purpose,
        "from": "news@northwind.example",
        "to": "reader@example.com",
        "template": {"subject": "News from Northwind", "text": f"Hi Priya,\n\n{text}\n\nNorthwind"},
        "customer": {
            "first_name": "Priya",
            "consent": {"email_marketing": True, "personalization": True},
            **customer,
        },
        "now": "2026-11-20T15:00:00Z",
    }


def _rules(text: str, customer: dict[str, Any], purpose: str = "marketing") -> list[str]:
    return [f.rule for f in check(parse_request(_request(text, customer, purpose))).findings]


# ------------------------------------------------------------------------- the model


def test_the_place_and_language_fields_are_optional_and_kept() -> None:
    assert all(getattr(Customer(), name) is None for name in PLACE_FIELDS)
    customer = Customer(
        city="Leeds", region="West Yorkshire", postal_code="LS1 4AP", country="GB", locale="en-GB"
    )
    assert (customer.city, customer.region, customer.postal_code) == ("Leeds", "West Yorkshire", "LS1 4AP")
    assert (customer.country, customer.locale) == ("GB", "en-GB")


@pytest.mark.parametrize("code", ["GB", "DE", "IE", "US", "pt", "gb"])
def test_a_country_is_an_iso_3166_alpha_2_code_read_in_upper_case(code: str) -> None:
    assert Customer(country=code).country == code.upper()


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        ("UK", "did you mean 'GB'"),
        ("XX", "alpha-2"),
        ("GBR", "alpha-2"),
        ("Germany", "alpha-2"),
        ("", "alpha-2"),
    ],
)
def test_a_bad_country_code_is_refused_naming_the_field(code: str, hint: str) -> None:
    with pytest.raises(RequestError) as refused:
        parse_request(_request("Hello.", {"country": code}))
    assert refused.value.field == "customer.country"
    assert hint in refused.value.problem


@pytest.mark.parametrize("tag", ["de", "de-DE", "pt-BR", "en-GB", "es-419", "zh-Hant-TW", "haw-US", "fil"])
def test_a_locale_is_a_bcp_47_language_tag(tag: str) -> None:
    assert Customer(locale=tag).locale == tag


@pytest.mark.parametrize(
    ("tag", "hint"),
    [
        ("pt_BR", "did you mean 'pt-BR'"),
        ("english", "BCP 47"),
        ("d-DE", "BCP 47"),
        ("de-DEU", "BCP 47"),
        ("", "BCP 47"),
    ],
)
def test_a_bad_locale_is_refused_naming_the_field(tag: str, hint: str) -> None:
    with pytest.raises(RequestError) as refused:
        parse_request(_request("Hello.", {"locale": tag}))
    assert refused.value.field == "customer.locale"
    assert hint in refused.value.problem


def test_the_fields_are_in_the_request_schema() -> None:
    schema = json.dumps(request_schema())
    customer = request_schema()["$defs"]["Customer"]["properties"]
    assert set(PLACE_FIELDS) <= set(customer)
    assert "city" in schema


# ------------------------------------------------------------------------ the limits


def test_the_limits_count_the_place_texts() -> None:
    texts = _CUSTOMER_TEXTS(Customer(city="a", region="b", postal_code="c", country="GB", locale="de-DE"))
    assert {"a", "b", "c", "GB", "de-DE"} <= set(texts)
    check_customer(Customer(city="Leeds" * 100, region="West Yorkshire"))  # within the limits
    with pytest.raises(RequestError) as long_city:
        check_customer(Customer(city="x" * 20_001))
    assert long_city.value.field == "customer.city"
    with pytest.raises(RequestError) as emoji:
        check_customer(Customer(region="\U0001f600" * 4_300))
    assert emoji.value.field == "customer"


# -------------------------------------------------------------------- the precedence


def test_a_stored_place_wins_and_the_inline_one_fills_gaps() -> None:
    stored = Customer(customer_id="c1", city="Bristol", country="GB")
    inline = Customer(
        customer_id="c1", city="Leeds", region="West Yorkshire", locale="en-GB", postal_code="LS1"
    )
    merged = merge_customer(stored, inline)
    assert merged is not None
    assert (merged.city, merged.country) == ("Bristol", "GB")  # stored first
    assert (merged.region, merged.locale, merged.postal_code) == (
        "West Yorkshire",
        "en-GB",
        "LS1",
    )  # gaps filled


# ---------------------------------------------------------------- SG501: wrong place

LEEDS_OPENING = "Our new Leeds store opens this Saturday at 9am. Come along for free coffee and 20% off."


def test_a_leeds_store_opening_to_a_customer_in_bristol_is_caught() -> None:
    result = check(parse_request(_request(LEEDS_OPENING, {"city": "Bristol", "country": "GB"})))
    found = [f for f in result.findings if f.rule == "SG501"]
    assert found and "Leeds" in found[0].message and "Bristol" in found[0].message
    assert result.decision == "block"


def test_a_saturday_at_the_dublin_shop_to_a_customer_in_cork_is_caught() -> None:
    text = "Join us this Saturday at our Dublin shop for a pottery morning with tea and cake."
    assert "SG501" in _rules(text, {"city": "Cork", "country": "IE"})


@pytest.mark.parametrize(
    "text",
    [
        "Grand opening in Leeds this weekend: doors open at 9am.",
        "We're opening near you in Leeds on Saturday, with a tasting at 11.",
        "Leeds store opening: this Saturday, 9am, Briggate.",
    ],
)
def test_other_wordings_of_an_in_person_place_are_caught(text: str) -> None:
    assert "SG501" in _rules(text, {"city": "Bristol"})


def test_the_region_places_the_customer_too() -> None:
    assert "SG501" in _rules(LEEDS_OPENING, {"city": "Clifton", "region": "Bristol"})


@pytest.mark.parametrize(
    ("text", "customer"),
    [
        (LEEDS_OPENING, {"city": "Leeds"}),  # their own city
        (LEEDS_OPENING, {"city": "leeds"}),  # however it is spelt
        (
            LEEDS_OPENING,
            {"city": "Horsforth", "region": "West Yorkshire"},
        ),  # a place the gazetteer does not know
        (LEEDS_OPENING, {}),  # no city on record
        (LEEDS_OPENING, {"region": "Bristol"}),  # no city on record
        (
            "The winter sale starts Friday in all our stores and online: up to 40% off coats.",
            {"city": "Bristol"},
        ),
        (
            "Join our online styling session tonight, streamed live from our Leeds studio.",
            {"city": "Bristol"},
        ),
        ("Not in Bristol? " + LEEDS_OPENING, {"city": "Bristol"}),  # speaks to their town too
        ("Our Leeds warehouse ships your order within a day.", {"city": "Bristol"}),  # no in-person offer
        ("Free delivery from our Leeds store to anywhere in the UK.", {"city": "Bristol"}),
    ],
)
def test_what_is_not_local_content_for_the_wrong_place_passes(text: str, customer: dict[str, Any]) -> None:
    assert "SG501" not in _rules(text, customer)


def test_a_transactional_message_naming_the_store_the_customer_chose_passes() -> None:
    text = "Your order is ready to collect at our Leeds store."
    assert "SG501" not in _rules(text, {"city": "Bristol"}, purpose="transactional")


def test_an_anonymous_record_is_not_judged_on_its_place() -> None:
    assert "SG501" not in _rules(LEEDS_OPENING, {"city": "Bristol", "anonymous": True})


def test_the_gazetteer_is_data_with_its_source() -> None:
    places = load("places")
    assert "written for this project" in places["source"]
    assert set(places["places"]) == {"GB", "US", "IE", "DE", "FR", "ES", "IT", "NL", "PT", "AU", "CA"}
    names = [name for names in places["places"].values() for name in names]
    assert len(names) >= 300 and all(name.strip() == name and name for name in names)
    assert {"Leeds", "Bristol", "Dublin", "Cork"} <= set(names)


# --------------------------------------------------- SG401: where the reader is now

NO_CONSENT = {"consent": {"email_marketing": True, "personalization": False}}
CONSENT = {"consent": {"email_marketing": True, "personalization": True}}


@pytest.mark.parametrize(
    "text",
    [
        "You're near our store! Pop in for a free coffee.",
        "Since you're in Manchester this weekend, visit our Deansgate branch.",
        "We see you're at the airport. Grab 10% off in our Terminal 5 shop.",
        "You're right outside our Leeds branch: come in!",
        "We know you're visiting Leeds this week.",
        "Looks like you're in the area. Drop by!",
        "Now that you're at the station, grab a coffee for the train.",
        "You are currently near one of our stores.",
    ],
)
def test_where_the_reader_is_right_now_is_tracking(text: str) -> None:
    assert "SG401" in _rules(text, NO_CONSENT)
    assert "SG401" in _rules(text, {"consent": {"email_marketing": True}})  # consent not given
    assert "SG401" not in _rules(text, CONSENT)


@pytest.mark.parametrize(
    "text",
    [
        "If you're near our store, pop in for a free coffee.",
        "Next time you're near one of our stores, say hello.",
        "Whenever you're in the area, drop by.",
        "When you're in Manchester, visit our Deansgate branch.",
        "Since you're in the market for a sofa, here are our best.",
        "We know you're in a hurry, so here's the short version.",
        "We'll see you at our Leeds store on Saturday!",
        # A future or wished meeting invites (privacy.json: meeting_words).
        "We hope to see you at the Deansgate branch for the opening next week.",
        "Looking forward to seeing you at our Harbour Street shop on Friday.",
        "As you're in Gold tier, you get free delivery.",
        "You're in for a treat at our store this weekend.",
        "You're in good hands at our store.",
    ],
)
def test_conditions_and_idioms_are_not_where_the_reader_is(text: str) -> None:
    assert "SG401" not in _rules(text, NO_CONSENT)
