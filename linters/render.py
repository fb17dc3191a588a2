"""SES Handlebars rendering with provenance.

A template part is parsed once by ``linters.handlebars`` and compiled into closures
(cached by source and escaping). Rendering walks them once and returns the text with
a ``Value`` for every data value it printed, so a rule can tell "Arthur" that came
from ``{{first_name}}`` from "Arthur" typed into the template.

A variable the data lacks (or that is null) prints nothing and is recorded as a
missing ``Value``, which becomes an SG103 finding instead of a silent blank. So is a
value that is an object or a list where text is printed: SES would print
"[object Object]" or the items joined with commas, never what the author meant.

Semantics are Handlebars': ``if`` is false for null, false, "", 0 and an empty list
(an empty object is true); ``with`` and ``each`` render their ``{{else}}`` for an
empty or missing value; ``../`` steps out of the contexts ``each``, ``with`` and
sections enter; ``@index``, ``@key``, ``@first`` and ``@last`` are set by ``each``.
The HTML part escapes ``& < > " ' ` =`` in ``{{x}}``; ``{{{x}}}`` and the subject and
text parts print data as it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from numbers import Number
from typing import Any

from .handlebars import (
    Block,
    Comment,
    Mustache,
    Node,
    TemplateSyntaxError,
    Text,
    parse,
    position,
)

# A hostile template can loop over the root inside a loop over the root, six deep:
# its output is the product of the list sizes. Rendering stops at these budgets with
# an error (the message is held as unrenderable) instead of running for hours.
#
# Steps are the cost model ``linters.limits`` bounds before rendering (``work_bound``):
# each loop iteration charges one step plus the cost of every node its body runs
# without a loop of its own (``inline_cost``): a piece of text 1, a tag its path's
# length plus 2 (``PRINT_STEPS``), a block its subject's path length, both branches of
# an ``if``. A path costs a step per segment, ``../`` and ``@root`` (``_Path.cost``).
# So a loop with an empty body still costs its iterations, and a 1,000-segment path
# 1,000 steps each time. A step takes at most about 0.6 microseconds on the benchmark
# machine (an empty iteration ~0.5 us, a loop printing short values ~0.6 us, a path
# segment ~0.2 us).
# The most characters of an object key spelled out in the data path of its loop items.
KEY_LABEL_CHARS = 64
MAX_STEPS = 250_000  # steps of one rendered part (at most about 0.15 s)
MAX_OUTPUT = 10_000_000  # characters of one rendered part (SES's message limit is 10 MB)

_HTML_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;", "`": "&#x60;", "=": "&#x3D;"}
)


@dataclass(frozen=True, slots=True)
class Value:
    """Where one data value landed in a rendered part. ``missing`` values are empty.

    ``problem`` says why a value that is present is still missing: ``"an object"`` or
    ``"a list"`` printed where text belongs.
    """

    start: int
    end: int
    path: str
    missing: bool = False
    problem: str = ""


@dataclass(frozen=True, slots=True)
class Rendered:
    text: str
    values: tuple[Value, ...]
    steps: int = 0  # the work charged while rendering (MAX_STEPS); never over limits.work_bound


class _Absent:
    """What a path resolves to when the data has nothing there."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"


ABSENT = _Absent()


class _Frame:
    """A context: the value ``this`` is, its data path, the context it was entered
    from (``../``), the root (``@root``) and the ``each`` variables in force."""

    __slots__ = ("data", "parent", "path", "root", "value")

    def __init__(
        self, value: Any, path: str, parent: _Frame | None, root: _Frame | None, data: dict[str, Any]
    ) -> None:
        self.value = value
        self.path = path
        self.parent = parent
        self.root = root or self
        self.data = data

    def enter(self, value: Any, path: str) -> _Frame:
        """The context ``with`` or a section enters; the ``each`` variables carry over."""
        # As in Handlebars, a block given the context it is already in adds no depth.
        if value is self.value:
            return self
        return _Frame(value, path, self, self.root, self.data)


class _State:
    """One rendering: the pieces so far, their length, the values and the work done."""

    __slots__ = ("length", "pieces", "steps", "values")

    def __init__(self) -> None:
        self.pieces: list[str] = []
        self.values: list[Value] = []
        self.length = 0
        self.steps = 0


Run = Callable[[_State, _Frame], None]
Resolve = Callable[[_Frame], tuple[Any, str]]


@dataclass(frozen=True, slots=True)
class _Path:
    """A compiled path: ``../`` steps, ``@root``, an ``@`` variable, then key segments."""

    up: int
    root: bool
    variable: str | None
    segments: tuple[str, ...]
    text: str
    joined: str = ""  # the segments joined with ".": the data path is built once, not per segment

    @property
    def cost(self) -> int:
        """Steps one lookup of this path costs (``MAX_STEPS``): a step for each segment,
        each ``../`` and ``@root`` or ``@variable``, at least one; and one for every
        ``PATH_CHARS_PER_STEP`` characters, since the data path is written out as text."""
        walked = self.up + (self.root or self.variable is not None) + len(self.segments)
        return max(1, walked) + len(self.text) // PATH_CHARS_PER_STEP

    def resolve(self, frame: _Frame) -> tuple[Any, str]:
        """The value at this path from ``frame`` (``ABSENT`` if none) and its data path."""
        if self.variable is not None:
            value = frame.data.get(self.variable, ABSENT)
            base = f"@{self.variable}"
        else:
            if self.root:
                frame = frame.root
            for _ in range(self.up):
                if frame.parent is None:
                    return ABSENT, self.text
                frame = frame.parent
            value, base = frame.value, frame.path
        for segment in self.segments:
            value = child(value, segment)
            if value is ABSENT:
                break  # nothing below a missing value: the rest of the path finds nothing
        if self.joined:
            base = f"{base}.{self.joined}" if base else self.joined
        return value, base or self.text


def child(value: Any, key: str) -> Any:
    """``value[key]`` as Handlebars looks it up in JSON data, or ``ABSENT``."""
    if isinstance(value, dict):
        return value.get(key, ABSENT)
    if isinstance(value, list | tuple):
        if key.isdigit():
            index = int(key)
            return value[index] if index < len(value) else ABSENT
        return len(value) if key == "length" else ABSENT
    return ABSENT


def _segments(text: str) -> list[str]:
    """``a.[b c]/0`` -> ``["a", "b c", "0"]``: split on ``.`` and ``/`` outside brackets."""
    found: list[str] = []
    current = ""
    i = 0
    while i < len(text):
        char = text[i]
        if char == "[":
            close = text.index("]", i)
            current += text[i + 1 : close]
            i = close + 1
            continue
        if char in "./":
            found.append(current)
            current = ""
        else:
            current += char
        i += 1
    found.append(current)
    return found


@lru_cache(maxsize=4096)
def compile_path(text: str) -> _Path:
    rest, up = text, 0
    while rest.startswith("../"):
        rest, up = rest[3:], up + 1
    parts = _segments(rest)
    first = None if rest.startswith("[") else parts[0]  # [this] and [@x] are plain keys
    root, variable = first == "@root", None
    if root or first in ("this", ""):
        parts = parts[1:]
    elif first and first.startswith("@"):
        variable, parts = first[1:], parts[1:]
    segments = tuple(p for p in parts if p)
    return _Path(up, root, variable, segments, text, ".".join(segments))


# A path's text is written out (as the data path of what it finds) at every lookup: a
# path of thousands of characters costs a step for each this many.
PATH_CHARS_PER_STEP = 128


def argument_path(token: str) -> _Path | None:
    """The path a tag or block argument names, or None for a literal ("x", 2, true)."""
    if token[:1] in "\"'" or token in ("true", "false", "null", "undefined"):
        return None
    if token.lstrip("-").replace(".", "", 1).isdigit():
        return None
    return compile_path(token)


def argument_cost(token: str) -> int:
    """Steps to find an argument: its path's cost, or one for a literal."""
    path = argument_path(token)
    return 1 if path is None else path.cost


# Writing a value and noting where it landed (``Value``) takes about as long as two
# steps of anything else: a loop printing one-letter values is the most work per step.
PRINT_STEPS = 2


def mustache_cost(node: Mustache) -> int:
    """Steps of one ``{{tag}}``: finding its value (or a lookup's two arguments), then
    writing it (``PRINT_STEPS``)."""
    if node.args:
        return PRINT_STEPS + sum(argument_cost(arg) for arg in node.args)
    return PRINT_STEPS + compile_path(node.path).cost


def inline_cost(nodes: list[Node]) -> int:
    """Steps ``nodes`` cost when run once, not counting the bodies of ``{{#each}}``
    blocks (each iteration of a loop is charged by the loop): a text 1, a tag
    ``mustache_cost``, a block its subject's path and both its branches. A section's
    body is counted here too (it runs once when its value is not a list)."""
    total = 0
    stack = [nodes]
    while stack:
        for node in stack.pop():
            if isinstance(node, Text):
                total += 1
            elif isinstance(node, Mustache):
                total += mustache_cost(node)
            elif isinstance(node, Block):
                total += argument_cost(node.arg)
                stack.append(node.inverse)
                if node.section or node.helper != "each":
                    stack.append(node.children)
    return total


def _resolver(path: _Path) -> Resolve:
    """``path.resolve``, specialised for ``this`` and a plain key (most of a template)."""
    if path.variable is not None or path.root or path.up or len(path.segments) > 1:
        return path.resolve
    if not path.segments:
        return lambda frame: (frame.value, frame.path or "this")
    key = path.segments[0]

    def resolve(frame: _Frame) -> tuple[Any, str]:
        value, base = frame.value, frame.path
        value = value.get(key, ABSENT) if type(value) is dict else child(value, key)
        return value, (f"{base}.{key}" if base else key)

    return resolve


def truthy(value: Any) -> bool:
    """Handlebars' ``if``: false for missing, null, false, "", 0, NaN and an empty list."""
    if value is ABSENT or value is None or value is False:
        return False
    if isinstance(value, str | list | tuple):
        return len(value) > 0
    if isinstance(value, Number):  # int, float and the Decimal a DynamoDB read gives
        return value != 0 and value == value  # NaN is the one value unequal to itself
    return True


def _empty(value: Any) -> bool:
    """Handlebars' ``isEmpty`` (``with``, sections): like not-``if``, except 0 is a value."""
    return not truthy(value) and not (isinstance(value, Number) and value == 0 and value is not False)


def format_number(value: int | float) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def printable(value: Any) -> str:
    """How Handlebars prints a scalar: ``true``/``false``, ``7`` for 7.0."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return format_number(value)
    return str(value)


def _shape(value: Any) -> str:
    """What a value is when it cannot be printed as text, else ""."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "a list"
    return ""


def print_value(state: _State, value: Any, path: str, escape: bool, record: bool = True) -> None:
    """Write one value, recording where it landed (or that it is missing or broken)."""
    at = state.length
    if type(value) is str:
        text = value
    elif value is ABSENT or value is None:
        state.values.append(Value(at, at, path, missing=True))
        return
    elif problem := _shape(value):
        state.values.append(Value(at, at, path, missing=True, problem=problem))
        return
    else:
        text = printable(value)
    if escape:
        text = text.translate(_HTML_ESCAPES)
    if not text:
        return
    state.pieces.append(text)
    state.length = at + len(text)
    if record:
        state.values.append(Value(at, at + len(text), path))


# --- compiling the tree into closures ---------------------------------------------------


class _Compiler:
    def __init__(self, source: str, escape_html: bool) -> None:
        self.source = source
        self.escape_html = escape_html

    def nodes(self, nodes: list[Node]) -> tuple[Run, int]:
        """One closure running ``nodes`` in order, and how many nodes it runs itself."""
        runs: list[Run] = []
        pending = ""
        for node in nodes:
            if isinstance(node, Text):
                pending += node.text
                continue
            if isinstance(node, Comment):
                continue
            if pending:
                runs.append(_text(pending))
                pending = ""
            runs.append(self.mustache(node) if isinstance(node, Mustache) else self.block(node))  # type: ignore[arg-type]
        if pending:
            runs.append(_text(pending))
        return _sequence(runs), len(runs)

    def mustache(self, node: Mustache) -> Run:
        escape = self.escape_html and node.escaped
        if node.args and node.path == "log":
            return _nothing
        if node.args:  # the scanner lets only lookup and log take arguments
            target, key = (self.argument(a) for a in node.args)
            return _lookup(target, key, escape)
        path = compile_path(node.path)
        record = path.variable is None
        resolve = _resolver(path)

        def run(state: _State, frame: _Frame) -> None:
            value, where = resolve(frame)
            if type(value) is not str or not value:
                print_value(state, value, where, escape, record)
                return
            # The common case, inlined: a non-empty string.
            text = value.translate(_HTML_ESCAPES) if escape else value
            at = state.length
            state.pieces.append(text)
            state.length = end = at + len(text)
            if record:
                state.values.append(Value(at, end, where))

        return run

    def argument(self, token: str) -> Resolve:
        """How to find an argument's value (and data path) in a frame: a path or a literal."""
        if argument_path(token) is not None:
            return _resolver(compile_path(token))
        if token[:1] in "\"'":
            literal: Any = token[1:-1]
        elif token in ("true", "false"):
            literal = token == "true"
        elif token in ("null", "undefined"):
            literal = None
        else:
            literal = float(token) if "." in token else int(token)
        return lambda frame: (literal, token)

    def block(self, node: Block) -> Run:
        children, _ = self.nodes(node.children)
        inverse, _ = self.nodes(node.inverse)
        subject = self.argument(node.arg)
        if node.section:
            return _section(subject, children, inverse, self.loop_guard(node))
        if node.helper == "each":
            return _each(subject, children, inverse, self.loop_guard(node))
        if node.helper == "with":
            return _with(subject, children, inverse)
        if node.helper == "unless":
            children, inverse = inverse, children
        return _if(subject, children, inverse)

    def loop_guard(self, node: Block) -> Callable[[_State], None]:
        """Charged at each iteration: one step and what the body runs (``inline_cost``)."""
        line, column = position(self.source, node.start)
        cost = 1 + inline_cost(node.children)

        def guard(state: _State) -> None:
            state.steps += cost
            if state.steps > MAX_STEPS or state.length > MAX_OUTPUT:
                raise TemplateSyntaxError(
                    f"{{{{#{node.helper} {node.arg}}}}} renders too much with this data "
                    f"(over {MAX_STEPS:,} steps or {MAX_OUTPUT:,} characters)",
                    line,
                    column,
                )

        return guard


def _nothing(state: _State, frame: _Frame) -> None:
    return None


def _text(text: str) -> Run:
    def run(state: _State, frame: _Frame) -> None:
        state.pieces.append(text)
        state.length += len(text)

    return run


def _sequence(runs: list[Run]) -> Run:
    if not runs:
        return _nothing
    if len(runs) == 1:
        return runs[0]

    def run(state: _State, frame: _Frame) -> None:
        for step in runs:
            step(state, frame)

    return run


def _lookup(target: Resolve, key: Resolve, escape: bool) -> Run:
    def run(state: _State, frame: _Frame) -> None:
        container, where = target(frame)
        name, _ = key(frame)
        if name is ABSENT or name is None:
            value = ABSENT
        else:
            name = printable(name)
            value = child(container, name)
            where = f"{where}.{name}" if where else name
        print_value(state, value, where, escape)

    return run


def _if(subject: Resolve, children: Run, inverse: Run) -> Run:
    def run(state: _State, frame: _Frame) -> None:
        value, _ = subject(frame)
        (children if truthy(value) else inverse)(state, frame)

    return run


def _with(subject: Resolve, children: Run, inverse: Run) -> Run:
    def run(state: _State, frame: _Frame) -> None:
        value, where = subject(frame)
        if _empty(value):
            inverse(state, frame)
        else:
            children(state, frame.enter(value, where))

    return run


def _items(value: Any) -> list[tuple[Any, Any]] | None:
    """(key, item) pairs ``each`` iterates, or None when the value is not a collection."""
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list | tuple):
        return list(enumerate(value))
    return None


def _each(subject: Resolve, children: Run, inverse: Run, guard: Callable[[_State], None]) -> Run:
    def run(state: _State, frame: _Frame) -> None:
        value, where = subject(frame)
        _loop(state, frame, value, where, children, inverse, guard)

    return run


def _loop(
    state: _State,
    frame: _Frame,
    value: Any,
    where: str,
    children: Run,
    inverse: Run,
    guard: Callable[[_State], None],
) -> None:
    items = _items(value)
    if not items:
        inverse(state, frame)
        return
    last = len(items) - 1
    for index, (key, item) in enumerate(items):
        guard(state)
        data = {"index": index, "key": key, "first": index == 0, "last": index == last}
        label = str(key)
        if len(label) > KEY_LABEL_CHARS:
            # An object key may be 20,000 characters: spelled out in every item's path,
            # nested loops would build gigabytes of paths. The label only names the value.
            label = f"{label[:KEY_LABEL_CHARS]}…"
        item_path = f"{where}.{label}" if where else label
        children(state, _Frame(item, item_path, frame, frame.root, data))


def _section(subject: Resolve, children: Run, inverse: Run, guard: Callable[[_State], None]) -> Run:
    """``{{#name}}``: Handlebars' blockHelperMissing."""

    def run(state: _State, frame: _Frame) -> None:
        value, where = subject(frame)
        if value is True:
            children(state, frame)
        elif value is False or value is None or value is ABSENT:
            inverse(state, frame)
        elif isinstance(value, list | tuple):
            _loop(state, frame, value, where, children, inverse, guard)
        else:
            children(state, frame.enter(value, where))

    return run


class Template:
    """A compiled template part: ``render(data)`` gives its text and provenance."""

    __slots__ = ("_run", "escape_html", "source")

    def __init__(self, source: str, escape_html: bool) -> None:
        self.source = source
        self.escape_html = escape_html
        self._run, _ = _Compiler(source, escape_html).nodes(parse(source))

    def render(self, data: dict[str, Any]) -> Rendered:
        """Render against ``data``; raises TemplateSyntaxError when it renders too much."""
        state = _State()
        self._run(state, _Frame(data, "", None, None, {}))
        return Rendered("".join(state.pieces), tuple(state.values), state.steps)

    __call__ = render


@lru_cache(maxsize=2048)
def compile_template(source: str, escape_html: bool) -> Template:
    """Validate and compile once; raises TemplateSyntaxError naming the line and column."""
    return Template(source, escape_html)


def render(source: str, data: dict[str, Any], *, escape_html: bool) -> Rendered:
    """Render one template part against ``data``; raises TemplateSyntaxError."""
    return compile_template(source, escape_html).render(data)
