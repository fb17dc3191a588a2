"""The message as the recipient meets it is read: subject, preheader, body, alt and title.

A claim placed where the reader sees it but the body text does not hold it (the hidden
preview line at the top, an image's alt text, a link's title) is caught like the same
words in the body, and the finding says where it sits (part ``preheader`` or ``alt``,
offsets into the HTML as sent). Hidden text no client shows stays unread.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from linters.engine import check, render_parts
from linters.findings import Decision
from linters.formats.text import READ_FROM_HTML, check_finding
from linters.limits import MAX_READABLE_CHARS
from linters.message import SEEN_PARTS, Message
from linters.models import RequestError, parse_request

CORPUS = Path(__file__).parent / "corpus"

CLAIM = "As one of our most valued members, you are first to see the harvest table linens."

HEADER = (
    "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Fernhill Home</title>"
    "<style>.btn{background:#2d6a4f;color:#fff}</style></head>"
    '<body style="margin:0;background:#f4f1ea">'
)
PREHEADER = (
    '<div style="display:none;font-size:1px;color:#f4f1ea;line-height:1px;max-height:0px;'
    'max-width:0px;opacity:0;overflow:hidden;mso-hide:all;">{line}'
    "&zwnj;&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;&zwnj;&nbsp;</div>"
)
CONTENT = (
    '<table role="presentation" width="100%"><tr><td align="center">'
    '<a href="https://fernhill.example/?utm_source=email">{logo}</a>'
    "<h1>Autumn at Fernhill</h1>"
    "<p>Hello Robin,</p>"
    "<p>The new season's tablecloths, napkins and runners are in: washed linen in rust, "
    "sage and oat, cut to fit tables for four to ten.</p>"
    "{middle}"
    '<p><a class="btn" href="https://fernhill.example/linen"{link_title}>See the linen</a></p>'
    "<p>Questions? Write to help@fernhill.example or call 020 7946 0123.</p>"
    "</td></tr></table>"
    '<p style="font-size:11px">Fernhill Home, 4 Mill Lane, Bath BA1 1AA. '
    '<a href="https://fernhill.example/unsubscribe">Unsubscribe</a></p>'
    "{script}</body></html>"
)
LOGO = '<img src="https://fernhill.example/logo.png" width="120" alt="Fernhill Home">'


def email(
    *,
    preheader: str | None = None,
    alt: str | None = None,
    title: str | None = None,
    middle: str = "",
    script: str = "",
) -> str:
    logo = LOGO if alt is None else LOGO.replace('alt="Fernhill Home"', f'alt="{alt}"')
    return (
        HEADER
        + (PREHEADER.format(line=preheader) if preheader is not None else "")
        + CONTENT.format(
            logo=logo,
            middle=middle,
            link_title=f' title="{title}"' if title is not None else "",
            script=script,
        )
    )


def request(html: str, *, purchases: int = 1, subject: str = "Autumn linen has landed") -> Any:
    recipient = json.loads((CORPUS / "recipient.json").read_text(encoding="utf-8"))
    customer = copy.deepcopy(recipient["customer"])
    customer.update(first_name="Robin", preferred_name=None, purchase_count=purchases, lifetime_value=38.0)
    customer.pop("tier", None)
    return parse_request(
        {
            **recipient,
            "id": "fernhill-autumn",
            "channel": "email",
            "purpose": "marketing",
            "customer": customer,
            "template": {"subject": subject, "html": html},
        }
    )


def rules_in(result: Any) -> set[tuple[str, str | None]]:
    return {(f.rule, f.part) for f in result.findings}


def test_the_plain_email_passes_and_the_claim_in_the_body_is_caught() -> None:
    clean = check(request(email()))
    assert not [f for f in clean.findings if f.rule.startswith("SG2")], clean.findings
    in_body = check(request(email(middle=f"<p>{CLAIM}</p>")))
    assert ("SG201", "html") in rules_in(in_body)


@pytest.mark.parametrize(
    ("where", "kwargs"),
    [
        ("preheader", {"preheader": CLAIM}),
        ("alt", {"alt": CLAIM}),
        ("alt", {"title": CLAIM}),
    ],
    ids=["preheader-div", "image-alt", "link-title"],
)
def test_a_claim_the_reader_sees_outside_the_body_is_caught_where_it_sits(
    where: str, kwargs: dict[str, str]
) -> None:
    html = email(**kwargs)
    result = check(request(html))
    found = [f for f in result.findings if f.rule == "SG201"]
    assert [f.part for f in found] == [where]
    # The offsets are the HTML's: they point at the claim as written there.
    assert html[found[0].start : found[0].end].startswith("As one of our most valued members")
    assert found[0].excerpt.startswith("As one of our most valued members")
    # Never rewritten inside hidden markup or an attribute: blocked, and said why.
    assert result.decision == Decision.BLOCK
    unsafe = [f for f in result.findings if f.rule == "SG000"]
    assert unsafe and where in unsafe[0].message
    assert not result.changes and result.message == {"subject": "Autumn linen has landed", "html": html}


def test_the_text_report_says_where_the_finding_sits() -> None:
    html = email(preheader=CLAIM)
    result = check(request(html))
    finding = next(f for f in result.findings if f.rule == "SG201")
    line = check_finding(finding, result.message).splitlines()[0]
    assert "preheader (html:1:" in line
    assert tuple(SEEN_PARTS) == READ_FROM_HTML


def test_the_claim_is_not_caught_for_a_customer_who_earned_it() -> None:
    result = check(request(email(preheader=CLAIM, alt=CLAIM), purchases=40))
    assert "SG201" not in {f.rule for f in result.findings}


def test_hidden_text_in_the_middle_of_the_body_is_not_read() -> None:
    hidden = f'<div class="mobile-off" style="display:none">{CLAIM}</div>'
    result = check(request(email(middle=hidden)))
    assert "SG201" not in {f.rule for f in result.findings}
    assert result.decision == check(request(email())).decision


def test_a_script_string_is_not_read() -> None:
    script = f'<script type="text/javascript">var banner = "{CLAIM}";</script>'
    result = check(request(email(script=script)))
    assert "SG201" not in {f.rule for f in result.findings}


def test_an_honest_preheader_changes_nothing() -> None:
    plain = check(request(email()))
    honest = check(request(email(preheader="Your order has shipped and will be with you on Thursday.")))
    assert [(f.rule, f.part) for f in honest.findings] == [(f.rule, f.part) for f in plain.findings]
    assert honest.decision == plain.decision


def test_the_parts_are_read_in_the_order_the_reader_meets_them() -> None:
    html = email(preheader="Linen for the long table.", title="Shop the linen")
    req = request(html)
    message = Message(req, req.customer, render_parts(req.template, req.data))
    assert [p.name for p in message.readable()] == ["subject", "preheader", "html", "alt"]
    assert message.part("preheader").text == "Linen for the long table."
    assert message.part("alt").text == "Fernhill Home\nShop the linen"
    # Sent as they are: the parts read from the HTML are not sent on their own.
    assert list(message.parts) == ["subject", "html"]


def test_a_merge_value_in_the_alt_text_is_that_parts_own() -> None:
    html = email(alt="{{banner_text}}")
    req = request(html)
    data_request = parse_request({**req.model_dump(mode="json"), "data": {"banner_text": CLAIM}})
    result = check(data_request)
    assert [f.part for f in result.findings if f.rule == "SG201"] == ["alt"]
    missing = check(req)  # no value: a broken merge, reported once (an empty alt reads nothing)
    assert [f.rule for f in missing.findings].count("SG103") == 1


def test_a_huge_alt_text_is_refused_like_a_huge_body() -> None:
    # The readable-text limit is Gmail's clipping size, as a part's own limit is: an alt
    # text that would take the part past it is refused like a body that would.
    huge = "Linen " * (MAX_READABLE_CHARS // 6 + 10)
    with pytest.raises(RequestError, match="at most 100,000"):
        check(request(email(alt=huge)))


def test_the_real_mail_preheader_is_read() -> None:
    lines = (CORPUS / "real_mail.jsonl").read_text(encoding="utf-8").splitlines()
    entry = next(json.loads(line) for line in lines if '"ghost-members-signup"' in line)
    recipient = json.loads((CORPUS / "recipient.json").read_text(encoding="utf-8"))
    req = parse_request({"id": entry["id"], **recipient, **entry["request"]})
    message = Message(req, req.customer, render_parts(req.template, req.data))
    assert message.part("preheader").text.startswith("Complete signup for")
    assert "Complete signup for" not in message.parts["html"].text.split("\n")[0]


def test_a_huge_alt_text_from_the_data_is_refused_after_rendering() -> None:
    slots = [f"banner_{n}" for n in range(6)]
    req = request(email(alt="".join("{{" + slot + "}}" for slot in slots)))
    huge = {slot: "Linen for long tables " * 800 for slot in slots}  # 17,600 characters each
    with pytest.raises(RequestError, match="at most 100,000"):
        check(parse_request({**req.model_dump(mode="json"), "data": huge}))


# --- recipients who share a verdict read the preheader and alt texts as the engine does ---


def test_shared_verdicts_read_values_in_the_preheader_and_alt_text(monkeypatch) -> None:
    """A merge value glued to letters in the preheader or an alt text ("Mc{{last_name}}")
    is read joined there, so the recipient-class search must see those texts too: every
    recipient's shared verdict equals ``check``'s."""
    from datetime import UTC, datetime

    from linters.campaign import Campaign, CampaignTemplate, _verdict, request_from_record
    from linters.engine import check
    from linters.recipient_classes import Memo

    now = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
    monkeypatch.setattr(Memo, "RETRY_EVERY", 1)
    template = CampaignTemplate(
        {
            "subject": "The winter letter",
            "html": (
                '<html><body><div style="display:none;max-height:0;overflow:hidden">'
                "Mc{{last_name}} family, your winter picks are in</div>"
                "<p>Hi {{first_name}},</p><p>The lined boots are back in every size.</p>"
                '<img src="https://northwind.example/boots.png" alt="Boots for the Mc{{last_name}} household">'
                "<p>Northwind Outfitters</p></body></html>"
            ),
        },
        {"channel": "email", "purpose": "marketing", "campaign": "winter-letter", "automated": True},
    )
    campaign = Campaign(template, now=now)
    firsts = ["Ana", "Ben", "Cara", "Dev", "Ema", "Finn"]
    lasts = ["Gregor", "Bride", "Intyre", "Kenzie", "Donald", "Leod"]
    for i in range(120):
        first, last = firsts[i % 6], lasts[(i // 6) % 6]
        record = {
            "id": f"r{i}",
            "to": f"r{i}@example.com",
            "customer": {"first_name": first, "last_name": last, "consent": {"email_marketing": True}},
            "data": {"first_name": first, "last_name": last},
        }
        expected = _verdict(i, check(request_from_record(record, template), now=now))
        assert campaign.judge_record(i, record) == expected, record
