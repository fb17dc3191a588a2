"""The review console: one small page and four JSON routes, behind IAM.

Routes (template.yaml's ReviewFunction, on the lint API's IAM-authorised HTTP API):

- ``GET /review``: the page (HTML, inline CSS and script, no external assets);
- ``GET /review/items?state=&rule=&campaign=&since=``: the list;
- ``GET /review/item?id=``: one message, its rendered parts with the findings' spans;
- ``POST /review/release`` and ``POST /review/deny``: ``{"id", "reason"}`` (and
  ``"accept"``: rule ids, for a release).

Who decided is the caller's IAM principal (``requestContext.authorizer.iam.userArn``);
a request without one is refused, so every decision names a person or role. A browser
cannot sign with SigV4, so reviewers open the console through ``sendguard review
--serve``, which serves the same routes on 127.0.0.1 with their own AWS credentials
and identity (or, with no endpoint, against an embedded moto holding the demo's
quarantine). It serves each connection in its own thread and drops stalled or slow
ones (SOCKET_TIMEOUT, REQUEST_DEADLINE); a POST needs one plain Content-Length of at
most MAX_BODY bytes.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import socket
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from aws_lambda_powertools import Logger
from aws_lambda_powertools.event_handler import APIGatewayHttpResolver, Response, content_types
from aws_lambda_powertools.event_handler.router import APIGatewayHttpRouter

from functions.review import release, store
from linters.catalog import catalog
from linters.html_text import visible_text
from linters.models import RequestError, load_json

PAGE = Path(__file__).with_name("console.html")
MAX_BODY = 16 * 1024
# ``--serve``: each connection has its own thread, so a slow or stalled client holds
# only itself; a socket idle this long (seconds) is dropped, and so is one that has not
# sent its whole request (headers and body) within REQUEST_DEADLINE, however slowly it
# trickles. At most MAX_CONNECTIONS are served at once; more are closed unanswered.
SOCKET_TIMEOUT = 10.0
REQUEST_DEADLINE = 30.0
MAX_CONNECTIONS = 32
logger = Logger(service="sendguard-review")
router = APIGatewayHttpRouter()


# --- what the routes answer ----------------------------------------------------------


def readable_parts(row: dict[str, Any]) -> list[dict[str, Any]]:
    """Each rendered part as the rules read it, with the findings' spans on it."""
    try:
        message = json.loads(row.get("message") or "{}")
    except json.JSONDecodeError:
        message = {}
    findings = store.findings_of(row)
    parts = []
    for name in ("subject", "text", "html"):
        raw = message.get(name) if isinstance(message, dict) else None
        if not isinstance(raw, str):
            continue
        text = visible_text(raw).text if name == "html" else raw
        marks = [
            {
                "start": max(0, min(int(f.get("start", 0)), len(text))),
                "end": max(0, min(int(f.get("end", 0)), len(text))),
                "rule": f.get("rule"),
                "action": f.get("action"),
                "message": f.get("message"),
            }
            for f in findings
            if f.get("part") == name  # an empty span marks where something is missing
        ]
        parts.append({"part": name, "text": text, "marks": sorted(marks, key=lambda m: m["start"])})
    return parts


def rule_choices() -> tuple[str, list[dict[str, str]]]:
    """The rule filter's example and choices, from the rule catalog: every rule id with
    its name; the example is the first message rule that blocks by default (SG103)."""
    entries = catalog()
    choices = [{"id": str(e["id"]), "name": str(e.get("name") or "")} for e in entries]
    example = next(
        (
            str(e["id"])
            for e in entries
            if e.get("stage", "message") == "message" and e.get("default_action") == "block"
        ),
        choices[0]["id"] if choices else "",
    )
    return example, choices


def page_html() -> str:
    """console.html with the rule filter's placeholder and datalist filled in (escaped,
    though the catalog is ours)."""
    example, choices = rule_choices()
    options = "".join(
        f'<option value="{html.escape(c["id"])}" label="{html.escape(c["name"])}"></option>' for c in choices
    )
    return (
        PAGE.read_text("utf-8")
        .replace("{{rule_example}}", html.escape(example))
        .replace("{{rule_options}}", options)
    )


def detail(key: str) -> dict[str, Any]:
    row = store.get(key)
    now = datetime.now(UTC)
    return {
        "id": row["id"],
        "state": store.state_of(row, now),
        "at": row.get("at"),
        "campaign": row.get("campaign"),
        "decision": row.get("decision"),
        "reason": row.get("reason"),
        "findings": store.findings_of(row),
        "parts": readable_parts(row),
        "review_log": row.get("review_log") or [],
        "review_override": row.get("review_override") or [],
        "release_outcome": row.get("release_outcome"),
        "never_waived": sorted(release.NEVER_WAIVED),
    }


def _who() -> str:
    event = router.current_event
    iam = event.request_context.authorizer.iam if event.request_context.authorizer else None
    who = iam.user_arn if iam else None
    if not who:
        raise PermissionError("no IAM principal on the request; the console needs IAM authorisation")
    return str(who)


def _json(status: int, body: Any) -> Response:
    return Response(status, content_types.APPLICATION_JSON, json.dumps(body, default=str))


def _answer(call: Any) -> Response:
    """Run one action; known refusals become clear 4xx answers."""
    try:
        return _json(200, call())
    except RequestError as exc:
        return _json(400, {"error": str(exc), "field": exc.field})
    except PermissionError as exc:
        return _json(403, {"error": str(exc)})
    except store.NotFound as exc:
        return _json(404, {"error": str(exc)})
    except (store.AlreadyDecided, release.ReleaseRefused) as exc:
        return _json(409, {"error": str(exc)})


@router.get("/review")
def page() -> Response:
    return Response(
        200,
        "text/html; charset=utf-8",
        page_html(),
        headers={
            # Everything is inline; nothing may load from elsewhere.
            "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
            "script-src 'unsafe-inline'; connect-src 'self'; img-src data:",
            "X-Frame-Options": "DENY",
            "Cache-Control": "no-store",
        },
    )


@router.get("/review/items")
def items() -> Response:
    query = router.current_event.query_string_parameters or {}

    def listing() -> list[dict[str, Any]]:
        state = query.get("state") or store.PENDING
        if state != "all" and state not in store.STATES:
            raise RequestError("state", f"unknown state {state!r}")
        filters = store.Filters(
            state=None if state == "all" else state, rule=query.get("rule"), campaign=query.get("campaign")
        )
        now = datetime.now(UTC)
        return [store.summary(row, now) for row in store.find(filters, now, limit=store.MAX_BATCH)]

    return _answer(listing)


@router.get("/review/item")
def item() -> Response:
    key = (router.current_event.query_string_parameters or {}).get("id") or ""
    return _answer(lambda: detail(key))


def _decision_body() -> dict[str, Any]:
    raw = router.current_event.body or ""
    if len(raw) > MAX_BODY:
        raise RequestError("", f"the body is larger than {MAX_BODY // 1024} KiB")
    try:
        body = load_json(raw or "{}")
    except json.JSONDecodeError:
        raise RequestError("", "not valid JSON") from None
    if not isinstance(body, dict) or not isinstance(body.get("id"), str) or not body["id"]:
        raise RequestError("id", "the id of a quarantined message is required")
    return body


@router.post("/review/release")
def post_release() -> Response:
    def act() -> dict[str, Any]:
        body = _decision_body()
        accept = body.get("accept")
        if accept is not None and not (isinstance(accept, list) and all(isinstance(a, str) for a in accept)):
            raise RequestError("accept", "a list of rule ids")
        accepted = release.check_accepted(set(accept)) if accept is not None else None
        outcome = release.release(body["id"], str(body.get("reason") or ""), _who(), accept=accepted)
        logger.info("released", extra={"id": body["id"], "by": _who()})
        return outcome.to_dict()

    return _answer(act)


@router.post("/review/deny")
def post_deny() -> Response:
    def act() -> dict[str, Any]:
        body = _decision_body()
        outcome = release.deny(body["id"], str(body.get("reason") or ""), _who())
        logger.info("denied", extra={"id": body["id"], "by": _who()})
        return outcome.to_dict()

    return _answer(act)


app = APIGatewayHttpResolver()
app.include_router(router)


@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return app.resolve(event, context)


# --- sendguard review --serve ----------------------------------------------------------


def http_event(method: str, target: str, headers: dict[str, str], body: str, who: str) -> dict[str, Any]:
    """The HTTP API (payload 2.0) event API Gateway would pass for this request, with
    the reviewer's identity where IAM authorisation puts it."""
    parts = urlsplit(target)
    query = dict(parse_qsl(parts.query))
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": parts.path,
        "rawQueryString": parts.query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "queryStringParameters": query or None,
        "requestContext": {
            "accountId": "local",
            "apiId": "local",
            "authorizer": {"iam": {"userArn": who, "userId": who, "accountId": "local"}},
            "http": {"method": method, "path": parts.path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "requestId": uuid.uuid4().hex,
            "routeKey": "$default",
            "stage": "$default",
        },
        "body": body,
        "isBase64Encoded": False,
    }


_DIGITS = re.compile(r"[0-9]{1,12}")
# The resolver keeps the current event on a class attribute (one per process): requests
# are read in parallel, but answered one at a time, so no route reads another's event.
_RESOLVING = threading.Lock()


def body_length(headers: Any, method: str) -> tuple[int, int, str]:
    """How many body bytes to read, or the status and reason that refuse the request:
    ``(length, 0, "")`` or ``(0, status, reason)``. One plain decimal Content-Length of
    at most MAX_BODY; a POST must send one; no Transfer-Encoding (never read here)."""
    values = headers.get_all("Content-Length") or []
    if headers.get("Transfer-Encoding") is not None:
        return 0, 400, "Transfer-Encoding is not accepted; send Content-Length"
    if not values:
        return (0, 411, "POST needs Content-Length") if method == "POST" else (0, 0, "")
    if len(values) > 1:
        return 0, 400, "more than one Content-Length"
    value = values[0].strip()
    if not _DIGITS.fullmatch(value):
        return 0, 400, "Content-Length must be a non-negative decimal number"
    length = int(value)
    if length > MAX_BODY:
        return 0, 413, f"the body is larger than {MAX_BODY // 1024} KiB"
    return length, 0, ""


def make_handler(who: str) -> type[BaseHTTPRequestHandler]:
    class ConsoleHandler(BaseHTTPRequestHandler):
        def setup(self) -> None:
            # Read when each connection starts (not when the class is made), so a
            # test can make it small.
            self.timeout = SOCKET_TIMEOUT
            super().setup()
            self._late = threading.Event()
            self._deadline = threading.Timer(REQUEST_DEADLINE, self._too_slow)
            self._deadline.daemon = True
            self._deadline.start()

        def _too_slow(self) -> None:
            # The request was not read in time: end the reading (a blocked read sees the
            # end of the stream) and answer nothing.
            self._late.set()
            with contextlib.suppress(OSError):
                self.connection.shutdown(socket.SHUT_RD)

        def finish(self) -> None:
            self._deadline.cancel()
            super().finish()

        def _refused(self) -> str | None:
            # Only this machine's own page may act: no other Host (DNS rebinding) and,
            # for a POST, JSON only (a cross-site form cannot send it without CORS).
            host = (self.headers.get("Host") or "").split(":")[0]
            if host not in ("127.0.0.1", "localhost"):
                return "unexpected Host"
            if self.command == "POST" and not (self.headers.get("Content-Type") or "").startswith(
                "application/json"
            ):
                return "POST needs Content-Type: application/json"
            return None

        def _handle(self) -> None:
            self.close_connection = True  # one request per connection
            if self._late.is_set():
                return
            problem = self._refused()
            if problem:
                self.send_error(403, problem)
                return
            length, status, reason = body_length(self.headers, self.command)
            if status:
                self.send_error(status, reason)
                return
            raw = self.rfile.read(length) if length else b""
            self._deadline.cancel()
            if self._late.is_set():
                return
            if len(raw) != length:
                self.send_error(400, "the body is shorter than its Content-Length")
                return
            body = raw.decode("utf-8", "replace")
            event = http_event(self.command, self.path, dict(self.headers), body, who)
            with _RESOLVING:
                answer = app.resolve(event, None)
            self.send_response(int(answer["statusCode"]))
            for name, value in (answer.get("headers") or {}).items():
                self.send_header(name, value)
            payload = (answer.get("body") or "").encode("utf-8")
            self.send_header("Content-Length", str(len(payload)))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _handle
        do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return ConsoleHandler


class ConsoleServer(ThreadingHTTPServer):
    """One daemon thread per connection (a stalled client holds only its own), at most
    MAX_CONNECTIONS at once."""

    daemon_threads = True
    block_on_close = False

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        super().__init__(address, handler)
        self._slots = threading.BoundedSemaphore(MAX_CONNECTIONS)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self.shutdown_request(request)  # too many at once: closed, not queued
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()


def console_server(who: str, port: int = 0) -> ConsoleServer:
    """The console on 127.0.0.1 (never another interface); port 0 picks a free one."""
    return ConsoleServer(("127.0.0.1", port), make_handler(who))
