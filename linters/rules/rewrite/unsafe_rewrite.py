"""SG000 unsafe-rewrite: A rewrite the engine would make is not safe to send."""

from __future__ import annotations

from collections.abc import Iterator

from ...findings import Action, Hit
from ...registry import REWRITE, NoSettings, rule


@rule("SG000", "unsafe-rewrite", Action.BLOCK, NoSettings, stage=REWRITE, reads=("text",))
def unsafe_rewrite(message: object, settings: NoSettings) -> Iterator[Hit]:
    """A rewrite the engine would make is not safe to send.

    The engine decided to rewrite, but the edit would change what the message says (for example, it would empty the subject); the decision becomes block.
    """
    return iter(())
