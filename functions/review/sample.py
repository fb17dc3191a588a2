"""A quarantine to review without an AWS account: the demo's, on an embedded moto.

``sendguard review --serve`` with no endpoint, stack or table variables uses it, and
so does the console's browser test: template.yaml's resources on a moto server on
127.0.0.1, the sample customers, history and stored templates, and the sample send
requests run through the real guard handler (some are sent, some quarantined).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from functions import aws, local

EVENTS = local.ROOT / "events"


def sample_bodies(events: Path = EVENTS) -> list[str]:
    """events/requests/*.json, then events/guard-requests.jsonl: one body each."""
    bodies = [
        json.dumps(json.loads(p.read_text("utf-8"))) for p in sorted((events / "requests").glob("*.json"))
    ]
    extra = events / "guard-requests.jsonl"
    if extra.is_file():
        bodies += [line for line in extra.read_text("utf-8").splitlines() if line.strip()]
    return bodies


def load_demo_quarantine(events: Path = EVENTS) -> local.Stack:
    """Provision, seed and run the sample requests through the guard (moto must be up)."""
    # Quiet unless asked: the guard's JSON log lines would bury the console's own output.
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    os.environ.setdefault("POWERTOOLS_METRICS_DISABLED", "true")
    from functions.guard import app

    stack = local.provision()
    os.environ.update(stack.function_environment("GuardFunction"))
    app.reset()
    bodies = sample_bodies(events)
    local.verify_senders([json.loads(b).get("from", "") for b in bodies if b.lstrip().startswith("{")])
    local.seed(events / "customers.jsonl", events / "history.jsonl")
    templates = json.loads((events / "ses-templates.json").read_text("utf-8"))
    for template in templates:
        aws.client("ses").create_template(Template=template)
    sqs = aws.client("sqs")
    for body in bodies:
        sqs.send_message(QueueUrl=stack.refs["OutboxQueue"], MessageBody=body)
    local.drain(stack.refs["OutboxQueue"], stack.arns["OutboxQueue"], app.lambda_handler)
    return stack


@contextlib.contextmanager
def stack_for(args: Any) -> Iterator[str]:
    """The stack the CLI names, or (naming none) an embedded moto with the demo's quarantine."""
    if args.endpoint_url or args.stack or os.environ.get(aws.DECISIONS_TABLE):
        yield f"against {args.endpoint_url or args.stack or os.environ[aws.DECISIONS_TABLE]}"
        return
    with local.embedded_moto() as endpoint:
        load_demo_quarantine()
        yield f"embedded moto at {endpoint} with the demo's quarantine (stack {local.STACK_NAME})"
