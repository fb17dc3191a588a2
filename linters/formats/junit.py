"""JUnit XML, which CI systems show as test results (GitLab, Jenkins, Azure, CircleCI).

``sendguard lint --format junit``: one ``<testsuite>`` per template file, one
``<testcase>`` per finding (and per customer summary), with a ``<failure>`` when its
action is at or above ``--fail-on`` (below it, the finding is the test's output); a
clean template is one passing test case. ``sendguard check --format junit``: one suite
per request file, one case per request (named by its id), a ``<failure>`` when the message would be
blocked or held, an ``<error>`` when the request could not be judged.

Every text goes through ``safe_text.xml_text`` / ``xml_attribute``: well-formed XML
whatever a file name or message holds, and no line a GitHub workflow command."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..findings import Result
from ..safe_text import visible, xml_attribute, xml_text
from .shared import Sources, customer_line, fails
from .text import check_result, snippet

if TYPE_CHECKING:
    from ..lint.findings import CustomerSummary, LintFinding

CLEAN = "sendguard lint"  # the name of a clean template's one test case


@dataclass(slots=True)
class Case:
    name: str
    suite: str
    line: int | None = None
    failure: tuple[str, str, str] | None = None  # (type, message, text)
    error: tuple[str, str] | None = None  # (message, text)
    output: str = ""

    def xml(self) -> str:
        attributes = f'classname="{xml_attribute(self.suite)}" name="{xml_attribute(self.name)}"'
        if self.line is not None:
            attributes += f' file="{xml_attribute(self.suite)}" line="{self.line}"'
        inner = []
        if self.failure is not None:
            kind, message, text = self.failure
            inner.append(
                f'      <failure type="{xml_attribute(kind)}" message="{xml_attribute(message)}">'
                f"{xml_text(text)}</failure>"
            )
        if self.error is not None:
            message, text = self.error
            inner.append(f'      <error message="{xml_attribute(message)}">{xml_text(text)}</error>')
        if self.output:
            inner.append(f"      <system-out>{xml_text(self.output)}</system-out>")
        if not inner:
            return f"    <testcase {attributes}/>"
        return "\n".join([f"    <testcase {attributes}>", *inner, "    </testcase>"])


def document(name: str, suites: dict[str, list[Case]]) -> str:
    """The XML: ``<testsuites>`` with one ``<testsuite>`` per key, in order."""

    def counts(cases: Iterable[Case]) -> str:
        cases = list(cases)
        failures = sum(case.failure is not None for case in cases)
        errors = sum(case.error is not None for case in cases)
        return f'tests="{len(cases)}" failures="{failures}" errors="{errors}"'

    every = [case for cases in suites.values() for case in cases]
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<testsuites name="{xml_attribute(name)}" {counts(every)}>',
    ]
    for suite, cases in suites.items():
        lines.append(f'  <testsuite name="{xml_attribute(suite)}" {counts(cases)} skipped="0">')
        lines += [case.xml() for case in cases]
        lines.append("  </testsuite>")
    lines.append("</testsuites>")
    return "\n".join(lines)


# --- sendguard lint ------------------------------------------------------------------------


def _finding_case(f: LintFinding, sources: Sources, fail_on: str) -> Case:
    head = f"{visible(f.path)}:{f.line}:{f.column}: {visible(f.rule)} {visible(f.message)} [{f.action}]"
    text = sources.get(f.path)
    body = "\n".join([head, *(snippet(text, f) if text is not None else [])]).rstrip("\n")
    case = Case(f"{f.rule} {f.name}", f.path, f.line)
    if fails(f.action, fail_on):
        case.failure = (str(f.action), f"{f.rule} {f.name}: {f.message}", body)
    else:
        case.output = body
    return case


def _summary_case(s: CustomerSummary, fail_on: str) -> Case:
    text = customer_line(s)
    case = Case(f"{s.rule} {s.name} (sample customers)", s.path, 1)
    if fails(s.action, fail_on):
        case.failure = (str(s.action), text, f"{visible(s.path)}: {visible(text)} [{s.action}]")
    else:
        case.output = f"{visible(s.path)}: {visible(text)} [{s.action}]"
    return case


def lint_report(
    findings: list[LintFinding],
    summaries: list[CustomerSummary],
    *,
    sources: Sources | None = None,
    fail_on: str = "block",
) -> str:
    sources = sources or {}
    suites: dict[str, list[Case]] = {path: [] for path in sources}
    for f in findings:
        suites.setdefault(f.path, []).append(_finding_case(f, sources, fail_on))
    for s in summaries:
        suites.setdefault(s.path, []).append(_summary_case(s, fail_on))
    for path, cases in suites.items():
        if not cases:
            cases.append(Case(CLEAN, path))
    return document("sendguard lint", suites)


# --- sendguard check -------------------------------------------------------------------------


_WHERE = re.compile(r"^(?P<file>.+?)(?::(?P<line>\d+)|\[(?P<item>\d+)\])$")


def request_file(origin: str) -> tuple[str, int | None, str]:
    """(file, line, where) of a request's origin: ``FILE``, ``FILE:LINE`` (JSON Lines) or
    ``FILE[INDEX]`` (a JSON array), as ``linters.documents`` names them."""
    match = _WHERE.match(origin)
    if match is None:
        return origin, None, origin
    if match["line"] is not None:
        return match["file"], int(match["line"]), f"line {match['line']}"
    return match["file"], None, f"item {match['item']}"


def check_report(judged: Iterable[tuple[str, Result | Any]]) -> str:
    """``judged``: (request origin, the Result or the RequestError that refused the request)."""
    suites: dict[str, list[Case]] = {}
    for origin, outcome in judged:
        path, line, where = request_file(origin)
        cases = suites.setdefault(path, [])
        if not isinstance(outcome, Result):
            case = Case(where, path, line)
            case.error = (str(outcome), f"{visible(origin)}: error: {visible(outcome)}")
            cases.append(case)
            continue
        case = Case(outcome.id or where, path, line)
        report = check_result(outcome, origin)
        if not outcome.sendable:
            rules = " ".join(dict.fromkeys(f.rule for f in outcome.findings))
            case.failure = (str(outcome.decision), f"{outcome.decision.upper()} {rules}".strip(), report)
        elif outcome.findings or outcome.changes:
            case.output = report
        cases.append(case)
    return document("sendguard check", suites)
