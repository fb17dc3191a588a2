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


# --- what else the reader meets: the preheader, alt and title texts -----------------

NEWSLETTER = (
    "<html><head><title>Weekly</title><style>.x{color:red}</style></head><body>"
    '<span style="display:none;max-height:0;overflow:hidden">Three walks for a '
    "<b style='display:none'>wet</b> weekend&zwnj;&nbsp;&#847;&zwnj;&nbsp;</span>"
    '<p>Hi Ana,</p><img src="a.png" alt="Map of the Tor &amp; ridge" title="Map of the Tor &amp; ridge">'
    "<p>Here are this week's routes.</p><a href='r' title=Routes>More</a>"
    "<script>var s = 'not read';</script><!-- nor this -->"
    "</body></html>"
)


def test_the_preheader_is_read_apart_from_the_body():
    visible = visible_text(NEWSLETTER)
    assert visible.text == "Hi Ana,\nHere are this week's routes.\nMore"
    assert visible.preheader is not None
    assert visible.preheader.text == "Three walks for a wet weekend"
    start = visible.preheader.text.index("wet")
    source_start, source_end = visible.preheader.to_source(start, start + 3)
    assert NEWSLETTER[source_start:source_end] == "wet"


def test_a_collapsed_preheader_is_a_preheader_too():
    html = '<div style="opacity:0;color:transparent">Your receipt inside</div><p>Thanks for your order.</p>'
    visible = visible_text(html)
    assert visible.preheader is not None and visible.preheader.text == "Your receipt inside"
    assert visible.text == "Thanks for your order."
    # Lower down the same style is the body's business, as before: it stays visible.
    later = "<p>" + "Order details follow. " * 10 + "</p><div style='opacity:0.5'>Faded note</div>"
    assert "Faded note" in visible_text(later).text and visible_text(later).preheader is None


def test_alt_and_title_texts_are_read_once_each_with_offsets():
    attributes = visible_text(NEWSLETTER).attributes
    assert attributes is not None
    assert attributes.text == "Map of the Tor & ridge\nRoutes"
    start = attributes.text.index("Tor &")
    source_start, source_end = attributes.to_source(start, start + 5)
    assert NEWSLETTER[source_start:source_end] == "Tor &amp;"
    assert attributes.covers(source_start, source_end)


def test_hidden_text_lower_down_scripts_and_comments_are_not_read():
    body = "<p>" + "A long first paragraph about the routes. " * 4 + "</p>"
    html = (
        f"{body}<div style='display:none'>hidden lower down</div><img alt='hidden image' style='display:none'>"
        "<div hidden><img src=x alt='inside hidden'></div><script>x='script'</script><!-- comment -->"
    )
    visible = visible_text(html)
    assert visible.preheader is None and visible.attributes is None
    assert "hidden" not in visible.text and "script" not in visible.text and "comment" not in visible.text


def test_read_chars_counts_every_text_read():
    visible = visible_text(NEWSLETTER)
    assert (
        visible.read_chars
        == len(visible.text) + len(visible.preheader.text) + len(visible.attributes.text) + 2
    )
