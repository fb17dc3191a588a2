"""SES Handlebars rendering: branches, loops, escaping, provenance and failures."""

from __future__ import annotations

import pytest

from linters.handlebars import TemplateSyntaxError, parse
from linters.render import compile_template, render


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
