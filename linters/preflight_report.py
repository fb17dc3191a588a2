"""The preflight summary and its text and HTML reports.

The summary is built as verdicts stream past and keeps a bounded amount of detail
(a few examples per rule, the first stopped recipients), so a million recipients
take the same memory as a thousand.
"""

from __future__ import annotations

import html
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from .campaign import Verdict
from .safe_text import plain_lines, visible

DECISIONS = ("allow", "rewrite", "hold", "block", "error")
COLORS = {"allow": "#2e7d32", "rewrite": "#1565c0", "hold": "#ef8f00", "block": "#c62828", "error": "#616161"}
EXAMPLES_PER_RULE = 3
STOPPED_KEPT = 1000
ERRORS_KEPT = 50


@dataclass(slots=True)
class Summary:
    template: str = ""
    recipients: str = ""
    now: str = ""
    total: int = 0
    decisions: Counter[str] = field(default_factory=Counter)
    rules: Counter[str] = field(default_factory=Counter)
    examples: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    stopped: list[dict[str, Any]] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def add(self, verdict: Verdict) -> None:
        self.total += 1
        if verdict.error is not None:
            self.decisions["error"] += 1
            if len(self.errors) < ERRORS_KEPT:
                self.errors.append(verdict.to_dict())
            return
        decision = verdict.decision or "error"
        self.decisions[decision] += 1
        self.rules.update(verdict.rules)
        for rule, message, excerpt in verdict.examples:
            kept = self.examples.setdefault(rule, [])
            if len(kept) < EXAMPLES_PER_RULE and all(k["message"] != message for k in kept):
                kept.append({"id": verdict.id or "", "message": message, "excerpt": excerpt})
        if decision in ("block", "hold") and len(self.stopped) < STOPPED_KEPT:
            self.stopped.append(verdict.to_dict())

    @property
    def stopped_count(self) -> int:
        return self.decisions["block"] + self.decisions["hold"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "template": self.template,
            "recipients_file": self.recipients,
            "now": self.now,
            "recipients": self.total,
            "decisions": {d: self.decisions[d] for d in DECISIONS if self.decisions[d]},
            "rules": dict(self.rules.most_common()),
            "examples": {rule: self.examples.get(rule, []) for rule, _ in self.rules.most_common()},
            "stopped": self.stopped,
            "stopped_total": self.stopped_count,
            "errors": self.errors,
            "errors_total": self.decisions["error"],
        }


def rule_names() -> dict[str, str]:
    from .rules import all_rules

    return {rule.id: rule.name for rule in all_rules()}


def format_text(summary: Summary) -> str:
    """The summary for a terminal: template, recipient ids and messages with their
    control characters escaped, and no line a GitHub workflow command."""
    names = rule_names()
    lines = [
        f"preflight: {visible(summary.template)} to {summary.total:,} recipients ({visible(summary.recipients)}), "
        f"as of {visible(summary.now)}",
        "",
    ]
    for decision in DECISIONS:
        count = summary.decisions[decision]
        if count:
            lines.append(f"  {decision:<8}{count:>12,}  {_percent(count, summary.total)}")
    if summary.rules:
        lines += ["", "rules (recipients):"]
    for rule, count in summary.rules.most_common():
        lines.append(f"  {visible(rule)} {names.get(rule, ''):<22}{count:>12,}")
        for example in summary.examples.get(rule, []):
            lines.append(f"      {visible(example['id'])}: {visible(example['message'])}")
    if summary.stopped_count:
        shown = len(summary.stopped)
        more = f" (first {shown})" if shown < summary.stopped_count else ""
        lines += ["", f"would block or hold {summary.stopped_count:,} recipients{more}:"]
        lines += [
            f"  {visible(s['id'])}  {s['decision']}  {visible(' '.join(s['rules']))}"
            for s in summary.stopped[:20]
        ]
        if shown > 20:
            lines.append(f"  ... ({summary.stopped_count - 20:,} more in --format json or html)")
    return plain_lines("\n".join(lines))


def _percent(count: int, total: int) -> str:
    return f"{100 * count / total:.1f}%" if total else ""


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


def format_html(summary: Summary) -> str:
    esc = html.escape
    names = rule_names()
    decision_rows = [(d, summary.decisions[d], COLORS[d]) for d in DECISIONS if summary.decisions[d]]
    rule_rows = [(f"{r} {names.get(r, '')}", c, "#455a64") for r, c in summary.rules.most_common(15)]
    cards = "".join(
        f'<div class="card" style="background:{COLORS[d]}">{d}<b>{summary.decisions[d]:,}</b>'
        f"{_percent(summary.decisions[d], summary.total)}</div>"
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
