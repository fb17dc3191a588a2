"""A template part as pieces of fixed text, each with the conditions it sits under.

The Handlebars tree says which ``{{#if}}`` / ``{{else}}`` branch every character
belongs to. A segment is a run of text (data values stand in as one PLACEHOLDER
character) from one branch, unbroken by block tags: what a reader reads when the
segment's conditions hold. For HTML the run is the visible text, each character
mapped back to the template source, so findings keep the template's line and column.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..handlebars import Block, Comment, Mustache, Node, Text
from ..html_text import visible_text
from ..nlp import PLACEHOLDER
from ..normalize import Normalised, normalise

_MASK = "\uf8f8"  # stands for a Handlebars tag while HTML is parsed; never visible text itself


@dataclass(frozen=True, slots=True)
class Condition:
    """``path`` is truthy (or falsy) wherever this condition holds."""

    path: str
    truthy: bool


@dataclass(slots=True)
class Segment:
    """``text`` is what the rules read: the segment normalised (linters/normalize.py).
    ``raw`` is the same text as written; ``offsets`` and ``raw_variables`` index it.
    Spans of ``text`` map back through ``normal``."""

    conditions: tuple[Condition, ...]
    text: str = ""
    chars: list[str] = field(default_factory=list)  # while the text is being built
    offsets: list[int] = field(default_factory=list)  # source offset of each raw character
    variables: dict[int, Mustache] = field(default_factory=dict)  # text index -> the {{value}} there
    raw: str = ""
    raw_variables: dict[int, Mustache] = field(default_factory=dict)  # raw index -> the {{value}}
    normal: Normalised | None = None

    def raw_span(self, start: int, end: int) -> tuple[int, int]:
        return self.normal.to_original(start, end) if self.normal else (start, end)

    def source_span(self, start: int, end: int) -> tuple[int, int]:
        """The template-source span of segment characters [start, end)."""
        return self.raw_source_span(*self.raw_span(start, end))

    def raw_source_span(self, start: int, end: int) -> tuple[int, int]:
        """The template-source span of raw characters [start, end)."""
        first = self.offsets[start]
        last_char = self.offsets[max(end - 1, start)]
        variable = self.raw_variables.get(max(end - 1, start))
        return first, (variable.end if variable else last_char + 1)

    def excerpt(self, start: int, end: int) -> str:
        return self.raw_excerpt(*self.raw_span(start, end))

    def raw_excerpt(self, start: int, end: int) -> str:
        pieces = [
            f"{{{{{self.raw_variables[i].path}}}}}" if i in self.raw_variables else self.raw[i]
            for i in range(start, end)
        ]
        return " ".join("".join(pieces).split())

    def finish(self, html: bool) -> None:
        """Fix the text built so far and normalise it for the rules."""
        self.raw = "".join(self.chars)
        self.chars.clear()
        self.raw_variables = self.variables
        normal = normalise(self.raw, wrapped=not html)
        self.text = normal.text
        if normal.changed:
            self.normal = normal
            # A placeholder is one private-use character: normalisation keeps it as it is.
            self.variables = {normal.from_original(i, i + 1)[0]: v for i, v in self.raw_variables.items()}


def branch_conditions(block: Block) -> tuple[tuple[Condition, ...], tuple[Condition, ...]]:
    """Conditions of a block's children and of its ``{{else}}`` branch."""
    if block.helper == "unless":
        return (Condition(block.arg, False),), (Condition(block.arg, True),)
    return (Condition(block.arg, True),), (Condition(block.arg, False),)


@dataclass(slots=True)
class _Owner:
    kind: str  # "text", "var", "tag" or "comment"
    branch: int  # which list of nodes (branch) the character belongs to
    node: Node | None = None


class _OwnerMap:
    """What each source offset is: text of a branch, a {{value}}, a block tag, a comment."""

    def __init__(self, size: int) -> None:
        self.owners: list[_Owner | None] = [None] * size
        self.conditions: list[tuple[Condition, ...]] = []

    def mark(self, start: int, end: int, owner: _Owner) -> None:
        for i in range(start, min(end, len(self.owners))):
            self.owners[i] = owner

    def add_branch(self, nodes: list[Node], conditions: tuple[Condition, ...]) -> None:
        branch = len(self.conditions)
        self.conditions.append(conditions)
        for node in nodes:
            if isinstance(node, Text):
                self.mark(node.start, node.end, _Owner("text", branch, node))
            elif isinstance(node, Mustache):
                self.mark(node.start, node.end, _Owner("var", branch, node))
            elif isinstance(node, Comment):
                self.mark(node.start, node.end, _Owner("comment", branch, node))
            elif isinstance(node, Block):
                tag = _Owner("tag", branch, node)
                self.mark(node.start, node.open_end, tag)
                if node.else_at is not None and node.else_end is not None:
                    self.mark(node.else_at, node.else_end, tag)
                self.mark(node.close_start, node.end, tag)
                inside, otherwise = branch_conditions(node)
                self.add_branch(node.children, conditions + inside)
                self.add_branch(node.inverse, conditions + otherwise)


def reading(source: str, tree: list[Node], html: bool) -> tuple[str, list[int]]:
    """The characters a reader reads (tags masked) and the source offset of each."""
    if not html:
        return source, list(range(len(source)))
    masked = list(source)
    for node in _tags(tree):
        for i in range(node[0], node[1]):
            if masked[i] != "\n":
                masked[i] = _MASK
    visible = visible_text("".join(masked))
    return visible.text, visible.source_at


def _tags(nodes: list[Node]):
    for node in nodes:
        if isinstance(node, Mustache | Comment):
            yield node.start, node.end
        elif isinstance(node, Block):
            yield node.start, node.open_end
            if node.else_at is not None and node.else_end is not None:
                yield node.else_at, node.else_end
            yield node.close_start, node.end
            yield from _tags(node.children)
            yield from _tags(node.inverse)


def segments(source: str, tree: list[Node], html: bool = False) -> list[Segment]:
    """The fixed-text segments of one template part, in reading order."""
    owners = _OwnerMap(len(source))
    owners.add_branch(tree, ())
    text, source_at = reading(source, tree, html)
    found: list[Segment] = []
    current: Segment | None = None
    current_branch = -1
    last_variable: Node | None = None
    for char, at in zip(text, source_at, strict=True):
        owner = owners.owners[at] if 0 <= at < len(source) else None
        if owner is None or owner.kind == "comment":
            continue
        if owner.kind == "tag":
            current, current_branch, last_variable = None, -1, None
            continue
        if current is None or owner.branch != current_branch:
            current = Segment(owners.conditions[owner.branch])
            current_branch = owner.branch
            found.append(current)
            last_variable = None
        if owner.kind == "var":
            if owner.node is last_variable:
                continue
            last_variable = owner.node
            current.variables[len(current.offsets)] = owner.node  # type: ignore[assignment]
            current.chars.append(PLACEHOLDER)
            current.offsets.append(owner.node.start)  # type: ignore[union-attr]
            continue
        if char == _MASK:
            continue
        last_variable = None
        current.chars.append(char)
        current.offsets.append(at)
    for segment in found:
        segment.finish(html)
    return found


def holds(conditions: tuple[Condition, ...], truth: dict[str, bool]) -> bool:
    """True when every condition agrees with ``truth`` (paths it does not name hold)."""
    return all(truth.get(c.path, c.truthy) == c.truthy for c in conditions)


def compatible(first: tuple[Condition, ...], second: tuple[Condition, ...]) -> bool:
    """True when one rendering can show both: no variable is truthy in one and falsy in the other."""
    wanted = {c.path: c.truthy for c in first}
    return all(wanted.get(c.path, c.truthy) == c.truthy for c in second)
