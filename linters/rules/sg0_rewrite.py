"""SG000: the rewrite step's own safety check.

The engine reports it, not a rule function: when a rewrite would change what the
message says, ``linters.rewrite`` turns the decision into a block under this id.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..findings import Action, Hit
from ..registry import REWRITE, NoSettings, rule


@rule("SG000", "unsafe-rewrite", Action.BLOCK, NoSettings, stage=REWRITE)
def unsafe_rewrite(message: object, settings: NoSettings) -> Iterator[Hit]:
    """A rewrite the engine would make is not safe to send.

    The engine decided to rewrite, but the edit would change what the message says (for example, it would empty the subject); the decision becomes block.
    """
    return iter(())
