"""The public unsubscribe route (OneClickUnsubscribeFunction): ``GET`` and ``POST
/unsubscribe?token=...`` on the stack's HTTP API, the only routes there without IAM auth.

- ``POST`` (RFC 8058): the body is ``List-Unsubscribe=One-Click`` (form-urlencoded, or
  multipart/form-data as the RFC's example sends it). A genuine token unsubscribes its
  recipient at once: an ``unsubscribe`` event with purpose marketing on the token's
  channel goes to the contact ledger, and the answer is 200. SG601 then blocks the next
  marketing message on that channel; receipts and password resets still go. An address
  already unsubscribed there is answered 200 and nothing more is written.
- ``GET``: a confirmation page with a button (a form that POSTs the same body). It never
  unsubscribes by itself: mail scanners and link previews fetch every link in a message.

Refused, with nothing written: no token or one not shaped like one (400), a token whose
signature does not match, forged or altered (403), a POST without the RFC 8058 body
(400), another method (405). The messages name the field. When the key or the ledger
cannot be reached the answer is 503 with ``Retry-After``: nothing was written, and a
mail provider's one-click POST is tried again.

Nothing here logs the token or the address (the link is personal data); the HTTP API's
access log records the route key, not the path or query.
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import re
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext
from botocore.exceptions import BotoCoreError, ClientError

from functions import aws
from functions.feedback.records import ledger_table, record
from functions.ledger import read_recent
from functions.unsubscribe_link import keys, page, token
from linters.models import Event, Purpose

MAX_BODY_BYTES = 4096  # the RFC 8058 body is 26 bytes; a multipart one a few hundred
ONE_CLICK = ("List-Unsubscribe", "One-Click")
UNAVAILABLE = "Unsubscribing is not available just now; please try again in a few minutes."

logger = Logger(service="sendguard-unsubscribe-link")
metrics = Metrics(namespace="sendguard", service="sendguard-unsubscribe-link")


class Refused(Exception):
    """A request answered with an error page and nothing written."""

    def __init__(self, status: int, problem: str, extra: dict[str, str] | None = None) -> None:
        super().__init__(problem)
        self.status, self.problem, self.extra = status, problem, extra or {}


def _field(value: Any, name: str) -> Any:
    """``value[name]`` when ``value`` is an object, else None (every input may be hostile)."""
    return value.get(name) if isinstance(value, dict) else None


def _method(event: dict[str, Any]) -> str:
    method = _field(_field(event.get("requestContext"), "http"), "method")
    if not isinstance(method, str):
        raise Refused(400, "requestContext.http.method: not an HTTP API request")
    return method.upper()


def _token(event: dict[str, Any]) -> str:
    value = _field(event.get("queryStringParameters"), "token")
    if not isinstance(value, str) or not value:
        raise Refused(400, "token: missing (the link carries it as ?token=...)")
    return value


def _body(event: dict[str, Any]) -> bytes:
    body = event.get("body") or ""
    if not isinstance(body, str):
        raise Refused(400, "body: not text")
    if len(body) > MAX_BODY_BYTES * 2:
        raise Refused(
            400, f"body: larger than {MAX_BODY_BYTES} bytes; one-click sends List-Unsubscribe=One-Click"
        )
    if not event.get("isBase64Encoded"):
        return body.encode("utf-8", "replace")
    try:
        return base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        raise Refused(400, "body: marked base64 but not base64") from None


# A form-data part named List-Unsubscribe, for bodies the MIME parser cannot split (a
# boundary with characters that should have been quoted, as some senders write it).
_ONE_CLICK_PART = re.compile(
    rb'name="?List-Unsubscribe"?[^\r\n]*\r?\n(?:[^\r\n]+\r?\n)*\r?\n\s*One-Click\s*\r?\n'
)


def _multipart_fields(content_type: str, body: bytes) -> list[tuple[str, str]]:
    parser = email.parser.BytesParser(policy=email.policy.HTTP)
    message = parser.parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode("latin-1", "replace") + body)
    if not message.is_multipart():
        return [ONE_CLICK] if _ONE_CLICK_PART.search(body) else []
    fields = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if isinstance(name, str):
            fields.append((name, payload.decode("utf-8", "replace").strip()))
    return fields


def is_one_click(event: dict[str, Any]) -> bool:
    """Whether the POST body is RFC 8058's ``List-Unsubscribe=One-Click``."""
    body = _body(event)
    if len(body) > MAX_BODY_BYTES:
        raise Refused(
            400, f"body: larger than {MAX_BODY_BYTES} bytes; one-click sends List-Unsubscribe=One-Click"
        )
    raw = event.get("headers")
    headers = (
        {str(k).lower(): v for k, v in raw.items() if isinstance(v, str)} if isinstance(raw, dict) else {}
    )
    content_type = headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        fields = _multipart_fields(content_type, body)
    else:
        text = body.decode("utf-8", "replace")
        fields = [(k, v.strip()) for k, values in parse_qs(text, max_num_fields=20).items() for v in values]
    return any(k == ONE_CLICK[0] and v.lower() == ONE_CLICK[1].lower() for k, v in fields)


def _subject(event: dict[str, Any]) -> token.Subject:
    """The token's subject. Its shape is checked first: garbage costs no key read."""
    try:
        parsed = token.parse(_token(event))
    except token.BadToken as exc:
        raise Refused(400, str(exc)) from None
    try:
        verifying = keys.signing_keys()
    except keys.KeyUnavailable as exc:
        logger.error("unsubscribe key unavailable", extra={"problem": str(exc)})
        raise Refused(503, UNAVAILABLE, {"Retry-After": str(aws.RETRY_AFTER * 12)}) from exc
    try:
        return token.verify(parsed, verifying)
    except token.ForgedToken as exc:
        raise Refused(403, str(exc)) from None
    except token.BadToken as exc:
        raise Refused(400, str(exc)) from None


def already_unsubscribed(table: Any, subject: token.Subject, now: datetime) -> bool:
    _, events = read_recent(table, subject.to, now, days=0)
    return any(
        e.type == "unsubscribe" and e.channel == subject.channel and e.purpose in (None, Purpose.MARKETING)
        for e in events
    )


def unsubscribe(subject: token.Subject, now: datetime) -> bool:
    """Write the unsubscribe; False when the address was unsubscribed there already."""
    table = ledger_table()
    if already_unsubscribed(table, subject, now):
        return False
    record(
        table,
        subject.to,
        Event(type="unsubscribe", at=now, channel=subject.channel, purpose=Purpose.MARKETING),
    )
    return True


def answer(event: Any, now: datetime | None = None) -> dict[str, Any]:
    """The HTTP response to one request; AWS failures become 503, never an exception."""
    now = now or datetime.now(UTC)
    if not isinstance(event, dict):
        _count("OneClickRefused")
        return page.refused(400, "event: not an HTTP API request")
    try:
        method = _method(event)
        if method not in ("GET", "POST"):
            raise Refused(
                405,
                f"method: {method} is not used here; GET shows the page, POST unsubscribes",
                {"Allow": "GET, POST"},
            )
        subject = _subject(event)
        if method == "GET":
            _count("OneClickPageShown")
            return page.confirm(subject.to, subject.channel.value, _token(event))
        if not is_one_click(event):
            raise Refused(400, "body: a one-click unsubscribe POSTs List-Unsubscribe=One-Click (RFC 8058)")
        written = unsubscribe(subject, now)
    except Refused as refused:
        _count("OneClickRefused")
        logger.info("unsubscribe refused", extra={"status": refused.status, "problem": refused.problem})
        return page.refused(refused.status, refused.problem, refused.extra)
    except (ClientError, BotoCoreError, aws.MissingSetting) as exc:
        code, _ = aws.problem(exc)
        logger.error("unsubscribe not written", extra={"error": code})
        _count("OneClickFailed")
        return page.refused(503, UNAVAILABLE, {"Retry-After": str(aws.RETRY_AFTER * 12)})
    _count("OneClickUnsubscribed" if written else "OneClickAlreadyUnsubscribed")
    logger.info("unsubscribed", extra={"channel": subject.channel.value, "written": written})
    return page.done(subject.to, subject.channel.value, already=not written)


def _count(name: str) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=1)


@logger.inject_lambda_context(clear_state=True)
@metrics.log_metrics
def handler(event: Any, context: LambdaContext) -> dict[str, Any]:
    """Lambda entry point for ``GET``/``POST /unsubscribe`` (HTTP API payload 2.0)."""
    return answer(event)
