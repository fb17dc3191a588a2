"""HTML: ``sendguard preflight --format html``, one self-contained page (inline SVG charts,
no script, no external asset): the template's subject and first lines, the decisions and
rules as charts, examples by rule, a before and after of a rewrite or two, the rewritten
and the stopped recipients. Every text is ``html.escape``d."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from .shared import readable_time
from .text import percent

if TYPE_CHECKING:
    from ..preflight_report import Summary

COLORS = {"allow": "#2e7d32", "rewrite": "#1565c0", "hold": "#ef8f00", "block": "#c62828", "error": "#616161"}


def _bars(rows: list[tuple[str, int, str, str]], width: int = 470) -> str:
    """A horizontal bar chart as inline SVG: (label, count, colour, note) per row; the
    count, and the note when there is one, follow the bar."""
    if not rows:
        return ""
    top = max(count for _, count, _, _ in rows) or 1
    row_height, label_width = 28, 190
    height = row_height * len(rows) + 8
    bars = []
    for i, (label, count, color, note) in enumerate(rows):
        y = 4 + i * row_height
        length = max(2, round((width - label_width - 110) * count / top)) if count else 0
        shown = f"{count:,} ({html.escape(note)})" if note else f"{count:,}"
        bars.append(
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end">{html.escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="{row_height - 10}" '
            f'rx="3" fill="{color}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 18}">{shown}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-size="13" font-family="system-ui, sans-serif">'
        + "".join(bars)
        + "</svg>"
    )


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:980px;color:#222}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px}h3{font-size:14px;margin:14px 0 4px}
.muted{color:#666}
.charts{display:flex;gap:32px;flex-wrap:wrap}
table{border-collapse:collapse;width:100%;margin-top:8px}
td,th{border-bottom:1px solid #e3e3e3;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}code{background:#f3f3f3;padding:1px 4px;border-radius:3px}
pre{background:#f7f7f7;border:1px solid #e3e3e3;border-radius:6px;padding:8px 12px;margin:6px 0;
white-space:pre-wrap;word-break:break-word;font:13px/1.45 ui-monospace,Menlo,Consolas,monospace}
.before{background:#fdecea;border-color:#f5c6c2}.after{background:#e8f5e9;border-color:#bfe1c2}
.edit{display:grid;grid-template-columns:1fr 1fr;gap:12px}.edit div>span{font-size:12px;color:#666}
.more td{color:#666;font-style:italic}
"""

SHOWN_REWRITES = 2  # rewrites shown as before and after


def _lines(lines: list[str], css: str = "") -> str:
    """Lines of message text as a ``<pre>``, escaped."""
    shown = "\n".join(lines) if lines else "(nothing)"
    return f"<pre class='{css}'>{html.escape(shown)}</pre>"


def _template(summary: Summary) -> str:
    if not (summary.subject or summary.text_lines):
        return ""
    subject = f"<div><b>Subject:</b> {html.escape(summary.subject)}</div>" if summary.subject else ""
    return f"<h2>Template</h2>{subject}{_lines(summary.text_lines) if summary.text_lines else ''}"


def _rewrites(summary: Summary) -> str:
    """A before and after of the first rewrites (each of other rules than the last)."""
    parts = []
    for example in summary.rewrites[:SHOWN_REWRITES]:
        rules = " ".join(example["rules"])
        parts.append(
            f"<h3>{html.escape(example['id'])} <span class='muted'>({html.escape(rules)})</span></h3>"
        )
        for edit in example["edits"]:
            part = html.escape(edit["part"])
            parts.append(
                f"<div class='edit'><div><span>{part}, as written</span>{_lines(edit['before'], 'before')}</div>"
                f"<div><span>{part}, as sent</span>{_lines(edit['after'], 'after')}</div></div>"
            )
    return "".join(parts)


def _recipients(rows: list[dict[str, Any]], total: int) -> str:
    """A table of recipients (id, decision, rules), then "and N more" past the kept ones."""
    body = "".join(
        f"<tr><td>{html.escape(r['id'] or '')}</td>"
        f"<td style='color:{COLORS.get(r['decision'], '#222')}'>{html.escape(r['decision'])}</td>"
        f"<td>{html.escape(' '.join(r['rules']))}</td></tr>"
        for r in rows
    )
    more = total - len(rows)
    if more > 0:
        body += f"<tr class='more'><td colspan='3'>and {more:,} more (every recipient is in --format json)</td></tr>"
    return f"<table><tr><th>recipient</th><th>decision</th><th>rules</th></tr>{body}</table>"


def preflight_summary(summary: Summary) -> str:
    from ..preflight_report import DECISIONS, rule_names

    esc = html.escape
    names = rule_names()
    decision_rows = [
        (d, summary.decisions[d], COLORS[d], percent(summary.decisions[d], summary.total))
        for d in DECISIONS
        if summary.decisions[d]
    ]
    rule_rows = [(f"{r} {names.get(r, '')}", c, "#455a64", "") for r, c in summary.rules.most_common(15)]
    rules = "".join(
        f"<tr><td><code>{esc(r)}</code> {esc(names.get(r, ''))}</td><td>{c:,}</td><td>"
        + "<br>".join(f"<b>{esc(e['id'])}</b>: {esc(e['message'])}" for e in summary.examples.get(r, []))
        + "</td></tr>"
        for r, c in summary.rules.most_common()
    )
    errors = "".join(
        f"<tr><td>{e['line']}</td><td>{esc(e['id'] or '')}</td><td>{esc(e['field'] or '')}</td>"
        f"<td>{esc(e['error'])}</td></tr>"
        for e in summary.errors
    )
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>sendguard preflight: {esc(summary.template)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Preflight: {esc(summary.template)}</h1>",
        f"<div class='muted'>{summary.total:,} recipients from {esc(summary.recipients)}, "
        f"judged as of {esc(readable_time(summary.now))}</div>",
        _template(summary),
        "<div class='charts'><div><h2>Decisions</h2>",
        _bars(decision_rows),
        "</div><div><h2>Rules (recipients with a finding)</h2>",
        _bars(rule_rows),
        "</div></div>",
    ]
    if rules:
        parts.append(
            f"<h2>Findings by rule</h2><table><tr><th>rule</th><th>recipients</th><th>examples</th></tr>{rules}</table>"
        )
    rewritten = summary.decisions["rewrite"]
    if rewritten:
        parts.append(f"<h2>Would rewrite: {rewritten:,}</h2>")
        if summary.rewrites:
            shown = min(len(summary.rewrites), SHOWN_REWRITES)
            parts.append(f"<div class='muted'>The text before and after, for {shown} of them:</div>")
            parts.append(_rewrites(summary))
        parts.append(f"<h3>Rewritten recipients</h3>{_recipients(summary.rewritten, rewritten)}")
    if summary.stopped_count:
        parts.append(
            f"<h2>Would block or hold: {summary.stopped_count:,}</h2>"
            + _recipients(summary.stopped, summary.stopped_count)
        )
    if errors:
        parts.append(
            f"<h2>Records that could not be judged: {summary.decisions['error']:,}</h2>"
            f"<table><tr><th>line</th><th>id</th><th>field</th><th>problem</th></tr>{errors}</table>"
        )
    parts.append("</body></html>\n")
    return "".join(parts)
