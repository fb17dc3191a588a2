"""The ``sendguard`` console script: find the engine's packages, then run the CLI.

Installed from a wheel, ``linters`` and ``functions`` live in ``sendguard/_engine``;
in a source checkout (and an editable install) they sit beside this package. Either
way only this process sees them, so the distribution claims no generic top-level names.

The command line is the engine's (``linters.cli``) with the AWS-backed commands and the
SES template store added by ``functions.cli_commands``; tests call ``main(argv)`` here
to run exactly what the console script runs.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path


def engine_root() -> Path:
    here = Path(__file__).resolve().parent
    installed = here / "_engine"
    return installed if (installed / "linters").is_dir() else here.parent


def main(argv: Sequence[str] | None = None) -> int:
    root = str(engine_root())
    if root not in sys.path:
        sys.path.insert(0, root)
    from functions.cli_commands import main as cli_main

    return cli_main(argv)


if __name__ == "__main__":
    sys.exit(main())
