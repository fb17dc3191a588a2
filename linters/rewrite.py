"""Safe rewrites: apply the fixes of ``rewrite`` findings, then check the result again.

A rule that knows a safe edit gives its hit a ``fix`` (the replacement for the span;
"" removes it). Edits are made to the rendered parts as sent, each part on its own
(subject, text and HTML carry their own findings, so they are edited alike). In HTML
only text is edited: a span that crosses markup is unsafe, replacements are escaped,
and a span ending inside an entity (``&amp;``) is widened to the whole entity.

Every edit is tidied where it joins the text around it, so the result reads as if
written that way: no doubled or trailing spaces, no space before punctuation, no
comma left before a full stop, no empty line left by a removed line, and a capital
letter where a sentence now starts. The tidying is part of the recorded change, so
``changes`` shows exactly what was sent differently.

A rewrite never deletes substance: a removal that would also take an offer, a fact
or news, a call to action, a date, a price, a number or a link (``linters.substance``)
is not made. Rules offer the narrowest edit they know (SG201/SG202 drop only the
status words, "our most loyal clients" -> "our clients", when cutting the clause
would take an offer with it); when even that would delete substance, the message is
not rewritten and not sent as written either: it is blocked with ``SG000
unsafe-rewrite`` naming the rule and what the edit would have deleted, and goes to
quarantine, where a person fixes the template or releases it. Sending it unedited
would send the very claim policy forbids; sending it half-deleted would lose the
news the message exists for.

Text the reader meets outside the body as shown (the ``preheader`` and ``alt`` parts,
linters/message.py) is never edited: a rewrite finding there blocks with SG000.

The edited message is linted again: if a rewritten rule still fires, or an edit
could not be made safely (no fix, markup crossed, substance deleted, a part emptied,
such as a subject that was all claim), the decision becomes ``block``.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from .address import GREETING_KINDS, greeting_pattern
from .findings import Action, Change, Decision, Finding, Result, decide
from .message import SEEN_PARTS, Message, build_part
from .render import Value
from .rule_runner import run_rules
from .substance import substance_in

if TYPE_CHECKING:
    from .policy import Policy

UNSAFE_RULE = "SG000"

_ENTITY = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_SENTENCE_END = ".!?\u2026"
_JOINING_PUNCT = ",.!?;:)"
_SOFT_PUNCT = ",;:"
# Tags that start or end a line of visible text: a space next to them is not shown.
_BLOCK_TAG = re.compile(
    r"</?(?:p|div|br|li|ul|ol|h[1-6]|td|th|tr|table|blockquote|section|header|footer)\b", re.I
)
_LETTER = re.compile(r"[^\W\d_]")
# A salutation line ("Hi Dana,"): a message cut down to one has nothing left to say.
# Not "welcome": "Welcome to Acme Rewards!" left alone still tells the reader something.
_GREETING_LINE = re.compile(
    r"(?im)^[ \t]*(?:" + greeting_pattern(*(k for k in GREETING_KINDS if k != "welcome")) + r")\b"
    r"[^\n.!?,:]{0,40}[,.!:]?[ \t]*$"
)


class UnsafeEdit(Exception):
    """An edit that cannot be made without risk; the message is blocked instead."""


@dataclass(slots=True)
class _Edit:
    rule: str
    start: int
    end: int
    fix: str


def _edits_for(result: Result) -> dict[str, list[Finding]]:
    edits: dict[str, list[Finding]] = {}
    for finding in result.findings:
        if finding.action == Action.REWRITE and finding.part is not None:
            edits.setdefault(finding.part, []).append(finding)
    return edits


def _planned(sent: str, findings: list[Finding], is_html: bool) -> list[_Edit]:
    """The edits to make, left to right, without overlaps.

    An edit inside another is dropped (the larger one removes it too); two removals
    that overlap are merged; any other overlap is ambiguous, so unsafe.
    """
    plan: list[_Edit] = []
    # An insertion (an empty span: SG703/SG704 add an opening) comes before an edit that
    # starts where it does, so it is not taken for an edit inside that one.
    for finding in sorted(findings, key=lambda f: (f.start, f.end != f.start, -f.end)):
        if finding.fix is None:
            raise UnsafeEdit(f"{finding.rule} has no safe edit ('{finding.excerpt}')")
        if not finding.fix.strip():
            _keeps_substance(finding, sent[finding.start : finding.end])
        edit = _Edit(finding.rule, finding.start, finding.end, finding.fix)
        if is_html:
            edit = _html_edit(sent, edit)
        if plan and edit.start < plan[-1].end:
            last = plan[-1]
            if edit.end <= last.end:
                continue
            if edit.fix or last.fix:
                raise UnsafeEdit(f"{last.rule} and {edit.rule} edit overlapping text differently")
            last.end = edit.end  # two overlapping removals are one, recorded for both rules
            if edit.rule not in last.rule.split(","):
                last.rule = f"{last.rule},{edit.rule}"
            continue
        plan.append(edit)
    return plan


def _keeps_substance(finding: Finding, removed: str) -> None:
    """A removal may take the problem phrase only, never an offer, a fact, a call to
    action, a date, a price or a link next to it (linters/substance.py)."""
    deleted = substance_in(removed)
    if deleted:
        shown = " ".join(removed.split())
        raise UnsafeEdit(
            f"removing {finding.rule}'s '{finding.excerpt}' would also delete {deleted} "
            f"('{shown[:120]}'); a rewrite never deletes content, so it is not rewritten"
        )


def _html_edit(sent: str, edit: _Edit) -> _Edit:
    start, end = edit.start, edit.end
    # A span that ends on the first character of an entity maps to "&": take it whole.
    entity = _ENTITY.match(sent, max(end - 1, 0)) if end > start and sent[end - 1] == "&" else None
    if entity:
        end = entity.end()
    original = sent[start:end]
    if ("<" in original or ">" in original) and (edit.fix or not _whole_inline_elements(original)):
        raise UnsafeEdit(f"{edit.rule}: the edit crosses HTML markup ('{original[:60]}')")
    # A line break a rule asks for (SG702's footer) is one the reader sees: <br>.
    return _Edit(edit.rule, start, end, html.escape(edit.fix, quote=False).replace("\n", "<br>"))


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)\b[^<>]*?(/?)>")
_FORMATTING = frozenset(
    {"b", "strong", "i", "em", "u", "span", "font", "small", "big", "sup", "sub", "mark", "s"}
)


def _whole_inline_elements(original: str) -> bool:
    """A removal may take formatting elements it wholly contains ("our <b>best</b>
    customers"): markup around it stays intact. Links, blocks and half elements may not."""
    if original.count("<") != len(_TAG.findall(original)) or original.count(">") != original.count("<"):
        return False
    open_tags: list[str] = []
    for closing, name, _ in _TAG.findall(original):
        name = name.lower()
        if name not in _FORMATTING:
            return False
        if not closing:
            open_tags.append(name)
        elif not open_tags or open_tags.pop() != name:
            return False
    return not open_tags


def _apply(sent: str, findings: list[Finding], is_html: bool = False) -> tuple[str, list[Change]]:
    """Apply the fixes with tidy seams; raise UnsafeEdit when that cannot be done safely."""
    plan = _planned(sent, findings, is_html)
    changes: list[Change] = []
    pieces: list[str] = []
    done = 0  # everything before ``done`` is already in ``pieces``
    for index, edit in enumerate(plan):
        limit = plan[index + 1].start if index + 1 < len(plan) else len(sent)
        start, end, replacement = _seam(sent, edit.start, edit.end, edit.fix, done, limit, is_html)
        if start == done and pieces and not replacement.strip() and _ends_sentence("".join(pieces)):
            replacement, end = _capitalized_after(sent, replacement, end, limit, is_html)
        pieces.append(sent[done:start])
        pieces.append(replacement)
        changes.append(_change(edit.rule, sent, start, end, replacement))
        done = end
    pieces.append(sent[done:])
    text = "".join(pieces)
    visible = _visible(text) if is_html else text
    if not _LETTER.search(visible):
        raise UnsafeEdit("the edit would leave the part without any words")
    if not _LETTER.search(_GREETING_LINE.sub("", visible)) and _LETTER.search(
        _GREETING_LINE.sub("", _visible(sent) if is_html else sent)
    ):
        raise UnsafeEdit("the edit would leave nothing but the greeting")
    return text, changes


def _change(rule: str, sent: str, start: int, end: int, replacement: str) -> Change:
    """The change as recorded: without the text the seam only copied ("\\n\\n" kept)."""
    original = sent[start:end]
    head = 0
    while head < min(len(original), len(replacement)) and original[head] == replacement[head]:
        head += 1
    # Trim whole words only: "Hey Chris" -> "Hello" is an audit record, "y Chris" -> "llo" is not.
    while head > 0 and (original[head - 1].isalnum() or replacement[head - 1 : head].isalnum()):
        head -= 1
    tail = 0
    limit = min(len(original), len(replacement)) - head
    while tail < limit and original[-1 - tail] == replacement[-1 - tail]:
        tail += 1
    while tail > 0 and (
        original[len(original) - tail].isalnum() or replacement[len(replacement) - tail].isalnum()
    ):
        tail -= 1
    return Change(
        rule,
        "",
        start + head,
        end - tail,
        original[head : len(original) - tail],
        replacement[head : len(replacement) - tail],
    )


def _ends_sentence(written: str) -> bool:
    tail = written.rstrip(" \t")
    return not tail or tail[-1] in _SENTENCE_END + "\n" or tail.endswith(("<p>", "<br>", "<br/>", "<li>"))


def _capitalized_after(sent: str, replacement: str, end: int, limit: int, is_html: bool) -> tuple[str, int]:
    """An edit that meets the previous one at a sentence end capitalizes what follows."""
    letter_at = _next_letter(sent, end, limit, is_html)
    if letter_at is None or not sent[letter_at].islower():
        return replacement, end
    return replacement + sent[end:letter_at] + sent[letter_at].upper(), letter_at + 1


def _visible(sent: str) -> str:
    from .html_text import visible_text

    return visible_text(sent).text


def _seam(
    sent: str, start: int, end: int, fix: str, floor: int, ceiling: int, is_html: bool
) -> tuple[int, int, str]:
    """Widen an edit over the spaces and punctuation at its edges so it joins cleanly.

    Returns the widened span (never beyond ``floor``/``ceiling``, the neighbouring
    edits) and its replacement.
    """
    if fix.strip() or "\n" in fix:
        # Text, or a paragraph break a rule asked for: kept as given.
        return _seam_replacement(sent, start, end, fix, floor, ceiling)
    # A removal: the spaces on both sides collapse into what the join needs.
    left = start
    while left > floor and sent[left - 1] in " \t\n":
        left -= 1
    right = end
    while right < ceiling and sent[right] in " \t\n":
        right += 1
    gap = sent[left:start] + sent[end:right]
    prev = sent[left - 1] if left > 0 else ""
    nxt = sent[right] if right < len(sent) else ""
    if is_html:
        widened = _whole_element(sent, left, right, floor, ceiling)
        if widened != (left, right):
            (left, right), gap = widened, ""
        prev = sent[left - 1] if left > 0 else ""
        nxt = sent[right] if right < len(sent) else ""
    if left > floor and prev in _SOFT_PUNCT and prev and (not nxt or nxt in _SENTENCE_END + _SOFT_PUNCT):
        left -= 1  # "Enjoy it, ." -> "Enjoy it."
        prev = sent[left - 1] if left > 0 else ""
    if is_html:
        left, right = _drop_dangling_break(sent, left, right, floor, ceiling)
        prev = sent[left - 1] if left > 0 else ""
        nxt = sent[right] if right < len(sent) else ""
    edge_before = prev == "" or (is_html and _block_tag_ends_at(sent, left))
    edge_after = nxt == "" or (is_html and bool(_BLOCK_TAG.match(sent, right)))
    join = _join(gap, nxt, edge_before or edge_after)
    replacement = join
    starts_sentence = edge_before or prev in _SENTENCE_END or "\n" in join
    if starts_sentence and right < ceiling:
        letter_at = _next_letter(sent, right, ceiling, is_html)
        if letter_at is not None and sent[letter_at].islower():
            replacement = join + sent[right:letter_at] + sent[letter_at].upper()
            right = letter_at + 1
    return left, right, replacement


_EMPTIED = re.compile(r"<(p|li|div|h[1-6])(?:\s[^<>]*)?>$", re.I)


def _whole_element(sent: str, left: int, right: int, floor: int, ceiling: int) -> tuple[int, int]:
    """A removal that empties a paragraph (``<p>...</p>``) takes the element with it."""
    opening = sent.rfind("<", floor, left)
    if opening < 0 or sent[opening:left].count(">") != 1:
        return left, right
    tag = _EMPTIED.match(sent, opening, left)
    if not tag or not sent.startswith(f"</{tag.group(1)}", right):
        return left, right
    close = sent.find(">", right, ceiling)
    if close < 0:
        return left, right
    return opening, close + 1


def _join(gap: str, nxt: str, at_edge: bool) -> str:
    """The white space that belongs where text was removed."""
    if at_edge:
        return ""  # start or end of the part, or of an HTML block
    if "\n" in gap:
        indent = gap[gap.rfind("\n") + 1 :]
        return "\n" * min(gap.count("\n"), 2) + indent
    if nxt in _JOINING_PUNCT:
        return ""
    return " " if gap else ""


_BREAK = re.compile(r"<br\s*/?>[ \t\n]*", re.I)


def _drop_dangling_break(sent: str, left: int, right: int, floor: int, ceiling: int) -> tuple[int, int]:
    """A removal at the start of a paragraph takes the <br> that followed the removed
    line ("<p>Thanks for your loyalty,<br>Northwind</p>" -> "<p>Northwind</p>")."""
    if _block_tag_ends_at(sent, left):
        found = _BREAK.match(sent, right, ceiling)
        if found:
            return left, found.end()
    return left, right


def _block_tag_ends_at(sent: str, at: int) -> bool:
    """True when the markup just before ``at`` is a block tag (``<p>``, ``</div>``, ``<br>``)."""
    if at == 0 or sent[at - 1] != ">":
        return False
    opening = sent.rfind("<", 0, at)
    return opening >= 0 and bool(_BLOCK_TAG.match(sent, opening))


def _next_letter(sent: str, at: int, ceiling: int, is_html: bool) -> int | None:
    """Where the next visible letter is, skipping quotes and (in HTML) inline tags."""
    while at < ceiling:
        char = sent[at]
        if is_html and char == "<":
            close = sent.find(">", at, ceiling)
            if close < 0:
                return None
            at = close + 1
            continue
        if char in "\"'\u201c\u2018(":
            at += 1
            continue
        return at if char.isalpha() else None
    return None


def _seam_replacement(
    sent: str, start: int, end: int, fix: str, floor: int, ceiling: int
) -> tuple[int, int, str]:
    """A replacement keeps its neighbours' spacing: trim its own edge spaces where
    the text already has them."""
    if fix[:1].isspace() and start > floor and sent[start - 1].isspace():
        fix = fix.lstrip()
    if fix[-1:].isspace() and end < ceiling and sent[end].isspace():
        fix = fix.rstrip()
    return start, end, fix


def _block(result: Result, why: str) -> None:
    result.decision = Decision.BLOCK
    result.findings.append(Finding(UNSAFE_RULE, "unsafe-rewrite", Action.BLOCK, why, None, 0, 0, ""))


def rewrite_message(message: Message, result: Result, policy: Policy) -> None:
    """Rewrite ``result`` in place: new message, changes, and the re-checked decision."""
    parts = dict(message.parts)
    changes: list[Change] = []
    edits = _edits_for(result)
    for name in SEEN_PARTS:
        if name in edits:
            _block(result, _not_editable(name, edits[name]))
            return
    for name, findings in edits.items():
        try:
            text, part_changes = _apply(parts[name].sent, findings, is_html=name == "html")
        except UnsafeEdit as exc:
            _block(result, f"no safe rewrite of the {name} part: {exc}")
            return
        for change in part_changes:
            change.part = name
        parts[name] = build_part(name, text, _values_after(parts[name].rendered, part_changes))
        changes.extend(part_changes)
    edited = Message(message.request, message.customer, parts, message.now)
    again = run_rules(edited, policy)
    rewritten = {f.rule for f in result.findings if f.action == Action.REWRITE}
    result.original = result.message
    result.message = {name: part.sent for name, part in parts.items()}
    result.changes = changes
    still = [f for f in again if f.rule in rewritten and f.action == Action.REWRITE]
    if still:
        _block(result, f"the rewritten message still fails {', '.join(sorted({f.rule for f in still}))}")
        return
    result.decision = max(decide(again), Decision.REWRITE, key=_strength)


def _not_editable(name: str, findings: list[Finding]) -> str:
    """Why a finding in the preheader or the alt text is not rewritten: that text sits in
    markup (a hidden block, an attribute), and an edit there is not one a rewrite makes
    safely; a person fixes the template."""
    where = "preheader (hidden text at the top of the HTML)" if name == "preheader" else "alt or title text"
    found = ", ".join(f"{f.rule} '{f.excerpt}'" for f in findings[:3])
    return f"no safe rewrite of the {name} part: {found} is in the {where}, which a rewrite does not edit"


def _strength(decision: Decision) -> int:
    return [Decision.ALLOW, Decision.REWRITE, Decision.HOLD, Decision.BLOCK].index(decision)


def _values_after(values: tuple[Value, ...], changes: list[Change]) -> tuple[Value, ...]:
    """Provenance after the edits: values an edit touched are dropped, later ones shift."""
    if values and changes and changes[0].part == "html":
        return ()  # HTML provenance is recomputed from visible text; keep it simple
    kept: list[Value] = []
    for value in values:
        shift = 0
        touched = False
        for change in changes:
            if change.end <= value.start:
                shift += len(change.replacement) - (change.end - change.start)
            elif change.start < value.end:
                touched = True
        if not touched:
            kept.append(replace(value, start=value.start + shift, end=value.end + shift))
    return tuple(kept)


__all__ = ["UNSAFE_RULE", "UnsafeEdit", "rewrite_message"]
