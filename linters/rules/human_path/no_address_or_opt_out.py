"""SG702 no-address-or-opt-out: Commercial email without the sender's postal address or a visible way to opt out."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from functools import cache

from pydantic import Field, field_validator

from ...findings import Action, Hit
from ...fixed_text import holds_any
from ...message import Message, Part
from ...registry import Settings, rule
from ...vocabulary import alternation, words
from ._shared import append_hit, printed_text

# The link the footer's opt-out line points at when the policy names no page of its own
# (``[sender] unsubscribe_url``): a stand-in the guard replaces, recipient by recipient,
# with the same signed one-click URL it puts in List-Unsubscribe
# (functions/unsubscribe_link), before it sends (``fill_unsubscribe_link``). Shaped like
# a URL on the reserved ".invalid" domain (RFC 6761), so no rule takes it for an
# unfilled merge tag and, left unfilled, it can reach no one: delivery must refuse a
# message that still holds it.
UNSUBSCRIBE_LINK = "https://sendguard.invalid/one-click-unsubscribe"
OPT_OUT_LABEL = "Unsubscribe"


class FooterSettings(Settings):
    postal_address: str | None = Field(
        None,
        max_length=300,
        description="the sender's postal address, added when a message gives none (set by [sender] postal_address)",
    )
    unsubscribe_url: str | None = Field(
        None,
        max_length=400,
        description="the page the added opt-out line links to (set by [sender] unsubscribe_url); "
        f"absent: {UNSUBSCRIBE_LINK}, which the guard fills with the recipient's one-click link",
    )

    @field_validator("postal_address")
    @classmethod
    def address_is_text(cls, value: str | None) -> str | None:
        return printed_text(value, "the address", newlines=True)

    @field_validator("unsubscribe_url")
    @classmethod
    def https_url(cls, value: str | None) -> str | None:
        if value is not None and (not value.startswith("https://") or not value.isprintable() or " " in value):
            raise ValueError(f"{value!r} is not an https URL like 'https://northwind.example/preferences'")
        return value


@rule(
    "SG702",
    "no-address-or-opt-out",
    Action.REWRITE,
    FooterSettings,
    reads=("text", "request.channel", "request.purpose"),
)
def find_no_address_or_opt_out(message: Message, settings: FooterSettings) -> Iterator[Hit]:
    """Commercial email without the sender's postal address or a visible way to opt out.

    Catches: a marketing email (`purpose` marketing, the default) whose text or HTML
    part gives no postal address (a street line, a PO box, a postcode or ZIP with its
    town, or the address the policy names in `[sender] postal_address`), or no
    visible way to opt out (wording such as "unsubscribe", "opt out", "manage your
    email preferences", "stop receiving these emails", in several languages, or a link
    whose address says so). Each part is judged on its own: a reader of the plain-text
    part sees only that part. A receipt or a notice (`purpose` transactional or
    service) is not commercial email and is not judged.

    Why it hurts: the reader cannot tell who is writing or how to make it stop, which
    is how marketing becomes spam. CAN-SPAM requires both in every commercial email:
    a valid physical postal address of the sender and a clear and conspicuous notice
    of the opportunity to decline further mail, with a functioning way to do it
    (15 U.S.C. 7704(a)(3), (a)(5)(A)(ii) and (iii)); the List-Unsubscribe header alone
    is not shown in the message.

    Example: "Our autumn range is here: 20% off all jackets this week. Shop now at
    northwind.example." and nothing more.

    Fix: a footer with the address and an opt-out link. Rewritten when the policy
    names the address (`[sender] postal_address`): the guard appends what is missing,
    the address and "Unsubscribe: <link>", the link being `[sender] unsubscribe_url`
    or, by default, the recipient's one-click unsubscribe link, which the guard fills
    in at send time (`UNSUBSCRIBE_LINK` in this module). Blocked when a footer cannot
    be added to the part. Until the policy names the sender's address, a message
    without one is reported as a warning only: there is nothing true to add, and
    blocking would stop every marketing email of a deployment that has not yet set
    `[sender]`; `sendguard check` and the guard's findings say what to set.
    """
    if message.request.channel != "email" or not message.is_marketing:
        return
    for name in ("text", "html"):
        part = message.parts.get(name)
        if part is None or not part.text.strip():
            continue
        hit = _missing_in(message, part, settings)
        if hit is not None:
            yield hit


def _missing_in(message: Message, part: Part, settings: FooterSettings) -> Hit | None:
    alt = message.part("alt") if part.name == "html" else None
    address = gives_address(part, settings.postal_address)
    opt_out = offers_opt_out(part) or (alt is not None and offers_opt_out(alt))
    if address and opt_out:
        return None
    missing = " or ".join(what for what, given in (("postal address", address), ("way to opt out", opt_out)) if not given)
    why = f"commercial email with no {missing} in its {part.name} part"
    if settings.postal_address is None:
        # No sender identity in the policy: the footer cannot be made, and blocking
        # every marketing email of a deployment that has not named its address would
        # stop all its mail. Reported until [sender] postal_address is set; from then
        # on a missing address or opt-out is added by rewrite (or the message blocked).
        why += "; set [sender] postal_address (and unsubscribe_url) in the policy so it can be added"
        return Hit(why, part.name, *_last_line(part), action=Action.WARN)
    lines = ([] if address else [settings.postal_address or ""]) + (
        [] if opt_out else [f"{OPT_OUT_LABEL}: {settings.unsubscribe_url or UNSUBSCRIBE_LINK}"]
    )
    hit = append_hit(part, "\n\n" + "\n".join(lines), why)
    return hit if hit is not None else Hit(why, part.name, *_last_line(part), action=Action.BLOCK)


def _last_line(part: Part) -> tuple[int, int]:
    """The span of the part's last line: where a footer belongs."""
    end = len(part.text.rstrip())
    return part.text.rfind("\n", 0, end) + 1, end


# --- the address -----------------------------------------------------------------------

_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH|NJ|NM|NY|NC|ND|"
    "OH|OK|OR|PA|PR|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY"
)
_GENERIC_ADDRESS = (
    # A post office box, in the languages of the vocabulary.
    r"(?i:\bP\.?\s?O\.?\s?Box|\bPostfach|\bBo[iî]te postale|\bApartado(?: de correos)?)\s*\d+",
    # A US town, state and ZIP: ", OR 97201", "Portland, OR 97201-1234".
    rf",\s*(?:{_US_STATES})\.?,?\s+\d{{5}}(?:-\d{{4}})?\b",
    # A UK postcode ("EC1V 9LT") or a Canadian one ("M5V 2T6").
    r"\b[A-Z]{1,2}\d[A-Z\d]?\s+\d[ABD-HJLNP-UW-Z]{2}\b",
    r"\b[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z]\s\d[ABCEGHJ-NPRSTV-Z]\d\b",
    # A German, Dutch or Nordic street and number ("Hauptstraße 5", "Keizersgracht 12").
    r"(?<![\w-])[A-ZÄÖÜ][\wäöüß-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|damm|straat|gracht|laan|plein|kade|gatan|vej|veien)\s+\d+[a-z]?\b",
    # A French, Spanish, Italian or Portuguese one ("12 rue de Rivoli", "Via Roma 12", "Calle Mayor, 5").
    r"\b\d+(?:bis|ter)?,?\s+(?i:rue|avenue|boulevard|bd|place|chemin|allée|quai|impasse)\s",
    r"\b(?i:calle|avenida|via|viale|piazza|corso|rua|avenida)\s+[A-Z][\w'. ]{1,40}?,?\s*\d+\b",
)


@cache
def _street_line() -> re.Pattern[str]:
    """A number, up to four capitalised words and a street word: "120 Harbour Street",
    "1234 Street Rd.", "Suite 1234" (linters/data/identity.json: street_words)."""
    street = alternation(words("street_words"))
    return re.compile(rf"\b\d{{1,6}}[A-Za-z]?,?\s+(?:[A-Z][\w'.-]*\s+){{0,4}}(?i:{street})\b\.?|\b(?i:suite|ste\.?|floor|unit)\s+\d+")


@cache
def _address_patterns() -> tuple[re.Pattern[str], ...]:
    return (*(re.compile(p) for p in _GENERIC_ADDRESS), _street_line())


_DIGITS = re.compile(r"\d+")
_LETTERS = re.compile(r"[^\W\d_]+")


def gives_address(part: Part, configured: str | None = None) -> bool:
    """Whether ``part`` gives a postal address: the configured one (its numbers, or its
    first line's words when it has none, all present), or anything shaped like one (a
    template's footer is searched once, linters/fixed_text.py: the patterns read one
    character around a match at most)."""
    if configured and _holds(part.text, configured):
        return True
    return holds_any(part, _address_patterns())


def _holds(text: str, address: str) -> bool:
    numbers = set(_DIGITS.findall(address))
    if numbers:
        return numbers <= set(_DIGITS.findall(text))
    first_line = re.split(r"[,\n]", address, maxsplit=1)[0]
    wanted = " ".join(_LETTERS.findall(first_line.casefold()))
    return bool(wanted) and wanted in " ".join(_LETTERS.findall(text.casefold()))


# --- the way out ---------------------------------------------------------------------

_URL = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>\"')]+|\bmailto:[^\s<>\"')]+")


@cache
def _opt_out_link() -> re.Pattern[str]:
    """A link address that leads to an opt-out: its words may be joined by '-', '_',
    '/', '.' or nothing ("unsubscribe", "email-preferences", "optout")."""
    entries = sorted(words("opt_out_link_words"), key=len, reverse=True)
    pattern = "|".join(r"[-_/.]?".join(re.escape(w) for w in entry.split()) for entry in entries)
    return re.compile(rf"(?i){pattern}")


def offers_opt_out(part: Part) -> bool:
    """Wording that offers a way out, or a link whose address leads to one."""
    if part.analysis.spans("EMAIL_OPT_OUT"):
        return True
    links = [*part.links, *(m.group() for m in _URL.finditer(part.text))]
    return any(_opt_out_link().search(link) for link in links)


def fill_unsubscribe_link(parts: dict[str, str], url: str) -> dict[str, str]:
    """The sent parts with ``UNSUBSCRIBE_LINK`` replaced by the recipient's one-click
    ``url``: in HTML the footer's "Unsubscribe: <link>" becomes a link labelled
    "Unsubscribe". The guard calls this before it sends a rewritten marketing email."""
    filled = {}
    for name, text in parts.items():
        if UNSUBSCRIBE_LINK not in text:
            filled[name] = text
            continue
        if name == "html":
            anchor = f'<a href="{html.escape(url, quote=True)}">{OPT_OUT_LABEL}</a>'
            text = text.replace(f"{OPT_OUT_LABEL}: {UNSUBSCRIBE_LINK}", anchor)
            text = text.replace(UNSUBSCRIBE_LINK, html.escape(url, quote=True))
        else:
            text = text.replace(UNSUBSCRIBE_LINK, url)
        filled[name] = text
    return filled
