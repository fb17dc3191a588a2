"""Every output format of ``check``, ``lint``, ``preflight`` and ``review``, in one package.

One module per format; each holds that format's renderer for every command that has it,
named ``<command>_<what>`` (``lint_report``, ``check_result``, ``preflight_summary``,
``review_list``...), so a format's rules (its escaping, its layout) live in one file:

=========  ===================================================  =========================
module     format                                               commands
=========  ===================================================  =========================
text       terminal text; lint shows the source under findings  lint, check, preflight,
                                                                review list
json       JSON (one object per request or recipient where the  lint, check, preflight,
           command streams)                                     review list and show
sarif      SARIF 2.1.0 for code scanning (also ``--sarif-file``) lint
github     GitHub Actions workflow commands (annotations)       lint
junit      JUnit XML test results                               lint, check
gitlab     GitLab Code Quality JSON                             lint
html       a self-contained HTML page                           preflight
=========  ===================================================  =========================

``shared`` has what several formats use (the customer-summary sentence, the fail level,
repository-relative paths). The escaping every format relies on is ``linters.safe_text``:
no raw control character and no GitHub workflow command in anything printed.

A lint renderer is ``lint_report(findings, summaries, *, sources=None, fail_on="block")``
(``LINT``); ``sources`` maps each linted file to its text (the text format's snippets, the
JUnit suites of clean files). The ``*_FORMATS`` tuples are the commands' ``--format``
choices. Nothing here loads spaCy: the preflight renderers import the summary's module
when they run.
"""

from __future__ import annotations

from . import github, gitlab, html, json, junit, sarif, text

LINT = {
    "text": text.lint_report,
    "json": json.lint_report,
    "sarif": sarif.lint_report,
    "github": github.lint_report,
    "junit": junit.lint_report,
    "gitlab": gitlab.lint_report,
}
LINT_FORMATS = tuple(LINT)
CHECK_FORMATS = ("text", "json", "junit")
PREFLIGHT_FORMATS = ("text", "json", "html")
REVIEW_FORMATS = ("text", "json")

__all__ = [
    "CHECK_FORMATS",
    "LINT",
    "LINT_FORMATS",
    "PREFLIGHT_FORMATS",
    "REVIEW_FORMATS",
    "github",
    "gitlab",
    "html",
    "json",
    "junit",
    "sarif",
    "text",
]
