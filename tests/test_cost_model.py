"""The cost model (issue 27): the work of rendering is bounded before rendering.

``linters.limits.work_bound`` bounds the steps the renderer counts (``Rendered.steps``):
every loop iteration, and every path looked up inside one at its length, text or no
text. A request over ``MAX_RENDER_STEPS`` is refused with a RequestError naming the
part, before anything is rendered; the renderer stops at the same budget.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from linters import engine
from linters.engine import check
from linters.handlebars import TemplateSyntaxError, parse
from linters.limits import MAX_RENDER_STEPS, check_part, work_bound
from linters.models import RequestError, parse_request
from linters.render import MAX_STEPS, compile_path, render
from scripts.bench_worst_case import RENDER_WORK_CASES, build
from tests.conftest import make_request
from tests.test_lint_api import call, plain_environment  # noqa: F401 - an autouse fixture

ORDER_LINES = [
    {"sku": f"NW-{n:04}", "name": name, "quantity": n % 3 + 1, "price": f"${12 + n}.00", "gift": n % 4 == 0}
    for n, name in enumerate(
        [
            "Merino wool scarf, charcoal",
            "Waxed cotton jacket, olive",
            "Leather gloves, tan",
            "Hand-knitted beanie, oat",
            "Wool socks, three pairs",
        ]
        * 10
    )
]
RECEIPT = {
    "subject": "Your Northwind order {{order.number}}",
    "text": (
        "Hi {{first_name}},\n\nThanks for your order {{order.number}}. Here is what we are packing:\n\n"
        "{{#each order.lines}}"
        "{{@index}}. {{name}} ({{sku}}) x{{quantity}}: {{price}}{{#if gift}} - gift wrapped{{/if}}\n"
        "{{/each}}"
        "\nTotal: {{order.total}}\nShipping to {{order.address.city}}.\n\nNorthwind Outfitters"
    ),
}
RECEIPT_DATA = {
    "first_name": "Maggie",
    "order": {
        "number": "NW-20261120-0042",
        "lines": ORDER_LINES,
        "total": "$1,225.00",
        "address": {"city": "Portland"},
    },
}


def _forbid_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*args: Any, **kwargs: Any) -> None:
        raise AssertionError("rendered a request the cost model should have refused")

    monkeypatch.setattr(engine, "render", fail)


def _refused(raw: dict[str, Any] | str) -> RequestError:
    with pytest.raises(RequestError) as caught:
        check(parse_request(raw))
    return caught.value


def test_five_nested_loops_around_a_long_root_path_are_refused_before_rendering(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The tester's template: 12^5 iterations of a 1,000-key lookup, nothing printed."""
    _forbid_rendering(monkeypatch)
    for name in ("nested_each_parent_paths_around_a_long_path", "nested_each_root_paths_around_a_long_path"):
        error = _refused(build(RENDER_WORK_CASES[name]))
        assert error.field == "template.text", name
        assert "steps to render" in error.problem and f"at most {MAX_RENDER_STEPS:,}" in error.problem
        # The bound it names: 12^5 iterations, each looking up 1,001 segments.
        bound = int(error.problem.split("about ")[1].split(" steps")[0].replace(",", ""))
        assert bound >= 12**5 * 1001


def test_empty_nested_loops_are_refused_up_front(monkeypatch: pytest.MonkeyPatch) -> None:
    """Loops with nothing in them still cost their iterations: refused before
    rendering, not after the renderer has run up its budget."""
    _forbid_rendering(monkeypatch)
    error = _refused(build(RENDER_WORK_CASES["empty_nested_each_six_deep"]))
    assert error.field == "template.text" and "steps to render" in error.problem
    source = "{{#each @root.lines}}" * 6 + "{{/each}}" * 6
    assert work_bound(parse(source), {"lines": ORDER_LINES}) >= 50**6


def test_loops_over_an_object_count_its_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    _forbid_rendering(monkeypatch)
    assert _refused(build(RENDER_WORK_CASES["nested_each_over_object_keys"])).field == "template.text"


def test_the_html_part_is_named_when_it_is_the_one_over() -> None:
    html = (
        "<p>Hi {{first_name}}</p>"
        + "{{#each lines}}{{#each ../lines}}{{#each ../../lines}}"
        + ("{{#if ../../order.address.city}}{{/if}}{{/each}}{{/each}}{{/each}}")
    )
    data = {"first_name": "Maggie", "lines": ORDER_LINES, "order": RECEIPT_DATA["order"]}
    error = _refused(make_request({"subject": "Your order", "html": html}, data=data))
    assert error.field == "template.html" and "steps to render" in error.problem


def test_an_honest_receipt_of_fifty_lines_renders_far_below_the_budget() -> None:
    result = check(parse_request(make_request(RECEIPT, data=RECEIPT_DATA, purpose="transactional")))
    assert result.message["text"].count("\n") > 50
    bound = work_bound(parse(RECEIPT["text"]), RECEIPT_DATA)
    assert render(RECEIPT["text"], RECEIPT_DATA, escape_html=False).steps <= bound < MAX_RENDER_STEPS // 50


def test_the_render_step_counter_charges_the_path_length() -> None:
    """Each iteration costs one step, plus each node of its body at its path's length."""
    segments = ".".join(["b"] * 40)
    data = {"lines": ORDER_LINES, "b": {"b": {"b": "deep"}}}
    short = render("{{#each lines}}{{#if b}}{{/if}}{{/each}}", data, escape_html=False).steps
    long = render(
        "{{#each lines}}{{#if @root." + segments + "}}{{/if}}{{/each}}", data, escape_html=False
    ).steps
    assert short == 50 * (1 + 1)
    assert long == 50 * (1 + 41)
    assert compile_path("@root." + segments).cost == 41
    assert compile_path("../../name").cost == 3 and compile_path("this").cost == 1
    # A path of many characters costs at least one step per PATH_CHARS_PER_STEP of them.
    assert compile_path("a.[" + "x" * 12_800 + "]").cost >= 100


def test_the_renderer_stops_at_the_same_budget() -> None:
    """Rendered without the limits (a caller in Python), the renderer stops at MAX_STEPS."""
    assert MAX_STEPS == MAX_RENDER_STEPS
    source = "{{#each lines}}{{#each @root.lines}}{{#each @root.lines}}{{#if ../name}}{{/if}}{{/each}}{{/each}}{{/each}}"
    with pytest.raises(TemplateSyntaxError, match="renders too much"):
        render(source, {"lines": ORDER_LINES}, escape_html=False)


def test_a_template_without_loops_is_bounded_without_the_data() -> None:
    source = "{{#if order}}{{#with order}}{{number}} {{address.city}}{{/with}}{{else}}none{{/if}}"
    assert work_bound(parse(source), {}) == work_bound(parse(source), RECEIPT_DATA)
    check_part("template.text", source, RECEIPT_DATA)


# --- the differential: the static bound is never below the steps counted --------------------

# Paths that walk everywhere a template may: down, ../ up, @root, variables, literals.
_PATHS = [
    "lines",
    "order.lines",
    "order",
    "this",
    ".",
    "name",
    "tags",
    "../lines",
    "../../lines",
    "../tags",
    "@root.lines",
    "@root.order.lines",
    "@root.stock",
    "stock",
    "@index",
    "@key",
    "lines.0",
    "lines.0.tags",
    "lines.length",
    "gift",
    "missing.deeper.still",
    "'text'",
    "2",
]
_LEAVES = [
    "x",
    "{{name}}",
    "{{../name}}",
    "{{@root.order.number}}",
    "{{@index}}",
    "{{lookup ../stock sku}}",
    "{{lookup order 'number'}}",
    "{{! a note }}",
    "{{log name}}",
    "{{{this}}}",
]


_LOOPED = [
    "lines",
    "../lines",
    "../../lines",
    "@root.lines",
    "@root.stock",
    "stock",
    "../stock",
    "tags",
    "../tags",
    "this",
    "order.lines",
    "lines.0.tags",
    "@root.order.lines",
]
_ENTERED = ["order", "this", ".", "lines.0", "../order", "@root.order", "missing", "name"]


@st.composite
def _template(draw: st.DrawFn, depth: int = 0) -> str:
    pieces = []
    for _ in range(draw(st.integers(1 if depth == 0 else 0, 3))):
        if depth >= 4 or draw(st.integers(0, 3)) == 0:
            pieces.append(draw(st.sampled_from(_LEAVES)))
            continue
        kind = draw(st.sampled_from(["each", "each", "each", "if", "unless", "with", "section"]))
        choices = {"each": _LOOPED, "with": _ENTERED, "section": [*_ENTERED[:2], "lines", "gift", "tags"]}
        path = draw(st.sampled_from(choices.get(kind, _PATHS)))
        body = draw(_template(depth + 1))
        otherwise = draw(st.one_of(st.just(""), _template(depth + 1).map("{{else}}".__add__)))
        if kind == "section":
            pieces.append(f"{{{{#{path}}}}}{body}{otherwise}{{{{/{path}}}}}")
        else:
            pieces.append(f"{{{{#{kind} {path}}}}}{body}{otherwise}{{{{/{kind}}}}}")
    return "".join(pieces)


_WORDS = st.sampled_from(["Merino scarf", "NW-0042", "", "gift", "Portland"])
_SCALARS = st.one_of(_WORDS, st.integers(0, 3), st.booleans(), st.none())
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.sampled_from(["name", "tags", "lines", "sku", "gift", "stock"]), inner, max_size=4
        ),
    ),
    max_leaves=20,
)
_DATA = st.fixed_dictionaries(
    {
        "name": _WORDS,
        "lines": st.lists(
            st.fixed_dictionaries(
                {"name": _WORDS, "sku": st.sampled_from(["NW-1", "NW-2"])},
                optional={"tags": st.lists(_WORDS, max_size=3), "gift": st.booleans(), "lines": _VALUES},
            ),
            min_size=1,
            max_size=4,
        ),
        "order": st.fixed_dictionaries({"number": _WORDS}, optional={"lines": _VALUES}),
        "stock": st.dictionaries(st.sampled_from(["NW-1", "NW-2", "NW-3"]), st.integers(0, 9), min_size=1),
    },
    optional={"tags": st.lists(_WORDS, max_size=3), "gift": _SCALARS},
)


def _bounded(source: str, data: dict[str, Any]) -> tuple[int, int]:
    steps = render(source, data, escape_html=False).steps
    return work_bound(parse(source), data), steps


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_template(), _DATA)
def test_the_static_bound_is_never_below_the_steps_counted(source: str, data: dict[str, Any]) -> None:
    bound, steps = _bounded(source, data)
    assert steps <= bound


_SHARED = {"name": "Maggie", "tags": ["wool", "gift"]}


@pytest.mark.parametrize(
    ("source", "data"),
    [
        (RECEIPT["text"], RECEIPT_DATA),
        ("{{#each order.lines}}{{#each @root.order.lines}}{{name}}{{/each}}{{/each}}", RECEIPT_DATA),
        (
            "{{#each lines}}{{#each ../lines}}{{#each ../../lines}}{{sku}}{{/each}}{{/each}}{{/each}}",
            {"lines": ORDER_LINES[:8]},
        ),
        (
            "{{#each stock}}{{@key}}: {{this}}{{#each @root.stock}}.{{/each}}{{/each}}",
            {"stock": {"a": 1, "b": 2, "c": 3}},
        ),
        # The same object twice (a caller in Python): {{#with}} enters no new context for
        # the value it is in, so ../ out of the inner one reaches the root, not ``a``.
        (
            "{{#with a}}{{#with ../b}}{{#each ../b.tags}}{{#each ../tags}}x{{/each}}{{/each}}{{/with}}{{/with}}",
            {"a": _SHARED, "b": _SHARED},
        ),
        (
            "{{#with order}}{{#this}}{{#each ../lines}}{{name}}{{/each}}{{/this}}{{/with}}",
            {"order": {"number": "NW-1"}, "lines": ORDER_LINES[:5]},
        ),
        ("{{#gift}}{{#each lines}}{{name}}{{/each}}{{/gift}}", {"gift": True, "lines": ORDER_LINES[:5]}),
        (
            "{{#lines}}{{#tags}}{{.}}{{/tags}}{{/lines}}",
            {"lines": [{"tags": ["a", "b"]}, {"tags": {"x": 1}}]},
        ),
        # An object of more values than the model follows one by one: "anywhere".
        (
            "{{#each wide}}{{#each this}}{{.}}{{/each}}{{/each}}",
            {"wide": {f"k{n}": [n] * (n % 5) for n in range(60)}},
        ),
    ],
)
def test_the_static_bound_holds_on_chosen_templates(source: str, data: dict[str, Any]) -> None:
    bound, steps = _bounded(source, data)
    assert 0 < steps <= bound


def test_the_bound_of_a_simple_loop_is_tight() -> None:
    """Outside the loop nothing is charged at run time; inside, the bound is exact."""
    source = "{{#each order.lines}}- {{name}}: {{price}}\n{{/each}}"
    bound, steps = _bounded(source, RECEIPT_DATA)
    assert steps == 50 * (1 + 1 + 3 + 1 + 3 + 1)  # a loop, three texts, two one-key tags
    assert bound == steps + compile_path("order.lines").cost


def test_the_lint_api_refuses_a_costly_template_with_a_400() -> None:
    body = json.loads(build(RENDER_WORK_CASES["nested_each_root_paths_around_a_long_path"]))
    status, answer = call("/check", body)
    assert status == 400 and answer.get("field") == "template.text"


def test_long_object_keys_are_not_spelled_out_in_every_loop_items_path() -> None:
    """Six nested loops over an object of six 20,000-character keys: 46,656 items, each
    of whose data paths once held every key in full (a gigabyte of paths). The path
    names a key by its first KEY_LABEL_CHARS characters."""
    import tracemalloc

    from linters.render import KEY_LABEL_CHARS, render

    keys = {f"k{i}" + "x" * 19_990: "v" for i in range(6)}
    body = "{{this}}"
    for _ in range(6):
        body = "{{#each @root.a}}" + body + "{{/each}}"
    tracemalloc.start()
    try:
        rendered = render(body, {"a": keys}, escape_html=False)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(rendered.values) == 6**6
    assert max(len(v.path) for v in rendered.values) <= len("a.") + KEY_LABEL_CHARS + 1
    assert peak < 200 * 2**20  # was over a gigabyte
