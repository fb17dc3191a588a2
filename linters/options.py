"""Options every command that reports findings shares, named as ruff names them.

``--config``, ``--select``, ``--extend-select``, ``--ignore``, ``--exit-zero``,
``--statistics``, ``--quiet``, ``--show-settings``, ``--output-file`` and ``--color``
mean the same in ``check``, ``lint`` and ``preflight``; the README sets each beside ruff's.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .color import colorize, wants_color
from .safe_text import dumps, output, plain_lines


def add_common_options(parser: argparse.ArgumentParser, *, policy_alias: bool = False) -> None:
    group = parser.add_argument_group("rules, output and settings (as in ruff)")
    names = ["--config", "--policy"] if policy_alias else ["--config"]
    group.add_argument(
        *names,
        dest="config",
        metavar="FILE",
        help="sendguard.toml or pyproject.toml to use (default: the nearest one, as ruff finds its config)",
    )
    group.add_argument(
        "--select",
        action="append",
        metavar="RULES",
        help="only these rules: ids or prefixes, comma-separated (SG1,SG201)",
    )
    group.add_argument(
        "--extend-select", action="append", metavar="RULES", help="these rules in addition to --select"
    )
    group.add_argument("--ignore", action="append", metavar="RULES", help="turn these rules off")
    group.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings stop a message")
    group.add_argument("--statistics", action="store_true", help="print a count per rule instead of findings")
    group.add_argument(
        "-q", "--quiet", action="store_true", help="print findings only: no summaries, no passes"
    )
    group.add_argument(
        "--show-settings", action="store_true", help="print the settings that would be used, then exit"
    )
    group.add_argument(
        "-o",
        "--output-file",
        "--output",
        dest="output_file",
        metavar="FILE",
        help="write the report to FILE (folders are created) instead of stdout",
    )
    group.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour text reports (auto: on a terminal; NO_COLOR turns it off)",
    )


def statistics_lines(rules: Iterable[tuple[str, str, str]]) -> str:
    """``count  id  name  [action]``, most frequent first, like ``ruff --statistics``."""
    counts = Counter(rules)
    if not counts:
        return "No findings."
    ordered = sorted(counts.items(), key=lambda item: (-item[1], item[0][0]))
    return "\n".join(f"{count:>6}  {rule}  {name:<22} [{action}]" for (rule, name, action), count in ordered)


def emit(report: str, args: argparse.Namespace, *, text_format: bool) -> None:
    """Write the report where ``--output-file`` says (creating folders), else to stdout.

    The writers escape what they print (``linters.safe_text``); this is the last guard:
    no raw control character but newline and tab, and in a text report no line that
    GitHub would read as a workflow command."""
    report = plain_lines(report) if text_format else output(report)
    if args.output_file:
        target = Path(args.output_file)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(report + "\n" if report else "", encoding="utf-8")
        return
    if not report:
        return
    if text_format and wants_color(args.color, sys.stdout):
        report = colorize(report)
    print(report, flush=True)


def print_settings(settings: dict[str, Any]) -> None:
    print(dumps(settings, indent=2, default=str))


def policy_settings(policy: Any) -> dict[str, Any]:
    """Actions and thresholds of every rule under ``policy`` (for ``--show-settings``)."""
    from .rules import all_rules

    rules = {}
    for rule in all_rules():
        rules[rule.id] = {
            "action": str(policy.action(rule)),
            **policy.settings_for(rule).model_dump(mode="json"),
        }
    return {"source": policy.source, "rules": rules}
