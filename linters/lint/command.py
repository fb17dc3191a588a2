"""``sendguard lint [PATH ...]``: lint template files, folders, stdin or the SES account's templates.

Exit codes: 0 nothing at or above ``--fail-on`` (or ``--exit-zero``); 1 a finding at
or above it; 2 a usage or configuration error, or a crash. A file that cannot be read
or is not a template is a finding (SG902), not an abort: the other files are linted.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from ..findings import Action
from ..formats import LINT, LINT_FORMATS, sarif
from ..options import add_common_options, emit, print_settings, statistics_lines
from ..policy import PolicyError
from ..safe_text import error_line
from ..selection import Selection, SelectionError, selection_from_args
from .config import ConfigFinder, LintConfig
from .findings import ACTION_STRENGTH, CustomerSummary, LintFinding
from .inputs import (
    InputError,
    TemplateSource,
    display_path,
    load_path,
    stored_templates,
    template_from_text,
    unreadable_finding,
    walk,
)

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
FAIL_LEVELS = ("block", "hold", "rewrite", "warn")
UNREADABLE = "SG902"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Lint message templates (Handlebars, HTML, text, Markdown, SES JSON)."
    parser.add_argument(
        "paths",
        nargs="*",
        metavar="PATH",
        help="template files or folders (default: . unless --from-ses); - reads stdin",
    )
    parser.add_argument(
        "--format",
        choices=LINT_FORMATS,
        default="text",
        help="report format: text (with source snippets), json, sarif, github (annotations), "
        "junit (JUnit XML), gitlab (Code Quality) (default: text)",
    )
    parser.add_argument(
        "--fail-on",
        choices=FAIL_LEVELS,
        default="block",
        help="exit 1 when a finding has this action or a stronger one (default: block)",
    )
    parser.add_argument(
        "--customers", metavar="FILE", help="sample customers (JSON Lines): run the full check for each"
    )
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB", help="skip matching files and folders"
    )
    parser.add_argument(
        "--stdin-filename",
        metavar="PATH",
        help="the name of the template read from stdin (its suffix and config)",
    )
    parser.add_argument(
        "--templates-only",
        action="store_true",
        help="skip named files that are not templates (for pre-commit: .md without front matter, package.json)",
    )
    parser.add_argument(
        "--sarif-file", metavar="FILE", help="also write a SARIF report here (one run, two outputs)"
    )
    parser.add_argument(
        "--from-ses", action="store_true", help="lint the templates stored in the SES account"
    )
    parser.add_argument("--region", help="AWS region for --from-ses (default: the AWS configuration's)")
    add_common_options(parser)


def _unreadable(path: str, problem: str) -> LintFinding:
    message = problem.removeprefix(f"{path}: ").removeprefix(f"{path}")
    return LintFinding(
        UNREADABLE, "unreadable-input", Action.BLOCK, message.lstrip(": ") or problem, path, 1, 1, 1, 1
    )


Item = TemplateSource | LintFinding


def _from_stdin(args: argparse.Namespace) -> Iterator[Item]:
    name = args.stdin_filename or "<stdin>"
    try:
        text = sys.stdin.buffer.read().decode("utf-8")
        yield template_from_text(Path(name), text)
    except UnicodeDecodeError as exc:
        yield _unreadable(name, f"not UTF-8 text (bad byte at offset {exc.start})")
    except InputError as exc:
        yield unreadable_finding(name, exc)


def _named(
    path: Path, templates_only: bool, configs: ConfigFinder, walked: Path | None = None
) -> Iterator[Item]:
    folders = list(configs.for_path(path).lint.template_folders)  # a bad config is exit 2, not a finding
    if walked is not None and walked.resolve() != Path.cwd().resolve():
        # A folder named on the command line (not "." itself) is a template folder.
        folders.append(f"{walked.resolve().as_posix()}/*")
    try:
        found = load_path(path, not templates_only, folders)
    except InputError as exc:
        yield unreadable_finding(display_path(path), exc)
        return
    if found is not None:
        yield found


def _templates(args: argparse.Namespace, configs: ConfigFinder) -> Iterator[Item]:
    paths = args.paths or ([] if args.from_ses or args.stdin_filename else ["."])
    if paths == ["-"] or (not args.paths and args.stdin_filename):
        yield from _from_stdin(args)
        return
    for given in paths:
        path = Path(given)
        if path.is_dir():
            patterns = [*configs.for_path(path / "_").lint.exclude, *args.exclude]
            for found in walk(path, patterns):
                yield from _named(found, True, configs, walked=path)
        elif path.exists():
            yield from _named(path, args.templates_only, configs)
        elif not args.templates_only:  # pre-commit passes deleted files only by mistake
            yield _unreadable(given, "no such file or folder")
    if args.from_ses:
        yield from _from_store(args)


def _from_store(args: argparse.Namespace) -> Iterator[TemplateSource]:
    """``--from-ses``: the templates of the store the CLI was given (``args.template_provider``,
    the SES account when the console script runs; linters/cli.py)."""
    provider = getattr(args, "template_provider", None)
    if provider is None:
        raise InputError("--from-ses: this build cannot read the SES account")
    try:
        yield from stored_templates(provider, args.region)
    except InputError as exc:
        raise InputError(f"--from-ses: {exc}") from None


class SelectedConfigs(ConfigFinder):
    """Each template's config with the command line's rule selection applied."""

    def __init__(self, override: str | None, selection: Selection) -> None:
        super().__init__(override)
        self.selection = selection
        self._selected: dict[int, LintConfig] = {}

    def for_path(self, path: str | Path | None) -> LintConfig:
        config = super().for_path(path)
        key = id(config)
        if key not in self._selected:
            self._selected[key] = dataclasses.replace(config, policy=self.selection.apply(config.policy))
        return self._selected[key]


def source_texts(template: TemplateSource) -> dict[str, str]:
    """What each path a finding of ``template`` can name counts its lines in (for the
    reports' snippets): the file, or each part of a template from a store."""
    if template.file_text is not None:
        return {template.path: template.file_text}
    return {f"{template.path}/{part.name}": part.text for part in template.parts}


def lint_all(
    args: argparse.Namespace, configs: SelectedConfigs, sources: dict[str, str] | None = None
) -> tuple[list[LintFinding], list[CustomerSummary], int]:
    """(findings, customer summaries, number of templates linted); ``sources``, when
    given, gets the text of every template linted (``source_texts``)."""
    from .customers import load_customers, summarize
    from .linter import lint_template

    customers = load_customers(args.customers) if args.customers else []
    now = datetime.now(UTC)
    findings: list[LintFinding] = []
    summaries: list[CustomerSummary] = []
    linted = 0
    for item in _templates(args, configs):
        if isinstance(item, LintFinding):
            findings.append(item)
            continue
        linted += 1
        if sources is not None:
            sources.update(source_texts(item))
        config = configs.for_path(item.config_start)
        findings.extend(lint_template(item, config))
        if customers and not any(f.rule == "SG900" for f in findings if f.path.startswith(item.path)):
            summaries.extend(summarize(item, customers, config, now))
    chosen = [f for f in findings if configs.selection.enabled(f.rule)]
    return chosen, [s for s in summaries if configs.selection.enabled(s.rule)], linted


def fails(action: Action, fail_on: str) -> bool:
    return ACTION_STRENGTH[action] >= ACTION_STRENGTH[Action(fail_on)]


def _show_settings(args: argparse.Namespace, configs: SelectedConfigs) -> int:
    from ..options import policy_settings

    first = Path(args.paths[0]) if args.paths and args.paths != ["-"] else Path(args.stdin_filename or ".")
    config = configs.for_path(first if first.exists() else None)
    print_settings(
        {
            "config": config.source,
            "selection": configs.selection.describe(),
            "fail_on": args.fail_on,
            "policy": policy_settings(config.policy),
            "lint": config.lint.model_dump(mode="json"),
        }
    )
    return EXIT_OK


def _report(
    args: argparse.Namespace,
    findings: list[LintFinding],
    summaries: list[CustomerSummary],
    sources: dict[str, str],
) -> str:
    if args.statistics:
        rows = [(f.rule, f.name, str(f.action)) for f in findings]
        return statistics_lines(rows + [(s.rule, s.name, str(s.action)) for s in summaries])
    report = LINT[args.format](findings, summaries, sources=sources, fail_on=args.fail_on)
    if args.quiet and args.format == "text":
        report = "\n".join(line for line in report.splitlines() if not line.startswith(("Found ", "All ")))
    return report


def run(args: argparse.Namespace) -> int:
    try:
        configs = SelectedConfigs(
            args.config, selection_from_args(args.select, args.extend_select, args.ignore)
        )
        if args.show_settings:
            return _show_settings(args, configs)
        sources: dict[str, str] = {}
        findings, summaries, linted = lint_all(args, configs, sources)
    except (InputError, PolicyError, SelectionError) as exc:
        # One line, control characters escaped: the message may quote a file name or a
        # configuration key, and the GitHub runner reads stderr for workflow commands too.
        print(error_line(f"sendguard lint: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    if not linted and not findings and not args.quiet:
        where = " ".join(args.paths) or "."
        print(error_line(f"sendguard lint: no templates found in {where}"), file=sys.stderr)
    if linted or findings or args.format != "text":
        emit(_report(args, findings, summaries, sources), args, text_format=args.format == "text")
    if args.sarif_file:
        emit(
            sarif.lint_report(findings, summaries),
            argparse.Namespace(output_file=args.sarif_file),
            text_format=False,
        )
    failed = any(fails(f.action, args.fail_on) for f in findings) or any(
        fails(s.action, args.fail_on) for s in summaries
    )
    return EXIT_FAILED if failed and not args.exit_zero else EXIT_OK
