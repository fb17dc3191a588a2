"""Every flag, stack parameter and output the docs name exists, and every one that exists is documented.

A newcomer copies commands and names out of the README and docs/; a stale one is an
error at the first step (issue 32).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest
import yaml

from functions import local
from functions.cli_commands import AWS_COMMANDS
from linters.cli import ENGINE_COMMANDS, build_parser

ROOT = Path(__file__).resolve().parent.parent
USER_DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")), ROOT / "client" / "README.md"]
# A flag written in a code span or a command line: `--format`, sendguard lint --exit-zero.
FLAG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]+")
# Flags of other programs the docs quote (pip, sam, aws, pytest, git, pre-commit, checkov).
OTHER_PROGRAMS = {
    "--guided", "--overwrite", "--name", "--type", "--value", "--message-body", "--queue-url",
    "--no-deps", "--target", "--template", "--region", "--lint", "--upgrade", "--user",
    "--stack-name", "--capabilities", "--parameter-overrides", "--hypothesis-show-statistics",
    "--all-files", "--no-build-isolation", "--quiet", "--file", "--framework", "--compact",
    "--directory", "--minimum_severity", "--include_policy_extension", "--function-name",
    "--payload", "--cli-binary-format", "--query", "--output", "--profile", "--wheel-dir",
    "--break-system-packages", "--index-url", "--extra-index-url", "--force-reinstall",
    "--endpoint-url", "--entries", "--queue-name", "--attributes", "--topic-arn",
    "--message", "--max-items", "--state-machine-arn", "--input", "--key", "--bucket",
    "--body", "--content-type", "--headless", "--window-size", "--ref", "--depth",
}


def _parser_flags(parser: argparse.ArgumentParser) -> set[str]:
    flags: set[str] = set()
    for action in parser._actions:
        flags.update(o for o in action.option_strings if o.startswith("--"))
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                flags |= _parser_flags(sub)
    return flags


def cli_flags() -> set[str]:
    flags = _parser_flags(build_parser(AWS_COMMANDS))
    for command in (*ENGINE_COMMANDS, *AWS_COMMANDS):
        try:
            module = command.load()
        except (ModuleNotFoundError, SystemExit):
            continue
        parser = argparse.ArgumentParser(prog=f"sendguard {command.name}")
        module.add_arguments(parser)
        flags |= _parser_flags(parser)
    return flags


# The pages that document sendguard's own options: every flag in a code span there is one.
OPTION_PAGES = {"cli.md", "lint.md"}
SENDGUARD_COMMAND = re.compile(r"(?:^|[\s`(])sendguard (?:[a-z-]+)(?P<rest>[^`\n]*)")


def named_flags(page: Path) -> set[str]:
    """Flags on a ``sendguard ...`` command line, and on the option pages every flag in a
    code span (other programs' flags, ``pip --no-deps``, are on lines of their own)."""
    text = page.read_text(encoding="utf-8")
    named = {flag for match in SENDGUARD_COMMAND.finditer(text) for flag in FLAG.findall(match["rest"])}
    if page.name in OPTION_PAGES:
        named |= {flag for span in re.findall(r"`([^`\n]+)`", text) for flag in FLAG.findall(span)}
    return named


@pytest.mark.parametrize("page", USER_DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_sendguard_flag_the_docs_name_exists(page: Path) -> None:
    missing = sorted(named_flags(page) - cli_flags() - OTHER_PROGRAMS)
    assert not missing, f"{page.name} names flags no sendguard command has: {missing}"


def test_every_stack_parameter_and_output_is_in_docs_aws_md() -> None:
    template = local.load_template()
    page = (ROOT / "docs" / "aws.md").read_text(encoding="utf-8")
    undocumented = [name for name in (*template["Parameters"], *template["Outputs"]) if f"`{name}`" not in page]
    assert not undocumented


def test_the_parameters_table_names_only_real_parameters_with_their_defaults() -> None:
    template = local.load_template()
    page = (ROOT / "docs" / "aws.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([A-Z]\w+)` \| `([^`]*)` \|", page, flags=re.M)
    assert rows, "docs/aws.md lost its parameters table"
    for name, default in rows:
        assert name in template["Parameters"], name
        assert str(template["Parameters"][name].get("Default")) == default, name


def test_action_inputs_in_docs_lint_md_exist_with_their_defaults() -> None:
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    page = (ROOT / "docs" / "lint.md").read_text(encoding="utf-8")
    paragraph = page[page.index("Action inputs:") :].split("\n\n", 1)[0]
    named = re.findall(r"`([a-z][a-z-]+)` \((?:pip requirement; )?default:? `?([^`;)]*)`?", paragraph)
    assert {name for name, _ in named} >= {"paths", "fail-on", "sarif-file", "python-version"}
    for name, default in named:
        assert name in action["inputs"], name
        assert str(action["inputs"][name].get("default", "")) in (default, ""), name
    listed = {m for m in re.findall(r"`([a-z][a-z-]+)`", paragraph) if m not in {d for _, d in named}}
    assert listed == set(action["inputs"])


def test_no_placeholder_repository_or_unreleased_tag_in_the_docs() -> None:
    for page in USER_DOCS:
        text = page.read_text(encoding="utf-8")
        assert "OWNER/" not in text, page.name
        assert "@v0.1.0" not in text and "rev: v0.1.0" not in text, page.name
