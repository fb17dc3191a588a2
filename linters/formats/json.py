"""JSON: ``--format json`` of lint, check, preflight and ``review list``; ``review show``.

Written by ``safe_text.dumps`` (no raw control character; the data decodes unchanged),
except review's, which is ASCII-only ``json.dumps`` (as ever: ``default=str`` for the
stored timestamps and numbers)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..safe_text import dumps
from .shared import Sources

if TYPE_CHECKING:
    from ..campaign import Verdict
    from ..findings import Result
    from ..lint.findings import CustomerSummary, LintFinding
    from ..preflight_report import Summary


# --- sendguard lint ------------------------------------------------------------------------


def lint_report(
    findings: list[LintFinding],
    summaries: list[CustomerSummary],
    *,
    sources: Sources | None = None,
    fail_on: str = "block",
) -> str:
    document = {
        "findings": [f.to_dict() for f in findings],
        "customers": [s.to_dict() for s in summaries],
    }
    return dumps(document, indent=2)


# --- sendguard check: one object per request, as judged ---------------------------------------


def check_result(result: Result) -> str:
    return dumps(result.to_dict())


def check_error(origin: str, error: Any) -> str:
    """A request that could not be judged (``error`` is a RequestError: message and field)."""
    return dumps({"source": origin, "error": str(error), "field": error.field}, ensure_ascii=True)


# --- sendguard preflight: one object per recipient, then the summary --------------------------


def preflight_verdict(verdict: Verdict) -> str:
    return dumps(verdict.to_dict())


def preflight_summary(summary: Summary) -> str:
    return dumps({"summary": summary.to_dict()})


# --- sendguard review ---------------------------------------------------------------------


def review_list(rows: list[dict[str, Any]]) -> str:
    return json.dumps(rows, indent=2, default=str)


def review_detail(detail: dict[str, Any]) -> str:
    return json.dumps(detail, indent=2, default=str)
