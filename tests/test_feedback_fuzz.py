"""Property-based fuzzing of the feedback function (issue 27, item 4): whatever an
invocation holds, the handler answers, never raises, lists every bad record in
``errors`` (once, by its label), and writes nothing for a record that is not an SNS
notification from the stack's feedback topic.

An invocation is a mix of records: real SES notifications from the stack's topic (a
permanent or transient bounce, a complaint, a Send, an Open), the same with a value
anywhere replaced by a hostile one (lists where objects belong, wrong types, 5,000- and
70,000-character strings, deep nesting, lone surrogates) or a key removed, forged
permanent bounces (another topic, no ``EventSource``, another subscription), random
JSON as a record or as its ``Message``, and text that is not JSON; or no SNS envelope
at all (random JSON as the whole event, an application unsubscribe).

``make test`` runs a few dozen invocations; ``SENDGUARD_FUZZ_EXAMPLES=2000`` runs 2,000
(``SENDGUARD_FUZZ_EXAMPLES=2000 .venv/bin/python -m pytest -q -p no:cacheprovider
tests/test_feedback_fuzz.py``).
"""

from __future__ import annotations

import copy
import json
import os
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from functions.feedback import app as feedback
from functions.ledger import read_recent
from functions.local import LocalContext
from tests.conftest import create_table
from tests.test_feedback import FEEDBACK_TOPIC, OTHER_TOPIC, ledger, load  # noqa: F401 - the fixture

EXAMPLES = int(os.environ.get("SENDGUARD_FUZZ_EXAMPLES", "40"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
        HealthCheck.function_scoped_fixture,  # one moto table for every example: the ledger grows
    ],
)
CONTEXT = LocalContext(function_name="sendguard-feedback")
SUBSCRIPTION = f"{FEEDBACK_TOPIC}:0b2b7e5c-2f53-4a55-9e1c-4c2b1f3f0a11"
FORGED_DOMAIN = "forged.example"
LONG_AGO = datetime(1900, 1, 1, tzinfo=UTC)

SNS_RECORD = load("ses-bounce.json")["Records"][0]
BOUNCE = json.loads(SNS_RECORD["Sns"]["Message"])
COMPLAINT = json.loads(load("ses-complaint.json")["Records"][0]["Sns"]["Message"])
SEND = {
    "eventType": "Send",
    "mail": {
        "timestamp": "2026-11-22T21:04:05.123Z",
        "source": "hello@northwind.example",
        "sourceArn": "arn:aws:ses:us-east-1:123456789012:identity/northwind.example",
        "messageId": "0100018b-sent-message-000001",
        "destination": ["maggie.okafor@example.com"],
        "tags": {"ses:caller-identity": ["legacy-mailer"], "sendguard-decision": ["d-1"]},
    },
    "send": {},
}
OPEN = {"eventType": "Open", "open": {"timestamp": "2026-11-20T10:00:00Z"}, "mail": BOUNCE["mail"]}

# --- values ----------------------------------------------------------------------------

NAMES = st.sampled_from(
    [
        "eventType",
        "notificationType",
        "bounce",
        "complaint",
        "mail",
        "bounceType",
        "bouncedRecipients",
        "complainedRecipients",
        "emailAddress",
        "timestamp",
        "Records",
        "Sns",
        "Message",
        "TopicArn",
        "EventSource",
        "type",
        "to",
        "channel",
        "tags",
        "messageId",
    ]
)
HOSTILE_TEXT = st.sampled_from(
    [
        "",
        "x" * 5000 + "@example.com",
        "a" * 70_000,
        "\udc80@example.com",
        "a@b",
        "Permanent",
        "Bounce",
        "Complaint",
        "Send",
        "aws:sns",
        OTHER_TOPIC,
        "0001-01-01T00:00:00+05:00",
        "9999-12-31T23:59:59-05:00",
        "2026-11-20T15:00:00Z",
        "\x00\x1f",
        "{}",
        "[]",
        "null",
    ]
)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | HOSTILE_TEXT
)


def nested(depth: int) -> Any:
    value: Any = "deep"
    for _ in range(depth):
        value = [value] if depth % 2 else {"mail": value}
    return value


JSON = st.recursive(
    SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(NAMES | st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
) | st.sampled_from([nested(300), nested(301)])

# --- records ---------------------------------------------------------------------------


def envelope(message: Any, **changes: Any) -> dict[str, Any]:
    """An SNS record from the stack's topic carrying ``message`` (JSON-encoded unless text)."""
    record = copy.deepcopy(SNS_RECORD)
    record["EventSubscriptionArn"] = SUBSCRIPTION
    record["Sns"]["TopicArn"] = FEEDBACK_TOPIC
    record["Sns"]["Message"] = message if isinstance(message, str) else json.dumps(message)
    for key, value in changes.items():
        target, name = (record["Sns"], key[5:]) if key.startswith("Sns__") else (record, key)
        if value is None:
            target.pop(name, None)
        else:
            target[name] = value
    return record


ADDRESSES = st.from_regex(r"[a-z]{1,12}\.[a-z]{1,8}", fullmatch=True)


@st.composite
def good(draw: st.DrawFn) -> dict[str, Any]:
    """A real notification from the stack's topic: must never be listed as an error."""
    kind = draw(st.sampled_from(["bounce", "transient", "complaint", "send", "open"]))
    person = f"{draw(ADDRESSES)}@example.com"
    if kind in ("bounce", "transient"):
        message = copy.deepcopy(BOUNCE)
        message["bounce"]["bouncedRecipients"] = [{"emailAddress": person}]
        message["bounce"]["bounceType"] = "Permanent" if kind == "bounce" else "Transient"
    elif kind == "complaint":
        message = copy.deepcopy(COMPLAINT)
        message["complaint"]["complainedRecipients"] = [{"emailAddress": person}]
    else:
        message = copy.deepcopy(SEND if kind == "send" else OPEN)
    return envelope(message)


@st.composite
def forged(draw: st.DrawFn) -> tuple[dict[str, Any], str]:
    """A permanent bounce that is not from the stack's topic: must be refused."""
    person = f"{draw(ADDRESSES)}@{FORGED_DOMAIN}"
    message = copy.deepcopy(BOUNCE)
    message["bounce"]["bouncedRecipients"] = [{"emailAddress": person}]
    how = draw(
        st.sampled_from(
            [
                {"Sns__TopicArn": OTHER_TOPIC},
                {"Sns__TopicArn": OTHER_TOPIC, "EventSubscriptionArn": f"{OTHER_TOPIC}:1"},
                {"Sns__TopicArn": None},
                {"EventSource": None},
                {"EventSource": "aws:sqs"},
                {"EventSource": ["aws:sns"]},
                {"EventSubscriptionArn": f"{OTHER_TOPIC}:1"},
                {"EventSubscriptionArn": None},
                {"Sns__TopicArn": FEEDBACK_TOPIC + ":extra"},
                {"Sns__TopicArn": [FEEDBACK_TOPIC]},
            ]
        )
    )
    return envelope(message, **how), person


def _paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(value, dict):
        for key, child in value.items():
            found.extend(_paths(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found.extend(_paths(child, (*path, index)))
    return found


@st.composite
def mutated(draw: st.DrawFn) -> dict[str, Any]:
    """A real notification with one value replaced or one key removed: either way, fine."""
    message = copy.deepcopy(draw(st.sampled_from([BOUNCE, COMPLAINT, SEND, OPEN])))
    path = draw(st.sampled_from(_paths(message)[1:]))
    parent = message
    for part in path[:-1]:
        parent = parent[part]
    if draw(st.booleans()) and isinstance(parent, dict):
        del parent[path[-1]]
    else:
        parent[path[-1]] = draw(JSON)
    if draw(st.booleans()):
        return envelope(message)
    # or the envelope itself: a field of the record or of Sns replaced
    record = envelope(message)
    part = draw(st.sampled_from([None, "Sns"]))
    target = record if part is None else record["Sns"]
    target[draw(st.sampled_from(sorted(target)))] = draw(JSON)
    return record


# (kind, record, the address a forged record names)
RECORD = st.one_of(
    good().map(lambda r: ("good", r, None)),
    forged().map(lambda pair: ("forged", *pair)),
    mutated().map(lambda r: ("mutated", r, None)),
    JSON.filter(lambda v: not isinstance(v, dict) or v.get("EventSource") != "aws:sns").map(
        lambda r: ("junk", r, None)
    ),
    JSON.map(lambda m: ("message", envelope(m), None)),
    st.text(max_size=50).map(lambda t: ("text", envelope(t), None)),
)


@st.composite
def invocations(draw: st.DrawFn) -> tuple[Any, list[tuple[str, Any, str | None]]]:
    """(event, [(kind, record, forged address)]), or (event, []) for no SNS envelope at all."""
    if draw(st.integers(0, 9)) == 0:
        event = draw(
            JSON
            | st.just(load("unsubscribe.json"))
            | st.just(BOUNCE)
            | st.fixed_dictionaries({"Records": JSON.filter(lambda v: not isinstance(v, list))})
        )
        return event, []
    records = draw(st.lists(RECORD, min_size=1, max_size=4))
    return {"Records": [r for _, r, _ in records]}, records


@pytest.fixture
def tables(ledger: Any, monkeypatch: pytest.MonkeyPatch) -> Any:  # noqa: F811
    """The ledger and, for unguarded Send events, the decisions table (moto)."""
    monkeypatch.setenv("DECISIONS_TABLE", "sendguard-decisions")
    create_table("DecisionsTable", "sendguard-decisions")
    return ledger


def invoke(event: Any) -> dict[str, Any]:
    return feedback.handler(event, CONTEXT)


@FUZZ
@given(invocation=invocations())
def test_feedback_never_raises_and_lists_every_bad_record(tables: Any, invocation: Any) -> None:
    event, records = invocation
    outcome = invoke(event)

    assert set(outcome) == {"written", "duplicates", "skipped", "unguarded", "guarded", "errors"}
    labels = [error.split(":", 1)[0] for error in outcome["errors"]]
    assert len(labels) == len(set(labels)), outcome["errors"]  # one entry per bad record
    if not records:
        if not (isinstance(event, dict) and isinstance(event.get("Records"), list)):
            assert labels == ["event"]
        return
    assert set(labels) <= {f"Records[{i}]" for i in range(len(records))}
    for index, (kind, record, _) in enumerate(records):
        label = f"Records[{index}]"
        if kind == "good":
            assert label not in labels, outcome["errors"]
        elif kind in ("forged", "junk") or (kind in ("message", "text") and not _is_object(record)):
            assert label in labels, (kind, outcome["errors"])
    # Nothing a forged record names reaches the ledger.
    for _, _, person in records:
        if person is not None:
            _, events = read_recent(tables, person, LONG_AGO, days=0)
            assert events == []


def _is_object(record: dict[str, Any]) -> bool:
    try:
        return isinstance(json.loads(record["Sns"]["Message"]), dict)
    except ValueError:
        return False


@pytest.mark.parametrize(
    "event",
    [
        {"Records": [envelope({**BOUNCE, "mail": ["a", "b"]})]},
        {"Records": [envelope({**BOUNCE, "bounce": {**BOUNCE["bounce"], "bouncedRecipients": "x"}})]},
        {
            "Records": [
                envelope(
                    {
                        **BOUNCE,
                        "bounce": {
                            **BOUNCE["bounce"],
                            "bouncedRecipients": [{"emailAddress": "x" * 5000 + "@e.com"}],
                        },
                    }
                )
            ]
        },
        {"Records": [envelope({**SEND, "mail": {**SEND["mail"], "timestamp": "0001-01-01T00:00:00+05:00"}})]},
        {
            "Records": [
                envelope({**SEND, "mail": {**SEND["mail"], "tags": {"ses:caller-identity": ["x" * 70_000]}}})
            ]
        },
        {"Records": [envelope(nested(300))]},
        {"Records": [envelope("[" * 100_000)]},
    ],
    ids=["mail-list", "recipients-text", "5000-char-address", "year-1-send", "huge-tag", "deep", "deep-text"],
)
def test_the_measured_crashes_are_listed(tables: Any, event: dict[str, Any]) -> None:
    """The shapes the tester's fuzzing raised on (AttributeError on "mail": [...],
    TypeError, DynamoDB's ValidationException for a 5,000-character address) and their
    kin: each one listed, nothing written."""
    outcome = invoke(event)

    assert outcome["written"] == 0 and outcome["unguarded"] == 0
    assert [e.split(":", 1)[0] for e in outcome["errors"]] == ["Records[0]"]
    assert tables.scan()["Items"] == []
