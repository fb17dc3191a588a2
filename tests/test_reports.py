"""Reports a newcomer can read (issue 32, item 11): `check`'s total line, `rule --all` in
columns, preflight's text listing each stopped recipient once, and its HTML report with
the template, a rewrite before and after, the rewritten recipients and readable times."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from linters.campaign import Verdict
from linters.catalog import catalog, summary
from linters.cli import main
from linters.formats import html as html_format
from linters.formats.shared import readable_time
from linters.formats.text import check_summary
from linters.preflight_report import REWRITES_KEPT, REWRITTEN_KEPT, Summary, first_lines
from tests.test_preflight import GOLD

REQUESTS = Path(__file__).resolve().parent.parent / "events" / "requests"
NOW = "2026-11-20T15:00:00Z"
HOSTILE_ID = '<script>alert("id")</script>'
BLOCKED_ID = "<img src=x onerror=alert(1)>"
TEMPLATE = """---
channel: email
purpose: marketing
campaign: winter-sale
subject: "{{first_name}}, the <b>winter</b> sale starts today"
---
Hi {{first_name}},

As one of our most valued customers, you get early access to the {{collection}} sale.
Our <script>steal()</script> prices are the lowest this year.

Questions? Reply to this email and a person on our team will answer.
"""
RECIPIENTS = [
    {
        "id": "gold-1",
        "to": "ana@example.com",
        "customer": GOLD,
        "data": {"first_name": "Ana", "collection": "Harbour"},
    },
    {
        "id": HOSTILE_ID,
        "to": "bob@example.com",
        "customer": {
            "first_name": "Robert",
            "preferred_name": "Bob",
            "tier": "gold",
            "purchase_count": 40,
            "consent": {"email_marketing": True},
        },
        "data": {"first_name": "Robert", "collection": "Harbour"},
    },
    {
        "id": "new-1",
        "to": "new@example.com",
        "customer": {"first_name": "Kim", "purchase_count": 1, "consent": {"email_marketing": True}},
        "data": {"first_name": "Kim", "collection": "Harbour"},
    },
    {
        "id": BLOCKED_ID,
        "to": "lee@example.com",
        "customer": {"first_name": "Lee", "consent": {"email_marketing": False}},
        "data": {"first_name": "Lee", "collection": "Harbour"},
    },
    {
        "id": "blocked-2",
        "to": "sam@example.com",
        "customer": {"first_name": "Sam", "consent": {"email_marketing": False}},
        "data": {"first_name": "Sam", "collection": "Harbour"},
    },
]


def run(capsys, *argv):
    code = main([str(arg) for arg in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def campaign(tmp_path):
    template = tmp_path / "winter.hbs"
    template.write_text(TEMPLATE)
    recipients = tmp_path / "recipients.jsonl"
    recipients.write_text("".join(json.dumps(r) + "\n" for r in RECIPIENTS))
    return tmp_path, template, recipients


# --- sendguard check: a total last ----------------------------------------------------------


def test_check_ends_with_a_summary_line_whose_counts_are_right(capsys, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"not": "a request"}')
    files = [*sorted(REQUESTS.glob("0[1-5]*.json")), bad]
    _, as_json, _ = run(capsys, "check", "--format", "json", *files)
    decisions = Counter(json.loads(line).get("decision", "error") for line in as_json.splitlines())
    assert decisions["error"] == 1 and sum(decisions.values()) == 6

    code, out, _ = run(capsys, "check", *files)
    last = out.rstrip("\n").splitlines()[-1]
    assert code == 2
    assert last == check_summary(decisions)
    assert last.startswith("6 requests: ")
    assert f"{decisions['allow']} allowed, {decisions['rewrite']} rewritten" in last
    assert f"{decisions['block']} blocked" in last and last.endswith("1 error")
    assert "held" not in last  # only when some are


def test_check_summary_wording():
    assert (
        check_summary(Counter(allow=1, rewrite=1, block=1)) == "3 requests: 1 allowed, 1 rewritten, 1 blocked"
    )
    assert (
        check_summary(Counter(allow=1000, hold=2, error=2))
        == "1,004 requests: 1,000 allowed, 0 rewritten, 2 held, 0 blocked, 2 errors"
    )
    assert check_summary(Counter(block=1)) == "1 request: 0 allowed, 0 rewritten, 1 blocked"


def test_check_summary_is_text_only_and_quiet_drops_it(capsys, tmp_path):
    files = sorted(REQUESTS.glob("0[1-3]*.json"))
    _, out, _ = run(capsys, "check", "--format", "json", *files)
    assert "requests:" not in out
    assert all(json.loads(line) for line in out.splitlines())  # every line still a JSON object
    _, out, _ = run(capsys, "check", "--format", "junit", *files)
    assert "requests:" not in out
    _, out, _ = run(capsys, "check", "--quiet", *files)
    assert "requests:" not in out
    _, out, _ = run(capsys, "check", "--statistics", *files)
    assert "requests:" not in out
    report = tmp_path / "check.txt"
    _, out, _ = run(capsys, "check", "--output-file", report, *files)
    assert out == "" and report.read_text().rstrip("\n").splitlines()[-1].startswith("3 requests: ")


# --- sendguard rule --all: columns ------------------------------------------------------------


def test_rule_all_is_in_columns(capsys):
    code, out, _ = run(capsys, "rule", "--all")
    lines = out.rstrip("\n").splitlines()
    entries = catalog()
    assert code == 0 and len(lines) == len(entries)  # one line a rule
    starts = {line.index(summary(entry)) for line, entry in zip(lines, entries, strict=True)}
    assert len(starts) == 1  # every summary starts at the same column
    actions = {line.index("[") for line in lines}
    assert len(actions) == 1


# --- sendguard preflight, text ----------------------------------------------------------------


def test_preflight_text_lists_each_stopped_recipient_once(campaign, capsys):
    _, template, recipients = campaign
    code, out, _ = run(
        capsys, "preflight", "--now", NOW, "--no-progress", "--template", template, "--recipients", recipients
    )
    assert code == 1
    listed = [line for line in out.splitlines() if line.startswith(("blocked-2 ", "<img"))]
    assert len([line for line in listed if line.startswith("blocked-2 ")]) == 1
    assert len([line for line in listed if line.startswith(BLOCKED_ID)]) == 1
    assert "would block or hold 2 recipients" in out  # the summary counts them


# --- sendguard preflight --format html --------------------------------------------------------


def _html(capsys, campaign, *extra):
    folder, template, recipients = campaign
    report = folder / "report.html"
    run(
        capsys,
        "preflight",
        "--no-progress",
        "--template",
        template,
        "--recipients",
        recipients,
        "--format",
        "html",
        "-o",
        report,
        *extra,
    )
    return report.read_text()


def test_preflight_html_shows_the_template_a_rewrite_and_the_rewritten(campaign, capsys):
    page = _html(capsys, campaign, "--now", NOW)
    # The template: its subject and first lines, escaped.
    assert "{{first_name}}, the &lt;b&gt;winter&lt;/b&gt; sale starts today" in page
    assert "Hi {{first_name}}," in page
    # A rewrite, before and after.
    before = re.findall(r"<pre class='before'>(.*?)</pre>", page, re.S)
    after = re.findall(r"<pre class='after'>(.*?)</pre>", page, re.S)
    assert before and len(before) == len(after)
    assert "Hi Robert," in before and "Hi Bob," in after
    # The rewritten recipients, listed as the stopped ones are.
    rewritten = page[page.index("Rewritten recipients") : page.index("Would block or hold")]
    assert "new-1" in rewritten and html_format.html.escape(HOSTILE_ID) in rewritten
    assert "gold-1" not in rewritten
    # The decisions once: the chart, with the counts in it; no cards.
    assert page.count("<h2>Decisions</h2>") == 1 and "class='card" not in page and 'class="card' not in page
    assert page.count("<svg") == 2  # decisions and rules
    assert ">2 (40.0%)</text>" in page


def test_preflight_html_times_have_no_microseconds(campaign, capsys):
    page = _html(capsys, campaign)  # judged as of now, which has microseconds
    assert not re.search(r"\d{2}:\d{2}(:\d{2})?\.\d{6}", page)
    assert re.search(r"judged as of \d{4}-\d{2}-\d{2} \d{2}:\d{2}(:\d{2})? UTC", page)


def test_preflight_html_escapes_ids_and_template_text(campaign, capsys):
    page = _html(capsys, campaign, "--now", NOW)
    assert "<script" not in page and "<img" not in page and "<b>winter" not in page
    assert "&lt;script&gt;alert(&quot;id&quot;)&lt;/script&gt;" in page
    assert "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "Our &lt;script&gt;steal()&lt;/script&gt; prices" in page


def test_preflight_html_with_jobs_still_has_a_rewrite(campaign, capsys):
    page = _html(capsys, campaign, "--now", NOW, "--jobs", "2")
    assert "<pre class='after'>" in page and "Hi Bob," in page


# --- the summary stays bounded -------------------------------------------------------------


def test_rewritten_list_and_rewrite_examples_are_bounded():
    summary = Summary(template="t.hbs", recipients="r.jsonl", now="2026-11-20T15:00:00.123456+00:00")
    for i in range(REWRITTEN_KEPT + 5):
        verdict = Verdict(i + 1, f"r{i}", "rewrite", (f"SG{100 + i % 9}",))
        summary.add(verdict)
        summary.add_rewrite(verdict, {"text": f"Hi Rob {i},\nbye"}, {"text": f"Hi Bob {i},\nbye"})
    assert len(summary.rewritten) == REWRITTEN_KEPT
    assert len(summary.rewrites) == REWRITES_KEPT
    assert len({tuple(r["rules"]) for r in summary.rewrites}) == REWRITES_KEPT  # each of other rules
    assert summary.rewrites[0]["edits"] == [{"part": "text", "before": ["Hi Rob 0,"], "after": ["Hi Bob 0,"]}]
    page = html_format.preflight_summary(summary)
    assert "and 5 more" in page
    assert page.count("<pre class='after'>") == html_format.SHOWN_REWRITES
    assert "15:00 UTC" in page and ".123456" not in page


def test_readable_time_and_template_lines():
    assert readable_time("2026-11-20T15:00:00.123456+00:00") == "2026-11-20 15:00 UTC"
    assert readable_time("2026-11-20T16:00:07+01:00") == "2026-11-20 15:00:07 UTC"
    assert readable_time("not a time") == "not a time"
    assert first_lines("\n\nOne\n\n\nTwo\nThree\n", count=2) == ["One", "", "Two", "\u2026"]
    assert first_lines("One\nTwo") == ["One", "Two"]
