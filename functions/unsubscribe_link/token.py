"""The signed token of a one-click unsubscribe link: who, on which channel, from what.

A token is ``v1.<payload>.<signature>``, all of it URL-safe. The payload is compact JSON
``{"to": "ada@example.com", "ch": "email", "tp": "marketing", "iat": 1763650800}`` in
unpadded base64url; the signature is HMAC-SHA256, with the stack's key
(``functions.unsubscribe_link.keys``), over a fixed prefix and the payload's text, so a
token made for one purpose can never pass for another.

``tp`` (the topic) is what the unsubscribe stops; today the only topic is
``marketing``: the ledger suppresses marketing on the channel (SG601), and receipts and
password resets still go. ``iat`` records when the link was made; a link does not expire
(CAN-SPAM asks that an opt-out keeps working at least 30 days after the send, and
people unsubscribe from old mail).

``read`` checks the signature before it parses anything in the payload: text an
attacker wrote is never decoded as JSON. A token that is not even shaped like one is
``BadToken`` (the route answers 400); a well-shaped token whose signature does not match
(forged, altered, or signed with a retired key) is ``ForgedToken`` (403).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from functions.feedback.records import recipient
from functions.ledger import recipient_key
from linters.models import Channel

VERSION = "v1"
TOPIC = "marketing"
# A token for the longest address RFC 5321 allows is about 480 characters.
MAX_TOKEN_CHARS = 1024
_SIGNED_PREFIX = b"sendguard-unsubscribe/v1\n"
_SHAPE = re.compile(r"v1\.([A-Za-z0-9_-]{8,900})\.([A-Za-z0-9_-]{43})")
_CHANNEL_CODES = {channel.value for channel in Channel}


class BadToken(ValueError):
    """Not a token at all (missing, malformed); the message names the field."""


class ForgedToken(BadToken):
    """Shaped like a token, but not signed with the stack's key: forged or altered."""


@dataclass(frozen=True, slots=True)
class Subject:
    """What a genuine token says: unsubscribe ``to`` from ``topic`` on ``channel``."""

    to: str
    channel: Channel
    topic: str
    issued: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(key: bytes, payload: str) -> bytes:
    return hmac.new(key, _SIGNED_PREFIX + payload.encode("ascii"), hashlib.sha256).digest()


def mint(key: bytes, to: str, channel: Channel, at: datetime, topic: str = TOPIC) -> str:
    """The token for unsubscribing ``to`` from ``topic`` on ``channel``, made at ``at``."""
    fields = {"to": recipient_key(to), "ch": channel.value, "tp": topic, "iat": int(at.timestamp())}
    payload = _b64(json.dumps(fields, separators=(",", ":"), ensure_ascii=True).encode("ascii"))
    return f"{VERSION}.{payload}.{_b64(_signature(key, payload))}"


def parse(token: object) -> tuple[str, bytes]:
    """(payload text, signature) of something shaped like a token; BadToken otherwise.
    Needs no key: the route refuses garbage before it reads one."""
    if not isinstance(token, str) or not token:
        raise BadToken("token: missing (the link carries it as ?token=...)")
    if len(token) > MAX_TOKEN_CHARS:
        raise BadToken(f"token: longer than {MAX_TOKEN_CHARS} characters; not a link the guard made")
    shape = _SHAPE.fullmatch(token)
    if shape is None:
        raise BadToken("token: not an unsubscribe token (v1.<payload>.<signature>)")
    payload, signature = shape.groups()
    try:
        claimed = _unb64(signature)
    except (binascii.Error, ValueError):
        raise BadToken("token: the signature is not base64url") from None
    if _b64(claimed) != signature:  # one spelling per signature: a link cannot be varied
        raise BadToken("token: the signature is not in canonical base64url")
    return payload, claimed


def verify(parsed: tuple[str, bytes], keys: Sequence[bytes]) -> Subject:
    """The subject of a parsed token whose signature one of ``keys`` made; ForgedToken
    (or BadToken for a payload that is not ours) otherwise."""
    payload, claimed = parsed
    if not any(hmac.compare_digest(_signature(key, payload), claimed) for key in keys):
        raise ForgedToken(
            "token: the signature does not match; the link was altered or not made by this stack"
        )
    return _subject(payload)


def read(token: object, keys: Sequence[bytes]) -> Subject:
    """The subject of a genuine token; BadToken or ForgedToken otherwise."""
    return verify(parse(token), keys)


def _subject(payload: str) -> Subject:
    """The fields of a payload whose signature matched (our own writing, still checked)."""
    try:
        fields = json.loads(_unb64(payload))
    except (binascii.Error, ValueError):
        raise BadToken("token: the payload is not base64url JSON") from None
    if not isinstance(fields, dict):
        raise BadToken("token: the payload is not an object")
    channel, topic, issued = fields.get("ch"), fields.get("tp"), fields.get("iat")
    if channel not in _CHANNEL_CODES:
        raise BadToken("token: ch: not a channel")
    if topic != TOPIC:
        raise BadToken(f"token: tp: an unsubscribe link stops {TOPIC} only")
    if not isinstance(issued, int) or isinstance(issued, bool) or not 0 < issued < 2**33:
        raise BadToken("token: iat: not a time")
    try:
        to = recipient(Channel(channel), fields.get("to") if isinstance(fields.get("to"), str) else "")
    except ValueError as exc:
        raise BadToken(f"token: to: {exc}") from None
    return Subject(to=to, channel=Channel(channel), topic=topic, issued=datetime.fromtimestamp(issued, UTC))
