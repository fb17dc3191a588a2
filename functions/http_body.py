"""The JSON body of an HTTP API (payload 2.0) request, read the same way by every route:
the lint API's and the contacts API's."""

from __future__ import annotations

import base64
import json
from typing import Any

from linters.models import RequestError, load_json

# Three parts of at most 256 KiB each plus data fit; anything bigger is not a message.
MAX_BODY_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    """The body is over MAX_BODY_BYTES: answered 413 before anything is decoded."""


def json_of(event: Any) -> Any:
    """The decoded JSON of ``event``'s body; RequestError (a 400) when it is not JSON."""
    raw = event.body or ""
    # Base64 carries 3 bytes in 4 characters; refuse before decoding anything large.
    size = len(raw) * 3 // 4 if event.is_base64_encoded else len(raw.encode("utf-8"))
    if size > MAX_BODY_BYTES:
        raise BodyTooLarge
    try:
        text = base64.b64decode(raw).decode("utf-8") if event.is_base64_encoded else raw
    except (ValueError, UnicodeDecodeError):
        raise RequestError("", "the body is not UTF-8 text") from None
    if not text.strip():
        raise RequestError("", "empty body: expected a JSON object")
    try:
        return load_json(text)  # too-deep nesting: a decode error, so a 400
    except json.JSONDecodeError as exc:
        raise RequestError("", f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}") from None
