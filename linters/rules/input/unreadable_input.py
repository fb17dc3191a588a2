"""SG902 unreadable-input: A file named on the command line could not be linted."""

from __future__ import annotations

from collections.abc import Iterator

from ...findings import Action, Hit
from ...registry import INPUT, NoSettings, rule


@rule("SG902", "unreadable-input", Action.BLOCK, NoSettings, stage=INPUT)
def unreadable_input(message: object, settings: NoSettings) -> Iterator[Hit]:
    """A file named on the command line could not be linted.

    It is missing, is not UTF-8 text, is JSON that is not an SES template, or has front matter that is not valid YAML. The other files are still linted.
    """
    return iter(())
