"""Branch-aware static analysis: each rule's template-time check over template text.

Each fixed-text segment is analysed once with the engine's matchers (the same labels
the rules use) and judged with the conditions it sits under: a status claim inside
``{{#if is_vip}}`` is the template doing the right thing; the same claim outside any
such condition reaches everyone and is a finding. The checks themselves live with
their rules (``linters.registry.lint_check`` in each family module); this module
analyses the segments and runs every registered check.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..nlp import analyse_fixed
from ..rules import registered_rules
from .config import LintSettings
from .hits import Analysed, LintPart, StaticHit
from .segments import Segment


def analyse_segments(found: list[Segment]) -> list[Analysed]:
    return [Analysed(s, analyse_fixed(s.text)) for s in found if s.text.strip()]


def check_segments(
    items: list[Analysed],
    every_part: list[Analysed],
    settings: LintSettings,
    purpose: str,
    automated: bool,
    subject: bool = False,
    allow_soft_hyphens: bool = False,
) -> Iterator[StaticHit]:
    """All static findings of one part: every registered rule's lint check over
    ``LintPart`` (``linters.lint.hits``), which says what each argument is for."""
    part = LintPart(items, every_part, settings, purpose == "marketing", automated, subject, allow_soft_hyphens)
    for rule in registered_rules():
        if rule.lint is not None:
            yield from rule.lint(part)
