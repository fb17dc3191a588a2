"""One-click unsubscribe (RFC 8058) end to end on moto: the guard puts List-Unsubscribe and
List-Unsubscribe-Post on marketing email (SESv2 simple-content Headers), a POST to the
link writes a marketing unsubscribe to the ledger, the next marketing email is blocked
(SG601) and a receipt still goes. GET never unsubscribes; forged, altered and malformed
tokens are refused with nothing written.

moto's SESv2 keeps no headers, so the SendEmail calls are captured as botocore sends
them (``before-call``: after botocore has validated them against the real SESv2 model),
and the route is called with the HTTP API event API Gateway would pass it.
"""

from __future__ import annotations

import base64
import copy
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from moto import mock_aws

from functions import aws, ledger, local
from functions.guard import app, delivery
from functions.local import LocalContext
from functions.unsubscribe_link import headers, keys, route, token
from linters.models import Channel

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
URL = "https://links.northwind.example/unsubscribe"
PERSON = "hannah.brooks@example.org"
KEY_PARAMETER = "/sendguard/unsubscribe-key"
CONTEXT = LocalContext(function_name="sendguard-unsubscribe-link")

CUSTOMER = {
    "customer_id": "c-hannah",
    "first_name": "Hannah",
    "last_name": "Brooks",
    "purchase_count": 6,
    "consent": {"email_marketing": True},
    "timezone": "America/Chicago",
}
NEWSLETTER: dict[str, Any] = {
    "id": "garden-notes-nov",
    "channel": "email",
    "purpose": "marketing",
    "campaign": "garden-notes-nov",
    "from": "hello@northwind.example",
    "to": PERSON,
    "template": {
        "subject": "Garden notes: what to plant before the frost",
        "text": "Hi {{first_name}},\n\nGarlic, broad beans and tulip bulbs all go in before the first "
        "frost. Our planting guide has the depths and spacings.\n\n"
        "Read it at https://northwind.example/guides/autumn-planting\n\nNorthwind",
    },
    "data": {"first_name": "Hannah"},
    "customer": CUSTOMER,
}
RECEIPT: dict[str, Any] = {
    "id": "receipt-nw-40721",
    "channel": "email",
    "purpose": "transactional",
    "from": "receipts@northwind.example",
    "to": PERSON,
    "template": {
        "subject": "Your Northwind receipt, order NW-40721",
        "text": "Hi {{first_name}},\n\nThanks for your order NW-40721: one pair of pruning shears, "
        "$24.00.\n\nQuestions? Reply to this email.\n\nNorthwind",
    },
    "data": {"first_name": "Hannah"},
    "customer": CUSTOMER,
}


class Sent(list[dict[str, Any]]):
    """The SESv2 SendEmail calls of a test, as botocore sent them; ``stack`` is where."""

    stack: local.Stack


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[Sent]:
    """template.yaml's resources on in-process moto, the guard's environment set with an
    UnsubscribeUrl; yields the SendEmail calls as the guard makes them."""
    for key, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.setattr(app, "clock", lambda: NOW)
    with mock_aws():
        app.reset()
        calls = Sent()
        calls.stack = local.provision()
        for key, value in calls.stack.function_environment("GuardFunction").items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("UNSUBSCRIBE_URL", URL)
        local.verify_senders(["hello@northwind.example"])
        aws.send_client("sesv2").meta.events.register(
            "before-call.sesv2.SendEmail", lambda params, **_: calls.append(json.loads(params["body"]))
        )
        _running.append(calls)
        yield calls
        _running.clear()
        app.reset()


_running: list[Sent] = []


def send(*requests: dict[str, Any]) -> list[dict[str, Any]]:
    """Put the requests on the outbox and run the guard on it, as the event source would."""
    [calls] = _running
    queue = calls.stack.refs["OutboxQueue"]
    for request in requests:
        aws.client("sqs").send_message(QueueUrl=queue, MessageBody=json.dumps(request))
    return local.drain(queue, calls.stack.arns["OutboxQueue"], app.lambda_handler, rounds=1)


def header(call: dict[str, Any], name: str) -> str | None:
    found = [h["Value"] for h in call["Content"]["Simple"].get("Headers", []) if h["Name"] == name]
    return found[0] if found else None


def link_of(call: dict[str, Any]) -> str:
    value = header(call, "List-Unsubscribe") or ""
    return value.split(",")[0].strip().removeprefix("<").removesuffix(">")


def http(
    method: str,
    url: str,
    body: str = "",
    content_type: str = "application/x-www-form-urlencoded",
    encoded: bool = False,
) -> dict[str, Any]:
    """The HTTP API (payload 2.0) event API Gateway passes for ``method url``."""
    parts = urlsplit(url)
    return {
        "version": "2.0",
        "routeKey": f"{method} {parts.path}",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "queryStringParameters": dict(parse_qsl(parts.query)) or None,
        "headers": {"content-type": content_type, "host": parts.hostname or "", "user-agent": "Mozilla/5.0"},
        "requestContext": {
            "http": {"method": method, "path": parts.path},
            "routeKey": f"{method} {parts.path}",
        },
        "body": base64.b64encode(body.encode()).decode() if encoded else body,
        "isBase64Encoded": encoded,
    }


def unsubscribes(to: str = PERSON) -> list[Any]:
    _, events = ledger.read_recent(aws.table(aws.LEDGER_TABLE), to, NOW + timedelta(days=1), days=0)
    return [e for e in events if e.type == "unsubscribe"]


def ledger_rows() -> int:
    return len(aws.table(aws.LEDGER_TABLE).scan()["Items"])


def decision(request_id: str) -> dict[str, Any]:
    return aws.table(aws.DECISIONS_TABLE).get_item(Key={"id": request_id}).get("Item") or {}


def rules(request_id: str) -> set[str]:
    return {f["rule"] for f in json.loads(decision(request_id).get("findings") or "[]")}


def post(url: str, body: str = "List-Unsubscribe=One-Click", **kwargs: Any) -> dict[str, Any]:
    return route.handler(http("POST", url, body, **kwargs), CONTEXT)


def first_link(stack: Sent) -> str:
    send(NEWSLETTER)
    [call] = stack
    return link_of(call)


# --- the whole path -------------------------------------------------------------------


def test_one_click_from_the_email_blocks_the_next_marketing_email_and_the_receipt_still_goes(
    stack: Sent,
) -> None:
    send(NEWSLETTER)

    [call] = stack
    assert call["Destination"] == {"ToAddresses": [PERSON]}
    [unsubscribe_header, post_header] = call["Content"]["Simple"]["Headers"]
    assert unsubscribe_header["Name"] == "List-Unsubscribe"
    assert unsubscribe_header["Value"].startswith(f"<{URL}?token=v1.") and unsubscribe_header[
        "Value"
    ].endswith(">")
    assert post_header == {"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"}
    # The key was made on first use, as a SecureString.
    parameter = aws.client("ssm").get_parameter(Name=KEY_PARAMETER, WithDecryption=True)["Parameter"]
    assert parameter["Type"] == "SecureString" and len(parameter["Value"]) >= keys.MIN_KEY_CHARS

    answer = post(link_of(call))

    assert answer["statusCode"] == 200
    assert "is unsubscribed from marketing email" in answer["body"]
    [event] = unsubscribes()
    assert (event.channel, event.purpose) == (Channel.EMAIL, "marketing")

    newsletter = {**copy.deepcopy(NEWSLETTER), "id": "garden-notes-dec", "campaign": "garden-notes-dec"}
    send(newsletter, RECEIPT)

    assert decision("garden-notes-dec")["quarantined"] is True
    assert "SG601" in rules("garden-notes-dec")
    assert decision(RECEIPT["id"])["outcome"] == "sent"
    [receipt] = stack[1:]
    assert receipt["Content"]["Simple"]["Subject"]["Data"] == RECEIPT["template"]["subject"]
    assert "Headers" not in receipt["Content"]["Simple"]  # a receipt is not commercial mail


def test_the_headers_fit_what_ses_accepts_even_for_the_longest_address(stack: Sent) -> None:
    longest = f"{'a' * 64}@{'b' * 63}.{'c' * 63}.{'d' * 53}.example"
    assert len(longest) == 254
    send({**NEWSLETTER, "to": longest})

    [call] = stack
    value = header(call, "List-Unsubscribe") or ""
    assert len(value) <= 995 and value.isascii()  # SES: MessageHeaderValue, 1-995 printable ASCII
    assert route.handler(http("GET", link_of(call)), CONTEXT)["statusCode"] == 200


def test_the_sesv2_model_has_simple_content_headers_and_list_management() -> None:
    import botocore.session

    operation = botocore.session.get_session().get_service_model("sesv2").operation_model("SendEmail")
    simple = operation.input_shape.members["Content"].members["Simple"]
    assert set(simple.members["Headers"].member.members) == {"Name", "Value"}
    assert set(operation.input_shape.members["ListManagementOptions"].members) == {
        "ContactListName",
        "TopicName",
    }


# --- the route ---------------------------------------------------------------------------


def test_get_shows_a_button_that_posts_and_unsubscribes_no_one(stack: Sent) -> None:
    url = first_link(stack)
    rows = ledger_rows()

    page = route.handler(http("GET", url), CONTEXT)

    assert page["statusCode"] == 200
    assert page["headers"]["Content-Type"] == "text/html; charset=utf-8"
    assert page["headers"]["Referrer-Policy"] == "no-referrer"  # the URL holds the token
    assert "form-action 'self'" in page["headers"]["Content-Security-Policy"]
    body = page["body"]
    assert '<form method="post" action="?token=v1.' in body
    assert '<input type="hidden" name="List-Unsubscribe" value="One-Click">' in body
    assert "h\u2022\u2022\u2022@example.org" in body and PERSON not in body
    assert "Receipts, password resets" in body
    assert ledger_rows() == rows and unsubscribes() == []


def test_the_pages_button_posts_what_a_mail_client_posts(stack: Sent) -> None:
    url = first_link(stack)
    page = route.handler(http("GET", url), CONTEXT)["body"]
    action = page.split('action="', 1)[1].split('"', 1)[0].replace("&amp;", "&")

    answer = post(f"{URL}{action}", "List-Unsubscribe=One-Click")

    assert answer["statusCode"] == 200 and len(unsubscribes()) == 1


def test_a_second_click_is_answered_and_writes_nothing_more(stack: Sent) -> None:
    url = first_link(stack)

    first, again = post(url), post(url)

    assert first["statusCode"] == again["statusCode"] == 200
    assert "was already unsubscribed" in again["body"]
    assert len(unsubscribes()) == 1


@pytest.mark.parametrize("boundary", ["---FormBoundaryjWmhtjORrn", "----=_Part_4711"])
def test_the_rfc_8058_multipart_body_and_a_base64_body_are_read(stack: Sent, boundary: str) -> None:
    """RFC 8058's own example body, and one whose boundary needed quoting and was not."""
    url = first_link(stack)
    multipart = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\n'
        f"One-Click\r\n--{boundary}--\r\n"
    )

    answer = post(url, multipart, content_type=f"multipart/form-data; boundary={boundary}", encoded=True)

    assert answer["statusCode"] == 200 and len(unsubscribes()) == 1


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ("", "body: a one-click unsubscribe POSTs List-Unsubscribe=One-Click (RFC 8058)"),
        ("List-Unsubscribe=Maybe", "body: a one-click unsubscribe POSTs"),
        ("unsubscribe=yes", "body: a one-click unsubscribe POSTs"),
        ("List-Unsubscribe=One-Click&" + "x" * 9000, "body: larger than 4096 bytes"),
    ],
)
def test_a_post_without_the_one_click_body_is_refused(stack: Sent, body: str, problem: str) -> None:
    url = first_link(stack)
    rows = ledger_rows()

    answer = post(url, body)

    assert answer["statusCode"] == 400
    assert problem in answer["body"]
    assert ledger_rows() == rows


def _swap_payload(text: str, to: str) -> str:
    version, _, signature = text.split(".")
    fields = {"to": to, "ch": "email", "tp": "marketing", "iat": int(NOW.timestamp())}
    payload = base64.urlsafe_b64encode(json.dumps(fields).encode()).rstrip(b"=").decode()
    return f"{version}.{payload}.{signature}"


def _flip(text: str, at: int = -10) -> str:
    """``text`` with one character of its signature changed (not the last, whose low
    bits carry no data)."""
    return text[:at] + ("A" if text[at] != "A" else "B") + text[at + 1 :]


FORGERIES = {
    # another key entirely: a forger who guessed the format
    "signed with another key": (
        lambda t: token.mint(b"k" * 40, "someone.else@example.net", Channel.EMAIL, NOW),
        403,
    ),
    "payload changed to another address": (lambda t: _swap_payload(t, "someone.else@example.net"), 403),
    "signature altered": (_flip, 403),
    "cut short": (lambda t: t[:40], 400),
    "not a token": (lambda t: "unsubscribe-me", 400),
    "markup": (lambda t: "<script>alert(1)</script>", 400),
    "over-long": (lambda t: "v1." + "A" * 2000 + ".x", 400),
}


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize("forgery", sorted(FORGERIES))
def test_forged_altered_and_malformed_tokens_are_refused_with_nothing_written(
    stack: Sent, forgery: str, method: str
) -> None:
    url = first_link(stack)
    genuine = dict(parse_qsl(urlsplit(url).query))["token"]
    change, status = FORGERIES[forgery]
    forged = change(genuine)
    rows = ledger_rows()

    event = http(method, URL, "List-Unsubscribe=One-Click")
    event["queryStringParameters"] = {"token": forged}
    answer = route.handler(event, CONTEXT)

    assert answer["statusCode"] == status
    assert "<script>" not in answer["body"]
    assert "Nothing was changed" in answer["body"]
    assert ledger_rows() == rows
    assert unsubscribes() == [] and unsubscribes("someone.else@example.net") == []


@pytest.mark.parametrize(
    ("event", "status", "problem"),
    [
        (http("POST", URL, "List-Unsubscribe=One-Click"), 400, "token: missing"),
        ({"requestContext": {}}, 400, "requestContext.http.method"),
        ("not an event", 400, "event: not an HTTP API request"),
        (http("DELETE", f"{URL}?token=v1.x.y"), 405, "method: DELETE"),
    ],
)
def test_requests_that_are_not_a_click_are_refused_by_field(
    stack: Sent, event: Any, status: int, problem: str
) -> None:
    answer = route.handler(event, CONTEXT)

    assert answer["statusCode"] == status
    assert problem in answer["body"]
    assert ledger_rows() == 0


HOSTILE = [
    {"requestContext": [], "queryStringParameters": {"token": "v1.x.y"}},
    {"requestContext": {"http": "GET"}},
    {"requestContext": {"http": {"method": 7}}},
    {"requestContext": {"http": {"method": "GET"}}, "queryStringParameters": ["token"]},
    {"requestContext": {"http": {"method": "POST"}}, "queryStringParameters": {"token": ["v1"]}},
    {"requestContext": {"http": {"method": "POST"}}, "queryStringParameters": {"token": "\u0000" * 50}},
]


@pytest.mark.parametrize("event", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_events_are_answered_not_raised(stack: Sent, event: dict[str, Any]) -> None:
    answer = route.handler(event, CONTEXT)

    assert answer["statusCode"] == 400
    assert ledger_rows() == 0


def test_a_genuine_token_with_hostile_headers_and_body_is_refused_by_field(stack: Sent) -> None:
    url = first_link(stack)
    event = http("POST", url)
    event.update(headers=["content-type"], body={"List-Unsubscribe": "One-Click"})

    answer = route.handler(event, CONTEXT)

    assert answer["statusCode"] == 400 and "body: not text" in answer["body"]
    assert unsubscribes() == []


# --- the key ----------------------------------------------------------------------------


def test_links_signed_with_a_retired_key_still_work_after_rotation(stack: Sent) -> None:
    old = "o" * 48
    aws.client("ssm").put_parameter(Name=KEY_PARAMETER, Value=old, Type="SecureString")
    url = first_link(stack)
    new = "n" * 48
    aws.client("ssm").put_parameter(
        Name=KEY_PARAMETER, Value=f"{new}\n{old}", Type="SecureString", Overwrite=True
    )
    aws.reset()  # a new container: the cached key is gone

    answer = post(url)

    assert answer["statusCode"] == 200 and len(unsubscribes()) == 1
    fresh = headers.link(URL, "other@example.org", Channel.EMAIL, NOW)
    text = dict(parse_qsl(urlsplit(fresh).query))["token"]
    assert token.read(text, [new.encode()]).to == "other@example.org"  # the first key signs
    with pytest.raises(token.ForgedToken):
        token.read(text, [old.encode()])


def test_an_unusable_key_sends_no_marketing_email_and_the_route_answers_503(
    stack: Sent,
) -> None:
    aws.client("ssm").put_parameter(Name=KEY_PARAMETER, Value="too-short", Type="SecureString")

    responses = send(NEWSLETTER, RECEIPT)

    # The marketing email is not sent without its link: judged again later (then the DLQ).
    assert len(responses[0]["batchItemFailures"]) == 1
    assert delivery.load(NEWSLETTER["id"]).state == delivery.RETRY
    assert [c["Content"]["Simple"]["Subject"]["Data"] for c in stack] == [RECEIPT["template"]["subject"]]
    answer = post(f"{URL}?token={token.mint(b'x' * 40, PERSON, Channel.EMAIL, NOW)}")
    assert answer["statusCode"] == 503 and answer["headers"]["Retry-After"] == "60"
    # The receipt's contact only, kept under the address and under the customer.
    assert ledger_rows() == 2
    contacts, _ = ledger.read_recent(aws.table(aws.LEDGER_TABLE), PERSON, NOW + timedelta(days=1))
    assert [c.purpose for c in contacts] == ["transactional"]


def test_two_guards_making_the_key_at_once_both_sign_with_the_one_written_first(
    stack: Sent,
) -> None:
    aws.client("ssm").put_parameter(Name=KEY_PARAMETER, Value="w" * 48, Type="SecureString")

    # This guard read "not found" a moment ago and now tries to make the key.
    made = keys._create(KEY_PARAMETER)

    assert made == "w" * 48
    value = aws.client("ssm").get_parameter(Name=KEY_PARAMETER, WithDecryption=True)["Parameter"]["Value"]
    assert value == "w" * 48


# --- configuration ---------------------------------------------------------------------


def set_policy(document: dict[str, Any]) -> None:
    from functions import lookups

    aws.client("ssm").put_parameter(
        Name="/sendguard/policy", Value=json.dumps(document), Type="String", Overwrite=True
    )
    lookups.reset()
    aws.ssm_parameters.cache_clear()


def test_without_an_unsubscribe_url_the_email_goes_with_the_mailto_alone(
    stack: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNSUBSCRIBE_URL", "")
    set_policy({"unsubscribe": {"mailto": "unsubscribe@northwind.example"}})

    send(NEWSLETTER)

    [call] = stack
    assert call["Content"]["Simple"]["Headers"] == [
        {"Name": "List-Unsubscribe", "Value": "<mailto:unsubscribe@northwind.example?subject=unsubscribe>"}
    ]  # no List-Unsubscribe-Post: one-click needs the https link (OneClickMissing is counted)


def test_the_link_and_the_mailto_go_together_link_first(stack: Sent) -> None:
    set_policy({"unsubscribe": {"mailto": "unsubscribe@northwind.example"}})

    send(NEWSLETTER)

    [call] = stack
    value = header(call, "List-Unsubscribe") or ""
    assert value.startswith(f"<{URL}?token=")
    assert value.endswith(", <mailto:unsubscribe@northwind.example?subject=unsubscribe>")
    assert header(call, "List-Unsubscribe-Post") == "List-Unsubscribe=One-Click"


def test_ses_subscription_management_when_the_policy_chooses_it(stack: Sent) -> None:
    set_policy({"unsubscribe": {"method": "ses", "contact_list": "northwind", "topic": "garden-notes"}})

    send(NEWSLETTER, RECEIPT)

    newsletter, receipt = stack
    assert newsletter["ListManagementOptions"] == {
        "ContactListName": "northwind",
        "TopicName": "garden-notes",
    }
    assert "Headers" not in newsletter["Content"]["Simple"]  # SES adds its own
    assert "ListManagementOptions" not in receipt


def test_a_base_url_that_is_not_https_stops_marketing_email(
    stack: Sent, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UNSUBSCRIBE_URL", "http://links.northwind.example/unsubscribe")

    responses = send(NEWSLETTER)

    assert len(responses[0]["batchItemFailures"]) == 1 and stack == []


def test_an_ses_subscription_opt_out_reaches_the_ledger_and_blocks_marketing(
    monkeypatch: pytest.MonkeyPatch, regular: dict[str, Any]
) -> None:
    from functions.feedback import app as feedback
    from tests.conftest import create_table, rules_of
    from tests.test_feedback import CATALOGUE, FEEDBACK_TOPIC, judge_from_ledger, load, with_message

    for name, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("LEDGER_TABLE", "sendguard-ledger")
    monkeypatch.setenv("FEEDBACK_TOPIC_ARN", FEEDBACK_TOPIC)
    aws.reset()
    notification = {
        "eventType": "Subscription",
        "mail": {"timestamp": "2026-11-19T10:00:00Z", "destination": [PERSON], "messageId": "0100-abc"},
        "subscription": {
            "contactList": "northwind",
            "timestamp": "2026-11-19T10:05:00Z",
            "source": "UnsubscribeHeader",
            "newTopicPreferences": {
                "unsubscribeAll": False,
                "topicSubscriptionStatus": [{"topicName": "garden-notes", "subscriptionStatus": "OptOut"}],
            },
            "oldTopicPreferences": {"unsubscribeAll": False, "topicSubscriptionStatus": []},
        },
    }
    with mock_aws():
        table = create_table("LedgerTable", "sendguard-ledger")
        outcome = feedback.handler(with_message(load("ses-complaint.json"), notification), LocalContext())
        campaign = judge_from_ledger(table, regular, CATALOGUE, to=PERSON, now="2026-11-20T15:00:00Z")
    aws.reset()
    assert outcome["written"] == 1
    assert "SG601" in rules_of(campaign) and campaign.decision == "block"


# --- the token -------------------------------------------------------------------------


def test_a_token_names_the_recipient_channel_and_topic_and_nothing_can_be_changed() -> None:
    key = b"k" * 48
    text = token.mint(key, "Hannah.Brooks@Example.org", Channel.EMAIL, NOW)

    subject = token.read(text, [key])

    assert (subject.to, subject.channel, subject.topic, subject.issued) == (
        PERSON,
        Channel.EMAIL,
        "marketing",
        NOW,
    )
    for other in (_flip(text), _swap_payload(text, "x@example.org"), text.replace("v1.", "v1.A", 1)):
        with pytest.raises(token.BadToken):
            token.read(other, [key])


def test_a_token_for_another_topic_is_refused_even_when_signed() -> None:
    key = b"k" * 48
    text = token.mint(key, PERSON, Channel.EMAIL, NOW, topic="receipts")

    with pytest.raises(token.BadToken, match="tp: an unsubscribe link stops marketing only"):
        token.read(text, [key])


# --- template.yaml ---------------------------------------------------------------------


def test_only_the_unsubscribe_routes_skip_iam_and_the_function_only_appends_the_ledger() -> None:
    template = local.load_template()
    resources = template["Resources"]
    public = []
    for name, resource in resources.items():
        for event in resource.get("Properties", {}).get("Events", {}).values():
            if event["Type"] == "HttpApi":
                assert event["Properties"]["ApiId"] == {"Ref": "LintHttpApi"}
                if "Auth" in event["Properties"]:
                    public.append((name, event["Properties"]["Method"], event["Properties"]["Path"]))
                    assert event["Properties"]["Auth"] == {"Authorizer": "NONE"}
    assert sorted(public) == [
        ("OneClickUnsubscribeFunction", "GET", "/unsubscribe"),
        ("OneClickUnsubscribeFunction", "POST", "/unsubscribe"),
    ]
    assert resources["LintHttpApi"]["Properties"]["Auth"]["DefaultAuthorizer"] == "AWS_IAM"
    function = resources["OneClickUnsubscribeFunction"]["Properties"]
    assert function["Handler"] == "functions.unsubscribe_link.route.handler"
    assert function["CodeUri"] == "build/lambda/feedback"
    [policy] = function["Policies"]
    granted = {(tuple(s["Action"]), json.dumps(s["Resource"])) for s in policy["Statement"]}
    assert granted == {
        (("dynamodb:Query", "dynamodb:PutItem"), json.dumps({"Fn::GetAtt": ["LedgerTable", "Arn"]})),
        (("ssm:GetParameter",), json.dumps(_key_arn())),
    }


def _key_arn() -> dict[str, str]:
    return {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}:parameter/${AWS::StackName}/unsubscribe-key"
    }


def test_the_guard_may_make_the_key_but_never_replace_it() -> None:
    guard = local.load_template()["Resources"]["GuardFunction"]["Properties"]
    [inline] = [p for p in guard["Policies"] if "Statement" in p]
    on_key = [s for s in inline["Statement"] if s.get("Resource") == _key_arn()]
    assert {(s["Effect"], tuple(s["Action"])) for s in on_key} == {
        ("Allow", ("ssm:GetParameter", "ssm:PutParameter")),
        ("Deny", ("ssm:PutParameter",)),
    }
    [deny] = [s for s in on_key if s["Effect"] == "Deny"]
    assert deny["Condition"] == {"StringEquals": {"ssm:Overwrite": "true"}}
    variables = guard["Environment"]["Variables"]
    assert variables["UNSUBSCRIBE_URL"] == {"Ref": "UnsubscribeUrl"}
    assert variables["UNSUBSCRIBE_KEY_PARAMETER"] == {"Fn::Sub": "/${AWS::StackName}/unsubscribe-key"}


# --- make demo ---------------------------------------------------------------------------


def test_the_demo_shows_one_click_unsubscribe_on_a_moto_server(capsys: pytest.CaptureFixture[str]) -> None:
    """`make demo`'s last part, on its own embedded moto server (the real HTTP path)."""
    import os

    from scripts import demo

    with local.embedded_moto():
        stack = local.provision()
        os.environ.update(stack.function_environment("GuardFunction"))
        os.environ.update(UNSUBSCRIBE_URL=demo.DEMO_UNSUBSCRIBE_URL, POWERTOOLS_METRICS_DISABLED="true")
        local.verify_senders(["hello@northwind.example", "receipts@northwind.example"])
        demo.show_one_click(stack)
    app.reset()

    out = capsys.readouterr().out
    assert f"List-Unsubscribe: <{demo.DEMO_UNSUBSCRIBE_URL}?token=v1." in out
    assert "List-Unsubscribe-Post: List-Unsubscribe=One-Click" in out
    assert "GET  the link (a mail scanner's prefetch): 200, a page with a button; 0 unsubscribe(s)" in out
    assert "POST List-Unsubscribe=One-Click: 200; 1 unsubscribe(s) on the ledger" in out
    marketing = next(line for line in out.splitlines() if "next marketing " in line and "email:" in line)
    assert "block" in marketing and "SG601" in marketing and "quarantined" in marketing
    receipt = next(line for line in out.splitlines() if "next transactional" in line)
    assert "allow" in receipt and "sent" in receipt
    assert "List-Unsubscribe absent (not marketing)" in out


# --- the visible opt-out footer (SG702) carries the same one-click link ----------------------

SENDER = {"sender": {"name": "Northwind", "postal_address": "Northwind Outfitters, 12 Harbour Street, Portland, OR 97201"}}


def test_the_footer_sg702_adds_links_to_the_recipients_own_one_click_route(stack: Sent) -> None:
    # CAN-SPAM wants the address and the opt-out in the message itself, not only in a header.
    set_policy(SENDER)

    send(NEWSLETTER)

    [call] = stack
    text = call["Content"]["Simple"]["Body"]["Text"]["Data"]
    assert "12 Harbour Street, Portland, OR 97201" in text
    assert f"Unsubscribe: {link_of(call)}" in text  # the header's link: one route, one token
    assert "sendguard.invalid" not in text
    assert "SG702" in rules(NEWSLETTER["id"]) and decision(NEWSLETTER["id"])["outcome"] == "sent"


def test_a_footer_whose_link_cannot_be_made_is_never_sent(stack: Sent, monkeypatch: pytest.MonkeyPatch) -> None:
    set_policy(SENDER)
    monkeypatch.delenv("UNSUBSCRIBE_URL")

    [response] = send(NEWSLETTER)

    assert stack == []  # no email with a dead link
    assert len(response["batchItemFailures"]) == 1  # judged again later (then the DLQ)
