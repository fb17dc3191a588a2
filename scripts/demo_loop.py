"""The end of `make demo`: a complaint arrives, and the next campaign email is blocked.

``show_feedback_loop(endpoint_url)`` runs against the moto server the guard demo
started, whose resources carry the names template.yaml gives them
(``<stack>-ledger``, ...). It feeds SES's complaint notification
(events/ses-complaint.json) to the real feedback handler, then asks the real lint API
handler (``POST /check``, which reads the contact ledger exactly as the guard does)
about the same campaign email before and after. Nothing is sent.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

COMPLAINT_EVENT = ROOT / "events" / "ses-complaint.json"
# The day after the demo's history: the winter-sale email of 2026-11-20 09:05 no longer
# fills the 24-hour frequency cap (SG603), so only the complaint can stop the campaign.
LOOP_NOW = "2026-11-21T15:00:00Z"
CONTEXT = SimpleNamespace(
    function_name="sendguard-lint-api",
    memory_limit_in_mb=512,
    invoked_function_arn="arn:aws:lambda:us-east-1:123456789012:function:sendguard-lint-api",
    aws_request_id="demo-loop",
)


def campaign_email(to: str, request_id: str) -> dict[str, Any]:
    return {
        "id": request_id,
        "channel": "email",
        "purpose": "marketing",
        "campaign": "autumn-catalogue",
        "from": "hello@northwind.example",
        "to": to,
        "template": {
            "subject": "The autumn catalogue is out",
            "text": "Hi {{first_name}},\n\nOur autumn catalogue is out: wool coats, rain boots and new "
            "scarves.\n\nBrowse it at https://northwind.example/autumn\n\nNorthwind Outfitters, "
            "12 Harbour Street, Portland, OR 97201\nUnsubscribe: https://northwind.example/unsubscribe",
        },
        "data": {"first_name": "Maggie"},
        "customer": {
            "customer_id": "c-maggie",
            "first_name": "Margaret",
            "preferred_name": "Maggie",
            "last_name": "Okafor",
            "purchase_count": 12,
            "consent": {"email_marketing": True},
            "timezone": "Europe/London",
        },
        "now": LOOP_NOW,
    }


def _check(request: dict[str, Any]) -> dict[str, Any]:
    from functions.lint_api.app import handler

    event = json.loads((ROOT / "events" / "api-check.json").read_text())
    event["body"] = json.dumps(request)
    # The route that reads the ledger, as the guard does (LintApiRecordReads=enabled).
    event["rawPath"] = event["requestContext"]["http"]["path"] = "/check/stored"
    event["routeKey"] = event["requestContext"]["routeKey"] = "POST /check/stored"
    response = handler(event, CONTEXT)
    return json.loads(response["body"])


def _line(label: str, result: dict[str, Any]) -> str:
    rules = ", ".join(sorted({f["rule"] for f in result.get("findings", [])})) or "-"
    return f"  {label:<34} {result.get('decision', 'error'):<8} {rules}"


def show_feedback_loop(endpoint_url: str, stack: str = "sendguard") -> None:
    """Print the loop: campaign allowed, complaint recorded, same campaign blocked (SG601)."""
    from functions import aws
    from functions.feedback import app as feedback
    from functions.lint_api import app as lint_api
    from functions.local import LocalContext

    notification = json.loads(COMPLAINT_EVENT.read_text())
    complaint = json.loads(notification["Records"][0]["Sns"]["Message"])
    person = complaint["complaint"]["complainedRecipients"][0]["emailAddress"]
    region = os.environ.get("AWS_DEFAULT_REGION", "us-east-1")
    settings = {
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_DEFAULT_REGION": region,
        "AWS_ACCESS_KEY_ID": os.environ.get("AWS_ACCESS_KEY_ID", "testing"),
        "AWS_SECRET_ACCESS_KEY": os.environ.get("AWS_SECRET_ACCESS_KEY", "testing"),
        "LEDGER_TABLE": f"{stack}-ledger",
        # The feedback function takes SES notifications from the stack's topic only; the
        # sample complaint (events/ses-complaint.json) names the local stack's topic.
        "FEEDBACK_TOPIC_ARN": f"arn:aws:sns:{region}:123456789012:{stack}-ses-feedback",
        "LINT_API_RECORD_READS": "enabled",
    }
    loggers = (feedback.logger, lint_api.logger)
    levels = [logger.log_level for logger in loggers]
    with aws.environment(settings):
        aws.reset()
        for logger in loggers:  # the demo prints its own table
            logger.setLevel("WARNING")
        try:
            print("\nClosing the loop: SES complaint -> contact ledger -> next campaign email")
            before = _check(campaign_email(person, "loop-before"))
            print(_line("campaign email, before:", before))
            outcome = feedback.handler(notification, LocalContext(function_name="sendguard-feedback"))
            print(
                f"  {'complaint notification (SNS):':<34} {outcome['written']} event(s) written to the ledger"
            )
            after = _check(campaign_email(person, "loop-after"))
            print(_line("same campaign email, after:", after))
            if after.get("decision") == "block":
                reason = next((f["message"] for f in after["findings"] if f["rule"] == "SG601"), "")
                print(f"  blocked: {reason}")
        finally:
            aws.reset()
            for logger, level in zip(loggers, levels, strict=True):
                logger.setLevel(level)


if __name__ == "__main__":
    show_feedback_loop(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000")
