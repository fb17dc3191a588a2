"""Evasion: a phrase hidden from the rules but not from the reader is still caught.

Each evasion class of issue 12 (zero-width characters, soft hyphens, fullwidth letters,
a Cyrillic look-alike, a hard-wrapped line, letters spaced out) produces the finding
the clean text produces, pointing at the characters really written; rewrites edit
what was really written. SG801 reports the invisible characters themselves. Honest
text in other languages is not mangled into findings.
"""

from __future__ import annotations

import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import judge, rules_of

from linters.findings import Action, Decision
from linters.lint.config import LintConfig
from linters.lint.inputs import template_file
from linters.lint.linter import lint_template
from linters.policy import policy_from_mapping

CONSENT = {"email_marketing": True, "personalization": True}
# A long-standing customer: history and status claims are true for her, pressure is not.
REGULAR: dict[str, Any] = {
    "first_name": "Maggie",
    "purchase_count": 12,
    "customer_since": "2019-05-14T00:00:00Z",
    "tier": "silver",
    "consent": CONSENT,
}
# Signed up a week ago, never bought: "we've missed you" and "VIP" are not true.
NEWCOMER: dict[str, Any] = {
    "first_name": "Lena",
    "purchase_count": 0,
    "customer_since": "2026-11-13T00:00:00Z",
    "consent": CONSENT,
}


def found(result, rule_id: str):
    return [f for f in result.findings if f.rule == rule_id]


def email(text: str, subject: str = "News from Northwind") -> dict[str, str]:
    return {"subject": subject, "text": text}


# --- SG302 false-urgency: "last chance" hidden six ways ------------------------------------

CLEAN_URGENCY = "Our winter sale is your last chance to save 30% on every armchair."


@pytest.mark.parametrize(
    ("body", "written"),
    [
        (CLEAN_URGENCY, "last chance"),
        ("Our winter sale is your la\u200bst chance to save 30% on every armchair.", "la\u200bst chance"),
        ("Our winter sale is your last ch\u00adance to save 30% on every armchair.", "last ch\u00adance"),
        ("Our winter sale is your ｌａｓｔ ｃｈａｎｃｅ to save 30% on every armchair.", "ｌａｓｔ ｃｈａｎｃｅ"),
        ("Our winter sale is your l\u0430st chance to save 30% on every armchair.", "l\u0430st chance"),
        ("Our winter sale is your last\nchance to save 30% on every armchair.", "last\nchance"),
        (
            "Our winter sale is your L A S T  C H A N C E to save 30% on every armchair.",
            "L A S T  C H A N C E",
        ),
    ],
    ids=["clean", "zero-width-space", "soft-hyphen", "fullwidth", "cyrillic-a", "line-break", "spaced"],
)
def test_urgency_is_found_however_it_is_written(body: str, written: str) -> None:
    clean = found(judge(email(CLEAN_URGENCY), customer=REGULAR), "SG302")
    hits = found(judge(email(body), customer=REGULAR), "SG302")
    assert [f.action for f in hits] == [f.action for f in clean] == [Action.WARN]
    # The finding points at the characters really written, not at the normalised text.
    assert body[hits[0].start : hits[0].end].startswith(written)
    assert hits[0].excerpt.startswith(" ".join(written.split()))


def test_a_hard_wrapped_plain_text_template_is_read_across_its_lines() -> None:
    # An honest plain-text email wrapped at 40 columns: the phrases cross line ends.
    body = (
        "Hi Lena,\n\n"
        "It has been a while, and we've missed\n"
        "you at the shop. This weekend is your last\n"
        "chance to pick up a winter coat at 30% off.\n"
    )
    result = judge(email(body), customer=NEWCOMER)
    history = found(result, "SG202")[0]
    assert "we've missed\nyou" in body[history.start : history.end]
    urgency = found(result, "SG302")[0]
    assert body[urgency.start : urgency.end].startswith("last\nchance")


# --- SG202 and SG201: claims hidden from the claim rules ------------------------------------


@pytest.mark.parametrize(
    "claim",
    [
        "We've\nmissed you!",
        "We've mi\u200bssed you!",
        "We've mis\u00adsed you!",
        "Ｗｅ'ｖｅ ｍｉｓｓｅｄ ｙｏｕ!",
        "We've m\u0456ssed you!",  # Cyrillic і
        "We've  m i s s e d  y o u!",
    ],
    ids=["line-break", "zero-width-space", "soft-hyphen", "fullwidth", "cyrillic-i", "spaced"],
)
def test_a_relationship_claim_to_a_newcomer_is_found_and_cut_as_written(claim: str) -> None:
    body = f"Hi Lena,\n\n{claim} New beans arrived this week."
    result = judge(email(body), customer=NEWCOMER)
    hit = found(result, "SG202")[0]
    assert body[hit.start : hit.end].rstrip() == claim
    assert result.message["text"] == "Hi Lena,\n\nNew beans arrived this week."
    assert result.decision == Decision.REWRITE


def test_a_status_claim_with_one_cyrillic_letter() -> None:
    body = "Hi Lena,\n\nAs one of our V\u0406P customers, you get early access to the winter sale."
    result = judge(email(body), customer=NEWCOMER)
    hit = found(result, "SG201")[0]
    assert "V\u0406P" in body[hit.start : hit.end]
    assert result.message["text"] == "Hi Lena,\n\nYou get early access to the winter sale."


def test_html_entities_for_invisible_characters_point_into_the_html_source() -> None:
    html = "<p>Hi Lena,</p><p>We&#8203;'ve mis&shy;sed you! New beans arrived this week.</p>"
    result = judge({"subject": "New beans", "html": html}, customer=NEWCOMER)
    hit = found(result, "SG202")[0]
    assert html[hit.start : hit.end].rstrip() == "We&#8203;'ve mis&shy;sed you!"
    assert result.message["html"] == "<p>Hi Lena,</p><p>New beans arrived this week.</p>"


def test_a_line_break_in_html_mid_phrase() -> None:
    html = "<p>Our winter sale is your last<br>\nchance to save 30% on every armchair.</p>"
    hit = found(judge({"subject": "Winter sale", "html": html}, customer=REGULAR), "SG302")[0]
    assert html[hit.start : hit.end].startswith("last<br>\nchance")


def test_a_subject_with_a_zero_width_space() -> None:
    result = judge(email("New beans arrived this week.", subject="La\u200bst chance: 30% off"), customer=REGULAR)
    hit = found(result, "SG302")[0]
    assert hit.part == "subject"
    assert "La\u200bst chance" in "La\u200bst chance: 30% off"[hit.start : hit.end]


# --- SG801 invisible-characters ------------------------------------------------------------


def test_an_invisible_character_inside_a_word_is_rewritten_away() -> None:
    body = "Our winter catalogue is out: see the ne\u200bw coats and boots."
    result = judge(email(body, subject="Winter catalogue"), customer=REGULAR)
    hit = found(result, "SG801")[0]
    assert hit.action == Action.REWRITE
    assert body[hit.start : hit.end] == "ne\u200bw"
    assert "U+200B ZERO WIDTH SPACE" in hit.message
    assert result.decision == Decision.REWRITE
    assert result.message["text"] == "Our winter catalogue is out: see the new coats and boots."


def test_a_soft_hyphen_in_html_is_removed_with_its_entity() -> None:
    # With the footer a real marketing email carries (address and opt-out, SG702).
    footer = (
        "<p>Northwind Outfitters, 12 Harbour Street, Portland, OR 97201<br>"
        '<a href="https://northwind.example/unsubscribe">Unsubscribe</a></p>'
    )
    html = "<p>Our winter cata&shy;logue is out.</p>" + footer
    result = judge({"subject": "Winter catalogue", "html": html}, customer=REGULAR)
    assert [f.rule for f in result.findings] == ["SG801"]
    assert result.message["html"] == "<p>Our winter catalogue is out.</p>" + footer


def test_soft_hyphens_can_be_allowed_by_policy() -> None:
    policy = policy_from_mapping({"rules": {"SG801": {"allow_soft_hyphens": True}}})
    body = "Read the Donau\u00addampf\u00adschiff\u00adfahrt terms before you travel."
    assert "SG801" not in rules_of(judge(email(body), policy, customer=REGULAR))
    assert "SG801" in rules_of(judge(email(body), customer=REGULAR))


def test_a_bidi_override_blocks() -> None:
    # Written backwards under RIGHT-TO-LEFT OVERRIDE: the reader sees "last chance",
    # the rules read "ecnahc tsal". What is shown is not what is checked: block.
    body = "Your armchair ships today. \u202eecnahc tsal\u202c to add a cushion!"
    result = judge(email(body, subject="Your order"), customer=REGULAR, purpose="transactional")
    hit = found(result, "SG801")[0]
    assert hit.action == Action.BLOCK
    assert result.decision == Decision.BLOCK
    assert "RIGHT-TO-LEFT OVERRIDE" in hit.message


@pytest.mark.parametrize(
    "body",
    [
        "Thanks for your order.\nשלום \u202bדנה\u202c, ההזמנה שלך בדרך.",  # bidi controls in Hebrew text
        "سلام مریم\u200cجان، سفارش شما ارسال شد.",  # ZWNJ is Persian spelling
        "ขอบคุณ\u200bที่สั่งซื้อ",  # zero-width space separates Thai words
        "From all of us 👨\u200d👩\u200d👧 and ❤\ufe0f, thank you for your order.",  # emoji sequences
        "\ufeffThank you for your order.",  # a byte-order mark at the start, not inside a word
        "Thank you for your order. \u200b",
    ],
)
def test_invisible_characters_with_a_purpose_are_not_findings(body: str) -> None:
    result = judge(email(body, subject="Your order"), customer=REGULAR, purpose="transactional")
    assert "SG801" not in rules_of(result)


# --- honest text in other languages --------------------------------------------------------


@pytest.mark.parametrize(
    ("first_name", "body"),
    [
        ("Jürgen", "Vielen Dank für Ihre Bestellung, Jürgen. Ihre Schuhe kommen am Donnerstag an."),
        ("Amélie", "Merci pour votre commande, Amélie. Votre colis arrive jeudi."),
        ("Ольга", "Спасибо за заказ, Ольга! Он прибудет в четверг."),
        ("Сара", "Hi Сара,\n\nyour order has shipped and arrives on Thursday."),
        ("Sergei", "Hi Sergei,\n\nyour order from our Moscow partner, Сорока, has shipped."),
    ],
)
def test_honest_text_in_other_languages_has_no_findings(first_name: str, body: str) -> None:
    customer = dict(REGULAR, first_name=first_name)
    result = judge(email(body, subject="Your order"), customer=customer, purpose="transactional")
    assert result.findings == []
    assert result.decision == Decision.ALLOW


def test_a_customer_name_in_cyrillic_from_data_keeps_its_letters() -> None:
    customer = dict(REGULAR, first_name="Сара")
    result = judge(
        email("Hi {{first_name}},\n\nyour order has shipped.", subject="Your order"),
        customer=customer,
        purpose="transactional",
        data={"first_name": "Сара"},
    )
    assert result.findings == []


# --- sendguard lint ------------------------------------------------------------------------


def lint(tmp_path: Path, body: str, name: str = "winter.txt"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    return lint_template(template_file(path), LintConfig())


def test_lint_reads_a_template_the_way_the_guard_does(tmp_path: Path) -> None:
    findings = lint(
        tmp_path,
        """
        ---
        purpose: marketing
        ---
        Hello,

        This weekend is your la\u200bst
        chance to save 30% on every armchair.
        """,
    )
    assert [(f.rule, f.line, f.column) for f in findings] == [("SG302", 6, 22), ("SG801", 6, 22)]
    urgency, invisible = findings
    assert urgency.excerpt == "la\u200bst chance to"  # the guard's span: the same half reads both
    assert (invisible.excerpt, invisible.action) == ("la\u200bst", Action.REWRITE)
    assert "'la<U+200B>st'" in invisible.message


def test_lint_blocks_a_bidi_override_in_a_template(tmp_path: Path) -> None:
    findings = lint(tmp_path, "<p>Your order ships today. \u202eecnahc tsal\u202c</p>\n", "order.html")
    assert [(f.rule, f.action) for f in findings] == [("SG801", Action.BLOCK)]


def test_a_long_run_of_invisible_characters_is_one_mark() -> None:
    from linters.rules.integrity.invisible_characters import invisible_marks

    text = "Our " + "ex\u200b" * 5000 + "clusive offer"
    marks = list(invisible_marks(text))
    assert len(marks) == 1
    assert (marks[0].start, marks[0].end) == (4, len(text) - len(" offer"))
    assert set(marks[0].chars) == {"\u200b"}
