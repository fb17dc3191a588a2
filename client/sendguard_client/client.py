"""One call puts one send request on the outbox queue."""

from __future__ import annotations

import json
import os
import uuid
from typing import Any

# The guard refuses anything larger (SQS's own limit is 256 KiB per message).
MAX_MESSAGE_BYTES = 256 * 1024
REQUIRED = ("channel", "to", "template")
CHANNELS = ("email", "sms", "push")  # what the guard delivers; voice scripts: `sendguard check`
# Contacts the guard never delivers: asked about before and recorded after instead.
NOT_DELIVERED = ("postal", "in_app")


class OutboxError(ValueError):
    """A request the outbox would only reject later; the message names the field."""


def build_message(request: dict[str, Any]) -> dict[str, Any]:
    """Check the few fields the outbox needs and give the request an ``id`` if it has none.

    Deeper validation is the guard's (it reports any other problem with the field
    named, and never sends what it cannot judge); this only catches what would make
    the message impossible to route or deduplicate.
    """
    if not isinstance(request, dict):
        raise OutboxError(f"a send request is a dict, not {type(request).__name__}")
    for name in REQUIRED:
        if not request.get(name):
            raise OutboxError(f"{name}: required field is missing")
    if request["channel"] in NOT_DELIVERED:
        raise OutboxError(
            f"channel: the guard does not deliver {request['channel']}; ask before with "
            "sendguard_client.ask (POST /contacts/ask) and record it after with sendguard_client.record"
        )
    if request["channel"] not in CHANNELS:
        raise OutboxError(f"channel: must be one of {', '.join(CHANNELS)}")
    message = dict(request)
    message.setdefault("id", str(uuid.uuid4()))
    return message


def _queue_url(queue_url: str | None) -> str:
    url = queue_url or os.environ.get("OUTBOX_QUEUE_URL")
    if not url:
        raise OutboxError("queue_url: pass it or set OUTBOX_QUEUE_URL")
    return url


def send(request: dict[str, Any], *, queue_url: str | None = None, sqs: Any = None) -> str:
    """Put ``request`` on the outbox; returns the request ``id`` (the idempotency key).

    ``queue_url`` defaults to ``$OUTBOX_QUEUE_URL``; ``sqs`` to a new boto3 SQS client.
    Sending the same ``id`` twice is safe: the guard sends it once.
    """
    message = build_message(request)
    body = json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str)
    if len(body.encode("utf-8")) > MAX_MESSAGE_BYTES:
        raise OutboxError(f"the request is larger than {MAX_MESSAGE_BYTES // 1024} KiB")
    url = _queue_url(queue_url)
    if sqs is None:
        import boto3

        sqs = boto3.client("sqs")
    if url.endswith(".fifo"):
        # The guard re-queues held requests with a per-message delay, which FIFO queues refuse.
        raise OutboxError("queue_url: the outbox is a standard queue (template.yaml), not a FIFO queue")
    sqs.send_message(QueueUrl=url, MessageBody=body)
    return message["id"]
