"""A scanner for the Handlebars subset SES renders, with source positions.

pybars3 renders templates, but it accepts broken ones silently (``{{#if a}}x`` with
no ``{{/if}}`` renders as an empty string) and its parse tree has no positions and
drops comments. This scanner validates structure before pybars compiles anything,
and gives the linter a tree whose nodes know their line and column.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

BLOCK_HELPERS = frozenset({"if", "unless", "each", "with"})
INLINE_HELPERS = frozenset({"lookup", "log"})
_PATH = re.compile(r"^(?:\.\./)*(?:@?[A-Za-z_][\w-]*|this|\.)(?:[./](?:[A-Za-z_@][\w-]*|\d+))*$")


class TemplateSyntaxError(ValueError):
    """A template SES would refuse to render; ``line`` and ``column`` are 1-based."""

    def __init__(self, problem: str, line: int, column: int) -> None:
        self.problem = problem
        self.line = line
        self.column = column
        super().__init__(f"{problem} at line {line}, column {column}")


@dataclass(slots=True)
class Node:
    start: int
    end: int


@dataclass(slots=True)
class Text(Node):
    text: str


@dataclass(slots=True)
class Comment(Node):
    text: str


@dataclass(slots=True)
class Mustache(Node):
    path: str
    escaped: bool
    args: tuple[str, ...] = ()


@dataclass(slots=True)
class Block(Node):
    """``{{#helper arg}} children {{else}} inverse {{/helper}}``.

    ``start``/``end`` span the whole block; ``open_end`` ends the opening tag,
    ``else_at``/``else_end`` span the ``{{else}}`` tag, ``close_start`` starts the
    closing tag. A section (``{{#items}}...{{/items}}``, Handlebars' block form of a
    variable) has ``section`` set and ``helper == arg == "items"``.
    """

    helper: str
    arg: str
    children: list[Node] = field(default_factory=list)
    inverse: list[Node] = field(default_factory=list)
    else_at: int | None = None
    open_end: int = 0
    else_end: int | None = None
    close_start: int = 0
    section: bool = False


@dataclass(slots=True)
class _Open:
    block: Block
    in_inverse: bool = False


def position(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``source``."""
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _fail(source: str, offset: int, problem: str) -> TemplateSyntaxError:
    return TemplateSyntaxError(problem, *position(source, offset))


def _tag_end(source: str, start: int) -> tuple[int, str, str]:
    """Return (end offset, kind, inner text) of the tag that opens at ``start``."""
    if source.startswith("{{!--", start):
        close = source.find("--}}", start + 5)
        if close < 0:
            raise _fail(source, start, "unclosed comment {{!-- (no --}})")
        return close + 4, "comment", source[start + 5 : close]
    if source.startswith("{{{", start):
        close = source.find("}}}", start + 3)
        if close < 0:
            raise _fail(source, start, "unclosed {{{ (no }}})")
        return close + 3, "raw", source[start + 3 : close]
    close = source.find("}}", start + 2)
    if close < 0:
        raise _fail(source, start, "unclosed {{ (no }})")
    inner = source[start + 2 : close]
    if inner.startswith("!"):
        return close + 2, "comment", inner[1:]
    if "{{" in inner:
        raise _fail(source, start, "unclosed {{ (a new {{ starts before }})")
    return close + 2, "tag", inner


def _check_path(source: str, start: int, path: str) -> None:
    if not _PATH.match(path):
        raise _fail(source, start, f"{{{{{path}}}}} is not a variable name")


def parse(source: str) -> list[Node]:
    """Parse ``source`` into a tree, or raise TemplateSyntaxError naming the place."""
    root: list[Node] = []
    stack: list[_Open] = []

    def sink() -> list[Node]:
        if not stack:
            return root
        top = stack[-1]
        return top.block.inverse if top.in_inverse else top.block.children

    pos = 0
    while pos < len(source):
        start = source.find("{{", pos)
        if start < 0:
            sink().append(Text(pos, len(source), source[pos:]))
            break
        if start > pos:
            sink().append(Text(pos, start, source[pos:start]))
        end, kind, inner = _tag_end(source, start)
        if kind == "comment":
            sink().append(Comment(start, end, inner.strip()))
        else:
            _add_tag(source, start, end, kind, inner.strip().strip("~").strip(), stack, sink)
        pos = end
    if stack:
        block = stack[-1].block
        raise _fail(
            source, block.start, f"{{{{#{block.helper}}}}} is never closed with {{{{/{block.helper}}}}}"
        )
    return root


def _add_tag(source: str, start: int, end: int, kind: str, inner: str, stack: list[_Open], sink) -> None:
    if kind == "raw":
        _check_path(source, start, inner)
        sink().append(Mustache(start, end, inner, escaped=False))
        return
    if not inner:
        raise _fail(source, start, "empty {{}} tag")
    head, _, rest = inner.partition(" ")
    if head.startswith("#"):
        helper, arg = head[1:], rest.strip()
        section = helper not in BLOCK_HELPERS and not arg and bool(_PATH.match(helper))
        if section:
            # Handlebars renders {{#items}}...{{/items}} like {{#with}}, or {{#each}} for a list.
            arg = helper
        elif helper not in BLOCK_HELPERS:
            raise _fail(source, start, f"{{{{#{helper}}}}} is not a block helper SES supports")
        if not arg:
            raise _fail(source, start, f"{{{{#{helper}}}}} needs a variable to test")
        _check_path(source, start, arg)
        block = Block(start, end, helper, arg, open_end=end, section=section)
        sink().append(block)
        stack.append(_Open(block))
    elif head.startswith("/"):
        helper = head[1:]
        if not stack:
            raise _fail(source, start, f"{{{{/{helper}}}}} closes a block that was never opened")
        open_block = stack.pop().block
        if helper != open_block.helper:
            line, column = position(source, open_block.start)
            raise _fail(
                source,
                start,
                f"{{{{/{helper}}}}} closes {{{{#{open_block.helper}}}}} opened at line {line}, column {column}",
            )
        open_block.end = end
        open_block.close_start = start
    elif inner == "else" or inner == "^":
        if not stack or stack[-1].in_inverse:
            raise _fail(source, start, "{{else}} outside an {{#if}}, {{#unless}} or {{#each}} block")
        stack[-1].in_inverse = True
        stack[-1].block.else_at = start
        stack[-1].block.else_end = end
    elif head.startswith(">"):
        raise _fail(source, start, "partials ({{> name}}) are not supported by SES templates")
    elif head.startswith(("^", "&")):
        raise _fail(source, start, f"{{{{{inner}}}}} is not part of the Handlebars subset SES renders")
    elif rest:
        if head not in INLINE_HELPERS:
            raise _fail(
                source, start, f"{{{{{inner}}}}}: unknown helper {head!r} (a variable name has no spaces)"
            )
        sink().append(Mustache(start, end, head, escaped=True, args=tuple(rest.split())))
    else:
        _check_path(source, start, inner)
        sink().append(Mustache(start, end, inner, escaped=True))


def walk(nodes: list[Node]):
    """Every node of the tree, depth first, in source order."""
    for node in nodes:
        yield node
        if isinstance(node, Block):
            yield from walk(node.children)
            yield from walk(node.inverse)
