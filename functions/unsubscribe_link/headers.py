"""What the guard adds to a marketing email so it can be left in one click (RFC 8058).

Gmail and Yahoo (February 2024) and Microsoft (May 2025) require bulk senders' marketing
mail to carry ``List-Unsubscribe`` with an https URL and ``List-Unsubscribe-Post:
List-Unsubscribe=One-Click``; a mail client then POSTs ``List-Unsubscribe=One-Click``
to the URL when the reader presses its unsubscribe button. The policy's
``[unsubscribe]`` table chooses how (``linters.policy.OneClickUnsubscribe``):

- ``method = "link"`` (the default): SESv2 simple-content ``Headers``: the URL is the
  stack's unsubscribe route (UNSUBSCRIBE_URL, the template's ``UnsubscribeUrl``) with a
  signed token (``functions.unsubscribe_link.token``), and ``mailto`` beside it when the
  policy names one;
- ``method = "ses"``: SES subscription management (``ListManagementOptions``): SES adds
  its own headers and footer link, keeps the contact list, and reports the unsubscribe
  as a Subscription event, which FeedbackFunction writes to the ledger.

Only marketing gets either: a receipt is not commercial mail and carries no unsubscribe.
When the URL is not configured the email still goes (with the mailto alone, if any) and
the guard counts ``OneClickMissing`` (an alarm in template.yaml); when it is configured
but the key or the policy cannot be read, ``Unavailable`` stops the send before SES is
called: the request is judged again later, never sent without its link.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from functions import aws
from functions.unsubscribe_link import keys, token
from linters.models import Channel, Purpose, SendRequest

URL_SETTING = "UNSUBSCRIBE_URL"
# SES allows header values of 995 printable ASCII characters; a token is at most ~480.
MAX_URL_CHARS = 400


class Unavailable(RuntimeError):
    """One-click unsubscribe is configured but cannot be offered just now; nothing was sent."""


def _policy_settings() -> Any:
    from functions import lookups
    from linters.policy import PolicyError

    try:
        return lookups.current_policy().unsubscribe
    except (lookups.PolicyUnavailable, PolicyError) as exc:
        raise Unavailable(f"the policy cannot be read, so the unsubscribe method is unknown: {exc}") from exc


def base_url() -> str | None:
    """The route's public https URL (UNSUBSCRIBE_URL), None when not configured."""
    url = aws.optional_setting(URL_SETTING)
    if url is None:
        return None
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname or parts.fragment or len(url) > MAX_URL_CHARS:
        raise Unavailable(f"{URL_SETTING} is not an https URL of at most {MAX_URL_CHARS} characters")
    if not url.isascii() or not url.isprintable() or " " in url:
        raise Unavailable(f"{URL_SETTING} must be printable ASCII without spaces")
    return url


def link(base: str, to: str, channel: Channel, now: datetime) -> str:
    """The unsubscribe URL for one recipient (the key is made on first use)."""
    try:
        signing = keys.signing_keys(create=True)[0]
    except keys.KeyUnavailable as exc:
        raise Unavailable(str(exc)) from exc
    separator = "&" if urlsplit(base).query else "?"
    return f"{base}{separator}token={token.mint(signing, to, channel, now)}"


def one_click_headers(url: str | None, mailto: str | None) -> list[dict[str, str]]:
    """``List-Unsubscribe`` (URL first, as RFC 8058 asks) and, with a URL,
    ``List-Unsubscribe-Post``; [] when there is neither."""
    targets = ([f"<{url}>"] if url else []) + ([f"<mailto:{mailto}?subject=unsubscribe>"] if mailto else [])
    if not targets:
        return []
    headers = [{"Name": "List-Unsubscribe", "Value": ", ".join(targets)}]
    if url:
        headers.append({"Name": "List-Unsubscribe-Post", "Value": "List-Unsubscribe=One-Click"})
    return headers


def add_to_email(kwargs: dict[str, Any], request: SendRequest, now: datetime | None = None) -> bool:
    """Add one-click unsubscribe to SESv2 SendEmail ``kwargs`` for a marketing email.
    True when it carries a one-click route (a URL or SES list management); False when
    not configured (sent as before). Unavailable: configured but not possible now."""
    if request.purpose != Purpose.MARKETING or request.channel != Channel.EMAIL:
        return True  # nothing to offer: not commercial mail
    settings = _policy_settings()
    if settings.method == "ses":
        options = {"ContactListName": settings.contact_list}
        if settings.topic:
            options["TopicName"] = settings.topic
        kwargs["ListManagementOptions"] = options
        return True
    base = base_url()
    url = link(base, request.to, request.channel, now or datetime.now(UTC)) if base else None
    headers = one_click_headers(url, settings.mailto)
    if headers:
        kwargs["Content"]["Simple"]["Headers"] = headers
    return url is not None
