"""SG103 broken-merge: A merge field that did not merge: missing, empty, or a placeholder."""

from __future__ import annotations

import re
from collections.abc import Iterator

from ...address import (
    ALL_LANGUAGES,
    GREETING_KINDS,
    greeting_pattern,
    salutations,
)
from ...findings import Action, Hit
from ...handlebars import Mustache
from ...lint import hits as lint
from ...lint.segments import Condition
from ...merge_tags import foreign_tags, is_subject_tag, may_hold_tag, unrendered
from ...message import Message, Part
from ...nlp import PLACEHOLDER
from ...registry import NoSettings, lint_check, rule
from ...vocabulary import load

# Values that stand for "no value" ("Hi null,"), from placeholders.json.
PLACEHOLDER_VALUES = frozenset(load("placeholders")["placeholder_values"])

# Checked right after a greeting ("Hi ,", "Dear Mr. ,", "Hi null,"): anchored matches
# on the few greeting lines are far cheaper than scanning the whole text.
_EMPTY_NAME_AFTER_GREETING = re.compile(
    r"[ \t]+(?:(?:[Mm]rs?|[Mm]s|[Dd]r|[Mm]x)(?:\.|(?=[ \t,!:]))[ \t]*)?(?=[,!:]|\.(?:\s|$))"
)

_PLACEHOLDER_AFTER_GREETING = re.compile(r"[ \t]+(?i:null|undefined|none|nan|nil)\b")

_PLACEHOLDER_WORD = re.compile(r"\[object Object\]|(?<![\w-])NaN(?![\w-])")


@rule("SG103", "broken-merge", Action.BLOCK, reads=("text", "values"))
def find_broken_merge(message: Message, settings: NoSettings) -> Iterator[Hit]:
    """A merge field that did not merge: missing, empty, or a placeholder.

    Catches: a variable the data lacks or that is null (SES fails to render it, or it
    reads "Hi ,"); "Dear {{first_name}}" printed as is; merge tags of other tools
    ("*|FNAME|*", "%%First_Name%%", "${name}", "{name}"); bracketed scaffolding shaped
    like a variable ("[First Name]", "[FNAME]", "[Product Name]", "[email address]");
    placeholder values such as "null", "undefined", "NaN". A bracketed list or brand tag
    ("[Lobsters] Reset your password") is not scaffolding (linters/data/placeholders.json).

    Why it hurts: nothing says "you are a row in a spreadsheet" like "Hi null".

    Example: "Dear *|FNAME|*, your order has shipped."

    Fix: give every variable a value or a fallback branch
    ("{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}"), and replace the
    scaffolding before the template ships. Blocked: there is no safe guess.
    """
    for part in message.readable():
        seen: set[tuple[int, int]] = set()
        for hit in _broken_in(part):
            if (hit.start, hit.end) not in seen:
                seen.add((hit.start, hit.end))
                yield hit


def _broken_in(part: Part) -> Iterator[Hit]:
    for value in part.values:
        if value.missing:
            why = (
                f"is {value.problem} in the data, not text: it cannot be printed as it stands"
                if value.problem
                else "has no value in the data"
            )
            yield Hit(f"{{{{{value.path}}}}} {why}", part.name, value.start, value.end)
        elif part.text[value.start : value.end].strip().lower() in PLACEHOLDER_VALUES:
            yield Hit(
                f"{{{{{value.path}}}}} is the placeholder '{part.text[value.start : value.end]}'",
                part.name,
                value.start,
                value.end,
            )
    tags = unrendered().finditer(part.text) if may_hold_tag(part.text) else ()
    for match in tags:
        if part.name == "subject" and is_subject_tag(part.text, match.start(), match.end()):
            continue
        yield Hit(
            f"'{match.group()}' is an unfilled merge tag or placeholder",
            part.name,
            match.start(),
            match.end(),
        )
    for salutation in salutations(part):
        if _EMPTY_NAME_AFTER_GREETING.match(part.text, salutation.greeting_end):
            yield Hit(
                "the name in this greeting is empty", part.name, salutation.start, salutation.greeting_end
            )
        placeholder = _PLACEHOLDER_AFTER_GREETING.match(part.text, salutation.greeting_end)
        if placeholder:
            yield Hit("the name in this greeting is a placeholder value", part.name, *placeholder.span())
    text = part.text
    placeholders = _PLACEHOLDER_WORD.finditer(text) if "NaN" in text or "[object" in text else ()
    for match in placeholders:
        if part.value_at(match.start(), match.end()) is None:
            yield Hit(f"'{match.group()}' is a placeholder value", part.name, match.start(), match.end())


# A greeting right before a merge tag: the tag prints a name.
# All kinds: "Welcome back, {{first_name}}" prints the name as surely as "Hi {{first_name}}".
# Every language: "Hola {{first_name}}" too.
_GREETING_BEFORE = re.compile(
    r"(?i)(?:^|[\s>(])(?:" + greeting_pattern(*GREETING_KINDS, language=ALL_LANGUAGES) + r")[ \t]*,?[ \t]*$"
)


@lint_check("SG103")
def lint_broken_merge(part: lint.LintPart) -> Iterator[lint.StaticHit]:
    """Another tool's merge tags or scaffolding, and a greeting that prints an optional
    name with no fallback."""
    previous_text = ""
    for position, item in enumerate(part.items):
        segment = item.segment
        for match in foreign_tags().finditer(segment.text):
            # As at send time: "[Product] New export options" opens with a list or
            # brand tag. Only the subject's first segment can open it.
            if part.subject and position == 0 and is_subject_tag(segment.text, match.start(), match.end()):
                continue
            yield lint.hit(
                "SG103",
                f"'{match.group()}' is scaffolding or another tool's merge tag; SES prints it as it is",
                item,
                match.start(),
                match.end(),
            )
        for index, variable in segment.variables.items():
            before = segment.text[:index] or previous_text
            if _unguarded_greeting(variable, before, segment.conditions, part.settings.optional_name_fields):
                yield lint.hit(
                    "SG103",
                    f"greeting prints {{{{{variable.path}}}}} with no fallback; wrap it in "
                    f"{{{{#if {variable.path}}}}}...{{{{else}}}}...{{{{/if}}}}",
                    item,
                    index,
                    index + 1,
                )
        previous_text = segment.text


def _unguarded_greeting(
    variable: Mustache, before: str, conditions: tuple[Condition, ...], name_fields: list[str]
) -> bool:
    if not lint.path_matches(variable.path, name_fields):
        return False
    if not _GREETING_BEFORE.search(before.replace(PLACEHOLDER, " ")[-40:]):
        return False
    return not any(c.truthy and c.path == variable.path for c in conditions)
