"""HTML: ``sendguard preflight --format html``, one self-contained page (inline SVG charts,
no script, no external asset); every text is ``html.escape``d."""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .text import percent

if TYPE_CHECKING:
    from ..preflight_report import Summary

COLORS = {"allow": "#2e7d32", "rewrite": "#1565c0", "hold": "#ef8f00", "block": "#c62828", "error": "#616161"}


def _bars(rows: list[tuple[str, int, str]], width: int = 470) -> str:
    """A horizontal bar chart as inline SVG: (label, count, colour) per row."""
    if not rows:
        return ""
    top = max(count for _, count, _ in rows) or 1
    row_height, label_width = 28, 190
    height = row_height * len(rows) + 8
    bars = []
    for i, (label, count, color) in enumerate(rows):
        y = 4 + i * row_height
        length = max(2, round((width - label_width - 90) * count / top)) if count else 0
        bars.append(
            f'<text x="{label_width - 8}" y="{y + 18}" text-anchor="end">{html.escape(label)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length}" height="{row_height - 10}" '
            f'rx="3" fill="{color}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 18}">{count:,}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" font-size="13" font-family="system-ui, sans-serif">'
        + "".join(bars)
        + "</svg>"
    )


_STYLE = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:980px;color:#222}
h1{font-size:22px;margin-bottom:4px}h2{font-size:17px;margin-top:28px}
.muted{color:#666}.cards{display:flex;gap:12px;flex-wrap:wrap;margin:16px 0}
.card{border-radius:8px;padding:10px 16px;color:#fff;min-width:110px}
.card b{display:block;font-size:22px}
.charts{display:flex;gap:32px;flex-wrap:wrap}
table{border-collapse:collapse;width:100%;margin-top:8px}
td,th{border-bottom:1px solid #e3e3e3;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#f6f6f6}code{background:#f3f3f3;padding:1px 4px;border-radius:3px}
"""


def preflight_summary(summary: Summary) -> str:
    from ..preflight_report import DECISIONS, rule_names

    esc = html.escape
    names = rule_names()
    decision_rows = [(d, summary.decisions[d], COLORS[d]) for d in DECISIONS if summary.decisions[d]]
    rule_rows = [(f"{r} {names.get(r, '')}", c, "#455a64") for r, c in summary.rules.most_common(15)]
    cards = "".join(
        f'<div class="card" style="background:{COLORS[d]}">{d}<b>{summary.decisions[d]:,}</b>'
        f"{percent(summary.decisions[d], summary.total)}</div>"
        for d in DECISIONS
        if summary.decisions[d]
    )
    rules = "".join(
        f"<tr><td><code>{esc(r)}</code> {esc(names.get(r, ''))}</td><td>{c:,}</td><td>"
        + "<br>".join(f"<b>{esc(e['id'])}</b>: {esc(e['message'])}" for e in summary.examples.get(r, []))
        + "</td></tr>"
        for r, c in summary.rules.most_common()
    )
    stopped = "".join(
        f"<tr><td>{esc(s['id'] or '')}</td><td style='color:{COLORS[s['decision']]}'>{esc(s['decision'])}</td>"
        f"<td>{esc(' '.join(s['rules']))}</td></tr>"
        for s in summary.stopped
    )
    errors = "".join(
        f"<tr><td>{e['line']}</td><td>{esc(e['id'] or '')}</td><td>{esc(e['field'] or '')}</td>"
        f"<td>{esc(e['error'])}</td></tr>"
        for e in summary.errors
    )
    more = summary.stopped_count - len(summary.stopped)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>sendguard preflight: {esc(summary.template)}</title><style>{_STYLE}</style></head><body>",
        f"<h1>Preflight: {esc(summary.template)}</h1>",
        f"<div class='muted'>{summary.total:,} recipients from {esc(summary.recipients)}, "
        f"judged as of {esc(summary.now)}</div>",
        f"<div class='cards'>{cards}</div>",
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
    if stopped:
        note = f" (the first {len(summary.stopped):,}; {more:,} more in --format json)" if more > 0 else ""
        parts.append(
            f"<h2>Would block or hold: {summary.stopped_count:,}{note}</h2>"
            f"<table><tr><th>recipient</th><th>decision</th><th>rules</th></tr>{stopped}</table>"
        )
    if errors:
        parts.append(
            f"<h2>Records that could not be judged: {summary.decisions['error']:,}</h2>"
            f"<table><tr><th>line</th><th>id</th><th>field</th><th>problem</th></tr>{errors}</table>"
        )
    parts.append("</body></html>\n")
    return "".join(parts)
