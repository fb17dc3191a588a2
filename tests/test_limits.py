"""Each input class that once crashed the engine, and each limit, is a RequestError
naming the field: in the engine, in `sendguard check` (an error line, the others still
judged) and in the lint API (a 400)."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linters.cli import main as cli
from linters.engine import check
from linters.models import RequestError, parse_request
from scripts.bench_worst_case import build, load_corpus
from tests.conftest import make_request
from tests.test_lint_api import call, plain_environment  # noqa: F401 - an autouse fixture

HELLO = {
    "subject": "Your order has shipped",
    "text": "Hi {{first_name}},\n\nYour order {{order}} is on its way.",
}


def refused(raw: str | dict[str, Any]) -> RequestError:
    with pytest.raises(RequestError) as caught:
        check(parse_request(raw))
    return caught.value


def test_a_lone_surrogate_in_data_names_the_value() -> None:
    raw = json.dumps(make_request(HELLO, data={"first_name": "Ann", "order": "\ud800"}))
    assert "\\ud800" in raw
    error = refused(raw)
    assert error.field == "data.order" and "surrogate" in error.problem


def test_an_unknown_marked_section_in_html_is_read_like_a_browser_reads_it() -> None:
    html = "<p>Hi {{first_name}}, <![CDATZ[ junk</p> your order {{order}} shipped.</p>"
    result = check(
        parse_request(
            make_request({"subject": "Shipped", "html": html}, data={"first_name": "Ann", "order": "NW-1"})
        )
    )
    assert result.message["html"].startswith("<p>Hi Ann,")


@pytest.mark.parametrize("field", ["now", "history.0.at", "events.0.at", "customer.customer_since"])
def test_times_at_the_ends_of_the_calendar_are_refused(field: str) -> None:
    request = make_request(HELLO, data={"first_name": "Ann", "order": "NW-1"}, customer={"first_name": "Ann"})
    moment = "9999-12-31T23:59:00Z"
    if field == "now":
        request["now"] = moment
    elif field == "history.0.at":
        request["history"] = [{"at": moment, "channel": "email"}]
    elif field == "events.0.at":
        request["events"] = [{"type": "login", "at": moment}]
    else:
        request["customer"]["customer_since"] = "0001-01-01T00:00:00+14:00"
    assert refused(request).field == field


def test_deeply_nested_json_is_refused_not_a_recursion_error() -> None:
    raw = json.dumps(make_request(HELLO))[:-1] + ', "audience": ' + "[" * 100_000 + "]" * 100_000 + "}"
    assert "nested too deeply" in str(refused(raw))
    data = {"first_name": "Ann", "order": [[[[[[[[[[[[[["NW-1"]]]]]]]]]]]]]]}
    assert refused(make_request(HELLO, data=data)).field.startswith("data.order.0.0")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"template": {"subject": "Hi", "text": "{{first_name}} " * 600}}, "template.text"),
        ({"template": {"subject": "Hi", "text": "word " * 20_500}}, "template.text"),
        ({"template": {"subject": "Hi", "text": "{{#if a}}" * 7 + "x" + "{{/if}}" * 7}}, "template.text"),
        ({"data": {"first_name": "Ann", "order": "x" * 25_000}}, "data.order"),
        ({"data": {"first_name": "Ann", "order": "NW-1", "items": list(range(6000))}}, "data"),
        (
            {
                "template": {
                    "subject": "Hi",
                    "text": "{{#each items}}{{#each this}}{{.}} {{/each}}{{/each}}",
                },
                "data": {"items": [["Harbour linen napkin, set of 4"] * 60] * 60},
            },
            "template.text",
        ),
    ],
)
def test_limits_refuse_before_rendering_and_name_the_field(change: dict[str, Any], field: str) -> None:
    template = change.pop("template", HELLO)
    assert refused(make_request(template, **change)).field == field


def test_worst_case_corpus_outcomes() -> None:
    for name, recipe in load_corpus():
        body = build(recipe)
        if recipe["expect"] == "judged":
            check(parse_request(body))
        else:
            assert refused(body).field == recipe["expect"], name


def test_check_prints_an_error_line_and_judges_the_rest(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = make_request(
        HELLO, id="good-1", data={"first_name": "Ann", "order": "NW-1"}, purpose="transactional"
    )
    hostile = [
        make_request(HELLO, id="surrogate", data={"first_name": "Ann", "order": "\ud800"}),
        make_request(HELLO, id="year-9999", now="9999-12-31T23:59:00Z"),
        make_request(
            {"subject": "Hi", "html": "<![CDATZ[ {{first_name}}"}, id="cdatz", data={"first_name": "Ann"}
        ),
    ]
    lines = [json.dumps(r) for r in [*hostile, good]]
    lines.insert(3, '{"id": "deep", "data": ' + "[" * 50_000 + "]" * 50_000 + "}")
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    status = cli(["check", "--format", "json", str(path)])
    out = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert status == 2
    assert len(out) == 5
    assert [o.get("field") for o in out[:2]] == ["data.order", "now"]
    assert "decision" in out[2]  # the CDATZ email is judged
    assert "nested too deeply" in out[3]["error"]
    assert out[4]["id"] == "good-1" and out[4]["decision"] == "allow"


def test_the_lint_api_answers_400_for_each_class() -> None:
    status, answer = call("/check", make_request(HELLO, data={"first_name": "Ann", "order": "\ud800"}))
    assert status == 400 and answer.get("field") == "data.order"
    status, _ = call("/check", '{"id": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert status == 400
    status, _ = call("/check", make_request(HELLO, now="9999-12-31T23:59:00Z"))
    assert status == 400


def test_data_limits_name_the_field_for_keys_and_the_json_size() -> None:
    from linters.limits import MAX_DATA_CHARS, MAX_DATA_DEPTH, check_data

    check_data({"first_name": "José", "city": "Zürich", "note": "naïve café ✓"}, "data", MAX_DATA_CHARS)
    with pytest.raises(RequestError) as long_key:
        check_data({"order": {"k" * 25_000: 1}}, "data")
    assert long_key.value.field == "data.order (a key)"
    with pytest.raises(RequestError) as bad_key:
        check_data({"order": {"x\ud800": 1}}, "data")
    assert bad_key.value.field == "data.order (a key)" and "surrogate" in bad_key.value.problem
    nested: Any = "deep"
    for _ in range(MAX_DATA_DEPTH):
        nested = {"a": nested}
    check_data(nested, "data")  # a leaf at the deepest level allowed
    with pytest.raises(RequestError) as too_deep:
        check_data({"a": nested}, "data")
    assert too_deep.value.field == "data" + ".a" * (MAX_DATA_DEPTH + 1)
    # Escaped text: under the limit as written, over it as JSON (each "\u00e9" is 6 long).
    with pytest.raises(RequestError) as big:
        check_data({f"v{i}": "\x01" * 15_000 for i in range(3)}, "data", MAX_DATA_CHARS)
    assert big.value.field == "data" and "as JSON" in big.value.problem
    check_data({f"v{i}": "a" * 15_000 for i in range(3)}, "data", MAX_DATA_CHARS)  # 45,000: fine
    # An emoji is one character and two escapes in JSON ("\ud83d\ude00", 12 long).
    with pytest.raises(RequestError) as emoji:
        check_data({"note": "\U0001f600" * 17_000}, "data", MAX_DATA_CHARS)
    assert emoji.value.problem == "204,012 characters as JSON; at most 200,000"


def test_an_oversized_customer_record_is_refused_by_its_json_size() -> None:
    segments = [f"segment-{i}-" + "x" * 10_000 for i in range(6)]
    request = make_request(HELLO, customer={"customer_id": "c1", "first_name": "Ann", "segments": segments})
    assert refused(request).field == "customer"


# ---------------------------------------------------------------- customer shortcut
# ``limits.check_customer`` skips the value-by-value walk when the record's texts and
# list lengths prove every limit holds. It must refuse exactly what the walk refuses,
# with its field.

_CUSTOMER_TEXT = st.text(
    alphabet=st.sampled_from(["a", "é", "\U0001f600", "\x01", '"', "\ud800"]), max_size=40
)
_ATTRIBUTE = st.recursive(
    st.none() | st.integers(-5, 5) | st.floats() | _CUSTOMER_TEXT,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.sampled_from(["a", "b"]), inner, max_size=2)
    ),
    max_leaves=30,
)


def _walked(customer: Any) -> RequestError | None:
    """What the walk alone (``check_data`` on the model's dump) says about a customer."""
    from linters.limits import MAX_CUSTOMER_CHARS, check_data

    try:
        check_data(customer.model_dump(mode="python"), "customer", MAX_CUSTOMER_CHARS)
    except RequestError as exc:
        return exc
    return None


@settings(max_examples=300, deadline=None)
@given(
    first_name=_CUSTOMER_TEXT | st.sampled_from(["\U0001f600" * 4_100, "\U0001f600" * 4_300]),
    segments=st.lists(st.sampled_from(["vip", "x" * 900, "é" * 300]), max_size=8),
    extra=st.dictionaries(st.sampled_from(["notes", "tags", "deep"]), _ATTRIBUTE, max_size=3),
    since=st.none() | st.datetimes(datetime(1900, 1, 2), datetime(2998, 12, 30), timezones=st.just(UTC)),
    value=st.none() | st.floats(min_value=0),
    pets=st.none() | st.lists(_CUSTOMER_TEXT | st.just("x" * 2_000), max_size=30),
    listed=st.sampled_from([0, 1, 999, 1_001, 4_999, 5_001]),
    count=st.none() | st.integers(0, 2**64) | st.just(10**4_000),
    city=st.none() | _CUSTOMER_TEXT | st.just("\U0001f600" * 4_200),
)
def test_the_customer_shortcut_refuses_exactly_what_the_walk_refuses(
    first_name: str,
    segments: list[str],
    extra: dict[str, Any],
    since: datetime | None,
    value: float | None,
    pets: list[str] | None,
    listed: int,
    count: int | None,
    city: str | None,
) -> None:
    from linters.limits import check_customer
    from linters.models import Customer

    attributes = {**extra, "pets": pets} if extra else {"pets": pets, "children_ages": [7] * listed}
    customer = Customer(
        first_name=first_name,
        segments=segments,
        attributes=attributes,
        customer_since=since,
        lifetime_value=value,
        unsubscribed=["sms"] * (listed // 2),
        purchase_count=count,
        city=city,
        locale="pt-BR",
    )
    expected = _walked(customer)
    try:
        check_customer(customer)
    except RequestError as exc:
        assert expected is not None and (exc.field, exc.problem) == (expected.field, expected.problem)
    else:
        assert expected is None


def test_the_customer_shortcut_counts_every_field_of_the_record() -> None:
    """The shortcut bounds a record by its texts and lists and a fixed allowance for the
    rest; a field added to the model must be placed in one of those, or this fails."""
    from linters.limits import _CUSTOMER_FIXED_CHARS, _CUSTOMER_TEXTS
    from linters.models import Attributes, Customer

    texts = set(_CUSTOMER_TEXTS(Customer.model_construct(**{f: f for f in Customer.model_fields})))
    lists = {"segments", "unsubscribed"}
    fixed = {"address_as", "anonymous", "purchase_count", "lifetime_value", "customer_since"}
    fixed |= {"last_purchase_at", "consent", "quiet_hours", "attributes"}
    assert texts | lists | fixed == set(Customer.model_fields)
    assert set(Attributes.model_fields) == {
        "children_ages",
        "pets",
        "birth_year",
    }  # two lists, one bounded year
    # Every fixed field at its longest, as check_data's exact size (json.dumps) writes it.
    zone = timezone(-timedelta(hours=23, minutes=59, seconds=59, microseconds=999_999))
    latest = datetime(2999, 12, 31, 23, 59, 59, 999_999, tzinfo=zone)
    longest = Customer(
        anonymous=True,
        purchase_count=2**64 - 1,
        lifetime_value=1.7976931348623157e308,
        customer_since=latest,
        last_purchase_at=latest,
        consent={
            name: False
            for name in (
                "email_marketing",
                "sms_marketing",
                "voice_marketing",
                "push_marketing",
                "personalization",
            )
        },
        quiet_hours={"start": "23:59:59.999999", "end": "00:00:00.000001"},
        attributes={"birth_year": 1890, "children_ages": [], "pets": []},
    )
    written = len(json.dumps(longest.model_dump(mode="python"), default=str))
    assert 2 * written < _CUSTOMER_FIXED_CHARS


def test_the_customer_shortcut_walks_what_it_cannot_prove() -> None:
    from linters.limits import MAX_DATA_DEPTH, check_customer
    from linters.models import Customer

    with pytest.raises(RequestError) as surrogate:
        check_customer(Customer(first_name="An\ud800n"))
    assert surrogate.value.field == "customer.first_name"
    nested: Any = "deep"
    for _ in range(MAX_DATA_DEPTH):
        nested = {"a": nested}
    with pytest.raises(RequestError) as deep:
        check_customer(Customer(first_name="Ann", attributes={"notes": nested}))
    assert deep.value.field.startswith("customer.attributes.notes.a")
    check_customer(Customer(first_name="Ann\U0001f600", segments=["vip"] * 40))  # small: fine
    # Just past the shortcut: 4,200 emoji are 4,200 characters in compact JSON and 50,400
    # in json.dumps's escapes. A shortcut that took longer records would let this through.
    with pytest.raises(RequestError) as emoji:
        check_customer(Customer(first_name="\U0001f600" * 4_200))
    assert emoji.value.field == "customer" and "as JSON" in emoji.value.problem


def test_a_customer_with_python_values_in_its_attributes_is_walked() -> None:
    """Only JSON values are bounded by the compact form: an Enum is written as its value
    by pydantic and as its name by json.dumps, so such a record is always walked."""
    import enum

    from linters.limits import check_customer
    from linters.models import Customer

    class LongNamedEnumeration(enum.Enum):
        A_RATHER_LONG_MEMBER_NAME = 1

    customer = Customer(
        first_name="Ann", attributes={"tags": [LongNamedEnumeration.A_RATHER_LONG_MEMBER_NAME] * 1800}
    )
    expected = _walked(customer)
    assert expected is not None
    with pytest.raises(RequestError) as refused_enum:
        check_customer(customer)
    assert (refused_enum.value.field, refused_enum.value.problem) == (expected.field, expected.problem)


def test_a_template_of_top_level_tags_is_bounded_without_walking_the_data() -> None:
    """The data's longest list and value are measured only when a block or a nested tag
    needs them; a tag naming a top-level value counts that value's own length."""
    from linters.handlebars import parse
    from linters.limits import DataExtent, rendered_size_bound

    data = {"first_name": "Ann", "items": [{"name": "x" * 50}] * 3}
    extent = DataExtent.of(data)
    assert rendered_size_bound(parse("Hi {{first_name}}!"), data, extent) == len("Hi !") + 3
    assert extent._longest_list is None and extent._longest_value is None
    looped = parse("{{#each items}}- {{name}}\n{{/each}}")
    assert rendered_size_bound(looped, data, extent) == 3 * (len("- \n") + 50)
    assert (extent.longest_list, extent.longest_value) == (3, 50)


# Pieces of templates: text, tags of every kind a block-free template holds, and blocks
# (which send the bound down the walk).
_TEMPLATE_PIECES = [
    "Hi ",
    "\u00e9t\u00e9 ",
    "{{first_name}}",
    "{{{first_name}}}",
    "{{order.id}}",
    "{{items.0}}",
    "{{items.[1]}}",
    "{{missing}}",
    "{{missing.deeper}}",
    "{{this}}",
    "{{! a comment }}",
    "{{lookup order 'id'}}",
    "{{~first_name~}}",
    "{{#if first_name}}x{{/if}}",
    "{{#each items}}{{.}}{{/each}}",
]
_DATA_VALUES = st.one_of(
    st.text(max_size=8),
    st.integers(),
    st.none(),
    st.booleans(),
    st.lists(st.text(max_size=4), max_size=3),
    st.dictionaries(st.sampled_from(["id", "x"]), st.text(max_size=5)),
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(_TEMPLATE_PIECES), min_size=1, max_size=8).map("".join),
    st.dictionaries(st.sampled_from(["first_name", "order", "items", "missing"]), _DATA_VALUES),
)
def test_a_block_free_template_is_bounded_as_the_walk_bounds_it(source: str, data: dict[str, Any]) -> None:
    """check_part reads a template without blocks from a cached plan (_flat_template);
    its bound must be the walk's (rendered_size_bound), and a template with a block
    must still take the walk."""
    from linters.handlebars import Block, parse
    from linters.limits import DataExtent, _flat_bound, _flat_template, rendered_size_bound

    nodes = parse(source)
    flat = _flat_template("template.text", source)
    assert (flat is None) == any(isinstance(node, Block) for node in nodes)
    if flat is not None:
        walked = rendered_size_bound(nodes, data, DataExtent.of(data))
        assert _flat_bound(flat, data, DataExtent.of(data)) == walked


def test_a_number_too_long_to_write_is_refused_with_its_field() -> None:
    """Python writes a whole number of at most 4,300 digits: one longer (a caller in
    Python can pass it) crashed the walk. It is refused, named, on both paths."""
    from linters.campaign import Campaign, CampaignTemplate
    from linters.limits import check_customer, check_request
    from linters.models import Customer

    check_customer(Customer(purchase_count=10**4_299))
    with pytest.raises(RequestError) as count:
        check_customer(Customer(purchase_count=10**5_000))
    assert count.value.field == "customer.purchase_count"
    raw = make_request(HELLO, data={"order": {"total": 10**5_000}})
    with pytest.raises(RequestError) as total:
        check_request(parse_request(raw))
    assert (total.value.field, total.value.problem) == (
        "data.order.total",
        "a number of more than 4,300 digits",
    )
    record = {key: raw[key] for key in ("id", "to", "data")}
    verdict = Campaign(CampaignTemplate(HELLO, {"channel": "email"})).judge_record(0, record)
    assert (verdict.field, verdict.error) == ("data.order.total", "a number of more than 4,300 digits")


def test_a_json_number_longer_than_python_reads_is_a_decode_error() -> None:
    """json.loads raises a plain ValueError past 4,300 digits, which escaped every reader."""
    from linters.models import load_json
    from linters.recipients import read_jsonl

    text = '{"id": "a", "data": {"n": ' + "9" * 4_301 + "}}"
    with pytest.raises(json.JSONDecodeError) as caught:
        load_json(text)
    assert caught.value.msg == "a number of more than 4,300 digits" and caught.value.colno == 27
    assert "more than 4,300 digits" in str(refused(text))
    (item,) = read_jsonl(io.BytesIO(text.encode() + b"\n"))
    assert item.error == "not valid JSON: a number of more than 4,300 digits at column 27"
    assert load_json('{"n": ' + "9" * 4_300 + "}")["n"] > 0  # as long as Python reads


def test_a_customer_field_set_after_validation_is_validated() -> None:
    """The limits bound a customer by its validated fields, so assignment is validated too."""
    from pydantic import ValidationError

    from linters.models import Customer

    customer = Customer(first_name="Ann")
    with pytest.raises(ValidationError):
        customer.customer_since = "x" * 60_000  # type: ignore[assignment]
    with pytest.raises(ValidationError):
        customer.consent = {"note": "y"}  # type: ignore[assignment]
    customer.first_name = "Anne"
    assert customer.addressed_name == "Anne"
