"""Bad input is refused with an error that names the field; nothing crashes."""

from __future__ import annotations

import json

import pytest

from linters.models import MAX_PART_CHARS, RequestError, parse_request, request_schema
from tests.conftest import make_request


def error_for(raw) -> RequestError:
    with pytest.raises(RequestError) as caught:
        parse_request(raw)
    return caught.value


def test_a_complete_request_parses():
    request = parse_request(make_request({"subject": "Hi", "text": "Hello there."}, data={"a": 1}))
    assert request.channel == "email"
    assert request.purpose == "marketing"
    assert request.automated is True
    assert request.from_ == "hello@northwind.example"


@pytest.mark.parametrize("field", ["id", "channel", "to", "template"])
def test_missing_required_field_is_named(field):
    raw = make_request()
    del raw[field]
    error = error_for(raw)
    assert error.field == field
    assert "missing" in error.problem


def test_unknown_field_is_refused_as_a_typo():
    error = error_for(make_request(cusomer={"first_name": "Ana"}))
    assert error.field == "cusomer"
    assert "unknown field" in error.problem


def test_a_misspelt_field_is_named_with_the_field_it_resembles():
    raw = make_request()
    raw["tempalte"] = raw.pop("template")
    error = error_for(raw)
    assert (error.field, error.problem) == ("tempalte", "unknown field; did you mean 'template'?")
    assert str(error) == "tempalte: unknown field; did you mean 'template'?"  # the missing template is its echo


@pytest.mark.parametrize(
    ("fields", "field", "suggestion"),
    [
        ({"template": {"subject": "Hi", "htlm": "<p>Hi</p>"}}, "template.htlm", "html"),
        ({"template": {"nmae": "winback"}}, "template.nmae", "name"),
        ({"customer": {"frist_name": "Ana"}}, "customer.frist_name", "first_name"),
        ({"customer": {"consent": {"email_marketting": True}}}, "customer.consent.email_marketting", "email_marketing"),
        ({"history": [{"at": "2026-01-01T09:00:00Z", "channel": "email", "purpse": "service"}]}, "history.0.purpse", "purpose"),
        ({"frm": "news@northwind.example"}, "frm", "from"),  # the alias, as a request spells it
    ],
)
def test_nested_misspellings_suggest_the_field_of_their_model(fields, field, suggestion):
    error = error_for(make_request(**fields))
    assert error.field == field
    assert error.problem == f"unknown field; did you mean {suggestion!r}?"


def test_an_unknown_field_like_no_other_keeps_the_plain_message():
    error = error_for(make_request(zzz_tracking={"a": 1}))
    assert (error.field, error.problem) == ("zzz_tracking", "unknown field (check the spelling)")


def test_other_problems_are_still_counted_beside_a_misspelling():
    raw = make_request()
    raw["tempalte"] = raw.pop("template")
    del raw["to"]
    error = error_for(raw)
    assert error.field == "tempalte"
    assert error.problem.endswith("(and 1 more problem)")


def test_unknown_nested_field_names_the_path():
    error = error_for(make_request({"subjet": "Hi", "text": "x"}))
    assert error.field == "template.subjet"


def test_wrong_type_names_the_field():
    error = error_for(make_request(customer={"purchase_count": "lots"}))
    assert error.field == "customer.purchase_count"


def test_unknown_channel_lists_the_choices():
    error = error_for(make_request(channel="fax"))
    assert error.field == "channel"
    assert "email" in error.problem


def test_unknown_time_zone_is_named():
    error = error_for(make_request(customer={"timezone": "Mars/Olympus_Mons"}))
    assert error.field == "customer.timezone"
    assert "Mars/Olympus_Mons" in error.problem


def test_malformed_time_is_named():
    error = error_for(make_request(now="yesterday-ish"))
    assert error.field == "now"


def test_broken_json_says_where():
    error = error_for('{"id": "x", "channel": ')
    assert "not valid JSON" in str(error)
    assert "line 1" in str(error)


def test_non_utf8_bytes_are_refused_clearly():
    raw = json.dumps(make_request()).encode("utf-8").replace(b"Hello", b"H\xe9llo")
    error = error_for(raw)
    assert "not UTF-8" in str(error)


def test_a_json_array_is_not_a_request():
    assert "JSON object" in str(error_for("[1, 2]"))


def test_a_one_megabyte_body_is_refused():
    error = error_for(make_request({"text": "word " * (1024 * 1024 // 5)}))
    assert error.field == "template.text"
    assert str(MAX_PART_CHARS) in error.problem


def test_inline_template_needs_content():
    error = error_for(make_request({"subject": None}))
    assert error.field.startswith("template")


def test_sms_cannot_have_html():
    error = error_for(make_request({"text": "Hi", "html": "<p>Hi</p>"}, channel="sms", to="+15035550100"))
    assert "template.html" in str(error)


def test_stored_template_by_name():
    request = parse_request(make_request({"name": "welcome-v2"}))
    assert request.template.name == "welcome-v2"


def test_times_without_zone_are_utc():
    request = parse_request(make_request(now="2026-11-20T15:00:00"))
    assert request.now.utcoffset().total_seconds() == 0


def test_schema_describes_the_request():
    schema = request_schema()
    assert "from" in schema["properties"]
    assert schema["additionalProperties"] is False


def test_empty_defaults_are_new_for_every_request_and_shown_in_the_schema() -> None:
    from linters.models import Customer, SendRequest, request_schema

    first, second = Customer(), Customer()
    first.segments.append("vip")
    first.unsubscribed.append("sms")
    assert second.segments == [] and second.unsubscribed == []
    one = SendRequest.model_validate({"id": "r1", "channel": "email", "to": "a@example.com", "template": {"subject": "Hi", "text": "Hello"}})
    two = SendRequest.model_validate({"id": "r2", "channel": "email", "to": "b@example.com", "template": {"subject": "Hi", "text": "Hello"}})
    one.data["x"] = 1
    one.events.append(None)  # type: ignore[arg-type]
    assert two.data == {} and two.events == []
    schema = request_schema()
    customer = schema["$defs"]["Customer"]["properties"]
    assert customer["segments"] == {"default": [], "items": {"type": "string"}, "title": "Segments", "type": "array"}
    assert customer["unsubscribed"]["default"] == [] and schema["properties"]["events"]["default"] == []
    assert schema["properties"]["data"] == {
        "additionalProperties": True, "default": {}, "title": "Data", "type": "object"
    }
