"""SG900 template-syntax: A template SES cannot render."""

from __future__ import annotations

from collections.abc import Iterator

from ...findings import Action, Hit
from ...registry import INPUT, NoSettings, rule


@rule("SG900", "template-syntax", Action.BLOCK, NoSettings, stage=INPUT)
def template_syntax(message: object, settings: NoSettings) -> Iterator[Hit]:
    """A template SES cannot render.

    An unclosed or mismatched block, an unknown helper or a partial: SES would refuse the template at send time. The finding points at the tag that breaks it.
    """
    return iter(())
