"""Lint configuration: the engine policy plus the ``[tool.sendguard.lint]`` table.

Found like ruff finds its settings: the nearest ``sendguard.toml``, or
``pyproject.toml`` with a ``[tool.sendguard]`` table, walking up from each
template; ``--config FILE`` overrides discovery for every file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError

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
        Action.BLOCK, description="action of SG901 (a suppression without a reason or rule id)"
    )


@dataclass(slots=True)
class LintConfig:
    policy: Policy = field(default_factory=Policy)
    lint: LintSettings = field(default_factory=LintSettings)
    source: str = "defaults"


def config_from_mapping(document: dict[str, Any], source: str) -> LintConfig:
    """Split ``[tool.sendguard]`` into the engine policy and the lint table."""
    if not isinstance(document, dict):
        raise PolicyError(f"{source}: [tool.sendguard] must be a table")
    check_depth(document, source)  # before pydantic (or anything recursive) walks it
    document = dict(document)
    lint_table = document.pop("lint", {})
    if not isinstance(lint_table, dict):
        raise PolicyError(f"{source}: lint must be a table")
    try:
        lint = LintSettings.model_validate(lint_table)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"])
        problem = "unknown setting" if first["type"] == "extra_forbidden" else first["msg"]
        known = ", ".join(LintSettings.model_fields)
        raise PolicyError(f"{source}: lint.{key}: {problem} (lint settings: {known})") from None
    return LintConfig(policy_from_mapping(document, source), lint, source)


def load_config_file(path: str | Path) -> LintConfig:
    document = read_policy_document(path)
    return config_from_mapping(document, str(path))


class ConfigFinder:
    """The config of each template: the override, or the nearest file (cached per file)."""

    def __init__(self, override: str | None = None) -> None:
        self._override = load_config_file(override) if override else None
        self._loaded: dict[Path | None, LintConfig] = {}

    def for_path(self, path: str | Path | None) -> LintConfig:
        if self._override is not None:
            return self._override
        found = find_policy_file(path) if path is not None else find_policy_file(Path.cwd())
        if found not in self._loaded:
            self._loaded[found] = load_config_file(found) if found else LintConfig()
        return self._loaded[found]
