"""Lint configuration: the engine policy plus the ``[tool.sendguard.lint]`` table.

Found like ruff finds its settings: the nearest ``sendguard.toml``, or
``pyproject.toml`` with a ``[tool.sendguard]`` table, walking up from each
template; ``--config FILE`` overrides discovery for every file.

Rule selection (``select``, ``extend-select``, ``ignore``, ``per-file-ignores``) may be
given at the top level (``[tool.sendguard]``: ``check`` and ``preflight`` read it too) or
in the lint table (``sendguard lint`` only); see linters/selection.py for how the layers
and the command line's flags combine. ``per-file-ignores`` globs match the template's
path relative to the configuration file's folder, as ruff's do.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, field_validator

from ..findings import Action
from ..policy import (
    Policy,
    PolicyError,
    check_depth,
    find_policy_file,
    policy_from_mapping,
    read_policy_document,
)
from ..registry import Settings
from ..selection import (
    CONFIG_KEYS,
    PerFileIgnore,
    SelectionError,
    ignored_for_file,
    per_file_ignores_from_config,
    selection_from_config,
    suggest,
    switch_off,
)


class LintSettings(Settings):
    """``[tool.sendguard.lint]``: what conditions make a claim safe, and what to skip."""

    status_conditions: list[str] = Field(
        default_factory=lambda: ["is_vip", "vip", "tier", "top_tier", "is_top_customer", "status"],
        description="{{#if}} variables that mean the reader has a status (SG201 inside is fine)",
    )
    history_conditions: list[str] = Field(
        default_factory=lambda: [
            "is_returning",
            "returning",
            "is_loyal",
            "loyal",
            "purchase_count",
            "order_count",
            "orders",
            "last_purchase_at",
            "customer_since",
        ],
        description="{{#if}} variables that mean the reader has a history with you (SG202 inside is fine)",
    )
    consent_conditions: list[str] = Field(
        default_factory=lambda: ["consent.personalization", "personalization_consent"],
        description="{{#if}} variables that mean the reader consented to personalization (SG401 inside is fine)",
    )
    optional_name_fields: list[str] = Field(
        default_factory=lambda: [
            "first_name",
            "firstname",
            "fname",
            "given_name",
            "preferred_name",
            "nickname",
            "last_name",
            "lastname",
            "surname",
        ],
        description="variables a greeting may not print without a fallback {{else}} branch (SG103)",
    )
    default_purpose: str = Field(
        "marketing",
        pattern="^(marketing|transactional|service)$",
        description="purpose of a template whose front matter does not say",
    )
    template_folders: list[str] = Field(
        default_factory=lambda: [
            "*/templates/*",
            "*/emails/*",
            "*/email/*",
            "*/mail/*",
            "*/messages/*",
            "*/ses/*",
        ],
        description="globs (on the absolute path) of folders whose .html, .txt and SES .json files are "
        "templates even without front matter, when walking folders or run by pre-commit",
    )
    exclude: list[str] = Field(
        default_factory=list, description="glob patterns of files and folders to skip when walking folders"
    )
    bad_suppression: Action = Field(
        Action.BLOCK,
        description="action of SG901 (a suppression without a reason or rule id); never off",
    )

    @field_validator("bad_suppression")
    @classmethod
    def never_off(cls, value: Action) -> Action:
        if value == Action.OFF:
            raise ValueError("SG901 cannot be switched off (use warn to report it without failing)")
        return value


@dataclass(slots=True)
class LintConfig:
    policy: Policy = field(default_factory=Policy)
    lint: LintSettings = field(default_factory=LintSettings)
    source: str = "defaults"
    per_file_ignores: tuple[PerFileIgnore, ...] = ()
    # The folder per-file-ignores globs are relative to: the config file's (the working
    # directory when the configuration is not a file).
    root: Path | None = None
    # for_file's copies, one per set of ignored rules (not copied by dataclasses.replace,
    # so a configuration derived from this one builds its own).
    _per_file: dict[frozenset[str], LintConfig] = field(default_factory=dict, init=False, repr=False)

    def ignored_for(self, path: str | Path | None) -> frozenset[str]:
        """The rule ids ``per-file-ignores`` switch off for the template at ``path``."""
        return ignored_for_file(self.per_file_ignores, path, self.root)

    def for_file(self, path: str | Path | None) -> LintConfig:
        """This configuration with the per-file ignores of ``path`` switched off in the
        policy (so customer summaries leave them out too); itself when none apply. The
        copies are kept, so the same file set gives the same object every time."""
        ignored = self.ignored_for(path)
        if not ignored:
            return self
        found = self._per_file.get(ignored)
        if found is None:
            found = self._per_file[ignored] = replace(self, policy=switch_off(self.policy, ignored))
        return found


_LINT_KEYS = (*LintSettings.model_fields, *CONFIG_KEYS)


def config_from_mapping(document: dict[str, Any], source: str, root: Path | None = None) -> LintConfig:
    """Split ``[tool.sendguard]`` into the engine policy and the lint table."""
    if not isinstance(document, dict):
        raise PolicyError(f"{source}: [tool.sendguard] must be a table")
    check_depth(document, source)  # before pydantic (or anything recursive) walks it
    document = dict(document)
    lint_table = document.pop("lint", {})
    if not isinstance(lint_table, dict):
        raise PolicyError(f"{source}: lint must be a table")
    lint_table = dict(lint_table)
    try:
        lint_layer = selection_from_config(lint_table, f"{source}: lint.")
        per_file = (
            *per_file_ignores_from_config(document, f"{source}: "),
            *per_file_ignores_from_config(lint_table, f"{source}: lint."),
        )
    except SelectionError as exc:
        raise PolicyError(str(exc)) from None
    for key in CONFIG_KEYS:
        lint_table.pop(key, None)
    try:
        lint = LintSettings.model_validate(lint_table)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"])
        problem = first["msg"].removeprefix("Value error, ")
        if first["type"] == "extra_forbidden":
            problem = "unknown setting" + suggest(str(first["loc"][0]), _LINT_KEYS)
        known = ", ".join(_LINT_KEYS)
        raise PolicyError(f"{source}: lint.{key}: {problem} (lint settings: {known})") from None
    policy = lint_layer.apply(policy_from_mapping(document, source))
    return LintConfig(policy, lint, source, per_file, root)


def load_config_file(path: str | Path) -> LintConfig:
    document = read_policy_document(path)
    return config_from_mapping(document, str(path), Path(path).resolve().parent)


class ConfigFinder:
    """The config of each template: the override, or the nearest file (cached per file)."""

    def __init__(self, override: str | None = None) -> None:
        self._override = load_config_file(override) if override else None
        self._loaded: dict[Path | None, LintConfig] = {}

    def for_path(self, path: str | Path | None) -> LintConfig:
        """The configuration of the template at ``path``, its per-file ignores applied."""
        if self._override is not None:
            return self._override.for_file(path)
        found = find_policy_file(path) if path is not None else find_policy_file(Path.cwd())
        if found not in self._loaded:
            self._loaded[found] = load_config_file(found) if found else LintConfig()
        return self._loaded[found].for_file(path)
