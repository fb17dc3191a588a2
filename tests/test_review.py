"""Review and release on moto: states, the audit record, release through the guard
(at most one send; suppression and consent never waived), the CLI and the console routes."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto import mock_aws

from functions import aws, ledger, local
from functions.guard import app, delivery, handler
from functions.review import console, release, store
from linters.models import Event, RequestError
from sendguard import _entry as cli  # the console script: linters.cli with the AWS commands

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
REVIEWER = "arn:aws:sts::123456789012:assumed-role/Reviewer/dana"

# Blocked by SG103 (an unfilled merge tag): a reviewer may judge it fine to send. It carries
# the footer of a real marketing email (address and opt-out), so SG702 has nothing to say.
BOOTS: dict[str, Any] = {
    "id": "winter-boots-julia",
    "channel": "email",
    "purpose": "marketing",
    "campaign": "winter-boots",
    "from": "news@northwind.example",
    "to": "j.alvarez@example.com",
    "template": {
        "subject": "Boots for the first snow",
        "text": "Hi {{first_name}},\n\nOur lined winter boots are back in your size. "
        "See them here: {{boots_url}}\n\nNorthwind Outfitters, 12 Harbour Street, Portland, OR 97201\n"
        "Unsubscribe: https://northwind.example/unsubscribe",
    },
    "data": {"first_name": "Julia"},
    "customer": {
        "customer_id": "c-4004",
        "first_name": "Julia",
        "last_name": "Alvarez",
        "purchase_count": 3,
        "consent": {"email_marketing": True},
    },
    "now": "2026-11-20T15:00:00Z",
}


def variant(source: dict[str, Any], **changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(source)
    body.update(changes)
    return body


# Blocked by SG602 (marketing without consent): can only be denied.
NO_CONSENT = variant(
    BOOTS,
    id="winter-boots-omar",
    to="omar.h@example.com",
    data={"first_name": "Omar", "boots_url": "https://northwind.example/boots"},
    customer={"customer_id": "c-omar", "first_name": "Omar", "last_name": "Haddad", "purchase_count": 1},
)
# A second releasable one, in another campaign.
SCARF = variant(
    BOOTS,
    id="scarf-restock-li",
    campaign="scarf-restock",
    to="li.wen@example.com",
    data={"first_name": "Li"},
    customer={**BOOTS["customer"], "customer_id": "c-li", "first_name": "Li", "last_name": "Wen"},
)


@pytest.fixture
def stack(monkeypatch: pytest.MonkeyPatch) -> Iterator[local.Stack]:
    for key, value in local.LOCAL_ENVIRONMENT.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv(release.GUARD_FUNCTION, raising=False)
    monkeypatch.setenv("REVIEW_CONSOLE_URL", "http://127.0.0.1:8047/review")
    monkeypatch.setattr(app, "clock", lambda: NOW)
    with mock_aws():
        app.reset()
        created = local.provision()
        for key, value in created.function_environment("GuardFunction").items():
            monkeypatch.setenv(key, value)
        local.verify_senders(["x@northwind.example"])
        yield created
        app.reset()


def run_guard(stack: local.Stack, *bodies: dict[str, Any]) -> None:
    for body in bodies:
        aws.client("sqs").send_message(QueueUrl=stack.refs["OutboxQueue"], MessageBody=json.dumps(body))
    local.drain(stack.refs["OutboxQueue"], stack.arns["OutboxQueue"], app.lambda_handler)


def sent_to(address: str) -> int:
    return sum(address in m.destinations.get("ToAddresses", []) for m in local.sent_email())


def row(key: str) -> dict[str, Any]:
    return aws.table(aws.DECISIONS_TABLE).get_item(Key={"id": key})["Item"]


def unsubscribe(address: str) -> None:
    event = Event.model_validate({"type": "unsubscribe", "at": "2026-11-20T14:00:00Z", "channel": "email"})
    ledger.put_event(aws.table(aws.LEDGER_TABLE), address, event)


# --- states and the audit record ------------------------------------------------------


def test_quarantined_rows_are_pending_with_campaign_and_rules(stack: local.Stack) -> None:
    run_guard(stack, BOOTS, NO_CONSENT, SCARF)
    pending = store.find(store.Filters(), datetime.now(UTC))
    assert {r["id"]: store.rules_of(r) for r in pending} == {
        "winter-boots-julia": ["SG103"],
        "winter-boots-omar": ["SG602"],
        "scarf-restock-li": ["SG103"],
    }
    by_campaign = store.find(store.Filters(campaign="winter-boots"), datetime.now(UTC))
    assert {r["id"] for r in by_campaign} == {"winter-boots-julia", "winter-boots-omar"}
    assert [r["id"] for r in store.find(store.Filters(rule="sg602"), datetime.now(UTC))] == [
        "winter-boots-omar"
    ]
    later = datetime.now(UTC) + timedelta(days=1)
    assert store.find(store.Filters(since=later), datetime.now(UTC)) == []


def test_release_sends_once_through_the_guard_and_records_who_when_why(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    assert sent_to(BOOTS["to"]) == 0
    outcome = release.release("winter-boots-julia", "checked: the link is added by the footer", REVIEWER)
    assert (outcome.state, outcome.detail, outcome.rules) == ("released", "sent", ["SG103"])
    assert sent_to(BOOTS["to"]) == 1
    item = row("winter-boots-julia")
    assert item["review_state"] == "released" and item["outcome"] == "sent" and item["provider_id"]
    assert item["review_by"] == REVIEWER and item["review_override"] == ["SG103"]
    assert item["review_reason"] == "checked: the link is added by the footer"
    assert [(e["state"], e["by"]) for e in item["review_log"]] == [("released", REVIEWER)]
    # The override is on record: the finding is kept, as a warning.
    assert [f["action"] for f in json.loads(item["findings"])] == ["warn"]
    assert delivery.load("winter-boots-julia").state == delivery.SENT


def test_release_twice_resend_and_redelivery_send_one_message(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    release.release("winter-boots-julia", "fine to send", REVIEWER)
    with pytest.raises(store.AlreadyDecided, match="already released"):
        release.release("winter-boots-julia", "clicked again", REVIEWER)
    with pytest.raises(store.AlreadyDecided):
        release.deny("winter-boots-julia", "changed my mind", REVIEWER)
    # The guard's side called again (a retried invoke) and the original request redelivered.
    again = release.send_released("winter-boots-julia")
    assert (again["outcome"], again["state"]) == ("duplicate", "sent")
    assert "already sent by another release" in again["detail"]
    assert (
        handler.lambda_handler({"sendguard_release": {"id": "winter-boots-julia"}}, local.LocalContext())[
            "outcome"
        ]
        == "duplicate"
    )
    run_guard(stack, BOOTS)
    assert sent_to(BOOTS["to"]) == 1


def test_concurrent_reviewers_one_wins(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    store.transition("winter-boots-julia", store.DENIED, "arn:aws:iam::1:user/a", "spam", datetime.now(UTC))
    with pytest.raises(store.AlreadyDecided, match="already denied"):
        store.transition(
            "winter-boots-julia", store.RELEASED, "arn:aws:iam::1:user/b", "ok", datetime.now(UTC)
        )
    with pytest.raises(store.AlreadyDecided):
        release.release("winter-boots-julia", "ok", "arn:aws:iam::1:user/b")
    assert sent_to(BOOTS["to"]) == 0


def test_deny_keeps_it_unsent_for_good(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    outcome = release.deny("winter-boots-julia", "campaign was cancelled", REVIEWER)
    assert outcome.state == "denied"
    item = row("winter-boots-julia")
    assert (item["review_state"], item["review_reason"], item["review_by"]) == (
        "denied",
        "campaign was cancelled",
        REVIEWER,
    )
    run_guard(stack, BOOTS)  # the producer sends it again: still a duplicate of a quarantine
    assert release.send_released("winter-boots-julia")["outcome"] == "refused"
    assert sent_to(BOOTS["to"]) == 0


def test_a_reason_is_required(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    with pytest.raises(RequestError, match="reason"):
        release.release("winter-boots-julia", "  ", REVIEWER)
    with pytest.raises(RequestError, match="reason"):
        release.deny("winter-boots-julia", "", REVIEWER)
    assert "review_state" not in row("winter-boots-julia")


def test_pending_past_the_window_is_expired(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    old = (datetime.now(UTC) - store.REVIEW_WINDOW - timedelta(hours=1)).isoformat()
    aws.table(aws.DECISIONS_TABLE).update_item(
        Key={"id": "winter-boots-julia"},
        UpdateExpression="SET #at = :at",
        ExpressionAttributeNames={"#at": "at"},
        ExpressionAttributeValues={":at": old},
    )
    assert store.state_of(row("winter-boots-julia"), datetime.now(UTC)) == "expired"
    with pytest.raises(release.ReleaseRefused, match="expired"):
        release.release("winter-boots-julia", "late", REVIEWER)
    assert row("winter-boots-julia")["review_state"] == "expired"
    assert sent_to(BOOTS["to"]) == 0


# --- suppression and consent are never waived -----------------------------------------


def test_consent_cannot_be_released_or_accepted(stack: local.Stack) -> None:
    run_guard(stack, NO_CONSENT)
    with pytest.raises(release.ReleaseRefused, match="SG602"):
        release.release("winter-boots-omar", "they said yes on the phone", REVIEWER)
    with pytest.raises(RequestError, match="never be waived"):
        release.release("winter-boots-omar", "they said yes", REVIEWER, accept={"SG602"})
    assert "review_state" not in row("winter-boots-omar")
    # Calling hours are a legal floor (47 CFR 64.1200(c)(1)): no reviewer accepts them.
    with pytest.raises(RequestError, match="calling hours stand"):
        release.release("winter-boots-omar", "they asked for an early call", REVIEWER, accept={"SG609"})
    assert release.deny("winter-boots-omar", "no consent", REVIEWER).state == "denied"
    assert sent_to(NO_CONSENT["to"]) == 0


def test_suppression_after_quarantine_stops_a_release_even_if_policy_turns_sg601_off(
    stack: local.Stack,
) -> None:
    run_guard(stack, BOOTS)
    unsubscribe(BOOTS["to"])
    aws.client("ssm").put_parameter(
        Name=stack.refs["PolicyParameter"], Value=json.dumps({"rules": {"SG601": "off"}}), Overwrite=True
    )
    app.reset()
    with pytest.raises(release.ReleaseRefused, match="SG601"):
        release.release("winter-boots-julia", "fine", REVIEWER)
    assert "review_state" not in row("winter-boots-julia")
    assert sent_to(BOOTS["to"]) == 0


def test_suppression_between_release_and_send_is_caught_by_the_guard(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    unsent: list[str] = []
    release.release("winter-boots-julia", "fine", REVIEWER, send=unsent.append)  # the invoke is delayed
    assert unsent == ["winter-boots-julia"]
    unsubscribe(BOOTS["to"])
    answer = release.send_released("winter-boots-julia")
    assert answer["outcome"] == "refused" and "SG601" in answer["detail"]
    assert row("winter-boots-julia")["release_outcome"].startswith("refused")
    assert sent_to(BOOTS["to"]) == 0


def test_still_stopped_by_another_rule_is_refused(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    with pytest.raises(release.ReleaseRefused, match="still block"):
        release.release("winter-boots-julia", "fine", REVIEWER, accept=set())
    assert "review_state" not in row("winter-boots-julia")


def test_the_guard_acts_only_on_a_reviewed_release(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)
    forged = handler.lambda_handler({"sendguard_release": {"id": "winter-boots-julia"}}, local.LocalContext())
    assert forged["outcome"] == "refused"
    assert handler.lambda_handler({"sendguard_release": {}}, local.LocalContext())["outcome"] == "refused"
    assert sent_to(BOOTS["to"]) == 0


def test_notice_links_the_console_and_carries_no_personal_data(stack: local.Stack) -> None:
    sqs = aws.client("sqs")
    queue = sqs.create_queue(QueueName="review-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws.client("sns").subscribe(
        TopicArn=stack.refs["ReviewTopic"],
        Protocol="sqs",
        Endpoint=arn,
        Attributes={"RawMessageDelivery": "true"},
    )
    run_guard(stack, BOOTS)
    message = sqs.receive_message(QueueUrl=queue)["Messages"][0]["Body"]
    notice = json.loads(message)
    assert notice["console"] == "http://127.0.0.1:8047/review#item=winter-boots-julia"
    for personal in ("alvarez", "julia@", "j.alvarez", "Julia", "boots are back"):
        assert personal.lower() not in message.lower().replace("winter-boots-julia", "")


# --- the CLI ------------------------------------------------------------------------------


def test_cli_list_show_and_batch_release_with_dry_run(
    stack: local.Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    run_guard(stack, BOOTS, NO_CONSENT, SCARF)
    capsys.readouterr()  # the guard's log lines
    assert cli.main(["review", "list", "--format", "json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {r["id"] for r in listed} == {"winter-boots-julia", "winter-boots-omar", "scarf-restock-li"}
    assert cli.main(["review", "show", "scarf-restock-li"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["parts"][1]["marks"][0]["rule"] == "SG103"

    assert cli.main(["review", "release", "--rule", "SG103", "--reason", "links checked", "--dry-run"]) == 0
    assert "2 of 2 released (dry run)" in capsys.readouterr().err
    assert sent_to(BOOTS["to"]) == sent_to(SCARF["to"]) == 0

    assert cli.main(["review", "release", "--campaign", "winter-boots", "--reason", "links checked"]) == 1
    err = capsys.readouterr().err
    assert "winter-boots-omar: not released" in err and "1 of 2 released" in err
    assert sent_to(BOOTS["to"]) == 1 and sent_to(NO_CONSENT["to"]) == 0
    assert row("winter-boots-julia")["review_by"].startswith("arn:aws:")  # moto's STS caller

    assert cli.main(["review", "deny", "scarf-restock-li", "winter-boots-omar", "--reason", "stale"]) == 0
    capsys.readouterr()
    assert cli.main(["review", "list", "--state", "all", "--format", "json"]) == 0
    states = {r["id"]: r["state"] for r in json.loads(capsys.readouterr().out)}
    assert states == {
        "winter-boots-julia": "released",
        "winter-boots-omar": "denied",
        "scarf-restock-li": "denied",
    }


def test_cli_refuses_batches_without_reason_or_target_or_over_500(
    stack: local.Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    run_guard(stack, BOOTS)
    with pytest.raises(SystemExit):
        cli.main(["review", "release", "winter-boots-julia"])
    assert cli.main(["review", "release", "--reason", "x"]) == 2
    assert "--rule" in capsys.readouterr().err
    ids = [f"id-{n}" for n in range(501)]
    assert cli.main(["review", "deny", *ids, "--reason", "x"]) == 2
    assert "at most 500" in capsys.readouterr().err
    assert cli.main(["review", "release", "winter-boots-julia", "--reason", "x", "--accept", "SG601"]) == 2
    assert "never be waived" in capsys.readouterr().err
    assert "review_state" not in row("winter-boots-julia")


# --- the console's routes -------------------------------------------------------------------


def call(method: str, path: str, body: Any = None, who: str | None = REVIEWER) -> tuple[int, Any]:
    event = console.http_event(
        method, path, {"content-type": "application/json"}, json.dumps(body or {}), who or ""
    )
    if who is None:
        event["requestContext"].pop("authorizer")
    answer = console.app.resolve(event, None)
    text = answer["body"]
    return answer["statusCode"], (json.loads(text) if text.startswith(("{", "[")) else text)


def test_console_routes_list_show_release_deny(stack: local.Stack) -> None:
    run_guard(stack, BOOTS, SCARF)
    status, page = call("GET", "/review")
    assert status == 200 and "<script>" in page
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", page)  # no external assets
    status, listed = call("GET", "/review/items?rule=SG103")
    assert status == 200 and {r["id"] for r in listed} == {"winter-boots-julia", "scarf-restock-li"}
    status, shown = call("GET", "/review/item?id=winter-boots-julia")
    text = next(p for p in shown["parts"] if p["part"] == "text")
    mark = text["marks"][0]
    assert text["text"][mark["start"] : mark["end"]] == "{{boots_url}}" or mark["rule"] == "SG103"
    assert call("POST", "/review/release", {"id": "winter-boots-julia"})[0] == 400  # no reason
    assert call("POST", "/review/release", {"id": "winter-boots-julia", "reason": "ok"}, who=None)[0] == 403
    status, outcome = call("POST", "/review/release", {"id": "winter-boots-julia", "reason": "ok"})
    assert (status, outcome["state"], outcome["detail"]) == (200, "released", "sent")
    assert call("POST", "/review/release", {"id": "winter-boots-julia", "reason": "ok"})[0] == 409
    assert call("POST", "/review/deny", {"id": "scarf-restock-li", "reason": "stale"})[1]["state"] == "denied"
    assert call("GET", "/review/item?id=nope")[0] == 404
    assert row("winter-boots-julia")["review_by"] == REVIEWER
    assert sent_to(BOOTS["to"]) == 1 and sent_to(SCARF["to"]) == 0


def test_local_console_refuses_other_hosts_and_form_posts() -> None:
    import http.client
    import threading

    server = console.console_server("arn:aws:iam::123456789012:user/dana")
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_port

        def status(method: str, headers: dict[str, str], body: str = "") -> int:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request(method, "/review/deny", body=body, headers=headers)
            return connection.getresponse().status

        rebinding = {"Host": "evil.example", "Content-Type": "application/json"}
        assert status("POST", rebinding, '{"id": "x", "reason": "y"}') == 403
        form = {"Host": f"127.0.0.1:{port}", "Content-Type": "text/plain"}
        assert status("POST", form, '{"id": "x", "reason": "y"}') == 403
    finally:
        server.shutdown()
        server.server_close()


def test_deployed_release_invokes_the_guard_which_sends(
    stack: local.Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With GUARD_FUNCTION_NAME (the review function's setting) the review side only
    records the release and invokes the guard; the guard's handler does the send."""
    import io

    from botocore.stub import Stubber

    run_guard(stack, BOOTS)
    monkeypatch.setenv(release.GUARD_FUNCTION, "sendguard-GuardFunction")
    invoked: list[dict[str, Any]] = []
    lambda_client = aws.invoke_client()
    with Stubber(lambda_client) as stubber:
        payload = json.dumps({"sendguard_release": {"id": "winter-boots-julia"}}).encode()
        stubber.add_response(
            "invoke",
            {"StatusCode": 200, "Payload": io.BytesIO(b'{"outcome": "sent"}')},
            {"FunctionName": "sendguard-GuardFunction", "Payload": payload},
        )
        outcome = release.release("winter-boots-julia", "fine", REVIEWER)
        stubber.assert_no_pending_responses()
        invoked.append(json.loads(payload))
    assert outcome.detail == "sent" and sent_to(BOOTS["to"]) == 0  # the stub did not send
    answer = handler.lambda_handler(invoked[0], local.LocalContext())  # what the guard then does
    assert answer["outcome"] == "sent" and sent_to(BOOTS["to"]) == 1


def test_a_failed_send_after_release_is_retried_by_releasing_again(stack: local.Stack) -> None:
    run_guard(stack, BOOTS)

    def unreachable(key: str) -> dict[str, Any]:
        raise ConnectionError("the guard function could not be reached")

    with pytest.raises(release.SendFailed, match="release it again"):
        release.release("winter-boots-julia", "fine", REVIEWER, send=unreachable)
    item = row("winter-boots-julia")
    assert item["review_state"] == "released" and item["release_outcome"].startswith(
        "failed: ConnectionError"
    )
    outcome = release.release("winter-boots-julia", "retry the send", REVIEWER)
    assert (outcome.state, outcome.detail) == ("released", "resumed: sent")
    assert [e["state"] for e in row("winter-boots-julia")["review_log"]] == ["released"]  # decided once
    with pytest.raises(store.AlreadyDecided):
        release.release("winter-boots-julia", "again", REVIEWER)
    assert sent_to(BOOTS["to"]) == 1


def test_cli_list_prints_ids_and_campaigns_with_controls_escaped(
    stack: local.Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    # Ids and campaigns are the senders' text: ESC, BEL, CR, C1 CSI, U+2028 and a line
    # that would be a GitHub workflow command must not reach the terminal as they are.
    hostile = variant(
        BOOTS, id="boots\x1b[2J\x07\r\n::error::pwned\x9b\u2028", campaign="c\n::stop-commands::t"
    )
    run_guard(stack, hostile)
    capsys.readouterr()

    assert cli.main(["review", "list"]) == 0
    out, err = capsys.readouterr()

    assert re.search("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029]", out + err) is None
    assert not any(line.lstrip().startswith("::") for line in (out + err).split("\n"))
    assert "boots\\x1b[2J\\x07\\r\\n" in out and "c\\n::stop-comman" in out
    assert len(out.strip().split("\n")) == 2  # the header and one message
    assert cli.main(["review", "list", "--format", "json"]) == 0
    assert [r["id"] for r in json.loads(capsys.readouterr().out)] == [hostile["id"]]
