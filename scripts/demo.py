"""`make demo`: the whole send guard on an embedded moto server, in one command.

Starts moto on 127.0.0.1 (a free port), creates template.yaml's queues, tables, topic
and policy parameter under the names the template gives them, verifies the sender
domains, loads sample customers, a day of contact history and a stored SES template,
puts the sample send requests on the outbox, and runs the real guard handler on them
the way the SQS event source would (batches of 10, failed records retried until the
queue moves them to the dead-letter queue). Then it prints what was decided, what SES
and SNS actually received (read back from moto), what is in quarantine, and what is
still on the queue. It ends by closing the loop (scripts/demo_loop.py): SES reports a
complaint, the feedback handler writes it to the contact ledger, and the next campaign
email to that person is blocked. Then a reviewer releases one quarantined message
(through the guard: sent once) and denies another (scripts/demo_review.py). Last,
one-click unsubscribe (``show_one_click``): a marketing email the guard sends carries
``List-Unsubscribe`` and ``List-Unsubscribe-Post``; a POST to its link (as a mail client
sends it, RFC 8058) unsubscribes the address; the next marketing email is blocked
(SG601) while a receipt still goes. No AWS account, no network, no process left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from functions import aws, local  # noqa: E402
from functions.review.sample import sample_bodies  # noqa: E402
from scripts.demo_loop import show_feedback_loop  # noqa: E402
from scripts.demo_review import show_review  # noqa: E402

EVENTS = ROOT / "events"
# The stack parameter UnsubscribeUrl, as a deployer passes it (a domain mapped to the
# stack's OneClickUnsubscribeRouteUrl); the demo calls the route's handler directly.
DEMO_UNSUBSCRIBE_URL = "https://links.northwind.example/unsubscribe"


def load_ses_templates() -> int:
    path = EVENTS / "ses-templates.json"
    templates = json.loads(path.read_text("utf-8")) if path.is_file() else []
    for template in templates:
        aws.client("ses").create_template(Template=template)
    return len(templates)


def _request_info(body: str) -> dict[str, Any]:
    from linters.models import RequestError, parse_request

    try:
        request = parse_request(body)
    except RequestError as exc:
        raw = json.loads(body) if body.lstrip().startswith("{") else {}
        return {"id": raw.get("id", "?"), "channel": raw.get("channel", "?"), "error": str(exc)}
    return {"id": request.id, "channel": str(request.channel), "to": request.to}


def _decisions() -> dict[str, dict[str, Any]]:
    items = aws.table(aws.DECISIONS_TABLE).scan()["Items"]
    return {item["id"]: item for item in items}


def _outcome(row: dict[str, Any] | None, info: dict[str, Any]) -> str:
    if "error" in info:
        return f"malformed ({info['error']}): retried, then dead-letter queue"
    if row is None:
        return "not processed"
    if row["quarantined"]:
        return "quarantined"
    decision = row["decision"]
    if decision == "hold":
        return f"held until {row.get('retry_at') or '?'}: back on the outbox, delayed"
    changes = json.loads(row.get("changes") or "[]")
    if changes:
        edits = "; ".join(f"{c['original']!r} -> {c['replacement']!r}" for c in changes[:2])
        return f"sent after rewrite: {edits}"
    return "sent"


def print_decisions(bodies: list[str]) -> None:
    rows = _decisions()
    print(f"\n{'REQUEST':<30} {'CHANNEL':<7} {'DECISION':<8} {'RULES':<22} OUTCOME")
    for body in bodies:
        info = _request_info(body)
        row = rows.get(info["id"])
        decision = row["decision"] if row else "-"
        rules = " ".join(sorted({f["rule"] for f in json.loads(row["findings"])})) if row else "-"
        print(f"{info['id'][:30]:<30} {info['channel']:<7} {decision:<8} {rules:<22} {_outcome(row, info)}")


def _short(text: str, width: int = 88) -> str:
    return textwrap.shorten(" ".join(text.split()), width=width, placeholder=" ...")


def print_received() -> None:
    emails = local.sent_email()
    print(f"\nSES received {len(emails)} email(s) (read back from moto):")
    for message in emails:
        to = ", ".join(message.destinations.get("ToAddresses", []))
        print(f"  {to:<28} {message.subject!r}")
        print(f"  {'':<28} {_short(message.body, 80)}")
    sms = local.sent_sms()
    print(f"\nSNS received {len(sms)} SMS:")
    for phone, text in sms:
        print(f"  {phone:<16} {_short(text, 90)}")


def print_quarantine_and_queues(stack: local.Stack) -> None:
    quarantined = [row for row in _decisions().values() if row["quarantined"]]
    print(f"\nQuarantine ({stack.refs['DecisionsTable']}, quarantined = true): {len(quarantined)}")
    for row in sorted(quarantined, key=lambda r: r["id"]):
        findings = json.loads(row["findings"])
        first = findings[0] if findings else {"rule": "-", "message": ""}
        print(
            f"  {row['id'][:30]:<30} {len(findings)} finding(s), first: {first['rule']} {_short(first['message'], 60)}"
        )
    sqs = aws.client("sqs")
    for logical in ("OutboxQueue", "OutboxDeadLetterQueue"):
        attributes = sqs.get_queue_attributes(QueueUrl=stack.refs[logical], AttributeNames=["All"])[
            "Attributes"
        ]
        print(
            f"\n{stack.attributes[logical]['QueueName']}: "
            f"{attributes['ApproximateNumberOfMessages']} visible, "
            f"{attributes['ApproximateNumberOfMessagesNotVisible']} in flight, "
            f"{attributes['ApproximateNumberOfMessagesDelayed']} delayed"
        )
        if logical == "OutboxDeadLetterQueue":
            dead = sqs.receive_message(
                QueueUrl=stack.refs[logical], MaxNumberOfMessages=10, VisibilityTimeout=0
            )
            for message in dead.get("Messages", []):
                print(f"  {_request_info(message['Body'])['id']}: {_short(message['Body'], 70)}")


def run(verbose: bool) -> int:
    started = time.monotonic()
    with local.embedded_moto() as endpoint:
        print(f"sendguard demo: the send guard on an embedded moto server at {endpoint}\n")
        stack = local.provision()
        os.environ.update(stack.function_environment("GuardFunction"))
        os.environ["UNSUBSCRIBE_URL"] = DEMO_UNSUBSCRIBE_URL
        if not verbose:
            # Keep the table readable: the guard's JSON logs and EMF metrics with --verbose.
            os.environ.update(POWERTOOLS_LOG_LEVEL="ERROR", POWERTOOLS_METRICS_DISABLED="true")
        names = [stack.attributes[q]["QueueName"] for q in ("OutboxQueue", "OutboxDeadLetterQueue")]
        names += [
            stack.refs[t] for t in ("CustomersTable", "LedgerTable", "DecisionsTable", "IdempotencyTable")
        ]
        print("created from template.yaml: " + ", ".join(names))
        print(f"  review topic {stack.refs['ReviewTopic']}, policy parameter {stack.refs['PolicyParameter']}")

        bodies = sample_bodies()
        senders = [json.loads(b).get("from", "") for b in bodies if b.lstrip().startswith("{")]
        print("verified sender domains: " + ", ".join(local.verify_senders(senders)))
        customers, rows = local.seed(EVENTS / "customers.jsonl", EVENTS / "history.jsonl")
        templates = load_ses_templates()
        print(
            f"loaded {customers} customers, {rows} ledger rows (a day of history), {templates} stored SES template(s)"
        )

        sqs = aws.client("sqs")
        for body in bodies:
            sqs.send_message(QueueUrl=stack.refs["OutboxQueue"], MessageBody=body)
        print(f"put {len(bodies)} send requests on {names[0]}; running the guard handler ...")

        from functions.guard import app

        responses = local.drain(stack.refs["OutboxQueue"], stack.arns["OutboxQueue"], app.lambda_handler)
        failures = sum(len(r.get("batchItemFailures", [])) for r in responses)
        print(
            f"guard: {len(responses)} invocations, {failures} batch item failure(s) (a failed record is received again, then moves to the DLQ)"
        )

        print_decisions(bodies)
        print_received()
        print_quarantine_and_queues(stack)
        show_feedback_loop(endpoint, stack=stack.name)
        show_review()  # a reviewer releases one quarantined message and denies another
        show_one_click(stack)
    print(f"\ndone in {time.monotonic() - started:.1f} s; the moto server is stopped.")
    return 0


# --- one-click unsubscribe ------------------------------------------------------------

ONE_CLICK_PERSON = "lucia.ortega@example.net"
ONE_CLICK_CUSTOMER = {
    "customer_id": "c-lucia",
    "first_name": "Lucía",
    "last_name": "Ortega",
    "purchase_count": 5,
    "consent": {"email_marketing": True},
    "timezone": "Europe/Madrid",
}


def one_click_requests(step: str) -> list[dict[str, Any]]:
    """The demo's marketing email to Lucía (``step`` makes each id new) and, after the
    unsubscribe, a receipt to the same address."""
    newsletter = {
        "id": f"one-click-{step}",
        "channel": "email",
        "purpose": "marketing",
        "campaign": f"garden-notes-{step}",
        "from": "hello@northwind.example",
        "to": ONE_CLICK_PERSON,
        "template": {
            "subject": "Garden notes: what to plant before the frost",
            "text": "Hello {{first_name}},\n\nGarlic, broad beans and tulip bulbs all go in before the "
            "first frost. Our planting guide has the depths and spacings.\n\n"
            "Read it at https://northwind.example/guides/autumn-planting\n\nNorthwind",
        },
        "data": {"first_name": "Lucía"},
        "customer": ONE_CLICK_CUSTOMER,
    }
    if step == "first":
        return [newsletter]
    receipt = {
        "id": f"one-click-receipt-{step}",
        "channel": "email",
        "purpose": "transactional",
        "from": "receipts@northwind.example",
        "to": ONE_CLICK_PERSON,
        "template": {
            "subject": "Your Northwind receipt, order NW-40721",
            "text": "Hello {{first_name}},\n\nThanks for your order NW-40721: one pair of pruning shears, "
            "24.00 EUR.\n\nQuestions? Reply to this email.\n\nNorthwind",
        },
        "data": {"first_name": "Lucía"},
        "customer": ONE_CLICK_CUSTOMER,
    }
    return [newsletter, receipt]


def capture_send_email() -> list[dict[str, Any]]:
    """Every SESv2 SendEmail call the guard makes, as botocore sends it (moto keeps no
    headers): the list fills as the guard sends."""
    calls: list[dict[str, Any]] = []

    def keep(params: dict[str, Any], **_: Any) -> None:
        calls.append(json.loads(params["body"]))

    # On the client the guard sends with (a client keeps the events it was made with).
    aws.send_client("sesv2").meta.events.register("before-call.sesv2.SendEmail", keep)
    return calls


def header(call: dict[str, Any], name: str) -> str | None:
    headers = call["Content"]["Simple"].get("Headers", [])
    return next((h["Value"] for h in headers if h["Name"].lower() == name.lower()), None)


def http_event(method: str, url: str, body: str = "") -> dict[str, Any]:
    """The HTTP API (payload 2.0) event for ``method url``, as API Gateway builds it."""
    from urllib.parse import parse_qsl, urlsplit

    parts = urlsplit(url)
    return {
        "version": "2.0",
        "routeKey": f"{method} {parts.path}",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "queryStringParameters": dict(parse_qsl(parts.query)),
        "headers": {"content-type": "application/x-www-form-urlencoded", "host": parts.hostname or ""},
        "requestContext": {
            "http": {"method": method, "path": parts.path},
            "routeKey": f"{method} {parts.path}",
        },
        "body": body,
        "isBase64Encoded": False,
    }


def _unsubscribes(to: str) -> int:
    from datetime import UTC, datetime

    from functions.ledger import read_recent

    _, events = read_recent(aws.table(aws.LEDGER_TABLE), to, datetime.now(UTC), days=0)
    return sum(1 for e in events if e.type == "unsubscribe")


def _send_and_judge(stack: local.Stack, step: str) -> None:
    from functions.guard import app

    sqs = aws.client("sqs")
    for request in one_click_requests(step):
        sqs.send_message(QueueUrl=stack.refs["OutboxQueue"], MessageBody=json.dumps(request))
    local.drain(stack.refs["OutboxQueue"], stack.arns["OutboxQueue"], app.lambda_handler)


def show_one_click(stack: local.Stack) -> None:
    """Print one-click unsubscribe end to end: headers, POST, SG601, the receipt."""
    from functions.local import LocalContext
    from functions.unsubscribe_link import route

    print("\nOne-click unsubscribe (RFC 8058): headers -> POST -> ledger -> next marketing email")
    calls = capture_send_email()  # after the steps above, which start fresh sessions
    _send_and_judge(stack, "first")
    sent = next((c for c in calls if c["Destination"]["ToAddresses"] == [ONE_CLICK_PERSON]), None)
    if sent is None:
        row = _decisions().get("one-click-first", {})
        print(
            f"  the marketing email was not sent: {row.get('decision', 'not judged')} {row.get('findings', '')}"
        )
        return
    link = header(sent, "List-Unsubscribe") or ""
    print(f"  marketing email to {ONE_CLICK_PERSON} sent with:")
    shown = link if len(link) <= 100 else f"{link[:88]}...{link[-8:]}"  # the token is long
    print(f"    List-Unsubscribe: {shown}")
    print(f"    List-Unsubscribe-Post: {header(sent, 'List-Unsubscribe-Post')}")
    url = link.split(",")[0].strip().strip("<>")
    context = LocalContext(function_name="sendguard-unsubscribe-link")
    page = route.handler(http_event("GET", url), context)
    print(
        f"  GET  the link (a mail scanner's prefetch): {page['statusCode']}, a page with a button; "
        f"{_unsubscribes(ONE_CLICK_PERSON)} unsubscribe(s) on the ledger"
    )
    done = route.handler(http_event("POST", url, "List-Unsubscribe=One-Click"), context)
    print(
        f"  POST List-Unsubscribe=One-Click: {done['statusCode']}; "
        f"{_unsubscribes(ONE_CLICK_PERSON)} unsubscribe(s) on the ledger"
    )
    before = len(calls)
    _send_and_judge(stack, "next")
    rows = _decisions()
    for request in one_click_requests("next"):
        row = rows.get(request["id"], {})
        rules = " ".join(sorted({f["rule"] for f in json.loads(row.get("findings") or "[]")})) or "-"
        outcome = "quarantined" if row.get("quarantined") else row.get("outcome", "?")
        print(f"  next {request['purpose']:<13} email: {row.get('decision', '-'):<6} {rules:<12} {outcome}")
        suppressed = [f for f in json.loads(row.get("findings") or "[]") if f["rule"] == "SG601"]
        if suppressed:
            print(f"    SG601: {suppressed[0]['message']}")
    for call in calls[before:]:
        print(
            f"  SES received {call['Content']['Simple']['Subject']['Data']!r}: List-Unsubscribe "
            f"{'present' if header(call, 'List-Unsubscribe') else 'absent (not marketing)'}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--verbose", action="store_true", help="show the guard's JSON logs and EMF metrics")
    return run(parser.parse_args().verbose)


if __name__ == "__main__":
    sys.exit(main())
