"""The ``sendguard`` console script's command line: the engine's CLI with the AWS parts.

The engine (linters/cli.py) knows no AWS. This module hands it what does:

- ``sendguard invoke`` (functions/local.py), ``sendguard import-ses``
  (functions/ses_import.py) and ``sendguard review`` (functions/review/command.py),
  as ``linters.cli.Command`` entries whose modules are imported only when they run;
- the SES account as the TemplateProvider ``sendguard lint --from-ses`` reads
  (functions/ses_templates.py).

``sendguard._entry`` (the console script) runs ``main``; so do the tests, to run the
command line a user runs.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from linters.cli import Command
from linters.cli import main as engine_main

if TYPE_CHECKING:
    from linters.models import InlineTemplate


def _invoke() -> Any:
    from functions import local

    return local


def _import_ses() -> Any:
    from functions import ses_import

    return ses_import


def _review() -> Any:
    from functions.review import command

    return command


AWS_COMMANDS: tuple[Command, ...] = (
    Command("invoke", "run a Lambda handler locally against an event file", _invoke),
    Command("import-ses", "write the SES account's stored templates to files", _import_ses),
    Command("review", "list, show, release or deny quarantined messages; --serve the console", _review),
)


def ses_account(region: str | None) -> Iterator[tuple[str, InlineTemplate]]:
    """``sendguard lint --from-ses``: the SES account's templates (boto3 is imported only now)."""
    from functions.ses_templates import account_templates

    return account_templates(region)


def main(argv: Sequence[str] | None = None) -> int:
    """``sendguard ARGS``: exit codes as ``linters.cli.main``."""
    return engine_main(argv, commands=AWS_COMMANDS, template_provider=ses_account)


if __name__ == "__main__":
    sys.exit(main())
