"""Lint one template source: parse each part, analyse its segments, apply suppressions.

SG900 (a part that does not parse) and SG902 are always reported as block and SG901 at
``lint.bad_suppression`` (never off): no selection, per-file ignore, ``rules`` entry or
suppression comment switches them off (linters/selection.py: NEVER_IGNORED).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..findings import Action
from ..handlebars import Node, TemplateSyntaxError, parse
from ..nlp import vocabulary_in_force
from ..registry import RULES
from ..selection import NEVER_IGNORED
from .config import LintConfig
from .findings import LintFinding, known_rule_ids, rule_identity
from .hits import StaticHit
from .inputs import PartSource, TemplateSource
from .segments import segments
from .static import analyse_segments, check_segments
from .suppress import apply, suppressions

# Where a syntax error quotes a position of the part (the opener of a mismatched block).
_PART_POSITION = re.compile(r"\bat line (\d+), column (\d+)")


@dataclass(slots=True)
class _ParsedPart:
    part: PartSource
    tree: list[Node]


def _offset_of(text: str, line: int, column: int) -> int:
    starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
    return min(starts[min(line, len(starts)) - 1] + column - 1, len(text))


def _action(hit: StaticHit, config: LintConfig) -> Action:
    if hit.rule == "SG901":
        return config.lint.bad_suppression
    if hit.rule in NEVER_IGNORED:
        return Action.BLOCK  # SES cannot render it (SG900), or it could not be read (SG902)
    return config.policy.actions.get(hit.rule) or hit.action or rule_identity(hit.rule)[1]


def _file_positions(template: TemplateSource, part: PartSource, message: str) -> str:
    """``message`` with each "at line L, column C" of ``part`` rewritten as the position in
    the file the finding points into (below front matter, inside an SES JSON string)."""

    def moved(match: re.Match[str]) -> str:
        offset = _offset_of(part.text, int(match.group(1)), int(match.group(2)))
        _, line, column = template.locate(part, offset)
        return f"at line {line}, column {column}"

    return _PART_POSITION.sub(moved, message)


def _finding(template: TemplateSource, part: PartSource, hit: StaticHit, config: LintConfig) -> LintFinding:
    path, line, column = template.locate(part, hit.start)
    _, end_line, end_column = template.locate(part, max(hit.end, hit.start))
    name, _ = rule_identity(hit.rule)
    return LintFinding(
        hit.rule,
        name,
        _action(hit, config),
        hit.message,
        path,
        line,
        column,
        end_line,
        end_column,
        part.name,
        hit.excerpt,
    )


def lint_template(template: TemplateSource, config: LintConfig) -> list[LintFinding]:
    """Every finding of one template, in source order; actions set to off are dropped."""
    parsed: list[_ParsedPart] = []
    findings: list[LintFinding] = []
    for part in template.parts:
        try:
            parsed.append(_ParsedPart(part, parse(part.text)))
        except TemplateSyntaxError as exc:
            at = _offset_of(part.text, exc.line, exc.column)
            problem = _file_positions(template, part, exc.problem)
            hit = StaticHit("SG900", problem, at, at + 1, part.text[at : at + 20].split("\n")[0])
            findings.append(_finding(template, part, hit, config))
    purpose = template.meta.purpose or config.lint.default_purpose
    with vocabulary_in_force(config.policy.vocabulary):
        analysed = {
            id(p): analyse_segments(segments(p.part.text, p.tree, html=p.part.name == "html")) for p in parsed
        }
    every_part = [item for items in analysed.values() for item in items]
    known = known_rule_ids()
    for p in parsed:
        hits = list(
            check_segments(
                analysed[id(p)],
                every_part,
                config.lint,
                purpose,
                template.meta.automated,
                subject=p.part.name == "subject",
                allow_soft_hyphens=_allows_soft_hyphens(config),
            )
        )
        active, problems = suppressions(p.part.text, p.tree, known)
        for hit in [*apply(_dedupe(hits), active), *problems]:
            findings.append(_finding(template, p.part, hit, config))
    ignored = config.ignored_for(template.config_start)  # per-file-ignores (never SG900-SG902)
    kept = [f for f in findings if f.action != Action.OFF and f.rule not in ignored]
    return sorted(kept, key=LintFinding.sort_key)


def _allows_soft_hyphens(config: LintConfig) -> bool:
    settings = config.policy.settings_for(RULES["SG801"])
    return bool(getattr(settings, "allow_soft_hyphens", False))


def _dedupe(hits: list[StaticHit]) -> list[StaticHit]:
    seen: set[tuple[str, int, int]] = set()
    unique = []
    for hit in hits:
        key = (hit.rule, hit.start, hit.end)
        if key not in seen:
            seen.add(key)
            unique.append(hit)
    return unique
