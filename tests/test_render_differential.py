"""Our renderer against pybars3 (a dev-only oracle) on random templates and data.

The templates are drawn from the subset both engines read the same way. Left out,
because pybars3 departs from Handlebars there (our own tests cover them): ``~``
whitespace control, standalone lines, ``\\{{`` escapes, literals in blocks, ``{{else}}`` in ``unless``, ``../`` inside
``with`` or a section, ``with`` over a missing value, ``each`` over a string, ``=``
in HTML-escaped data, floats, empty objects, and objects or lists printed as text
(ours reports them as broken merges; pybars prints a Python repr). ``{{else if}}``
chains, which pybars3 cannot read, are rendered by pybars3 in their desugared form
(``{{else}}{{#if b}}...{{/if}}``), which is what Handlebars makes of them.
"""

from __future__ import annotations

from typing import Any

import pybars
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pybars._compiler import prepare as _pybars_prepare

from linters.render import render

# --- data -------------------------------------------------------------------------------

_TEXT = st.text(alphabet=st.sampled_from(list("ab Zé&<>\"'`\n,.!")), max_size=6)
_INTS = st.integers(min_value=-2, max_value=12)
_ITEM = st.fixed_dictionaries(
    {"name": st.one_of(_TEXT, st.none()), "n": _INTS, "flag": st.booleans()},
    optional={"tags": st.lists(_TEXT, max_size=3)},
)
DATA = st.fixed_dictionaries(
    {"obj": st.fixed_dictionaries({"name": _TEXT, "n": _INTS, "flag": st.booleans()})},
    optional={
        "name": st.one_of(_TEXT, st.none()),
        "n": st.one_of(_INTS, st.none()),
        "flag": st.booleans(),
        "empty": st.sampled_from(["", None]),
        "tags": st.lists(_TEXT, max_size=3),
        "lines": st.lists(_ITEM, max_size=3),
    },
)

# --- templates, as small trees printed two ways ------------------------------------------

# What may be printed, and tested, in each kind of context.
PRINTABLE = {
    "root": [
        "name",
        "n",
        "flag",
        "empty",
        "missing",
        "obj.name",
        "obj.n",
        "obj.missing",
        "lines.0.name",
        "lines.[1].n",
        "tags.[0]",
        "tags.1",
        "lines.length",
        "tags.length",
        "nothing.deeper",
        "[name]",
    ],
    "item": ["name", "n", "flag", "this.name", "./n", "../name", "@index", "@first", "@last", "missing"],
    "tag": ["this", "@index", "@first", "@last", "../name"],
    "pair": ["this", "@key", "@index", "@first", "@last", "../name"],
    "obj": ["name", "n", "this.flag", "missing"],
}
TESTABLE = {
    "root": [*PRINTABLE["root"], "lines", "tags", "obj"],
    "item": [*PRINTABLE["item"], "tags"],
    "tag": PRINTABLE["tag"],
    "pair": PRINTABLE["pair"],
    "obj": PRINTABLE["obj"],
}
# (path, context inside) that each block may iterate in each context.
LOOPS = {
    "root": [("lines", "item"), ("tags", "tag"), ("obj", "pair"), ("missing", "item")],
    "item": [("tags", "tag")],
}
# Never blank and never a line break: pybars3 approximates Handlebars' standalone-line
# rule with regular expressions (tests/test_render.py checks ours against Handlebars' spec).
_PLAIN = st.builds(
    str.__add__,
    st.sampled_from(list("Hi,=<>&.!")),
    st.text(alphabet=st.sampled_from(list("Hi, there=<>&\t.!")), max_size=7),
)


def _leaf(context: str) -> st.SearchStrategy:
    printable = st.sampled_from(PRINTABLE[context])
    leaves = [
        st.tuples(st.just("text"), _PLAIN),
        st.tuples(st.just("var"), printable),
        st.tuples(st.just("raw"), printable),
        st.tuples(st.just("amp"), printable),
        st.tuples(st.just("comment"), st.sampled_from([" note ", "-- long note --"])),
    ]
    if context == "root":
        keys = st.sampled_from(["tags 0", "tags 2", 'obj "name"', 'obj "n"', 'obj "nope"'])
        leaves.append(st.tuples(st.just("lookup"), keys))
    return st.one_of(*leaves)


@st.composite
def _node(draw: st.DrawFn, context: str, depth: int) -> tuple:
    if depth >= 3 or draw(st.integers(0, 2)) > 0:
        return draw(_leaf(context))
    body = lambda inner: _nodes(inner, depth + 1)  # noqa: E731
    kinds = ["if", "unless"] + (["each"] if context in LOOPS else [])
    if context == "root":
        kinds += ["with", "section"]
    kind = draw(st.sampled_from(kinds))
    test = st.sampled_from(TESTABLE[context])
    if kind == "if":
        chain = draw(st.lists(st.tuples(test, body(context)), max_size=2))
        otherwise = draw(st.one_of(st.none(), body(context)))
        return ("if", draw(test), draw(body(context)), chain, otherwise)
    if kind == "unless":
        return ("unless", draw(test), draw(body(context)))
    if kind == "each":
        path, inner = draw(st.sampled_from(LOOPS[context]))
        return ("each", path, draw(body(inner)), draw(st.one_of(st.none(), body(context))))
    if kind == "with":
        return ("with", "obj", draw(body("obj")), None)
    path, inner = draw(
        st.sampled_from([("obj", "obj"), ("lines", "item"), ("flag", "root"), ("missing", "root")])
    )
    return ("section", path, draw(body(inner)), draw(st.one_of(st.none(), body("root"))))


def _nodes(context: str, depth: int) -> st.SearchStrategy:
    return st.lists(_node(context, depth), max_size=3)


def source(nodes: list[tuple], sugar: bool) -> str:
    """The template text; ``sugar=False`` spells ``{{else if}}`` as nested blocks."""
    return "".join(_source(node, sugar) for node in nodes)


def _source(node: tuple, sugar: bool) -> str:
    kind = node[0]
    if kind == "text":
        return node[1]
    if kind == "var":
        return f"{{{{{node[1]}}}}}"
    if kind == "raw":
        return f"{{{{{{{node[1]}}}}}}}"
    if kind == "amp":
        return f"{{{{& {node[1]}}}}}"
    if kind == "comment":
        return f"{{{{!{node[1]}}}}}"
    if kind == "lookup":
        return f"{{{{lookup {node[1]}}}}}"
    if kind == "if":
        return _if_source(node[1], node[2], node[3], node[4], sugar)
    if kind == "unless":
        return f"{{{{#unless {node[1]}}}}}{source(node[2], sugar)}{{{{/unless}}}}"
    helper = {"each": "each ", "with": "with "}.get(kind, "")
    opened = f"{{{{#{helper}{node[1]}}}}}{source(node[2], sugar)}"
    otherwise = "" if node[3] is None else f"{{{{else}}}}{source(node[3], sugar)}"
    return f"{opened}{otherwise}{{{{/{helper.strip() or node[1]}}}}}"


def _if_source(test: str, body: list, chain: list, otherwise: list | None, sugar: bool) -> str:
    text = f"{{{{#if {test}}}}}{source(body, sugar)}"
    if chain:
        (next_test, next_body), rest = chain[0], chain[1:]
        if sugar:
            inner = _if_source(next_test, next_body, rest, otherwise, sugar)
            # {{#if b}}...{{/if}} inside the chain becomes {{else if b}}...: drop its {{/if}}.
            return text + "{{else " + inner[3 : -len("{{/if}}")] + "{{/if}}"
        return text + "{{else}}" + _if_source(next_test, next_body, rest, otherwise, sugar) + "{{/if}}"
    if otherwise is not None:
        text += "{{else}}" + source(otherwise, sugar)
    return text + "{{/if}}"


TEMPLATES = _nodes("root", 0)

# --- the oracle ---------------------------------------------------------------------------

_COMPILER = pybars.Compiler()


def _unescaped(value: object, should_escape: bool) -> object:
    return _pybars_prepare(value, False)


def pybars_render(template_source: str, data: dict[str, Any], escape_html: bool) -> str:
    template = _COMPILER.compile(template_source)
    if not escape_html:
        template.__globals__["prepare"] = _unescaped
    try:
        return str(template(data))
    finally:
        template.__globals__["prepare"] = _pybars_prepare


@settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow],
)
@given(TEMPLATES, DATA, st.booleans())
def test_our_renderer_matches_pybars(nodes: list[tuple], data: dict[str, Any], escape_html: bool) -> None:
    ours = render(source(nodes, sugar=True), data, escape_html=escape_html)
    # Objects and lists printed as text: ours reports a broken merge, pybars a repr.
    assume(not any(value.problem for value in ours.values))
    try:
        expected = pybars_render(source(nodes, sugar=False), data, escape_html)
    except Exception:  # pybars refuses some inputs we accept (an index past the end)
        assume(False)
    assert ours.text == expected


def test_else_if_sugar_prints_a_chain() -> None:
    chain = [("if", "flag", [("text", "A")], [("n", [("text", "B")])], [("text", "C")])]
    assert source(chain, sugar=True) == "{{#if flag}}A{{else if n}}B{{else}}C{{/if}}"
    assert source(chain, sugar=False) == "{{#if flag}}A{{else}}{{#if n}}B{{else}}C{{/if}}{{/if}}"
