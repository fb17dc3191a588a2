"""Helpers several personalization rules share."""

from __future__ import annotations

from collections.abc import Iterator

from ...address import (
    is_field_value,
    name_values,
    salutations,
)
from ...message import Message, Part


def _vocative_names(message: Message) -> Iterator[tuple[Part, int, int]]:
    """Name-field values used outside a salutation ("Thanks, {{first_name}}!"). The value
    of a field line ("Device name: {{device.name}}", "Name: {{key.name}}") names a
    thing on a notice; it addresses nobody."""
    for part in message.readable():
        in_salutation = {(s.name_start, s.name_end) for s in salutations(part)}
        for start, end in name_values(part):
            if not any(s <= start and end <= e for s, e in in_salutation) and not is_field_value(
                part.text, start, end
            ):
                yield part, start, end
