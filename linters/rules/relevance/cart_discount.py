"""SG503 cart-discount: A discount in a message sent because a cart was abandoned."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field

from ...findings import Action, Hit
from ...message import Message
from ...registry import Settings, rule
from ..common import spans


class CartDiscountSettings(Settings):
    triggers: list[str] = Field(
        default_factory=lambda: ["cart_abandoned"],
        description="triggers after which no discount may be offered",
    )


@rule("SG503", "cart-discount", Action.WARN, CartDiscountSettings, reads=("text", "request.trigger"))
def find_cart_discount(message: Message, settings: CartDiscountSettings) -> Iterator[Hit]:
    """A discount in a message sent because a cart was abandoned.

    Catches: "10% off", "use code", "discount", "free shipping", "save $5" in a
    message whose `trigger` is one of `triggers` (default `cart_abandoned`).

    Why it hurts: it teaches customers to leave carts to get a code, and tells the
    reader the first price was not the real one. It also tells them the cart was
    watched (see SG401).

    Example: trigger "cart_abandoned": "Still thinking it over? Here's 10% off to help
    you decide."

    Fix: remind without discounting ("Your saved items are here when you want them"),
    or offer the discount to everyone.
    """
    if message.request.trigger not in settings.triggers:
        return
    for part, start, end in spans(message, "DISCOUNT"):
        yield Hit(
            f"'{part.text[start:end]}' offers a discount in a {message.request.trigger} message",
            part.name,
            start,
            end,
        )
