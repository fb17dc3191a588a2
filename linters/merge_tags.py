"""Merge tags that reached the reader unrendered, and template scaffolding.

Shared by SG103 at send time (linters/rules/personalization/broken_merge.py) and by the
template linter (linters/lint/static.py), so both find the same tags.

A bracketed phrase is scaffolding only when it is shaped like a variable
("[First Name]", "[Company Name, LLC]", "[FNAME]", "[x]"): its words come from the
placeholder vocabulary in ``linters/data/placeholders.json``. A list or brand tag
("[Lobsters] Reset your password", "[Admin] Continue logging in") is not.
"""

from __future__ import annotations

import re
from functools import cache

from .vocabulary import alternation, load

_VOCABULARY = load("placeholders")


def _alternatives(words: list[str]) -> str:
    return alternation(words)  # longest first, so "firstname" is tried before "first"


_HEAD = _alternatives(_VOCABULARY["bracket_heads"])
_WORD = _alternatives(_VOCABULARY["bracket_heads"] + _VOCABULARY["bracket_words"])
# [First Name], [Product Name], [Company Name, LLC], [email address], [FIRST_NAME], [x];
# every word from the vocabulary and one of them a head noun; not a Markdown link "[x](url)".
_BRACKETED = (
    rf"\[(?=[^\]\n]{{0,60}}(?<![A-Za-z])(?i:{_HEAD})(?![A-Za-z]))"
    rf"(?i:{_WORD})(?:,?[ _/-](?i:{_WORD})){{0,5}}\](?!\()"
)
_FOREIGN = (
    r"\*\|[A-Z0-9_:]{2,40}\|\*"  # Mailchimp *|FNAME|*
    r"|%%[A-Za-z0-9_=]{2,40}%%"  # Salesforce %%First_Name%%
    r"|\$\{[A-Za-z_][\w.]{0,40}\}"  # ${first_name}
    r"|<<[A-Za-z][A-Za-z _]{1,30}>>"  # <<First Name>>
    r"|%[A-Z][A-Z_]{2,30}%"  # %FIRSTNAME%
    r"|" + _BRACKETED
)


@cache
def foreign_tags() -> re.Pattern[str]:
    """Other tools' merge tags and bracketed scaffolding: what a template must not contain.

    Compiled on first use, like ``unrendered``: the case-insensitive word alternations
    take ``re`` a few hundredths of a second, a cold start's worth, and most texts hold
    no tag start at all.
    """
    return re.compile(_FOREIGN)


def may_hold_tag(text: str) -> bool:
    """Whether ``text`` holds a character a tag starts with: ``{ * % $ < [``. Most texts
    hold none, and testing for that first is much cheaper than trying each alternative
    of ``unrendered`` at every position. Six substring tests, each a C-speed scan for
    one character, take about a twentieth of the time of one search for a regex class."""
    return "{" in text or "*" in text or "%" in text or "$" in text or "<" in text or "[" in text


@cache
def unrendered() -> re.Pattern[str]:
    """Tags in rendered text: ``foreign_tags``, Handlebars ("{{first_name}}" from data)
    and "{first_name}" (``_SINGLE_BRACE``)."""
    return re.compile(r"(?=[{*%$<\[])(?:\{\{[^{}\n]{0,60}\}\}|" + _SINGLE_BRACE + "|" + _FOREIGN + ")")


# "{first_name}", "{order_id}", "{$name}", "{email}": one brace around a name shaped like
# a variable (snake case, a "$", or a placeholder head word such as "name" or "code").
# Not "{targets}" or "{cli}": R packages, set notation and code in prose use braces too.
_SINGLE_BRACE = (
    r"\{(?:\$[a-z_][a-z0-9_]{1,30}|[a-z][a-z0-9]*_[a-z0-9_]{1,29}|(?:"
    + _alternatives(sorted(set(_VOCABULARY["bracket_heads"]) | set(_VOCABULARY["field_tokens"])))
    + r"))\}"
)


_FIELD_TOKENS = frozenset(_VOCABULARY["field_tokens"])


def is_subject_tag(subject: str, start: int, end: int) -> bool:
    """A single bracketed word opening a subject ("[Product] New export options") is a
    list or brand tag, unless the word is a variable on its own ("[FNAME], ...")."""
    tag = subject[start:end]
    word = tag[1:-1]
    return (
        tag.startswith("[")
        and not subject[:start].strip()
        and " " not in word
        and word.casefold() not in _FIELD_TOKENS
    )
