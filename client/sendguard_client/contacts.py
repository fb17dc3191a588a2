"""Ask before, record after: contacts the guard does not send (a rep's call, a postcard,
another platform's message), through the stack's IAM-authorised HTTP API.

- ``ask(contact)``: ``POST /contacts/ask``, "may I contact this person now, on this
  channel, for this purpose and campaign?" The answer is a dict: ``decision`` (allow,
  hold or block), ``next_allowed_at``, ``findings`` (the rules and reasons) and, when a
  script or postcard text was sent along, ``message`` (and ``changes``). Nothing is
  written.
- ``record(contact)``: ``POST /contacts``, the contact once it has been made, with the
  caller's ``id`` (a CRM task or call id), ``at`` and ``by``; every later decision on
  the person counts it. Recording the same id with the same body again is safe
  (``"duplicate": true``); with another body it raises ``ContactConflict``.

Requests are signed with SigV4 (service ``execute-api``) with boto3's credentials; the
caller needs ``execute-api:Invoke`` on the route (the stack's managed policies
``ContactAskers`` and ``ContactRecorders``). The API's address is ``api_url=...`` or
the environment variable SENDGUARD_API_URL (the stack's output ``LintApiUrl``). Only
boto3 (botocore) and the standard library are used.
"""

from __future__ import annotations

import json
import os
import re
import time
import urllib.error
import urllib.request
from datetime import date, datetime
from typing import Any

API_URL_VARIABLE = "SENDGUARD_API_URL"
ASK_PATH, RECORD_PATH = "/contacts/ask", "/contacts"
# 503 and 429 answers and dropped connections are tried again this many times, after
# the answer's Retry-After (at most MAX_WAIT seconds): both routes are safe to repeat.
RETRIES = 2
MAX_WAIT = 10.0
_REGION = re.compile(r"\.execute-api\.([a-z0-9-]+)\.")
# Waits between tries (tests replace it).
sleep = time.sleep


class ContactError(ValueError):
    """A call the API would refuse anyway (or did: ``status`` 400), naming the field."""

    def __init__(self, problem: str, field: str = "", status: int | None = None) -> None:
        super().__init__(problem)
        self.field, self.status = field, status


class ContactConflict(ContactError):
    """409: the id was recorded before with another body."""


class ApiUnavailable(RuntimeError):
    """The API could not answer (503, throttled, unreachable) after the retries."""

    def __init__(self, problem: str, status: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(problem)
        self.status, self.retry_after = status, retry_after


def ask(contact: dict[str, Any], *, api_url: str | None = None, session: Any = None, timeout: float = 10.0) -> dict[str, Any]:
    """``POST /contacts/ask``: allow, hold (until ``next_allowed_at``) or block."""
    _need(contact, ("channel",))
    return _call(ASK_PATH, contact, api_url, session, timeout)


def record(
    contact: dict[str, Any], *, api_url: str | None = None, session: Any = None, timeout: float = 10.0
) -> dict[str, Any]:
    """``POST /contacts``: ``{"id", "recorded": true, "duplicate": bool}``."""
    _need(contact, ("id", "channel", "at"))
    return _call(RECORD_PATH, contact, api_url, session, timeout)


def _need(contact: Any, fields: tuple[str, ...]) -> None:
    if not isinstance(contact, dict):
        raise ContactError(f"a contact is a dict, not {type(contact).__name__}")
    for name in fields:
        if contact.get(name) in (None, ""):
            raise ContactError(f"{name}: required field is missing", name)
    if not (contact.get("customer_id") or contact.get("to") or (contact.get("customer") or {}).get("customer_id")):
        raise ContactError("customer_id: name the person (customer_id or to)", "customer_id")


def _json_default(value: Any) -> str:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


def api_address(api_url: str | None) -> str:
    url = (api_url or os.environ.get(API_URL_VARIABLE) or "").rstrip("/")
    if not url:
        raise ContactError(f"api_url: pass it or set {API_URL_VARIABLE} (the stack's output LintApiUrl)", "api_url")
    return url


def _region(url: str, session: Any) -> str:
    found = _REGION.search(url)
    region = found.group(1) if found else session.region_name
    if not region:
        raise ContactError("api_url: no region in the address; set AWS_DEFAULT_REGION", "api_url")
    return region


def signed(url: str, body: bytes, session: Any) -> urllib.request.Request:
    """A POST of ``body`` to ``url`` signed with SigV4 for execute-api."""
    from botocore.auth import SigV4Auth
    from botocore.awsrequest import AWSRequest

    credentials = session.get_credentials()
    if credentials is None:
        raise ContactError("no AWS credentials to sign the request with")
    request = AWSRequest(method="POST", url=url, data=body, headers={"content-type": "application/json"})
    SigV4Auth(credentials.get_frozen_credentials(), "execute-api", _region(url, session)).add_auth(request)
    return urllib.request.Request(url, data=body, headers=dict(request.headers.items()), method="POST")


def _call(path: str, contact: dict[str, Any], api_url: str | None, session: Any, timeout: float) -> dict[str, Any]:
    if session is None:
        import boto3

        session = boto3.Session()
    url = api_address(api_url) + path
    body = json.dumps(contact, ensure_ascii=False, default=_json_default).encode("utf-8")
    for attempt in range(RETRIES + 1):
        status, answer, wait = _post(signed(url, body, session), timeout)
        if status < 400:
            return answer
        if status in (429, 503) or status == 0:
            if attempt < RETRIES:
                sleep(min(wait if wait is not None else 1.0, MAX_WAIT))
                continue
            raise ApiUnavailable(str(answer.get("error") or f"HTTP {status}"), status or None, wait)
        problem, field = str(answer.get("error") or f"HTTP {status}"), str(answer.get("field") or "")
        raise (ContactConflict if status == 409 else ContactError)(problem, field, status)
    raise AssertionError("unreachable")


def _post(request: urllib.request.Request, timeout: float) -> tuple[int, dict[str, Any], float | None]:
    """(status, the JSON answer, Retry-After seconds); status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, _decoded(response.read()), None
    except urllib.error.HTTPError as exc:
        wait = exc.headers.get("Retry-After") if exc.headers else None
        return exc.code, _decoded(exc.read()), float(wait) if wait and wait.isdigit() else None
    except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
        return 0, {"error": f"the API did not answer: {exc}"}, None


def _decoded(raw: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return {"error": "the API answered with something that is not JSON"}
    return answer if isinstance(answer, dict) else {"error": "the API answered with something that is not an object"}
