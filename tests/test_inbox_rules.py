"""Issue 30, items 2 and 6: who sends, how to leave, and the checks before a send.

- SG702 no-address-or-opt-out: commercial email needs the sender's postal address and a
  visible opt-out (CAN-SPAM); the guard appends the footer when the policy names the
  address (``[sender]``), and blocks when it cannot;
- SG703 no-sender-or-opt-out: a marketing text names its sender and says how to stop
  (CTIA; 47 CFR 64.1200), counting SMS segments;
- SG704 undisclosed-automation: a machine that calls or texts says so (EU AI Act,
  Article 50(1); FCC 24-17);
- SG802-SG805: links, alt text, preheaders, and a plain-text part that tells the HTML's
  story, warned about before a send.

The rewrites are checked as the reader gets them: the footer, the opt-out line and the
disclosure, each where it belongs, and the message judged again afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest
from conftest import judge, rules_of

from linters.findings import Action, Decision
from linters.message import build_part
from linters.policy import PolicyError, policy_from_mapping
from linters.rules.human_path.no_address_or_opt_out import UNSUBSCRIBE_LINK, fill_unsubscribe_link
from linters.rules.human_path.no_sender_or_opt_out import sms_segments
from linters.rules.integrity._shared import links_of

ADDRESS = "Northwind Outfitters, 120 Harbour Street, Portland, OR 97201"
SENDER = {"name": "Northwind", "postal_address": ADDRESS}
POLICY = policy_from_mapping({"sender": SENDER})
ROSA = {
    "customer_id": "c-rosa",
    "first_name": "Rosa",
    "last_name": "Delgado",
    "purchase_count": 6,
    "consent": {
        "email_marketing": True,
        "sms_marketing": True,
        "voice_marketing": True,
        "in_app_marketing": True,
        "personalization": True,
    },
}
# 11:00 in Portland, whose numbers (+1 503) these texts and calls go to: within calling hours.
MIDDAY = "2026-11-20T19:00:00Z"
SALE = "Our autumn range is here: 20% off all jackets this week.\n\nShop now at https://northwind-outfitters.com/autumn"


def sms(text: str, policy: Any = POLICY, **fields: Any) -> Any:
    fields = {"customer": ROSA, "now": MIDDAY, **fields}
    return judge({"text": text}, policy, channel="sms", to="+15035550147", **fields)


def call(text: str, policy: Any = POLICY, **fields: Any) -> Any:
    fields = {"customer": ROSA, "now": MIDDAY, **fields}
    return judge({"text": text}, policy, channel="voice", to="+15035550147", **fields)


def findings_of(result: Any, rule: str) -> list[Any]:
    return [f for f in result.findings if f.rule == rule]


# --- the [sender] table ----------------------------------------------------------------------


def test_the_sender_table_fills_the_rules_that_read_it() -> None:
    policy = policy_from_mapping({"sender": {**SENDER, "unsubscribe_url": "https://northwind-outfitters.com/prefs"}})
    by_id = {rule.id: policy.settings_for(rule) for rule in _rules("SG702", "SG703", "SG704")}
    assert by_id["SG702"].postal_address == ADDRESS
    assert by_id["SG702"].unsubscribe_url == "https://northwind-outfitters.com/prefs"
    assert by_id["SG703"].sender_name == by_id["SG704"].sender_name == "Northwind"
    assert policy.sender.name == "Northwind"


def test_a_rules_own_setting_wins_over_the_sender_table() -> None:
    policy = policy_from_mapping({"sender": SENDER, "rules": {"SG703": {"sender_name": "Northwind Rewards"}}})
    (sg703,) = _rules("SG703")
    assert policy.settings_for(sg703).sender_name == "Northwind Rewards"


@pytest.mark.parametrize(
    ("table", "named"),
    [
        ({"unsubscribe_url": "http://northwind-outfitters.com/prefs"}, "sender.unsubscribe_url"),
        ({"name": "North\nwind"}, "sender.name"),
        ({"postal_address": "12"}, "sender.postal_address"),
        ({"postal_address": "120 Harbour St\x07, Portland"}, "sender.postal_address"),
        ({"adress": ADDRESS}, "sender.adress: unknown setting"),
    ],
)
def test_a_bad_sender_table_is_refused_naming_the_field(table: dict[str, str], named: str) -> None:
    with pytest.raises(PolicyError, match=named.replace(".", r"\.")):
        policy_from_mapping({"sender": table})


def test_an_opt_out_text_without_a_keyword_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"rules\.SG703\.opt_out_text"):
        policy_from_mapping({"rules": {"SG703": {"opt_out_text": "Text us any time to leave."}}})


def _rules(*ids: str) -> list[Any]:
    from linters.rules import all_rules

    return [rule for rule in all_rules() if rule.id in ids]


# --- SG702: the commercial email footer ----------------------------------------------------


def test_the_footer_is_appended_to_a_plain_text_promotion() -> None:
    result = judge({"subject": "Autumn", "text": SALE + "\n"}, POLICY, customer=ROSA)
    assert result.decision == Decision.REWRITE
    assert result.message["text"] == f"{SALE}\n\n{ADDRESS}\nUnsubscribe: {UNSUBSCRIBE_LINK}\n"
    assert [change.rule for change in result.changes] == ["SG702"]
    # Judged again after the edit: the footer satisfies SG702, and the stand-in link is
    # taken neither for an unfilled merge tag (SG103) nor for a test host (SG802).
    assert result.decision == Decision.REWRITE


def test_the_footer_in_html_is_shown_on_lines_of_its_own_outside_any_link() -> None:
    html = (
        "<html><body><p>Our autumn range is here: 20% off all jackets.</p>"
        '<p><a href="https://northwind-outfitters.com/autumn">Shop now</a></p></body></html>'
    )
    result = judge({"subject": "Autumn", "html": html}, POLICY, customer=ROSA)
    assert result.decision == Decision.REWRITE
    assert result.message["html"] == (
        "<html><body><p>Our autumn range is here: 20% off all jackets."
        f"<br><br>{ADDRESS}<br>Unsubscribe: {UNSUBSCRIBE_LINK}</p>"
        '<p><a href="https://northwind-outfitters.com/autumn">Shop now</a></p></body></html>'
    )


def test_only_what_is_missing_is_added_with_the_policys_opt_out_page() -> None:
    policy = policy_from_mapping({"sender": {**SENDER, "unsubscribe_url": "https://northwind-outfitters.com/prefs"}})
    text = SALE + "\n\nNorthwind Outfitters Ltd, 12 Castle Street, Edinburgh EH2 3AH"
    result = judge({"subject": "Autumn", "text": text}, policy, customer=ROSA)
    assert result.message["text"] == text + "\n\nUnsubscribe: https://northwind-outfitters.com/prefs"
    assert "no way to opt out" in findings_of(result, "SG702")[0].message


def test_without_an_address_in_the_policy_the_missing_footer_is_a_warning_that_says_what_to_set() -> None:
    # Nothing true can be added, and a deployment that has not named its address yet
    # would otherwise have every marketing email stopped: it is told what to set.
    result = judge({"subject": "Autumn", "text": SALE}, customer=ROSA)
    (finding,) = findings_of(result, "SG702")
    assert result.decision == Decision.ALLOW and finding.action == Action.WARN
    assert "[sender] postal_address" in finding.message


def test_with_the_address_in_the_policy_a_footer_that_cannot_be_added_blocks() -> None:
    # An HTML part that is all link text has nowhere a footer can go: not sent without one.
    html = '<a href="https://northwind.example/autumn">Autumn is here: 20% off all jackets</a>'
    result = judge({"subject": "Autumn", "html": html}, POLICY, customer=ROSA)
    (finding,) = findings_of(result, "SG702")
    assert result.decision == Decision.BLOCK and finding.action == Action.BLOCK


def test_a_receipt_needs_no_footer() -> None:
    receipt = "Thanks for your order NW-40127: one Ridgeline parka, $189.00. It ships tomorrow."
    result = judge({"subject": "Receipt", "text": receipt}, purpose="transactional", customer=ROSA)
    assert "SG702" not in rules_of(result)


def test_the_guard_fills_the_footer_link_for_each_recipient() -> None:
    result = judge(
        {"subject": "Autumn", "text": SALE, "html": f"<p>{SALE}</p>"}, POLICY, customer=ROSA
    )
    url = "https://api.northwind.example/unsubscribe?token=abc&amp;x"
    filled = fill_unsubscribe_link(result.message, url)
    assert UNSUBSCRIBE_LINK not in "".join(filled.values())
    assert filled["text"].endswith(f"Unsubscribe: {url}")
    assert '<a href="https://api.northwind.example/unsubscribe?token=abc&amp;amp;x">Unsubscribe</a>' in filled["html"]
    assert filled["subject"] == result.message["subject"]


# --- SG703: texts that say who sends and how to stop -------------------------------------------


def test_a_marketing_text_gets_its_sender_and_the_opt_out() -> None:
    result = sms("Flash sale! 30% off all boots until midnight: northwind-outfitters.com/boots")
    assert result.decision == Decision.REWRITE
    assert result.message["text"] == (
        "Northwind: Flash sale! 30% off all boots until midnight: northwind-outfitters.com/boots "
        "Reply STOP to opt out."
    )


def test_a_text_that_grows_a_segment_says_so_and_is_still_rewritten() -> None:
    text = "Northwind: the winter sale is on, with 30% off parkas, boots, gloves and hats until Sunday at all stores. See northwind-outfitters.com/sale today"
    assert len(text) == 145 and sms_segments(text) == (1, "GSM-7")
    result = sms(text)
    (finding,) = findings_of(result, "SG703")
    assert "2 segments (GSM-7) instead of 1" in finding.message
    assert result.decision == Decision.REWRITE and result.message["text"].endswith("Reply STOP to opt out.")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, (1, "GSM-7")),
        ("a" * 161, (2, "GSM-7")),
        ("a" * 306, (2, "GSM-7")),
        ("a" * 307, (3, "GSM-7")),
        ("€" * 80, (1, "GSM-7")),  # the extension table: two septets each
        ("€" * 81, (2, "GSM-7")),
        ("Sale ❄" + "a" * 64, (1, "UCS-2")),
        ("Sale ❄" + "a" * 65, (2, "UCS-2")),
        ("😀" * 35, (1, "UCS-2")),  # two UTF-16 units each
        ("😀" * 36, (2, "UCS-2")),
    ],
)
def test_sms_segments_are_counted_as_carriers_count_them(text: str, expected: tuple[int, str]) -> None:
    assert sms_segments(text) == expected


def test_the_sender_goes_in_front_of_another_rules_edit_at_the_start() -> None:
    formal = {**ROSA, "title": "Ms.", "address_as": "formal"}
    result = sms("Hey Rosa, the Ridgeline parka is back in your size. Reply STOP to opt out", customer=formal)
    assert sorted(change.rule for change in result.changes) == ["SG102", "SG703"]
    assert result.message["text"].startswith("Northwind: Dear Ms. Delgado, the Ridgeline parka")


def test_texts_that_are_not_marketing_are_not_judged() -> None:
    result = sms("Your order NW-40127 is out for delivery.", purpose="transactional")
    assert "SG703" not in rules_of(result)


# --- SG704: a machine says it is one -------------------------------------------------------------


PERSONA = "Hi, this is Sarah from Northwind! Our winter sale starts Friday, with 30% off all parkas."


def test_a_sales_call_posing_as_a_person_gets_a_disclosure_in_front() -> None:
    result = call(PERSONA)
    assert result.decision == Decision.REWRITE
    assert result.message["text"] == "This is an automated call from Northwind. " + PERSONA
    assert "introduces itself as 'Sarah'" in findings_of(result, "SG704")[0].message


def test_the_disclosure_goes_inside_an_ssml_script() -> None:
    script = '<speak>Hello from Northwind. <break time="300ms"/> Our winter sale starts Friday.</speak>'
    result = call(script)
    assert result.message["text"] == (
        '<speak>This is an automated call from Northwind. Hello from Northwind. <break time="300ms"/> '
        "Our winter sale starts Friday.</speak>"
    )


def test_without_a_sender_name_the_call_is_blocked() -> None:
    result = call(PERSONA, policy=None)
    (finding,) = findings_of(result, "SG704")
    assert result.decision == Decision.BLOCK and "[sender] name" in finding.message


def test_a_reminder_posing_as_a_person_is_a_warning() -> None:
    reminder = "Hi, this is Sarah from Northwind. Your altered trousers are ready at the Portland store."
    result = call(reminder, purpose="service")
    (finding,) = findings_of(result, "SG704")
    assert finding.action == Action.WARN and result.decision == Decision.ALLOW


def test_a_persons_own_call_is_not_judged() -> None:
    assert "SG704" not in rules_of(call(PERSONA, automated=False, purpose="service"))


def test_an_in_app_chat_message_gets_the_disclosure_for_a_message() -> None:
    text = "Hey Rosa, it's Jess from Northwind! Want me to hold the Ridgeline parka for you?"
    result = judge({"text": text}, POLICY, channel="in_app", to="c-rosa", customer=ROSA)
    assert result.message["text"] == "This is an automated message from Northwind. " + text


# --- SG802-SG805: before a send ---------------------------------------------------------------


def test_hosts_listed_as_http_only_may_be_linked_over_http() -> None:
    text = "Order NW-40127: http://legacy.northwind-outfitters.com/o/40127 and http://northwind-outfitters.com/help"
    policy = policy_from_mapping({"rules": {"SG802": {"http_only_hosts": ["legacy.northwind-outfitters.com"]}}})
    result = judge({"subject": "Receipt", "text": text}, policy, purpose="transactional", customer=ROSA)
    assert [f.excerpt for f in findings_of(result, "SG802")] == ["http://northwind-outfitters.com/help"]


def test_plain_http_is_reported_once_per_host() -> None:
    text = "See http://code.org/learn, http://code.org/donate and http://code.org/about."
    result = judge({"subject": "News", "text": text}, purpose="transactional", customer=ROSA)
    assert len(findings_of(result, "SG802")) == 1


def test_links_are_read_from_unclosed_and_nested_anchors() -> None:
    html = '<p><a href="https://a.example/1">one <a href=\'https://a.example/2\'>two</p><a>none</a><a href=x3>'
    part = build_part("html", html, ())
    assert [link.url for link in links_of(part)] == ["https://a.example/1", "https://a.example/2", "x3"]


def test_a_preheader_padded_with_invisible_characters_that_repeats_the_subject() -> None:
    html = (
        '<div style="display:none">Winter sale: 40% off coats' + "&zwnj;&nbsp;" * 30 + "</div>"
        "<h1>Winter sale</h1><p>40% off all coats until Sunday.</p>"
    )
    result = judge({"subject": "Winter sale: 40% off coats", "html": html}, purpose="transactional", customer=ROSA)
    assert [f.message for f in findings_of(result, "SG804")] == ["the preheader repeats the subject"]


NEWSLETTER_HTML = """<table><tr><td><a href="https://northwind-outfitters.com">Northwind</a> |
<a href="https://northwind-outfitters.com/men">Men</a> | <a href="https://northwind-outfitters.com/women">Women</a></td></tr>
<tr><td><img src="https://cdn.northwind-outfitters.com/hero.jpg" alt="A hiker on a ridge at dawn"></td></tr>
<tr><td><h1>The Trail Notes, November</h1>
<p>This month our guides walked the Timberline Trail in two days and wrote down everything they would pack
again, and the three things they would leave at home.</p>
<p>We also tested six insulated jackets in the rain at Mount Hood. The Ridgeline parka stayed dry the longest;
the Summit vest was the warmest for its weight.</p>
<p><a href="https://northwind-outfitters.com/trail-notes/11">Read the full issue</a></p></td></tr>
<tr><td style="font-size:11px">You are receiving this because you joined the Trail Notes list.
Northwind Outfitters, 120 Harbour Street, Portland, OR 97201.
<a href="https://northwind-outfitters.com/u/8f3k">Unsubscribe</a> &middot;
<a href="https://northwind-outfitters.com/privacy">Privacy</a></td></tr></table>"""
NEWSLETTER_TEXT = """THE TRAIL NOTES, NOVEMBER

This month our guides walked the Timberline Trail in two days and wrote
down everything they would pack again - and the three things they would
leave at home.

We also tested six insulated jackets in the rain at Mount Hood. The
Ridgeline parka stayed dry longest; the Summit vest was warmest for its
weight.

Read the full issue: https://northwind-outfitters.com/trail-notes/11

--
Northwind Outfitters, 120 Harbour Street, Portland, OR 97201
Unsubscribe: https://northwind-outfitters.com/u/8f3k"""


def test_a_newsletter_whose_parts_are_written_differently_tells_one_story() -> None:
    template = {"subject": "The Trail Notes, November", "html": NEWSLETTER_HTML, "text": NEWSLETTER_TEXT}
    result = judge(template, customer=ROSA, **{"from": "notes@northwind-outfitters.com"})
    assert not {"SG702", "SG802", "SG803", "SG804", "SG805"} & set(rules_of(result)), result.findings


def test_an_offer_in_the_plain_text_part_only_is_pointed_at_there() -> None:
    text = NEWSLETTER_TEXT.replace("Read the full issue", "Members save 15% on the Ridgeline this week. Read the full issue")
    template = {"subject": "The Trail Notes, November", "html": NEWSLETTER_HTML, "text": text}
    result = judge(template, customer=ROSA, **{"from": "notes@northwind-outfitters.com"})
    (finding,) = findings_of(result, "SG805")
    assert (finding.part, finding.excerpt) == ("text", "15%")
