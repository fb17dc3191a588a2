"""Limits checked before anything is rendered, so every request is judged or refused fast.

One hostile request must not stall the guard: a batch of ten shares one Lambda timeout.
Each limit is far above what a real message needs (a receipt with fifty line items, a
newsletter of a few thousand words) and far below what makes the engine slow. A request
over a limit is refused with a RequestError naming the field, never judged partly.

What is bounded, and why:

- ``data``: nesting depth, the length of each text value, the number of values and
  the total size. Every value is wrapped, rendered and analysed; deep nesting is
  recursion for the renderer.
- each template part: its size, its merge tags and its block nesting depth. Every tag
  is a lookup per render; nested blocks multiply the output.
- the rendered size, estimated from the template and the data before rendering (a text
  part repeated in ``{{#each}}`` over a long list) and checked again after rendering.
- the work of rendering (``work_bound``), bounded before rendering in the steps the
  renderer counts (``linters.render.MAX_STEPS``): every loop iteration, and every path
  looked up inside one at its length, whether or not anything is printed. Nested
  ``{{#each}}`` blocks multiply, ``../`` and ``@root`` walks included: five loops over
  12 items around a 1,000-segment ``{{#if @root.b.b...}}`` are 250 million steps, and
  are refused at once instead of rendering for minutes.
- a whole number of more than 4,300 digits (from a caller in Python; ``load_json``
  refuses one in JSON): Python will not write it as text.
- text the engine cannot encode: a lone surrogate escape (``"\\ud800"``) is valid JSON
  but not Unicode text; no provider could send it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import lru_cache
from operator import attrgetter
from typing import Any, NoReturn

from .handlebars import Block, Mustache, Node, TemplateSyntaxError, Text, parse, walk
from .html_text import VisibleText, visible_text
from .models import MOST_NUMBER_DIGITS, Contact, Customer, InlineTemplate, RequestError, SendRequest
from .render import MAX_STEPS, argument_cost, argument_path, mustache_cost

MAX_DATA_DEPTH = 12  # {"order": {"items": [{"options": {...}}]}} is 5
MAX_VALUE_CHARS = 20_000  # one merge value: a name, an address, a product description
MAX_DATA_VALUES = 5_000  # leaves in ``data`` (a receipt with 200 items of 10 fields)
MAX_DATA_CHARS = 200_000  # all of ``data`` as JSON
MAX_TEMPLATE_CHARS = 100_000  # one template part (Gmail clips HTML mail at 102 KB)
MAX_MERGE_TAGS = 500  # {{...}} tags in one part (a long receipt template has ~60)
MAX_BLOCK_DEPTH = 6  # {{#each}} inside {{#if}} inside {{#each}}...
MAX_RENDERED_CHARS = 100_000  # one rendered part as sent (HTML with its markup)
# The text a reader reads in one part (subject, text, the visible text of the HTML): what
# the NLP pipeline and the rules analyse, so what sets the time. Gmail clips a message at
# 102 KB, so longer is never read; a 15,000-word newsletter (about 80,000 characters) is
# judged within 0.5 s, since long text is analysed in cached blocks of paragraphs
# (linters.nlp.analyse_fixed). Estimated before rendering, checked after.
MAX_READABLE_CHARS = 100_000
MAX_HISTORY_TEXT_CHARS = 200_000  # the text of all ``history`` contacts together
MAX_CUSTOMER_CHARS = 50_000  # the inline customer record as JSON
MAX_HISTORY = 500  # contacts in ``history``; the ledger keeps 90 days
MAX_EVENTS = 500
MAX_TEXT_NODES = 10_000  # pieces of literal text between tags
# The work of rendering one part, in the renderer's steps (see ``work_bound``): at most
# about 0.15 s (0.5 to 0.6 microseconds a step). A receipt looping over 50 order lines
# of five tags is about 1,200, the real-mail corpus at most 60; the renderer stops at
# the same number, so what passes here renders.
MAX_RENDER_STEPS = MAX_STEPS

_SURROGATE = re.compile("[\ud800-\udfff]")
# A whole number of fewer bits than this has fewer than MOST_NUMBER_DIGITS digits:
# Python writes it as text.
_WRITTEN_BITS = 14_000


def check_request(request: SendRequest) -> None:
    """Raise RequestError when ``request`` is over a limit; cheap (linear in its size)."""
    check_data(request.data, "data", MAX_DATA_CHARS)
    check_all_but_data(request)


def check_all_but_data(request: SendRequest) -> None:
    """``check_request`` without the merge data (which the campaign path checks once for
    recipients whose data differs only in the letters of their names)."""
    if request.customer is not None:
        check_customer(request.customer)
    if request.history:
        check_history(request.history)
    if len(request.events) > MAX_EVENTS:
        raise RequestError("events", f"{len(request.events)} events; at most {MAX_EVENTS}")
    if request.audience:
        check_data(request.audience, "audience")


def check_history(history: list[Contact]) -> None:
    if len(history) > MAX_HISTORY:
        raise RequestError("history", f"{len(history)} contacts; at most {MAX_HISTORY}")
    history_text = sum(len(c.text or "") for c in history)
    if history_text > MAX_HISTORY_TEXT_CHARS:
        raise RequestError(
            "history", f"{history_text:,} characters of text; at most {MAX_HISTORY_TEXT_CHARS:,}"
        )


# A customer record is bounded from its texts and list lengths (``check_customer``).
# Every other field at its longest, as ``json.dumps`` writes the record (keys, two
# times with offsets, a 64-bit count, a float, consent, quiet hours, birth year), takes
# 791 characters; this is over twice that. Each text or list item adds at most
# ``_ITEM_CHARS`` around its own characters, each of which takes at most twelve.
_CUSTOMER_FIXED_CHARS = 2048
_ITEM_CHARS = 16
# Lists longer than this are walked (the bound alone could pass 5,000 empty texts).
_MOST_ITEMS = 1000
_CUSTOMER_TEXT_FIELDS = (
    "customer_id",
    "first_name",
    "last_name",
    "preferred_name",
    "title",
    "tier",
    "timezone",
    "city",
    "region",
    "postal_code",
    "country",
    "locale",
)
_CUSTOMER_TEXTS = attrgetter(*_CUSTOMER_TEXT_FIELDS)


def check_customer(customer: Customer) -> None:
    """The inline customer record within the data limits, as ``check_data`` judges it.

    A validated record's shape is the model's: three levels deep, with about forty
    values besides its lists. So its texts and the lengths of its lists bound it: a
    character takes at most twelve in ``json.dumps``'s escaped form (an emoji is two
    ``\\uXXXX`` escapes), each text or list item at most ``_ITEM_CHARS`` more, every
    other field ``_CUSTOMER_FIXED_CHARS`` in all. A record within that bound is within
    every limit and is not walked; a longer one, one with a lone surrogate, a count
    beyond 64 bits, or other ``attributes`` (open-ended, any depth, and a caller in
    Python may put anything there) is walked value by value, which names the field
    over a limit. tests/test_limits.py checks the shortcut refuses what the walk does.
    """
    if not _provably_small(customer):
        check_data(customer.model_dump(mode="python"), "customer", MAX_CUSTOMER_CHARS)


def _provably_small(customer: Customer) -> bool:
    """Whether the texts and list lengths alone show every limit holds (see ``check_customer``)."""
    attributes = customer.attributes
    if attributes.__pydantic_extra__:
        return False
    listed = [*customer.segments, *(attributes.pets or ())]
    items = len(listed) + len(customer.unsubscribed) + len(attributes.children_ages or ())
    if items > _MOST_ITEMS or (customer.purchase_count or 0).bit_length() > 64:
        return False
    text = "".join([*filter(None, _CUSTOMER_TEXTS(customer)), *listed])
    if not text.isascii() and _SURROGATE.search(text):
        return False
    size = _CUSTOMER_FIXED_CHARS + 12 * len(text) + _ITEM_CHARS * (items + len(_CUSTOMER_TEXT_FIELDS))
    return size <= MAX_CUSTOMER_CHARS


def check_template(template: InlineTemplate, data: dict[str, Any]) -> None:
    """Every part of ``template`` within the template limits, and its rendering with
    ``data`` within the rendered-size limit (estimated: nothing is rendered here)."""
    longest = DataExtent.of(data)
    shapes = _LazyShapes(data)
    for name in ("subject", "text", "html"):
        source = getattr(template, name)
        if source is not None:
            check_part(f"template.{name}", source, data, longest, shapes)


class DataExtent:
    """The longest list and the longest value in the data: what a block may repeat, and
    what a tag inside one may print. Each is measured the first time a template needs
    it, once for all parts: a template whose tags all name top-level values outside any
    ``{{#each}}`` (a campaign's usual one) needs neither, and the data is not walked."""

    __slots__ = ("_data", "_longest_list", "_longest_value")

    def __init__(self, data: Any) -> None:
        self._data = data
        self._longest_list: int | None = None
        self._longest_value: int | None = None

    @classmethod
    def of(cls, data: Any) -> DataExtent:
        return cls(data)

    @property
    def longest_list(self) -> int:
        if self._longest_list is None:
            self._longest_list = max(_longest_list(self._data), 1)
        return self._longest_list

    @property
    def longest_value(self) -> int:
        if self._longest_value is None:
            self._longest_value = max(_longest_value(self._data), 1)
        return self._longest_value


def check_part(
    field: str,
    source: str,
    data: dict[str, Any] | None = None,
    extent: DataExtent | None = None,
    shapes: _LazyShapes | None = None,
) -> None:
    """The template limits of one part, and the size and work of rendering it with
    ``data`` (estimated). ``extent`` and ``shapes`` measure the data once for all parts."""
    flat = _flat_template(field, source)  # parses the template and checks its own limits
    data = data or {}
    if flat is None:
        estimate = rendered_size_bound(_template_nodes(field, source), data, extent)
    else:
        estimate = _flat_bound(flat, data, extent or DataExtent.of(data))
    if estimate > MAX_RENDERED_CHARS:
        raise RequestError(
            field,
            f"could render to about {estimate:,} characters with this data; at most {MAX_RENDERED_CHARS:,}",
        )
    readable = estimate
    if field.endswith("html"):
        seen, fixed = _readable_share(source)
        readable = estimate * seen // fixed
    if readable > MAX_READABLE_CHARS:
        raise RequestError(
            field,
            f"could render to about {readable:,} characters of readable text; at most {MAX_READABLE_CHARS:,}",
        )
    if flat is None:  # a template without blocks runs each node once: far within the budget
        work = work_bound(_template_nodes(field, source), data, shapes or _LazyShapes(data))
        if work > MAX_RENDER_STEPS:
            raise RequestError(
                field,
                f"could take about {work:,} steps to render with this data (loops times the "
                f"paths looked up in them); at most {MAX_RENDER_STEPS:,}",
            )


# Templates (up to MAX_TEMPLATE_CHARS each) kept parsed; a guard serves a handful, a
# campaign one. Bounded so that many large templates cannot fill a Lambda's memory.
_CACHED_TEMPLATES = 32


@lru_cache(maxsize=_CACHED_TEMPLATES)
def _template_nodes(field: str, source: str) -> list[Node]:
    """The parsed template, once its own limits hold; cached, so a campaign (one template,
    many recipients) parses and measures it once. Refusals are not cached."""
    if len(source) > MAX_TEMPLATE_CHARS:
        raise RequestError(field, f"{len(source):,} characters; at most {MAX_TEMPLATE_CHARS:,}")
    if _SURROGATE.search(source):
        raise RequestError(field, "contains a lone surrogate (not Unicode text)")
    if source.count("{{") > 2 * MAX_MERGE_TAGS:
        # Refuse before parsing: the count of "{{" bounds the number of tags.
        raise RequestError(field, f"more than {MAX_MERGE_TAGS:,} merge tags")
    try:
        nodes = parse(source)
    except TemplateSyntaxError as exc:
        raise RequestError(field, str(exc)) from exc
    tags, texts, depth = _shape(nodes)
    if tags > MAX_MERGE_TAGS:
        raise RequestError(field, f"{tags:,} merge tags; at most {MAX_MERGE_TAGS:,}")
    if texts > MAX_TEXT_NODES:
        raise RequestError(field, f"{texts:,} pieces of text between tags; at most {MAX_TEXT_NODES:,}")
    if depth > MAX_BLOCK_DEPTH:
        raise RequestError(field, f"blocks nested {depth} deep; at most {MAX_BLOCK_DEPTH}")
    return nodes


@lru_cache(maxsize=_CACHED_TEMPLATES)
def _flat_template(field: str, source: str) -> tuple[int, tuple[str, ...]] | None:
    """(characters of fixed text, the tags' paths) of a template without blocks, or None
    for one with a block. For such a template ``rendered_size_bound`` is the fixed text
    plus each tag's value: a campaign reads the values for every recipient without
    walking the nodes again."""
    nodes = _template_nodes(field, source)
    if any(isinstance(node, Block) for node in nodes):
        return None
    fixed = sum(len(node.text) for node in nodes if isinstance(node, Text))
    return fixed, tuple(node.path for node in nodes if isinstance(node, Mustache))


def _flat_bound(flat: tuple[int, tuple[str, ...]], data: dict[str, Any], extent: DataExtent) -> int:
    """``rendered_size_bound`` of a template without blocks (``_flat_template``)."""
    total, paths = flat
    for path in paths:
        size = _value_length(data, path)
        total += extent.longest_value if size is None else size
    return total


@lru_cache(maxsize=_CACHED_TEMPLATES)
def _readable_share(source: str) -> tuple[int, int]:
    """(characters a reader reads, characters) of an HTML template's own text: markup,
    styles and hidden elements are not read, so the estimate is scaled by this share. The
    preheader and the alt and title texts are read (``VisibleText.read_chars``)."""
    fixed = "".join(node.text for node in walk(parse(source)) if isinstance(node, Text))
    if not fixed:
        return 1, 1
    return visible_text(fixed).read_chars, len(fixed)


def read_of_html(visible: VisibleText) -> str:
    """All a reader reads of an HTML part: the body as shown, then the preheader and the
    alt and title texts (linters/html_text.py), each counted against the readable-text
    limit with the body, so a huge alt text is refused like a huge body."""
    extra = [seen.text for seen in (visible.preheader, visible.attributes) if seen is not None and seen.text]
    return "\n".join([visible.text, *extra])


def check_rendered(field: str, sent: str, readable: str | None = None) -> None:
    """After rendering: the estimate is an upper bound, this is the exact check.
    ``readable`` is the visible text of an HTML part (None: ``sent`` is read as it is)."""
    if len(sent) > MAX_RENDERED_CHARS:
        raise RequestError(field, f"renders to {len(sent):,} characters; at most {MAX_RENDERED_CHARS:,}")
    read = sent if readable is None else readable
    if len(read) > MAX_READABLE_CHARS:
        raise RequestError(
            field, f"renders to {len(read):,} characters of readable text; at most {MAX_READABLE_CHARS:,}"
        )


def check_data(value: Any, field: str, size_limit: int | None = None) -> None:
    """Depth, value count, value length and encodability of a JSON-like value, walked
    without recursion (a deeply nested value must not overflow the stack here); and,
    with ``size_limit``, its size as JSON.

    One pass that keeps no paths (this runs for every recipient of a campaign); only
    a value over a limit is looked for again, by ``_first_over``, to name its field.
    """
    count = 0
    # Upper bound of the JSON size: every character written six times (the longest
    # escape, "\\u00e9") or, outside ASCII, twelve (a character beyond the Basic
    # Multilingual Plane, an emoji, is two escapes: "\\ud83d\\ude00"), and eight more
    # around each key and value. The loop tests the common leaves (text, None) first:
    # it runs for every value of every recipient of a campaign.
    size = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        item, depth = pop()
        if isinstance(item, str):
            count += 1
            if count > MAX_DATA_VALUES:
                raise RequestError(field, f"more than {MAX_DATA_VALUES:,} values")
            if item.isascii():
                size += 6 * len(item) + 8
            else:
                size += 12 * len(item) + 8
                if _SURROGATE.search(item):
                    _first_over(value, field)
            if len(item) > MAX_VALUE_CHARS:
                _first_over(value, field)
        elif isinstance(item, dict):
            if depth >= MAX_DATA_DEPTH and item:
                _first_over(value, field)
            size += 2
            for key, child in item.items():
                key_text = key if isinstance(key, str) else str(key)
                size += _escaped_bound(key_text)
                if len(key_text) > MAX_VALUE_CHARS or (
                    not key_text.isascii() and _SURROGATE.search(key_text)
                ):
                    _first_over(value, field)
                push((child, depth + 1))
        elif isinstance(item, list | tuple):
            if depth >= MAX_DATA_DEPTH and item:
                _first_over(value, field)
            size += 2 + 2 * len(item)
            stack.extend((child, depth + 1) for child in item)
        else:
            count += 1
            if count > MAX_DATA_VALUES:
                raise RequestError(field, f"more than {MAX_DATA_VALUES:,} values")
            try:
                size += _NONE_BOUND if item is None else _escaped_bound(str(item))
            except ValueError:  # a whole number longer than Python writes (4,300 digits)
                _first_over(value, field)
    if size_limit is not None and size > size_limit:
        exact = len(json.dumps(value, default=str))
        if exact > size_limit:
            raise RequestError(field, f"{exact:,} characters as JSON; at most {size_limit:,}")


def _escaped_bound(text: str) -> int:
    """At least as many characters as ``text`` takes in JSON, quoted and separated."""
    return (6 if text.isascii() else 12) * len(text) + 8


_NONE_BOUND = _escaped_bound(str(None))


def _first_over(value: Any, field: str) -> NoReturn:
    """Raise RequestError naming the first field of ``value`` (in ``check_data``'s order)
    that is nested too deep, or a key or text over a limit."""
    stack: list[tuple[Any, str, int]] = [(value, field, 0)]
    while stack:
        item, path, depth = stack.pop()
        if depth > MAX_DATA_DEPTH:
            raise RequestError(path, f"nested more than {MAX_DATA_DEPTH} levels deep")
        if isinstance(item, dict):
            for key, child in item.items():
                key_text = str(key)
                _check_text(key_text, f"{path} (a key)")
                stack.append((child, f"{path}.{key_text}", depth + 1))
        elif isinstance(item, list | tuple):
            stack.extend((child, f"{path}.{i}", depth + 1) for i, child in enumerate(item))
        elif isinstance(item, str):
            _check_text(item, path)
        elif isinstance(item, int) and item.bit_length() > _WRITTEN_BITS:
            try:
                str(item)
            except ValueError:
                raise RequestError(path, f"a number of more than {MOST_NUMBER_DIGITS:,} digits") from None
    raise RequestError(field, "over a limit")  # not reached: check_data saw a value over one


def _check_text(text: str, path: str) -> None:
    if len(text) > MAX_VALUE_CHARS:
        raise RequestError(
            path, f"{len(text):,} characters; a merge value may have at most {MAX_VALUE_CHARS:,}"
        )
    if _SURROGATE.search(text):
        raise RequestError(path, "contains a lone surrogate (not Unicode text)")


def _shape(nodes: list[Node]) -> tuple[int, int, int]:
    """(merge tags, text pieces, deepest block nesting), without recursion."""
    tags = texts = deepest = 0
    stack: list[tuple[list[Node], int]] = [(nodes, 0)]
    while stack:
        children, depth = stack.pop()
        deepest = max(deepest, depth)
        for node in children:
            if isinstance(node, Text):
                texts += 1
            elif isinstance(node, Mustache):
                tags += 1
            elif isinstance(node, Block):
                tags += 1
                stack.append((node.children, depth + 1))
                stack.append((node.inverse, depth + 1))
    return tags, texts, deepest


def rendered_size_bound(nodes: list[Node], data: dict[str, Any], extent: DataExtent | None = None) -> int:
    """An upper bound of the rendered length: each piece of text and each value, times
    the longest list for every ``{{#each}}`` (or section) around it. Coarse on purpose:
    it needs no knowledge of which list a block walks. A tag outside every block prints
    the value its path names; inside one, it is counted as the longest value."""
    extent = extent or DataExtent.of(data)
    total = 0
    # (nodes, how often they render at most, whether paths still name top-level data)
    stack: list[tuple[list[Node], int, bool]] = [(nodes, 1, True)]
    while stack:
        children, times, top = stack.pop()
        for node in children:
            if isinstance(node, Text):
                total += len(node.text) * times
            elif isinstance(node, Mustache):
                size = _value_length(data, node.path) if top else None
                total += (extent.longest_value if size is None else size) * times
            elif isinstance(node, Block):
                loops = node.helper == "each" or node.section
                same_scope = node.helper in ("if", "unless")
                repeat = extent.longest_list if loops else 1
                stack.append((node.children, times * repeat, top and same_scope))
                stack.append((node.inverse, times, top))
        if total > MAX_RENDERED_CHARS * 1000:
            break  # far over the limit already; stop counting
    return total


def _value_length(data: dict[str, Any], path: str) -> int | None:
    """Length of the value a top-level dotted path names; None when it cannot tell."""
    value: Any = data
    for key in _path_keys(path):
        if isinstance(value, dict) and key in value:
            value = value[key]
        elif isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        else:
            return 0 if isinstance(value, dict) else None
    return None if isinstance(value, dict | list) else len(str(value))


@lru_cache(maxsize=4096)
def _path_keys(path: str) -> tuple[str, ...]:
    """A tag's path split into keys, once per tag rather than once per recipient."""
    return tuple(re.split(r"[./]", path))


def _walk_values(value: Any) -> Iterator[Any]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            yield item
            stack.extend(item)
        else:
            yield item


def _longest_list(data: Any) -> int:
    return max((len(v) for v in _walk_values(data) if isinstance(v, list)), default=0)


def _longest_value(data: Any) -> int:
    return max((len(str(v)) for v in _walk_values(data) if not isinstance(v, list)), default=0)


# --- the work of rendering ----------------------------------------------------------------
#
# ``work_bound`` runs the template over a summary of the data (``_Shape``) instead of the
# data: for each place in the data (``items``, ``items[*].options``) the kinds of value
# found there, the most items or keys any of them has, and the places below it. A loop
# repeats at most the longest collection its path can name; its body is summed once
# and multiplied. Where the summary cannot tell which value a path names (``../`` out
# of a ``{{#with}}``, which may add no context; an ``{{#each}}`` over an object with
# many differently shaped values) it takes ``_ANYWHERE``: any value, repeating as often
# as the longest collection anywhere in the data. So the bound is never below the steps
# the renderer counts (tests/test_cost_model.py checks it), and it is computed in one
# walk of the data and one of the template, whatever the loops multiply to.

_DICT, _LIST, _SCALAR = 1, 2, 4
# Most places a path may name at once before the summary gives up and says "anywhere".
_MOST_PLACES = 32


class _Shape:
    """One place in the data: the kinds found there (``_DICT | _LIST | _SCALAR``), the
    most keys or items of one value there, the keys' places and the items' place."""

    __slots__ = ("items", "keys", "kinds", "longest")

    def __init__(self) -> None:
        self.kinds = 0
        self.longest = 0
        self.keys: dict[Any, _Shape] = {}
        self.items: _Shape | None = None


_SCALAR_SHAPE = _Shape()
_SCALAR_SHAPE.kinds = _SCALAR
_NOTHING: tuple[_Shape, ...] = ()
# The places a path names: a tuple of shapes, or None for "anywhere in the data".
Places = tuple[_Shape, ...] | None


def _summary(data: Any) -> tuple[_Shape, int]:
    """The data's root shape and its longest collection (items of a list, keys of an
    object, the data itself included); one walk, without recursion."""
    root = _Shape()
    longest = 0
    stack: list[tuple[Any, _Shape]] = [(data, root)]
    pop, push = stack.pop, stack.append
    while stack:
        value, shape = pop()
        if isinstance(value, dict):
            shape.kinds |= _DICT
            size = len(value)
            keys = shape.keys
            for key, item in value.items():
                place = keys.get(key)
                if place is None:
                    place = keys[key] = _Shape()
                push((item, place))
        elif isinstance(value, list | tuple):
            shape.kinds |= _LIST
            size = len(value)
            if shape.items is None:
                shape.items = _Shape()
            place = shape.items
            for item in value:
                push((item, place))
        else:
            shape.kinds |= _SCALAR
            continue
        if size > shape.longest:
            shape.longest = size
            longest = max(longest, size)
    return root, longest


class _LazyShapes:
    """The data's summary, made the first time a template with a loop needs it."""

    __slots__ = ("_data", "_summary")

    def __init__(self, data: Any) -> None:
        self._data = data
        self._summary: tuple[_Shape, int] | None = None

    def get(self) -> tuple[_Shape, int]:
        if self._summary is None:
            self._summary = _summary(self._data)
        return self._summary


class _Scope:
    """A context while bounding: the places ``this`` may be, the enclosing context
    (``../``), and whether that is certain (``{{#with}}`` and sections enter no new
    context when given the one they are in: ``../`` out of one may go one context
    further, so it is "anywhere")."""

    __slots__ = ("certain", "parent", "places")

    def __init__(self, places: Places, parent: _Scope | None, certain: bool = True) -> None:
        self.places = places
        self.parent = parent
        self.certain = certain


def _union(groups: list[_Shape]) -> Places:
    unique: dict[int, _Shape] = {}
    for shape in groups:
        unique[id(shape)] = shape
    if len(unique) > _MOST_PLACES:
        return None
    return tuple(unique.values())


def _step(places: tuple[_Shape, ...], segment: str) -> Places:
    """The places one segment leads to from ``places`` (as ``render.child`` looks up)."""
    found: list[_Shape] = []
    for shape in places:
        if shape.kinds & _DICT:
            place = shape.keys.get(segment)
            if place is not None:
                found.append(place)
        if shape.kinds & _LIST:
            if segment.isdigit():
                if shape.items is not None:
                    found.append(shape.items)
            elif segment == "length":
                found.append(_SCALAR_SHAPE)
    return _union(found)


def _places(token: str, scope: _Scope, root: _Scope) -> Places:
    """The places an argument may name from ``scope`` (``render._Path.resolve``)."""
    path = argument_path(token)
    if path is None or path.variable is not None:
        return (_SCALAR_SHAPE,)  # a literal, or @index/@key/@first/@last: never a collection
    if path.root:
        scope = root
    for _ in range(path.up):
        if not scope.certain or scope.places is None:
            return None
        if scope.parent is None:
            return _NOTHING
        scope = scope.parent
    places = scope.places
    for segment in path.segments:
        if not places:  # nothing, or anywhere: the rest of the path changes neither
            return places
        places = _step(places, segment)
    return places


def _loop(places: Places, anywhere: int, objects: bool) -> tuple[int, Places]:
    """(most iterations, the places of the items) of a loop over ``places``: lists, and
    objects too for ``{{#each}}`` (a section enters an object instead)."""
    if places is None:
        return anywhere, None
    repeat = 0
    items: list[_Shape] = []
    for shape in places:
        if shape.kinds & _LIST and shape.items is not None:
            repeat = max(repeat, shape.longest)
            items.append(shape.items)
        if objects and shape.kinds & _DICT and shape.keys:
            repeat = max(repeat, shape.longest)
            if len(shape.keys) > _MOST_PLACES:
                return repeat, None
            items.extend(shape.keys.values())
    return repeat, _union(items)


def _entered(places: Places, scope: _Scope) -> _Scope:
    """The context ``{{#with}}`` or a section enters (a section given ``true`` stays in
    its own, so a scalar adds the places of the current context)."""
    if places is not None and scope.places is not None and any(s.kinds & _SCALAR for s in places):
        places = _union([*places, *scope.places])
    elif scope.places is None:
        places = None
    return _Scope(places, scope, certain=False)


def work_bound(nodes: list[Node], data: dict[str, Any], shapes: _LazyShapes | None = None) -> int:
    """An upper bound of the steps rendering ``nodes`` with ``data`` takes, in the
    renderer's own measure (``linters.render.MAX_STEPS``; ``Rendered.steps`` is never
    more): every node each time it may run (a text 1, a tag its path's length and 2, a
    block its subject's path length), and one more for every loop iteration. A loop
    repeats the longest collection its subject may name (see ``_Shape``). Counting stops
    once far over ``MAX_RENDER_STEPS``."""
    shapes = shapes or _LazyShapes(data)
    if not any(isinstance(node, Block) and (node.helper == "each" or node.section) for node in walk(nodes)):
        return _work(nodes, _Scope((_SCALAR_SHAPE,), None), None, 0, 1)  # no loop: no data needed
    shape, anywhere = shapes.get()
    root = _Scope((shape,), None)
    return _work(nodes, root, root, anywhere, 1)


_FAR_OVER = MAX_RENDER_STEPS * 1000


def _work(nodes: list[Node], scope: _Scope, root: _Scope | None, anywhere: int, times: int) -> int:
    """``work_bound`` of ``nodes`` run ``times`` times in ``scope`` (recursive: blocks
    nest at most ``MAX_BLOCK_DEPTH`` deep once a template is within its limits)."""
    total = 0
    for node in nodes:
        if isinstance(node, Text):
            total += times
        elif isinstance(node, Mustache):
            total += times * mustache_cost(node)
        elif isinstance(node, Block):
            total += times * argument_cost(node.arg)
            loops = node.section or node.helper == "each"
            places = _places(node.arg, scope, root or scope) if loops or node.helper == "with" else None
            if node.helper == "with" or node.section:
                total += _work(node.children, _entered(places, scope), root, anywhere, times)
            elif not loops:
                total += _work(node.children, scope, root, anywhere, times)
            if loops:
                repeat, items = _loop(places, anywhere, objects=not node.section)
                if repeat:
                    runs = times * repeat
                    total += runs + _work(node.children, _Scope(items, scope), root, anywhere, runs)
            total += _work(node.inverse, scope, root, anywhere, times)
        if total > _FAR_OVER:
            break  # far over the budget already; stop counting
    return total
