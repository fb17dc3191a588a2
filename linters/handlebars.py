"""A scanner for the Handlebars subset SES renders, with source positions.

It validates structure (``{{#if a}}x`` with no ``{{/if}}`` is an error naming the
line and column, where a lenient engine would print nothing) and gives the linter
and the renderer (``linters.render``) one tree whose nodes know their offsets.

Besides variables, ``{{{raw}}}``, ``{{&raw}}``, comments and the block helpers, it
reads what real templates use: ``{{else if x}}`` chains (any block helper after
``else``), segment literals (``{{#if list.[0]}}``, ``{{a.[b c]}}``), whitespace
control (``{{~x~}}`` on any tag) and escaped mustaches (``\\{{x}}`` prints ``{{x}}``).
Whitespace control and escapes are applied here: a ``Text`` node's ``text`` is what
renders, while ``start``/``end`` still span its source.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

BLOCK_HELPERS = frozenset({"if", "unless", "each", "with"})
INLINE_HELPERS = frozenset({"lookup", "log"})
# Blocks nest at most this deep: the tree is walked recursively when it is linted and
# rendered, and a hostile template must get an error, not a RecursionError.
MAX_NESTING = 100

_NAME = r"[A-Za-z_][\w-]*"
_LITERAL_SEGMENT = r"\[[^\]]+\]"
_PATH = re.compile(
    rf"^(?:\.\./)*(?:@?{_NAME}|{_LITERAL_SEGMENT}|this|\.)"
    rf"(?:[./](?:@?{_NAME}|\d+|{_LITERAL_SEGMENT}))*$"
)
# One argument inside a tag: a quoted string, or a run that may hold [segment literals].
_TOKEN = re.compile(r"\"[^\"]*\"|'[^']*'|(?:\[[^\]]*\]|[^\s\[\]\"'])+")
_NUMBER = re.compile(r"^-?\d+(?:\.\d+)?$")


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


# ``~`` at the (open, close) end of a tag: strip the whitespace before / after it.
Strip = tuple[bool, bool]
NO_STRIP: Strip = (False, False)


@dataclass(slots=True)
class Comment(Node):
    text: str
    strip: Strip = NO_STRIP


@dataclass(slots=True)
class Mustache(Node):
    path: str
    escaped: bool
    args: tuple[str, ...] = ()
    strip: Strip = NO_STRIP


@dataclass(slots=True)
class Block(Node):
    """``{{#helper arg}} children {{else}} inverse {{/helper}}``.

    ``start``/``end`` span the whole block; ``open_end`` ends the opening tag,
    ``else_at``/``else_end`` span the ``{{else}}`` tag, ``close_start`` starts the
    closing tag. A section (``{{#items}}...{{/items}}``, Handlebars' block form of a
    variable) has ``section`` set and ``helper == arg == "items"``.

    ``{{#if a}}A{{else if b}}B{{else}}C{{/if}}`` is, as in Handlebars, an ``if a``
    whose inverse is one ``chained`` block ``if b`` opened by the ``{{else if b}}``
    tag and closed by the same ``{{/if}}``.
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
    chained: bool = False
    open_strip: Strip = NO_STRIP
    else_strip: Strip = NO_STRIP
    close_strip: Strip = NO_STRIP


@dataclass(slots=True)
class _Open:
    block: Block
    in_inverse: bool = False


@dataclass(slots=True)
class _Tag:
    """One ``{{...}}`` tag: its span, kind, inner text and ``~`` on either side."""

    start: int
    end: int
    kind: str  # "comment", "raw" (``{{{x}}}``) or "tag"
    inner: str
    strip_before: bool = False
    strip_after: bool = False

    @property
    def strip(self) -> Strip:
        return (self.strip_before, self.strip_after)


def position(source: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``source``."""
    line = source.count("\n", 0, offset) + 1
    column = offset - (source.rfind("\n", 0, offset) + 1) + 1
    return line, column


def _fail(source: str, offset: int, problem: str) -> TemplateSyntaxError:
    return TemplateSyntaxError(problem, *position(source, offset))


def _read_tag(source: str, start: int) -> _Tag:
    """The tag that opens at ``start`` (``source[start:start + 2] == "{{"``)."""
    body = start + 2
    strip_before = source.startswith("~", body)
    body += strip_before
    if source.startswith("!--", body):
        close = source.find("--", body + 3)
        while close >= 0 and not re.match(r"--~?\}\}", source[close : close + 5]):
            close = source.find("--", close + 1)
        if close < 0:
            raise _fail(source, start, "unclosed comment {{!-- (no --}})")
        strip_after = source.startswith("~", close + 2)
        end = close + 4 + strip_after
        return _Tag(start, end, "comment", source[body + 3 : close], strip_before, strip_after)
    if source.startswith("{", body):
        close = source.find("}", body + 1)
        while close >= 0 and not re.match(r"\}~?\}\}", source[close : close + 4]):
            close = source.find("}", close + 1)
        if close < 0:
            raise _fail(source, start, "unclosed {{{ (no }}})")
        strip_after = source.startswith("~", close + 1)
        end = close + 3 + strip_after
        return _Tag(start, end, "raw", source[body + 1 : close].strip(), strip_before, strip_after)
    close = source.find("}}", body)
    if close < 0:
        raise _fail(source, start, "unclosed {{ (no }})")
    inner = source[body:close]
    if inner.startswith("!"):
        strip_after = inner.endswith("~")
        return _Tag(
            start, close + 2, "comment", inner[1 : len(inner) - strip_after], strip_before, strip_after
        )
    if "{{" in inner:
        raise _fail(source, start, "unclosed {{ (a new {{ starts before }})")
    strip_after = inner.endswith("~")
    inner = inner[: len(inner) - strip_after].strip()
    return _Tag(start, close + 2, "tag", inner, strip_before, strip_after)


def _escaped_text_end(source: str, start: int) -> int:
    """End of the literal text an escaped ``\\{{`` starts at ``start`` (Handlebars' "emu"
    state): up to the next ``{{``, ``\\{{`` or ``\\\\{{``, or the end of the source."""
    following = source.find("{{", start + 2)
    if following < 0:
        return len(source)
    end = following
    for _ in range(2):
        if end - 1 >= start + 2 and source[end - 1] == "\\":
            end -= 1
    return end


def is_path(text: str) -> bool:
    return bool(_PATH.match(text))


def _check_path(source: str, start: int, path: str) -> None:
    if not _PATH.match(path):
        raise _fail(source, start, f"{{{{{path}}}}} is not a variable name")


def split_arguments(text: str) -> list[str]:
    """The arguments of a tag: paths (``[b c]`` kept whole) and quoted strings."""
    return _TOKEN.findall(text)


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def is_literal(token: str) -> bool:
    return token[:1] in "\"'" or bool(_NUMBER.match(token)) or token in ("true", "false", "null", "undefined")


class _Parser:
    """Builds the tree; ``stack`` holds the blocks open at the current offset."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.root: list[Node] = []
        self.stack: list[_Open] = []

    def sink(self) -> list[Node]:
        if not self.stack:
            return self.root
        top = self.stack[-1]
        return top.block.inverse if top.in_inverse else top.block.children

    def add(self, node: Node) -> None:
        self.sink().append(node)

    def text(self, start: int, end: int, text: str) -> None:
        self.add(Text(start, end, text))

    def fail(self, offset: int, problem: str) -> TemplateSyntaxError:
        return _fail(self.source, offset, problem)

    def parse(self) -> list[Node]:
        source = self.source
        pos = 0
        while pos < len(source):
            start = source.find("{{", pos)
            if start < 0:
                self.text(pos, len(source), source[pos:])
                break
            before = source[pos:start]
            if before.endswith("\\") and not before.endswith("\\\\"):
                end = _escaped_text_end(source, start)
                self.text(pos, end, before[:-1] + source[start:end])
                pos = end
                continue
            if before.endswith("\\\\"):
                before = before[:-1]
            if before:
                self.text(pos, start, before)
            tag = _read_tag(source, start)
            self.tag(tag)
            pos = tag.end
        if self.stack:
            block = self._opener(len(self.stack) - 1)
            raise self.fail(
                block.start, f"{{{{#{block.helper}}}}} is never closed with {{{{/{block.helper}}}}}"
            )
        _Whitespace().program(self.root)
        return self.root

    def _opener(self, index: int) -> Block:
        """The block whose closing tag closes ``stack[index]`` (the head of an else chain)."""
        while self.stack[index].block.chained:
            index -= 1
        return self.stack[index].block

    def tag(self, tag: _Tag) -> None:
        if tag.kind == "comment":
            self.add(Comment(tag.start, tag.end, tag.inner.strip(), tag.strip))
        elif tag.kind == "raw":
            _check_path(self.source, tag.start, tag.inner)
            self.add(Mustache(tag.start, tag.end, tag.inner, escaped=False, strip=tag.strip))
        else:
            self.statement(tag)

    def statement(self, tag: _Tag) -> None:
        inner, start = tag.inner, tag.start
        if not inner:
            raise self.fail(start, "empty {{}} tag")
        head = inner[0]
        if head == "#":
            self.open_block(tag, inner[1:].strip())
        elif head == "/":
            self.close_block(tag, inner[1:].strip())
        elif inner == "^" or inner == "else" or re.match(r"else\s", inner):
            self.else_tag(tag, inner[4:].strip() if inner.startswith("else") else "")
        elif head == ">":
            raise self.fail(start, "partials ({{> name}}) are not supported by SES templates")
        elif head == "&":
            path = inner[1:].strip()
            _check_path(self.source, start, path)
            self.add(Mustache(start, tag.end, path, escaped=False, strip=tag.strip))
        elif head == "^":
            raise self.fail(start, f"{{{{{inner}}}}} is not part of the Handlebars subset SES renders")
        else:
            self.mustache(tag)

    def mustache(self, tag: _Tag) -> None:
        tokens = split_arguments(tag.inner)
        if not tokens or _squeezed("".join(tokens)) != _squeezed(tag.inner):
            raise self.fail(tag.start, f"{{{{{tag.inner}}}}} is not a variable name")
        head, args = tokens[0], tuple(tokens[1:])
        if args:
            if head not in INLINE_HELPERS:
                raise self.fail(
                    tag.start, f"{{{{{tag.inner}}}}}: unknown helper {head!r} (a variable name has no spaces)"
                )
            for arg in args:
                if not is_literal(arg):
                    _check_path(self.source, tag.start, arg)
            if head == "lookup" and len(args) != 2:
                raise self.fail(tag.start, "{{lookup}} takes an object and a key")
        else:
            _check_path(self.source, tag.start, head)
        self.add(Mustache(tag.start, tag.end, head, escaped=True, args=args, strip=tag.strip))

    def _helper_and_arg(self, tag: _Tag, text: str, chained: bool) -> tuple[str, str, bool]:
        tokens = split_arguments(text)
        helper, args = (tokens[0], tokens[1:]) if tokens else ("", [])
        section = not chained and helper not in BLOCK_HELPERS and not args and is_path(helper)
        if section:
            # Handlebars renders {{#items}}...{{/items}} like {{#with}}, or {{#each}} for a list.
            return helper, helper, True
        if helper not in BLOCK_HELPERS:
            where = "{{else " if chained else "{{#"
            raise self.fail(tag.start, f"{where}{helper}}}}} is not a block helper SES supports")
        if not args:
            raise self.fail(tag.start, f"{{{{#{helper}}}}} needs a variable to test")
        if len(args) > 1:
            raise self.fail(tag.start, f"{{{{#{helper} {' '.join(args)}}}}} takes one variable")
        if not is_literal(args[0]):
            _check_path(self.source, tag.start, args[0])
        return helper, args[0], False

    def _push(self, block: Block) -> None:
        if len(self.stack) >= MAX_NESTING:
            raise self.fail(block.start, f"blocks nest more than {MAX_NESTING} deep")
        self.add(block)
        self.stack.append(_Open(block))

    def open_block(self, tag: _Tag, text: str) -> None:
        helper, arg, section = self._helper_and_arg(tag, text, chained=False)
        block = Block(
            tag.start, tag.end, helper, arg, open_end=tag.end, section=section, open_strip=tag.strip
        )
        self._push(block)

    def else_tag(self, tag: _Tag, chain: str) -> None:
        if not self.stack or self.stack[-1].in_inverse:
            raise self.fail(tag.start, "{{else}} outside an {{#if}}, {{#unless}} or {{#each}} block")
        top = self.stack[-1]
        top.in_inverse = True
        top.block.else_at = tag.start
        top.block.else_end = tag.end
        top.block.else_strip = tag.strip
        if chain:
            helper, arg, _ = self._helper_and_arg(tag, chain, chained=True)
            self._push(
                Block(tag.start, tag.end, helper, arg, open_end=tag.end, chained=True, open_strip=tag.strip)
            )

    def close_block(self, tag: _Tag, helper: str) -> None:
        if not self.stack:
            raise self.fail(tag.start, f"{{{{/{helper}}}}} closes a block that was never opened")
        opener = self._opener(len(self.stack) - 1)
        if helper != opener.helper:
            line, column = position(self.source, opener.start)
            raise self.fail(
                tag.start,
                f"{{{{/{helper}}}}} closes {{{{#{opener.helper}}}}} opened at line {line}, column {column}",
            )
        while True:
            block = self.stack.pop().block
            block.end = tag.end
            block.close_start = tag.start
            block.close_strip = tag.strip
            if not block.chained:
                break


@dataclass(slots=True)
class _Strip:
    """What a statement asks of the whitespace around it (Handlebars' ``strip``)."""

    open: bool = False
    close: bool = False
    open_standalone: bool = False
    close_standalone: bool = False
    inline_standalone: bool = False


def _trailing_space(text: str) -> str:
    return text[len(text.rstrip()) :]


def _leading_space(text: str) -> str:
    return text[: len(text) - len(text.lstrip())]


class _Whitespace:
    """Handlebars' WhitespaceControl pass, node for node: ``~`` strips all whitespace on
    its side; a block, ``{{else}}`` or comment tag alone on its line ("standalone")
    takes that line's indentation and line break with it. Decisions read each text as
    written (``original``) while the stripping edits ``Text.text``."""

    def __init__(self) -> None:
        self.root_seen = False
        self.originals: dict[int, str] = {}
        self.left_stripped: set[int] = set()
        self.right_stripped: set[int] = set()

    def original(self, node: Text) -> str:
        return self.originals.get(id(node), node.text)

    def program(self, body: list[Node]) -> None:
        is_root = not self.root_seen
        self.root_seen = True
        for i, current in enumerate(body):
            strip = self.accept(current)
            if strip is None:
                continue
            prev_space = self.prev_is_space(body, i, is_root)
            next_space = self.next_is_space(body, i, is_root)
            if strip.close:
                self.omit_right(body, i, multiple=True)
            if strip.open:
                self.omit_left(body, i, multiple=True)
            if strip.inline_standalone and prev_space and next_space:
                self.omit_right(body, i)
                self.omit_left(body, i)
            if strip.open_standalone and prev_space and isinstance(current, Block):
                self.omit_right(current.children)
                self.omit_left(body, i)
            if strip.close_standalone and next_space and isinstance(current, Block):
                self.omit_right(body, i)
                self.omit_left(current.inverse if current.else_at is not None else current.children)

    def accept(self, node: Node) -> _Strip | None:
        if isinstance(node, Mustache):
            return _Strip(open=node.strip[0], close=node.strip[1])
        if isinstance(node, Comment):
            return _Strip(open=node.strip[0], close=node.strip[1], inline_standalone=True)
        if isinstance(node, Block):
            return self.block(node)
        return None

    def block(self, block: Block) -> _Strip:
        self.program(block.children)
        inverse = block.inverse if block.else_at is not None else None
        if inverse is not None:
            self.program(inverse)
        program = block.children
        first_inverse = last_inverse = inverse
        if inverse and isinstance(inverse[0], Block) and inverse[0].chained:
            first_inverse = last_inverse = inverse[0].children
        strip = _Strip(
            open=block.open_strip[0],
            close=block.close_strip[1],
            open_standalone=self.next_is_space(program),
            close_standalone=self.prev_is_space(program if first_inverse is None else first_inverse),
        )
        if block.open_strip[1]:
            self.omit_right(program, multiple=True)
        if first_inverse is not None and last_inverse is not None:
            if block.else_strip[0]:
                self.omit_left(program, multiple=True)
            if block.else_strip[1]:
                self.omit_right(first_inverse, multiple=True)
            if block.close_strip[0]:
                self.omit_left(last_inverse, multiple=True)
            if self.prev_is_space(program) and self.next_is_space(first_inverse):
                self.omit_left(program)
                self.omit_right(first_inverse)
        elif block.close_strip[0]:
            self.omit_left(program, multiple=True)
        return strip

    def prev_is_space(self, body: list[Node], i: int | None = None, is_root: bool = False) -> bool:
        """The text before ``body[i]`` ends in a line break and blanks (for the root's first
        node, is blank); nothing before means true only at the root."""
        i = len(body) if i is None else i
        if i < 1:
            return is_root
        before = body[i - 1]
        if not isinstance(before, Text):
            return False
        text = self.original(before)
        if i < 2 and is_root and not text.strip():
            return True
        return "\n" in _trailing_space(text)

    def next_is_space(self, body: list[Node], i: int | None = None, is_root: bool = False) -> bool:
        i = -1 if i is None else i
        if i + 1 >= len(body):
            return is_root
        after = body[i + 1]
        if not isinstance(after, Text):
            return False
        text = self.original(after)
        if i + 2 >= len(body) and is_root and not text.strip():
            return True
        return "\n" in _leading_space(text)

    def _edit(self, node: Text, text: str, stripped: set[int]) -> bool:
        self.originals.setdefault(id(node), node.text)
        changed = text != node.text
        node.text = text
        (stripped.add if changed else stripped.discard)(id(node))
        return changed

    def omit_right(self, body: list[Node], i: int | None = None, multiple: bool = False) -> None:
        """Strip the start of the text after ``body[i]`` (the first node if ``i`` is None):
        all whitespace, or (standalone) the blanks and one line break."""
        at = 0 if i is None else i + 1
        node = body[at] if at < len(body) else None
        if not isinstance(node, Text) or (not multiple and id(node) in self.right_stripped):
            return
        text = node.text.lstrip() if multiple else re.sub(r"^[ \t]*\r?\n?", "", node.text)
        self._edit(node, text, self.right_stripped)

    def omit_left(self, body: list[Node], i: int | None = None, multiple: bool = False) -> bool:
        """Strip the end of the text before ``body[i]`` (the last node if ``i`` is None):
        all whitespace, or (standalone) the blanks that indent the tag."""
        at = len(body) - 1 if i is None else i - 1
        node = body[at] if at >= 0 else None
        if not isinstance(node, Text) or (not multiple and id(node) in self.left_stripped):
            return False
        text = node.text.rstrip() if multiple else node.text.rstrip(" \t")
        return self._edit(node, text, self.left_stripped)


def parse(source: str) -> list[Node]:
    """Parse ``source`` into a tree, or raise TemplateSyntaxError naming the place."""
    return _Parser(source).parse()


def walk(nodes: list[Node]) -> Iterator[Node]:
    """Every node of the tree, depth first, in source order."""
    for node in nodes:
        yield node
        if isinstance(node, Block):
            yield from walk(node.children)
            yield from walk(node.inverse)
