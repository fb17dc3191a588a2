"""Property-based fuzzing of send requests: whatever comes in, the engine judges it or
refuses it with a RequestError, and ``sendguard check`` answers every request.

Realistic requests are mutated: a value anywhere replaced with a hostile one (lone
surrogates, deep nesting, huge text, objects where text belongs, odd HTML, times at the
ends of the calendar, merge-tag soup), fields deleted or added. ``make test`` runs a
bounded number of examples; ``make fuzz`` runs SENDGUARD_FUZZ_EXAMPLES (20,000).
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linters import cli
from linters.engine import check
from linters.models import RequestError, parse_request

EXAMPLES = int(os.environ.get("SENDGUARD_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
)

SEEDS: list[dict[str, Any]] = [
    {
        "id": "receipt-30118",
        "channel": "email",
        "purpose": "transactional",
        "from": "receipts@northwind.example",
        "to": "omar.h@example.com",
        "template": {
            "subject": "Your receipt, {{first_name}}",
            "text": "Hi {{first_name}},\n\nThanks for order {{order.number}}:\n{{#each order.items}}- {{name}}: "
            "{{price}}\n{{/each}}\nNorthwind Outfitters",
            "html": "<p>Hi {{first_name}},</p><ul>{{#each order.items}}<li>{{name}}</li>{{/each}}</ul>",
        },
        "data": {
            "first_name": "Omar",
            "order": {"number": "NW-30118", "items": [{"name": "Wool scarf", "price": "$38.00"}]},
        },
        "customer": {
            "customer_id": "c-omar",
            "first_name": "Omar",
            "last_name": "Haddad",
            "purchase_count": 1,
        },
        "now": "2026-11-20T15:00:00Z",
    },
    {
        "id": "flash-sale-sms-2291",
        "channel": "sms",
        "purpose": "marketing",
        "campaign": "flash-sale",
        "trigger": "site_visit",
        "from": "Northwind",
        "to": "+15035550188",
        "template": {"text": "{{first_name}}, last chance: 30% off ends tonight! We saw you looking."},
        "data": {"first_name": "Maggie"},
        "customer": {
            "first_name": "Margaret",
            "preferred_name": "Maggie",
            "timezone": "Europe/London",
            "quiet_hours": {"start": "21:00", "end": "08:00"},
            "consent": {"sms_marketing": True, "personalization": False},
        },
        "events": [{"type": "site_visit", "at": "2026-11-20T14:00:00Z", "channel": "email"}],
        "history": [
            {"at": "2026-11-19T10:00:00Z", "channel": "email", "campaign": "flash-sale", "text": "Hi"}
        ],
        "now": "2026-11-20T15:00:00Z",
    },
]

DEEP = {"a": None}
_cursor = DEEP
for _ in range(60):
    _cursor["a"] = {"a": None}
    _cursor = _cursor["a"]

HOSTILE: list[Any] = [
    "\ud800",
    "x\udfffy",
    "<![CDATZ[ x</p>",
    "<![if !mso]><p>{{first_name}}</p><![endif]>",
    "<!--[if gte mso 9]>",
    "<p style='display:none'>hidden</p><script>alert(1)</script>",
    "9999-12-31T23:59:59Z",
    "0001-01-01T00:00:00+14:00",
    "2026-02-30T25:61:00Z",
    "{{#each a}}{{#each this}}{{#each this}}{{#each this}}{{#each this}}{{#each this}}{{#each this}}"
    "{{.}}{{/each}}{{/each}}{{/each}}{{/each}}{{/each}}{{/each}}{{/each}}",
    "{{" * 50,
    "}}{{/if}}{{else}}",
    "{{first_name}}" * 3000,
    "{{#if a}}{{#with b}}{{lookup . 'x'}}{{/with}}{{/if}}",
    "*|FNAME|* [First Name] Hi null, Dear {{first_name}}",
    "\uf8f0" + "1\uf8f1x\uf8f2",
    "\x00\x1f\u200b\u202e\ufeff",
    "a" * 300_000,
    "word " * 30_000,
    list(range(5000)),
    [[[[[[[[[[[[[[[[[["deep"]]]]]]]]]]]]]]]]]],
    DEEP,
    {"id": 1, "nested": {"x": [1, 2]}},
    [{"name": "a"}] * 2000,
    10**400,
    -1,
    1e308,
    float("inf"),
    True,
    None,
    "",
    "Europe/Nowhere",
    "+1",
    "not-an-email",
]


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _paths(child, (*prefix, index))


def _set(document: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    parent[path[-1]] = value
    return document


def _delete(document: Any, path: tuple[Any, ...]) -> Any:
    if not path:
        return document
    parent = document
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return document


def _fresh(value: Any) -> Any:
    """A copy of a hostile value that shares nothing, even with itself.

    ``copy.deepcopy`` keeps aliasing: ``[{"name": "a"}] * 2000`` stays 2,000 references
    to one dict, so a later mutation of "x.5.name" to 300,000 characters wrote 600 MB of
    JSON, and a batch of four took the fuzz run to 24 GB and the OOM killer. A JSON round
    trip copies each element on its own (lone surrogates, infinities and long integers
    survive it)."""
    return json.loads(json.dumps(value, allow_nan=True))


@st.composite
def mutated_requests(draw: st.DrawFn) -> Any:
    document = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        paths = list(_paths(document))[1:] or [("id",)]  # never the root: a file of one request
        path = draw(st.sampled_from(paths))
        kind = draw(st.sampled_from(["hostile", "text", "delete", "add", "json"]))
        if kind == "hostile":
            document = _set(document, path, _fresh(draw(st.sampled_from(HOSTILE))))
        elif kind == "text":
            document = _set(document, path, draw(st.text(max_size=40)))
        elif kind == "delete":
            document = _delete(document, path)
        elif kind == "add" and isinstance(document, dict):
            key = draw(st.sampled_from(["cusomer", "data", "now", "template", "extra", "events", "audience"]))
            document[key] = _fresh(draw(st.sampled_from(HOSTILE)))
        else:
            document = _set(
                document,
                path,
                draw(
                    st.recursive(
                        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                        lambda c: (
                            st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3)
                        ),
                        max_leaves=8,
                    )
                ),
            )
    return document


def _as_json(document: Any) -> str:
    # ensure_ascii keeps lone surrogates as \ud800 escapes, as a producer's JSON would.
    return json.dumps(document, ensure_ascii=True, allow_nan=True)


@FUZZ
@given(mutated_requests())
def test_the_engine_judges_or_refuses_every_mutated_request(document: Any) -> None:
    try:
        result = check(parse_request(_as_json(document)))
    except RequestError as exc:
        assert str(exc)  # names a field or says what is wrong
        return
    # The renderer adds nothing of its own: every private-use character that goes out was
    # in the request (the old renderer's markers once leaked into sent mail).
    given = set(json.dumps(document, ensure_ascii=False))
    for text in result.message.values():
        assert isinstance(text, str)
        assert {c for c in text if "\ue000" <= c <= "\uf8ff"} <= given


@FUZZ
@given(st.lists(mutated_requests(), min_size=1, max_size=4))
def test_sendguard_check_answers_every_request_of_a_batch(
    tmp_path_factory: pytest.TempPathFactory, documents: list[Any]
) -> None:
    path = Path(tmp_path_factory.getbasetemp()) / "fuzz-batch.jsonl"  # one file, rewritten per example
    path.write_text("\n".join(_as_json(d) for d in documents) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(["check", "--format", "json", str(path)])
    assert status in (0, 1, 2)
    lines = out.getvalue().split("\n")[:-1]  # JSON Lines end in \n only (not \x85, \u2028)
    if path.stat().st_size > cli.MAX_INPUT_BYTES:
        assert len(lines) == 1 and "error" in json.loads(lines[0])  # the file is refused whole
    else:
        assert len(lines) == len(documents)
    for line in lines:
        answer = json.loads(line)
        assert "decision" in answer or "error" in answer
    assert "Traceback" not in err.getvalue()
