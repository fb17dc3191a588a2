"""Questions asked of a template's fixed text once, not once per recipient.

Most of a message is its template's fixed text; from one recipient to the next only
the merge values change. A part's ``skeleton`` (``Part.skeleton``: each short value
one placeholder) is what its recipients have in common. A pattern that matches the
skeleton clear of every placeholder, by as many characters as the pattern looks
around its match (``context``), matches every text of that skeleton: the characters
it reads, and their neighbours, are the same. So a yes-or-no question ("does this
part give a postal address?") is answered from the skeleton, cached; only when the
fixed text alone does not answer it (the match, if any, comes from a value) is the
part's own text searched, as it was before.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import TYPE_CHECKING

from .nlp import PLACEHOLDER

if TYPE_CHECKING:
    from .message import Part

Patterns = tuple[re.Pattern[str], ...]


def holds_any(part: Part, patterns: Patterns, context: int = 1) -> bool:
    """Whether one of ``patterns`` matches ``part.text`` (``any(p.search(part.text))``).

    ``context`` is the most characters any of the patterns reads outside its match (a
    look-behind, ``\\b``); a caller passing a pattern that looks further must say so."""
    skeleton = part.skeleton
    answer = _fixed_answer(patterns, skeleton, context) if len(skeleton) <= CACHED_CHARS else None
    return answer if answer is not None else any(pattern.search(part.text) for pattern in patterns)


# The answers are kept for skeletons up to this long (a long newsletter is searched
# whole, which is linear anyway): the cache holds at most a few megabytes of keys.
CACHED_CHARS = 16_000


@lru_cache(maxsize=256)
def _fixed_answer(patterns: Patterns, skeleton: str, context: int) -> bool | None:
    """True: the fixed text alone matches; False: the skeleton is the whole text (no
    value was stood in for) and nothing matches; None: only the text can tell."""
    if PLACEHOLDER not in skeleton:
        return any(pattern.search(skeleton) for pattern in patterns)
    for pattern in patterns:
        for match in pattern.finditer(skeleton):
            start, end = match.span()
            if PLACEHOLDER not in skeleton[max(0, start - context) : end + context]:
                return True
    return None
