"""The visible text of an HTML email and its map back to the source."""

from __future__ import annotations

from linters.html_text import visible_text

EMAIL = (
    "<html><head><title>Offer</title><style>p { color: red }</style></head><body>"
    '<div style="display: none">Preheader: VIP only</div>'
    '<p>Hi Tom &amp; Jerry,</p>\n<p>We  care &nbsp; about <a href="mailto:help@shop.example">your</a> order.'
    "<br>Bye</p><script>track()</script><span hidden>secret</span></body></html>"
)


def test_hidden_style_script_and_head_are_left_out():
    text = visible_text(EMAIL).text
    assert "VIP" not in text and "track" not in text and "secret" not in text and "Offer" not in text
    assert text == "Hi Tom & Jerry,\nWe care about your order.\nBye"


def test_offsets_map_back_to_the_html():
    visible = visible_text(EMAIL)
    start = visible.text.index("Jerry")
    source_start, source_end = visible.to_source(start, start + 5)
    assert EMAIL[source_start:source_end] == "Jerry"


def test_links_are_collected():
    assert visible_text(EMAIL).links == ["mailto:help@shop.example"]


def test_unclosed_tags_do_not_hide_the_rest():
    assert visible_text("<p>One<div style='display:none'>x</p><p>Two</p>").text.endswith("Two")


def test_a_span_ending_on_an_entity_covers_the_whole_entity():
    visible = visible_text(EMAIL)
    start = visible.text.index("Tom &")
    source_start, source_end = visible.to_source(start, start + 5)
    assert EMAIL[source_start:source_end] == "Tom &amp;"
