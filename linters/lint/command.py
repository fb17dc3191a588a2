"""``sendguard lint [PATH ...]``: lint template files, folders or the SES account's templates.

Exit codes: 0 nothing at or above ``--fail-on``; 1 a finding at or above it;
2 a usage, configuration or input error.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from linters.findings import Action
from linters.lint.config import ConfigFinder
from linters.lint.findings import ACTION_STRENGTH, CustomerSummary, LintFinding
from linters.lint.inputs import InputError, TemplateSource, load_path, ses_account_templates, walk
from linters.lint.output import FORMATS, FORMATTERS
from linters.policy import PolicyError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2
FAIL_LEVELS = ("block", "hold", "rewrite", "warn")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Lint message templates (Handlebars, HTML, text, Markdown, SES JSON)."
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="template files or folders (default: . unless --from-ses)"
    )
    parser.add_argument("--format", choices=FORMATS, default="text", help="report format (default: text)")
    parser.add_argument(
        "--fail-on",
        choices=FAIL_LEVELS,
        default="block",
        help="exit 1 when a finding has this action or a stronger one (default: block)",
    )
    parser.add_argument(
        "--config",
        metavar="FILE",
        help="sendguard.toml or pyproject.toml to use for every template (default: nearest to each file)",
    )
    parser.add_argument(
        "--customers", metavar="FILE", help="sample customers (JSON Lines): run the full check for each"
    )
    parser.add_argument(
        "--exclude", action="append", default=[], metavar="GLOB", help="skip matching files and folders"
    )
    parser.add_argument(
        "--from-ses", action="store_true", help="lint the templates stored in the SES account"
    )
    parser.add_argument("--region", help="AWS region for --from-ses (default: the AWS configuration's)")
    parser.add_argument("--output", "-o", metavar="FILE", help="write the report to FILE instead of stdout")


def _templates(args: argparse.Namespace, configs: ConfigFinder) -> Iterator[TemplateSource]:
    paths = args.paths or ([] if args.from_ses else ["."])
    for given in paths:
        path = Path(given)
        if path.is_dir():
            patterns = [*configs.for_path(path / "_").lint.exclude, *args.exclude]
            for found in walk(path, patterns):
                template = load_path(found, explicit=False)
                if template is not None:
                    yield template
        elif path.exists():
            yield load_path(path, explicit=True)  # type: ignore[misc]
        else:
            raise InputError(f"{given}: no such file or folder")
    if args.from_ses:
        yield from _ses_templates(args.region)


def _ses_templates(region: str | None) -> Iterator[TemplateSource]:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield from ses_account_templates(region)
    except (BotoCoreError, ClientError) as exc:
        raise InputError(f"--from-ses: cannot list the SES templates: {exc}") from None


def lint_all(
    args: argparse.Namespace, configs: ConfigFinder
) -> tuple[list[LintFinding], list[CustomerSummary]]:
    from linters.lint.customers import load_customers, summarize
    from linters.lint.linter import lint_template

    customers = load_customers(args.customers) if args.customers else []
    now = datetime.now(UTC)
    findings: list[LintFinding] = []
    summaries: list[CustomerSummary] = []
    for template in _templates(args, configs):
        config = configs.for_path(template.config_start)
        findings.extend(lint_template(template, config))
        if customers and not any(f.rule == "SG900" for f in findings if f.path.startswith(template.path)):
            summaries.extend(summarize(template, customers, config, now))
    return findings, summaries


def fails(action: Action, fail_on: str) -> bool:
    return ACTION_STRENGTH[action] >= ACTION_STRENGTH[Action(fail_on)]


def run(args: argparse.Namespace) -> int:
    try:
        configs = ConfigFinder(args.config)
        findings, summaries = lint_all(args, configs)
    except (InputError, PolicyError) as exc:
        print(f"sendguard lint: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    report = FORMATTERS[args.format](findings, summaries)
    if args.output:
        Path(args.output).write_text(report + "\n", encoding="utf-8")
    elif report:
        print(report)
    failed = any(fails(f.action, args.fail_on) for f in findings) or any(
        fails(s.action, args.fail_on) for s in summaries
    )
    return EXIT_FAILED if failed else EXIT_OK
