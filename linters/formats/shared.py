"""What several formats share: the customer-summary sentence, the fail level, where a
file is in the repository, the source texts a run linted, and times as people read them."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ..findings import Action
from ..lint.findings import ACTION_STRENGTH

if TYPE_CHECKING:
    from ..lint.findings import CustomerSummary

Sources = Mapping[str, "str | None"]
"""Path (as findings name it) -> the text its lines and columns count in (None: unknown),
for every template a run linted, in the order linted; clean templates included."""


def customer_line(summary: CustomerSummary) -> str:
    return (
        f"{summary.rule} {summary.name} in {summary.count}/{summary.customers} sample customers "
        f"({summary.share:.0%}), e.g. {summary.example_customer}: {summary.example_message}"
    )


def fails(action: Action | str, fail_on: Action | str) -> bool:
    """Whether a finding with ``action`` fails a run at ``--fail-on fail_on``."""
    return ACTION_STRENGTH[Action(action)] >= ACTION_STRENGTH[Action(fail_on)]


def repo_root(start: Path | None = None) -> Path:
    """The nearest folder with ``.git`` (what code scanning calls the source root), else cwd."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / ".git").exists():
            return folder
    return here


def repo_path(path: str, root: Path) -> str:
    """``path`` relative to ``root`` (POSIX) where it is inside it, else as given."""
    candidate = Path(path)
    absolute = candidate if candidate.is_absolute() else Path.cwd() / candidate
    try:
        return absolute.resolve().relative_to(root).as_posix()
    except (ValueError, OSError):
        return candidate.as_posix()


def readable_time(moment: datetime | str) -> str:
    """A time as a person reads it, in UTC and without microseconds: "2026-11-20 15:00 UTC"
    (seconds only when there are some). Text that is not an ISO 8601 time is returned as is."""
    if isinstance(moment, str):
        try:
            moment = datetime.fromisoformat(moment)
        except ValueError:
            return moment
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    shown = moment.strftime("%Y-%m-%d %H:%M:%S" if moment.second else "%Y-%m-%d %H:%M")
    return f"{shown} UTC"
