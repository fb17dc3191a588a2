"""SG803 image-without-alt: An image in an email's HTML with no alt attribute."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...findings import Action, Hit
from ...message import Message
from ...registry import NoSettings, rule
from ._shared import text_offset

_IMG = re.compile(r"(?i)<img\b(?P<attrs>[^<>]*)>")
_ALT = re.compile(r"""(?i)(?:^|[\s"'/])alt\s*=""")
_SRC = re.compile(r"""(?i)(?:^|[\s"'/])src\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")
_SIZE = re.compile(r"""(?i)(?:^|[\s"'/;])(width|height)\s*[=:]\s*["']?\s*(\d+)""")
_HIDDEN = re.compile(r"(?i)display\s*:\s*none|visibility\s*:\s*hidden|(?:^|[\s\"'/])hidden(?:[\s=>/]|$)")
# Smaller than this in both directions: a tracking pixel or a spacer, never content.
_PIXEL = 3


@rule("SG803", "image-without-alt", Action.WARN, reads=("text", "request.channel"))
def find_image_without_alt(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """An image in an email's HTML with no alt attribute.

    Catches: an `<img>` without `alt`. An empty `alt=""` is the way to say an image is
    decoration and is fine, and so are tracking pixels and spacers (1x1, 2x2) and
    images hidden with `display:none` or `hidden`.

    Why it hurts: many clients block images until the reader allows them (Outlook
    by default), and screen readers read out the file name instead: an offer that
    is only in a picture is not in the message at all for them. Litmus Checklist,
    Email on Acid and WCAG 2.1 success criterion 1.1.1 (non-text content) ask for a
    text alternative on every image.

    Example: <img src="https://cdn.northwind.com/winter-sale-40-off.png" width="600">

    Fix: `alt="Winter sale: 40% off all coats"` for an image that says something,
    `alt=""` for one that is decoration.
    """
    part = message.parts.get("html")
    if message.request.channel != "email" or part is None or "<img" not in part.sent.lower():
        return
    for found in _IMG.finditer(part.sent):
        attrs = found.group("attrs")
        if _ALT.search(attrs) or _HIDDEN.search(attrs) or _is_pixel(attrs):
            continue
        src = _SRC.search(attrs)
        name = next((g for g in src.groups() if g), "") if src else ""
        shown = name.rsplit("/", 1)[-1][:60] or "an image"
        at = text_offset(part, found.start())
        yield Hit(f"image '{shown}' has no alt text", part.name, at, at)


def _is_pixel(attrs: str) -> bool:
    sizes = {name.lower(): int(value) for name, value in _SIZE.findall(attrs)}
    return bool(sizes) and all(size < _PIXEL for size in sizes.values()) and len(sizes) == 2
