"""SES Handlebars rendering: branches, loops, escaping, provenance and failures."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from linters.cli import main
from linters.handlebars import TemplateSyntaxError, parse
from linters.render import compile_template, render
from tests.conftest import judge, make_request


def text_of(source, data, html=False):
    return render(source, data, escape_html=html).text


def test_variables_and_dotted_paths():
    assert text_of("Hi {{first_name}}, order {{order.id}}", {"first_name": "Ana", "order": {"id": 7}}) == (
        "Hi Ana, order 7"
    )


def test_if_else_unless_and_each():
    source = (
        "{{#if vip}}VIP{{else}}Member{{/if}} {{#unless opted_out}}news{{/unless}}"
        " {{#each items}}[{{name}}]{{/each}}"
    )
    data = {"vip": False, "opted_out": False, "items": [{"name": "boots"}, {"name": "scarf"}]}
    assert text_of(source, data) == "Member news [boots][scarf]"


def test_zero_and_empty_values_stay_falsy():
    assert text_of("{{#if n}}some{{else}}none{{/if}}", {"n": 0}) == "none"
    assert text_of("{{#if s}}some{{else}}none{{/if}}", {"s": ""}) == "none"


def test_html_part_escapes_data_text_part_does_not():
    data = {"name": "Tom & <Jerry>"}
    assert text_of("Hi {{name}}", data, html=True) == "Hi Tom &amp; &lt;Jerry&gt;"
    assert text_of("Hi {{name}}", data) == "Hi Tom & <Jerry>"


def test_provenance_records_where_each_value_landed():
    rendered = render(
        "Dear {{title}} {{last_name}}, Dr. Reyes will see you.",
        {"title": "Dr.", "last_name": "Okafor"},
        escape_html=False,
    )
    spans = {v.path: rendered.text[v.start : v.end] for v in rendered.values}
    assert spans == {"title": "Dr.", "last_name": "Okafor"}
    # "Dr. Reyes" was typed into the template: it has no provenance.
    assert all(v.start < rendered.text.index("Reyes") - 5 for v in rendered.values)


def test_provenance_inside_each_uses_item_paths():
    rendered = render(
        "{{#each items}}{{name}} {{/each}}", {"items": [{"name": "a"}, {"name": "b"}]}, escape_html=False
    )
    assert [v.path for v in rendered.values] == ["items.0.name", "items.1.name"]


def test_missing_and_null_variables_are_recorded_not_printed():
    rendered = render(
        "Hi {{first_name}}, {{nickname}} {{order.id}}", {"nickname": None, "order": {}}, escape_html=False
    )
    assert rendered.text == "Hi ,  "
    assert [(v.path, v.missing) for v in rendered.values] == [
        ("first_name", True),
        ("nickname", True),
        ("order.id", True),
    ]


def test_missing_variable_in_a_condition_is_just_false():
    rendered = render("{{#if coupon}}Use {{coupon}}{{else}}Welcome{{/if}}", {}, escape_html=False)
    assert rendered.text == "Welcome"
    assert rendered.values == ()


def test_compiled_templates_are_cached():
    compile_template.cache_clear()
    for name in ("Ana", "Ben", "Cy"):
        render("Hi {{first_name}}", {"first_name": name}, escape_html=False)
    assert compile_template.cache_info().misses == 1


@pytest.mark.parametrize(
    ("source", "problem", "line", "column"),
    [
        ("Hi\n{{#if vip}}VIP", "never closed", 2, 1),
        ("Hi {{first_name", "unclosed {{", 1, 4),
        ("{{#if a}}x{{/each}}", "closes {{#if}}", 1, 11),
        ("x {{/if}}", "never opened", 1, 3),
        ("{{first name}}", "unknown helper", 1, 1),
        ("{{> footer}}", "partials", 1, 1),
        ("{{!-- note", "unclosed comment", 1, 1),
        ("{{else}}", "outside", 1, 1),
        ("{{#bogus x}}{{/bogus}}", "not a block helper", 1, 1),
    ],
)
def test_broken_templates_give_positioned_errors(source, problem, line, column):
    with pytest.raises(TemplateSyntaxError) as caught:
        render(source, {}, escape_html=False)
    assert problem in caught.value.problem
    assert (caught.value.line, caught.value.column) == (line, column)


def test_parse_keeps_comments_and_positions():
    tree = parse("{{!-- sendguard-disable-next-line SG302: seasonal --}}\nHi {{name}}")
    assert tree[0].text == "sendguard-disable-next-line SG302: seasonal"
    assert tree[-1].path == "name"


# --- our own renderer (issue 11): the SES dialect of Handlebars -------------------------

ORDER = {
    "first_name": "Ana",
    "tier": "gold",
    "orders": [{"id": "A-17", "items": [{"sku": "boots", "qty": 1}, {"sku": "scarf", "qty": 2}]}],
    "prefs": {"shoe size": 38},
}


def test_else_if_chains_pick_the_first_true_branch():
    source = (
        "{{#if vip}}VIP{{else if orders.[0]}}Thanks for order {{orders.[0].id}}"
        "{{else unless first_name}}Hello{{else}}Hi {{first_name}}{{/if}}"
    )
    assert text_of(source, {**ORDER, "vip": True}) == "VIP"
    assert text_of(source, ORDER) == "Thanks for order A-17"
    assert text_of(source, {"first_name": "Ana"}) == "Hi Ana"
    assert text_of(source, {}) == "Hello"


def test_else_each_in_a_chain_and_its_close_must_match_the_opener():
    source = "{{#if vip}}VIP{{else each orders}}#{{id}}{{else}}no orders{{/if}}"
    assert text_of(source, ORDER) == "#A-17"
    assert text_of(source, {"orders": []}) == "no orders"
    with pytest.raises(TemplateSyntaxError, match="closes"):
        parse("{{#if a}}x{{else if b}}y{{/each}}")


def test_segment_literals_index_lists_and_name_keys_with_spaces():
    assert text_of("{{#if orders.[0]}}{{orders.[0].items.[1].sku}}{{/if}}", ORDER) == "scarf"
    assert text_of("size {{prefs.[shoe size]}}, {{orders.0.items.length}} items", ORDER) == "size 38, 2 items"
    rendered = render("{{orders.[0].id}}", ORDER, escape_html=False)
    assert [v.path for v in rendered.values] == ["orders.0.id"]


def test_this_parent_paths_and_each_variables():
    source = (
        "{{#each orders}}{{#each items}}{{@index}}:{{sku}}x{{this.qty}} of {{../id}} for {{../../first_name}}"
        "{{#if @first}} (first){{/if}}{{#if @last}} (last){{/if}}; {{/each}}{{/each}}"
    )
    assert text_of(source, ORDER) == ("0:bootsx1 of A-17 for Ana (first); 1:scarfx2 of A-17 for Ana (last); ")
    assert text_of("{{#each prefs}}{{@key}}={{this}}{{/each}}", ORDER) == "shoe size=38"
    assert (
        text_of("{{#each tags}}{{.}}{{#unless @last}}, {{/unless}}{{/each}}", {"tags": ["a", "b"]}) == "a, b"
    )


def test_with_and_sections_enter_a_context_and_fall_back_when_empty():
    assert text_of("{{#with orders.[0]}}{{id}} for {{../first_name}}{{/with}}", ORDER) == "A-17 for Ana"
    assert text_of("{{#with coupon}}{{code}}{{else}}no coupon{{/with}}", {}) == "no coupon"
    assert text_of("{{#orders}}[{{id}}]{{/orders}}", ORDER) == "[A-17]"
    assert text_of("{{#prefs}}{{[shoe size]}}{{/prefs}}", ORDER) == "38"
    assert text_of(
        "{{#vip}}VIP {{first_name}}{{else}}member{{/vip}}", {"vip": True, "first_name": "Ana"}
    ) == ("VIP Ana")
    assert text_of("{{#vip}}VIP{{else}}member{{/vip}}", {}) == "member"


@pytest.mark.parametrize(
    ("value", "shown"),
    [([], "no"), ({}, "yes"), (0, "no"), (0.0, "no"), ("", "no"), ("0", "yes"), (False, "no"), ([0], "yes")],
)
def test_if_truthiness_is_handlebars(value, shown):
    assert text_of("{{#if v}}yes{{else}}no{{/if}}", {"v": value}) == shown


def test_each_over_an_object_and_an_empty_collection():
    assert (
        text_of("{{#each sizes}}{{@key}}:{{this}} {{/each}}", {"sizes": {"eu": 38, "us": 7.5}})
        == "eu:38 us:7.5 "
    )
    assert text_of("{{#each sizes}}x{{else}}none{{/each}}", {"sizes": {}}) == "none"
    assert text_of("{{#each name}}x{{else}}not a list{{/each}}", {"name": "Ana"}) == "not a list"


def test_html_escapes_the_seven_characters_and_raw_mustaches_do_not():
    data = {"v": "&<>\"'`="}
    assert text_of("{{v}}", data, html=True) == "&amp;&lt;&gt;&quot;&#x27;&#x60;&#x3D;"
    assert text_of("{{{v}}}|{{& v}}", data, html=True) == "&<>\"'`=|&<>\"'`="
    assert text_of("{{v}}", data) == "&<>\"'`="


def test_values_print_as_handlebars_prints_them():
    data = {"t": True, "f": False, "n": 0, "x": 7.0, "y": 2.5}
    assert text_of("{{t}} {{f}} {{n}} {{x}} {{y}}", data) == "true false 0 7 2.5"


def test_comments_print_nothing_and_escaped_mustaches_print_as_written():
    assert text_of("a{{! short }}b{{!-- long }} --}}c", {}) == "abc"
    assert text_of("\\{{first_name}} is {{first_name}}", {"first_name": "Ana"}) == "{{first_name}} is Ana"
    assert text_of("\\\\{{first_name}}", {"first_name": "Ana"}) == "\\Ana"


def test_lookup_and_log():
    data = {"labels": {"gold": "Gold member"}, "tier": "gold", "codes": ["A", "B"]}
    assert text_of(
        '{{lookup labels tier}} {{lookup codes 1}} {{lookup labels "none"}}{{log tier}}', data
    ) == ("Gold member B ")
    rendered = render("{{lookup labels tier}}", data, escape_html=False)
    assert [v.path for v in rendered.values] == ["labels.gold"]


# Cases from handlebars.js spec/whitespace-control.js and spec/blocks.js (MIT licence).
@pytest.mark.parametrize(
    ("source", "data", "expected"),
    [
        (" {{~foo~}} ", {"foo": "bar<"}, "bar&lt;"),
        (" {{~foo}} ", {"foo": "bar<"}, "bar&lt; "),
        (" {{~{foo}~}} ", {"foo": "bar<"}, "bar<"),
        (" {{~#if foo~}} bar {{~/if~}} ", {"foo": "bar<"}, "bar"),
        (" {{#if foo~}} bar {{/if~}} ", {"foo": "bar<"}, " bar "),
        ("{{#if foo~}} bar {{~else~}} baz {{~/if}}", {}, "baz"),
        ("{{#if foo~}} bar {{~^}} baz {{/if}}", {}, " baz "),
        (" {{~foo~}} {{foo}} {{foo}} ", {"foo": "bar"}, "barbar bar "),
        ("{{#people}}\n{{name}}\n{{^}}\n{{none}}\n{{/people}}\n", {"none": "No people"}, "No people\n"),
        (
            "{{#people}}\n{{name}}\n{{else if none}}\n{{none}}\n{{^}}\n{{/people}}\n",
            {"none": "No people"},
            "No people\n",
        ),
        ("{{#data}}\n{{#if true}}\n{{.}}\n{{/if}}\n{{/data}}\nOK.", {"data": [1, 3, 5]}, "1\n3\n5\nOK."),
    ],
)
def test_whitespace_control_and_standalone_lines_follow_handlebars(source, data, expected):
    assert text_of(source, data, html=True) == expected


def test_standalone_block_lines_leave_no_blank_lines_in_a_text_part():
    source = "Hi {{first_name}},\n  {{#if vip}}\n  You are VIP.\n  {{/if}}\n{{! footer }}\nBye"
    assert text_of(source, {"first_name": "Ana", "vip": True}) == "Hi Ana,\n  You are VIP.\nBye"
    assert text_of(source, {"first_name": "Ana"}) == "Hi Ana,\nBye"


def test_an_object_or_list_printed_as_text_is_a_broken_value_never_a_repr():
    rendered = render(
        "your order {{order}} ({{tags}})", {"order": {"id": 1}, "tags": ["a"]}, escape_html=False
    )
    assert rendered.text == "your order  ()"
    assert [(v.path, v.missing, v.problem) for v in rendered.values] == [
        ("order", True, "an object"),
        ("tags", True, "a list"),
    ]


def test_provenance_covers_every_printed_value_but_not_each_variables():
    rendered = render(
        "{{#each tags}}{{@index}}{{this}}{{/each}} {{n}}", {"tags": ["a"], "n": 0}, escape_html=False
    )
    assert rendered.text == "0a 0"
    assert [(v.path, rendered.text[v.start : v.end]) for v in rendered.values] == [
        ("tags.0", "a"),
        ("n", "0"),
    ]


def test_private_use_characters_in_data_are_printed_as_they_are():
    assert text_of("{{x}}", {"x": "a\uf8f0b\uf8f2"}) == "a\uf8f0b\uf8f2"


def test_compile_template_returns_a_reusable_template():
    template = compile_template("Hi {{first_name}}", False)
    assert template.render({"first_name": "Ana"}).text == "Hi Ana"
    assert template.render({}).values[0].missing
    assert template.source == "Hi {{first_name}}" and template.escape_html is False


def _tree(depth: int, breadth: int) -> dict:
    if depth == 0:
        return {"name": "leaf"}
    return {"name": f"d{depth}", "kids": [_tree(depth - 1, breadth) for _ in range(breadth)]}


def test_nested_each_six_deep_renders_in_proportion_to_the_data():
    source = "{{#each kids}}" * 6 + "{{name}}." + "{{/each}}" * 6
    rendered = render(source, _tree(6, 4), escape_html=False)
    assert rendered.text == "leaf." * 4**6
    assert len(rendered.values) == 4**6


def test_a_template_that_multiplies_its_data_stops_with_an_error():
    source = "{{#each a}}" + "{{#each @root.a}}" * 4 + "x" + "{{/each}}" * 5
    with pytest.raises(TemplateSyntaxError, match="renders too much") as caught:
        render(source, {"a": list(range(60))}, escape_html=False)
    assert caught.value.line == 1


def test_deep_nesting_is_a_syntax_error_not_a_recursion_error():
    source = "{{#if a}}" * 5000 + "x" + "{{/if}}" * 5000
    with pytest.raises(TemplateSyntaxError, match="nest more than"):
        render(source, {"a": True}, escape_html=False)
    nested: dict = {}
    deep = nested
    for _ in range(5000):
        deep["a"] = {}
        deep = deep["a"]
    assert render("{{a.a.a}}", nested, escape_html=False).values[0].problem == "an object"


# --- what the guard makes of it ------------------------------------------------------------


def test_an_object_merged_as_text_blocks_the_message_with_sg103():
    result = judge(
        {"subject": "Your order", "text": "Hi Ana, your order {{order}} has shipped."},
        data={"order": {"id": 1}},
    )
    assert result.decision == "block"
    [finding] = [f for f in result.findings if f.rule == "SG103"]
    assert "{{order}} is an object" in finding.message
    assert "{'id'" not in result.message["text"]


def test_sendguard_check_judges_else_if_and_segment_literals(tmp_path, capsys):
    template = {
        "subject": "Your order",
        "text": (
            "Hi {{first_name}},\n\n{{#if orders.[0]}}Order {{orders.[0].id}} has shipped."
            "{{else if cart}}Your cart is saved.{{else}}Thanks for visiting.{{/if}}"
        ),
    }
    request = make_request(
        template,
        data={"first_name": "Ana", "orders": [{"id": "A-17"}]},
        customer={"first_name": "Ana", "consent": {"email_marketing": True}},
    )
    path = tmp_path / "request.json"
    path.write_text(json.dumps(request))
    code = main(["check", "--format", "json", str(path)])
    [result] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0 and result["decision"] == "allow"
    assert result["message"]["text"] == "Hi Ana,\n\nOrder A-17 has shipped."


def test_an_else_if_chain_is_a_chained_block_in_the_inverse_with_positions():
    source = "{{#if a}}A{{else if b}}B{{else}}C{{/if}}"
    [block] = parse(source)
    [chained] = block.inverse
    assert (block.helper, block.arg, chained.helper, chained.arg, chained.chained) == (
        "if",
        "a",
        "if",
        "b",
        True,
    )
    assert (
        source[block.else_at : block.else_end] == "{{else if b}}" == source[chained.start : chained.open_end]
    )
    assert source[chained.else_at : chained.else_end] == "{{else}}"
    assert source[chained.close_start : chained.end] == "{{/if}}" == source[block.close_start : block.end]
    assert [n.text for n in chained.inverse] == ["C"]


_HOSTILE = st.lists(
    st.sampled_from([*"{}{}{}#/~!^&>[]. @\\\"'=-|ab0\n", "{{", "}}", "if ", "else", "each ", "this", "../"]),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(_HOSTILE, st.booleans())
def test_any_text_renders_or_is_a_template_syntax_error(source, escape_html):
    data = {"a": [{"b": "x"}], "b": {"a": 0}, "this": "t"}
    try:
        rendered = render(source, data, escape_html=escape_html)
    except TemplateSyntaxError:
        return
    assert all(0 <= v.start <= v.end <= len(rendered.text) for v in rendered.values)
