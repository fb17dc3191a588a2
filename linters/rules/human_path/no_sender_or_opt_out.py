"""SG703 no-sender-or-opt-out: A marketing text that does not say who sends it or how to stop them."""

from __future__ import annotations

import re
from collections.abc import Iterator

from pydantic import Field, field_validator

from ...findings import Action, Hit
from ...message import Message, Part
from ...registry import Settings, rule
from ._shared import names_sender, prepend_hit, printed_text, spoken_start, text_end

# A reply keyword carriers honour (CTIA; 47 CFR 64.1200(a)(10)): an opt-out line must name one.
_KEYWORD = re.compile(r"(?i)\b(?:stop|end|quit|cancel|unsubscribe|stopall|optout)\b")


class TextIdentitySettings(Settings):
    sender_name: str | None = Field(
        None,
        max_length=80,
        description="the name a marketing text must give, prefixed as 'Name: ' when missing (set by [sender] name); "
        "absent: only the opt-out is checked",
    )
    opt_out_text: str = Field(
        "Reply STOP to opt out.",
        min_length=8,
        max_length=80,
        description="the opt-out instructions appended when a marketing text has none",
    )

    @field_validator("sender_name")
    @classmethod
    def name_is_text(cls, value: str | None) -> str | None:
        return printed_text(value, "the name")

    @field_validator("opt_out_text")
    @classmethod
    def names_a_keyword(cls, value: str) -> str:
        value = printed_text(value, "the opt-out text") or ""
        if not _KEYWORD.search(value):
            raise ValueError("the opt-out text must name a reply keyword carriers honour (STOP, END, QUIT, CANCEL)")
        return value


@rule(
    "SG703",
    "no-sender-or-opt-out",
    Action.REWRITE,
    TextIdentitySettings,
    reads=("text", "request.channel", "request.purpose"),
)
def find_no_sender_or_opt_out(message: Message, settings: TextIdentitySettings) -> Iterator[Hit]:
    """A marketing text that does not say who sends it or how to stop them.

    Catches: a marketing SMS (`purpose` marketing, the default) without opt-out
    instructions ("Reply STOP to opt out", "Text END to quit", "STOP to opt-out",
    "Txt STOP2END", and Spanish, French and German forms), or, when the policy names
    the sender (`[sender] name`), without that name. A receipt, a code or a delivery
    notice (`purpose` transactional or service) is not judged.

    Why it hurts: a text from a short code that does not say who it is from reads as
    a scam, and one that does not say how to stop leaves the reader no way out but to
    report it. The CTIA Messaging Principles and Best Practices (2023, section 5)
    ask every recurring marketing message to identify the brand and to tell the
    reader how to opt out; the TCPA rules (47 CFR 64.1200(a)(10), (d)) make STOP
    and its kin a revocation the sender must honour.

    Example: "Flash sale! 30% off all boots until midnight: northwind.example/boots"

    Fix: rewritten: the sender's name is put in front ("Northwind: Flash sale! ...")
    when the policy names it and the text does not, and `opt_out_text` ("Reply STOP to
    opt out.") is appended. The finding says when that makes the text longer by a
    segment (160 GSM-7 characters, 153 each when split; 70 and 67 in UCS-2): the text
    is still rewritten, as a longer text that can be left is better than a shorter one
    that cannot; shorten the template to keep the cost.
    """
    part = message.parts.get("text")
    if message.request.channel != "sms" or not message.is_marketing or part is None or not part.text.strip():
        return
    name = settings.sender_name
    prefix = f"{name}: " if name and not names_sender(part.text, name) else ""
    suffix = "" if part.analysis.spans("SMS_OPT_OUT") else f" {settings.opt_out_text}"
    if not prefix and not suffix:
        return
    growth = _segment_growth(part, prefix, suffix)
    if prefix:
        yield prepend_hit(part, prefix, f"a marketing text that does not name its sender ({name}){growth}")
    if suffix:
        end = text_end(part)
        yield Hit(f"a marketing text with no opt-out instructions{growth}", part.name, end, end, fix=suffix)


def _segment_growth(part: Part, prefix: str, suffix: str) -> str:
    """What the additions do to the text's length in SMS segments, when they add one."""
    start, end = spoken_start(part), text_end(part)
    before = part.sent
    after = part.sent[:start] + prefix + part.sent[start:end] + suffix + part.sent[end:]
    was, now = sms_segments(before), sms_segments(after)
    if now[0] <= was[0]:
        return ""
    return f"; with them the text is {now[0]} segments ({now[1]}) instead of {was[0]}"


# GSM 03.38: the basic character set (one septet each) and its extension table (two).
_GSM_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
_GSM_EXTENSION = frozenset("^{}\\[~]|€\f")


def sms_segments(text: str) -> tuple[int, str]:
    """(segments, encoding) of ``text`` sent as one SMS: GSM-7 when every character is
    in the GSM 03.38 alphabet (160 septets, 153 per part when split), else UCS-2
    (70 UTF-16 units, 67 per part)."""
    if all(c in _GSM_BASIC or c in _GSM_EXTENSION for c in text):
        size, single, each, encoding = sum(2 if c in _GSM_EXTENSION else 1 for c in text), 160, 153, "GSM-7"
    else:
        size, single, each, encoding = len(text.encode("utf-16-le")) // 2, 70, 67, "UCS-2"
    if size <= single:
        return 1, encoding
    return -(-size // each), encoding
