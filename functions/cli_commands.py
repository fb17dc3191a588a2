"""The ``sendguard`` console script's command line: the engine's CLI with the AWS parts.

The engine (linters/cli.py) knows no AWS. This module hands it what does:

- ``sendguard invoke`` (functions/local.py), ``sendguard import-ses``
  (functions/ses_import.py), ``sendguard review`` (functions/review/command.py) and
  ``sendguard contacts ask|record`` (functions/contacts/command.py),
  as ``linters.cli.Command`` entries whose modules are imported only when they run;
  ``invoke`` and ``review --serve`` start an embedded moto server, which the wheel
  installs only with the ``local`` extra (``pip install "sendguard[local]"``): without
  it they say so in one line (exit 2) instead of a trace;
- the SES account as the TemplateProvider ``sendguard lint --from-ses`` reads
  (functions/ses_templates.py).

``sendguard._entry`` (the console script) runs ``main``; so do the tests, to run the
command line a user runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from linters.cli import Command
from linters.cli import main as engine_main

if TYPE_CHECKING:
    from linters.models import InlineTemplate


EXIT_BAD_INPUT = 2
# What the ``local`` extra brings (pyproject.toml: moto[server]): moto, and the server's
# own packages. A ModuleNotFoundError for one of these, or raised while moto imports
# its dependencies, means the extra is missing; any other one is a bug and stays a trace.
LOCAL_PACKAGES = frozenset({"moto", "flask", "flask_cors"})
LOCAL_EXTRA = 'pip install "sendguard[local]"'


def missing_local_package(exc: ModuleNotFoundError) -> bool:
    """Whether ``exc`` is an optional package of the ``local`` extra that is not installed."""
    if (exc.name or "").partition(".")[0] in LOCAL_PACKAGES:
        return True
    frame = exc.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).partition(".")[0] in LOCAL_PACKAGES:
            return True  # moto itself is there but one of its server dependencies is not
        frame = frame.tb_next
    return False


class _NeedsLocalExtra:
    """A command module whose ``run`` may import moto (lazily, when it starts the embedded
    server): a missing ``local`` extra is one line naming it, exit 2."""

    def __init__(self, name: str, module: Any) -> None:
        self.name, self.module = name, module

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        self.module.add_arguments(parser)

    def run(self, args: argparse.Namespace) -> int:
        try:
            return int(self.module.run(args))
        except ModuleNotFoundError as exc:
            if not missing_local_package(exc):
                raise
            missing = (exc.name or "moto").partition(".")[0]
            print(
                f"sendguard {self.name}: the embedded AWS (moto) needs the local extra "
                f"({missing} is not installed): {LOCAL_EXTRA}",
                file=sys.stderr,
            )
            return EXIT_BAD_INPUT


def _needs_local_extra(name: str, load: Callable[[], Any]) -> Callable[[], Any]:
    return lambda: _NeedsLocalExtra(name, load())


def _invoke() -> Any:
    from functions import local

    return local


def _import_ses() -> Any:
    from functions import ses_import

    return ses_import


def _review() -> Any:
    from functions.review import command

    return command


def _contacts() -> Any:
    from functions.contacts import command

    return command


AWS_COMMANDS: tuple[Command, ...] = (
    Command(
        "invoke", "run a Lambda handler locally against an event file", _needs_local_extra("invoke", _invoke)
    ),
    Command("import-ses", "write the SES account's stored templates to files", _import_ses),
    Command(
        "review",
        "list, show, release or deny quarantined messages; --serve the console",
        _needs_local_extra("review", _review),
    ),
    Command("contacts", "ask before, record after: contacts the guard does not send", _contacts),
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
