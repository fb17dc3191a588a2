"""SG802 bad-link: A link that cannot work for the reader: malformed, unfilled, plain http, or to a test host."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterator
from functools import cache, lru_cache
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from ...findings import Action, Hit
from ...merge_tags import may_hold_tag, unrendered
from ...message import Message
from ...registry import Settings, rule
from ...vocabulary import words
from ..human_path.no_address_or_opt_out import UNSUBSCRIBE_LINK
from ._shared import Link, links_of

_ENCODED_TAG = re.compile(r"(?i)%7b%7b|%7d%7d|\*%7c|%7c\*|%25%25")
_HOST = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?$")
_SCHEMES = ("http", "https", "mailto", "tel", "sms")
_MAILBOX = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PLAIN_HTTP = "is plain http: use https (or list the host in http_only_hosts)"


class LinkSettings(Settings):
    http_only_hosts: list[str] = Field(
        default_factory=list,
        description="hosts that serve plain http only (their subdomains too): their http:// links are fine",
    )

    @field_validator("http_only_hosts")
    @classmethod
    def host_names(cls, value: list[str]) -> list[str]:
        hosts = [host.strip().lower().rstrip(".") for host in value]
        bad = next((h for h in hosts if not _HOST.match(h)), None)
        if bad is not None:
            raise ValueError(f"{bad!r} is not a host name like 'legacy.northwind.com'")
        return hosts


@rule("SG802", "bad-link", Action.WARN, LinkSettings, reads=("text", "request.channel", "request.from_"))
def find_bad_link(message: Message, settings: LinkSettings) -> Iterator[Hit]:
    """A link that cannot work for the reader: malformed, unfilled, plain http, or to a test host.

    Catches, in an email's HTML links and the URLs of its text part: an address that
    is not a URL ("https//northwind.com", "http://northwind .com/sale", "www.northwind.com"
    or "/account" with no scheme, a bare "#", "javascript:"); an unfilled merge tag in
    an href ("https://northwind.com/{{order_id}}", "%%view_url%%", "%7B%7Bcode%7D%7D");
    an `http://` link (most sites serve https; list the hosts that do not in
    `http_only_hosts`); a link to localhost, a loopback, private or link-local
    address, a staging host ("staging.northwind.com", "app-staging.northwind.com",
    "uat."), or a host reserved for documentation and tests (".example",
    "example.com", ".test", ".invalid", ".local", ".internal"). Reserved documentation
    hosts are only reported when the sender's own domain (`from`) is not one: a test
    send from "news@northwind.example" links where it should.

    Why it hurts: a link that leads nowhere, to a browser warning or to the staging
    copy of the site breaks the one thing the message asks the reader to do, and
    shows a pipeline nobody checked (Litmus Checklist and Email on Acid check links
    before every send for this reason; Chrome marks http pages "Not secure").

    Example: <a href="http://staging.northwind.com/sale?code={{code}}">Shop the sale</a>

    Fix: link to the live https page and fill every variable before sending.
    """
    if message.request.channel != "email":
        return
    sender = _domain_of(message.request.from_)
    test_sender = sender is not None and _reserved(sender)
    for name in ("text", "html"):
        part = message.parts.get(name)
        if part is None:
            continue
        seen: set[tuple[str, str]] = set()
        for link in links_of(part):
            # Plain text has no markup: a client links "www.northwind.com" itself.
            url = f"https://{link.url}" if part.visible is None and link.url.lower().startswith("www.") else link.url
            problem = link_problem(url, settings.http_only_hosts, test_sender)
            # Once per address, and once per host for plain http (a newsletter links one site often).
            key = (problem or "", _host_of(url) if problem == PLAIN_HTTP else url)
            if problem and key not in seen:
                seen.add(key)
                yield _hit(part.name, link, problem)


def _hit(part: str, link: Link, problem: str) -> Hit:
    shown = link.url if len(link.url) <= 80 else link.url[:77] + "..."
    return Hit(f"'{shown}' {problem}", part, link.start, link.end)


def _host_of(url: str) -> str:
    try:
        return (urlsplit(url).hostname or "").lower()
    except ValueError:
        return url


def link_problem(url: str, http_only: list[str], test_sender: bool = False) -> str | None:
    """What is wrong with ``url`` as a link in a sent email, or None."""
    return _link_problem(url, tuple(http_only), test_sender)


# A template's links are the same for every recipient: each is judged once.
@lru_cache(maxsize=4096)
def _link_problem(url: str, http_only: tuple[str, ...], test_sender: bool) -> str | None:
    url = url.strip()
    if url == UNSUBSCRIBE_LINK:  # SG702's footer link, filled in by the guard before sending
        return None
    if not url or url == "#":
        return "goes nowhere"
    if (may_hold_tag(url) and unrendered().search(url)) or _ENCODED_TAG.search(url):
        return "holds an unfilled merge tag"
    scheme, colon, rest = url.partition(":")
    scheme = scheme.lower()
    if url.startswith("#"):
        return None  # a jump inside the message
    if not colon or (scheme not in _SCHEMES and not re.fullmatch(r"[a-z][a-z0-9+.-]*", scheme)):
        return "is not a full URL (no scheme): a mail client has no page to resolve it against"
    if scheme == "javascript":
        return "runs a script, which no mail client allows"
    if scheme == "mailto":
        return None if _MAILBOX.match(rest.split("?", 1)[0]) else "is not an e-mail address"
    if scheme in ("tel", "sms"):
        return None if sum(c.isdigit() for c in rest) >= 3 else "is not a phone number"
    if scheme not in ("http", "https"):
        return None  # another app's link (webcal:, itms-apps:): not ours to judge
    return _web_problem(url, scheme, http_only, test_sender)


def _web_problem(url: str, scheme: str, http_only: tuple[str, ...], test_sender: bool) -> str | None:
    if not url[len(scheme) + 1 :].startswith("//") or any(c.isspace() for c in url):
        return "is malformed"
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").rstrip(".")
        parts.port  # noqa: B018  a port that is not a number raises
    except ValueError:
        return "is malformed"
    if not host or len(host) > 253 or not (_HOST.match(_ascii(host)) or _ip(host)):
        return "has no valid host"
    place = _test_place(host, test_sender)
    if place:
        return f"leads to {place}, which readers cannot reach"
    if scheme == "http" and not _listed(host, http_only):
        return PLAIN_HTTP
    return None


def _ascii(host: str) -> str:
    try:
        return host.encode("idna").decode("ascii")
    except UnicodeError:
        return host


def _ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def _test_place(host: str, test_sender: bool) -> str | None:
    """Why ``host`` is no place for a reader, or None."""
    address = _ip(host)
    if address is not None:
        if address.is_loopback or address.is_unspecified:
            return "this computer (a loopback address)"
        if address.is_private or address.is_link_local or address.is_reserved:
            return "a private network address"
        return None
    labels = host.split(".")
    if labels[0] == "localhost" or host.endswith(".localhost"):
        return "this computer (localhost)"
    staging = _staging_labels()
    if any(label in staging or any(p in staging for p in label.split("-")) for label in labels[:-2] or labels[:1]):
        return "a staging host"
    if _reserved(host) and not test_sender:
        return "a host reserved for documentation and tests"
    return None


def _reserved(host: str) -> bool:
    host = host.lower().rstrip(".")
    return any(host == s or host.endswith("." + s) for s in _test_suffixes())


def _listed(host: str, hosts: tuple[str, ...]) -> bool:
    return any(host == h or host.endswith("." + h) for h in hosts)


def _domain_of(address: str | None) -> str | None:
    if not address or "@" not in address:
        return None
    return address.rsplit("@", 1)[1].strip(" >").lower() or None


@cache
def _test_suffixes() -> tuple[str, ...]:
    return tuple(w.lower() for w in words("test_host_suffixes"))


@cache
def _staging_labels() -> frozenset[str]:
    return frozenset(w.lower() for w in words("staging_host_labels"))
