"""The small HTML pages of the unsubscribe route: a confirmation with a button, the
result, a refusal. Every value shown is escaped; the pages load nothing and run no
script (Content-Security-Policy), and send no Referer: the URL holds the token."""

from __future__ import annotations

from html import escape
from typing import Any

HEADERS = {
    "Content-Type": "text/html; charset=utf-8",
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f6f6f4;color:#1d1d1b}"
    "main{max-width:32rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:8px}"
    "button{font:inherit;padding:.6rem 1.4rem;border:0;border-radius:6px;background:#1d1d1b;color:#fff;cursor:pointer}"
)
STILL_SENT = "Receipts, password resets and other messages about your account still arrive."


def masked(address: str) -> str:
    """``m•••@example.com``: enough for the reader to recognise, little for anyone else."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}\u2022\u2022\u2022@{domain}" if domain else f"\u2022\u2022\u2022{address[-4:]}"


def _document(title: str, body: str) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f'<meta name="robots" content="noindex"><title>{escape(title)}</title><style>{_STYLE}</style>'
        f"</head><body><main>{body}</main></body></html>"
    )


def response(status: int, title: str, body: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    """An HTTP API (payload 2.0) response with an HTML page."""
    return {"statusCode": status, "headers": {**HEADERS, **(extra or {})}, "body": _document(title, body)}


def confirm(address: str, channel: str, token_text: str) -> dict[str, Any]:
    """GET: what pressing the button does, and the button (a form that POSTs)."""
    what = "marketing email" if channel == "email" else f"marketing messages ({channel})"
    body = (
        f"<h1>Unsubscribe from {escape(what)}?</h1>"
        f"<p>{escape(masked(address))} will get no more {escape(what)} from us. {STILL_SENT}</p>"
        # A relative URL that is only a query keeps this route's path, behind any domain.
        f'<form method="post" action="?token={escape(token_text, quote=True)}">'
        '<input type="hidden" name="List-Unsubscribe" value="One-Click">'
        '<button type="submit">Unsubscribe</button></form>'
    )
    return response(200, "Unsubscribe", body)


def done(address: str, channel: str, already: bool) -> dict[str, Any]:
    what = "marketing email" if channel == "email" else f"marketing messages ({channel})"
    said = "was already unsubscribed" if already else "is unsubscribed"
    body = f"<h1>Unsubscribed</h1><p>{escape(masked(address))} {said} from {escape(what)}. {STILL_SENT}</p>"
    return response(200, "Unsubscribed", body)


def refused(status: int, problem: str, extra: dict[str, str] | None = None) -> dict[str, Any]:
    body = (
        "<h1>This link cannot be used</h1>"
        f"<p>{escape(problem)}</p><p>Nothing was changed. To unsubscribe, use the link in the newest "
        "email you received from us, or reply to it and ask.</p>"
    )
    return response(status, "Unsubscribe", body, extra)
