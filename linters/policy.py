"""Policy: per-rule actions and thresholds.

Read from ``[tool.sendguard]`` in ``pyproject.toml``, from ``sendguard.toml``, from a
file named with ``--policy``, or (in the cloud) from an SSM parameter holding the
same document as JSON. The shape::

    [tool.sendguard.rules]
    SG302 = "block"              # an action alone

    [tool.sendguard.rules.SG201] # or an action and the rule's thresholds
    action = "rewrite"
    top_tiers = ["gold", "platinum"]

    [tool.sendguard.vocabulary]  # a company's own words, added to word classes
    status_words = ["Diamond Circle", "Founders Club"]

An unknown rule id, action, threshold or word class is an error that names it. The
word classes are those of ``linters/data/*.json`` (see ``linters.vocabulary``); the
matchers for a policy's extension are built once per distinct extension.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from linters.findings import Action
from linters.registry import Rule, all_rules
from linters.vocabulary import Extension, VocabularyError, extension_from


class PolicyError(ValueError):
    """A policy document that cannot be used; the message names the key."""


@dataclass(slots=True)
class Policy:
    actions: dict[str, Action] = field(default_factory=dict)
    settings: dict[str, BaseModel] = field(default_factory=dict)
    source: str = "defaults"
    # Words added to vocabulary classes; hashable, so it keys the matcher cache.
    vocabulary: Extension = ()

    def action(self, rule: Rule) -> Action:
        return self.actions.get(rule.id, rule.default_action)

    def settings_for(self, rule: Rule) -> BaseModel:
        found = self.settings.get(rule.id)
        if found is None:
            found = self.settings[rule.id] = rule.settings()
        return found


def _parse_action(where: str, value: Any) -> Action:
    try:
        return Action(value)
    except ValueError:
        choices = ", ".join(a.value for a in Action)
        raise PolicyError(f"{where}: unknown action {value!r} (use one of {choices})") from None


def _rule_entry(rule: Rule, where: str, entry: Any) -> tuple[Action | None, BaseModel]:
    if isinstance(entry, str):
        return _parse_action(where, entry), rule.settings()
    if not isinstance(entry, dict):
        raise PolicyError(f"{where}: expected an action or a table, got {type(entry).__name__}")
    entry = dict(entry)
    action = _parse_action(f"{where}.action", entry.pop("action")) if "action" in entry else None
    try:
        return action, rule.settings.model_validate(entry)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        key = ".".join(str(p) for p in first["loc"])
        problem = "unknown setting" if first["type"] == "extra_forbidden" else first["msg"]
        known = ", ".join(rule.settings.model_fields) or "none"
        raise PolicyError(f"{where}.{key}: {problem} (settings of {rule.id}: {known})") from None


def policy_from_mapping(document: dict[str, Any], source: str = "policy") -> Policy:
    """Build a Policy from the ``[tool.sendguard]`` table (already decoded)."""
    rules = {r.id: r for r in all_rules()}
    # The lint table belongs to `sendguard lint` (linters/lint/config.py), which validates it.
    unknown_top = set(document) - {"rules", "lint", "vocabulary"}
    if unknown_top:
        raise PolicyError(
            f"{source}: unknown key {sorted(unknown_top)[0]!r} (policy has: rules, lint, vocabulary)"
        )
    policy = Policy(source=source)
    if "vocabulary" in document:
        try:
            policy.vocabulary = extension_from(document["vocabulary"], f"{source}: vocabulary")
        except VocabularyError as exc:
            raise PolicyError(str(exc)) from None
    table = document.get("rules", {})
    if not isinstance(table, dict):
        raise PolicyError(f"{source}: rules must be a table")
    for rule_id, entry in table.items():
        rule = rules.get(rule_id.upper())
        where = f"{source}: rules.{rule_id}"
        if rule is None:
            raise PolicyError(f"{where}: unknown rule id (see `sendguard rule --all`)")
        action, settings = _rule_entry(rule, where, entry)
        if action is not None:
            policy.actions[rule.id] = action
        policy.settings[rule.id] = settings
    return policy


def read_policy_document(path: str | Path) -> dict[str, Any]:
    """The ``[tool.sendguard]`` table of a TOML (``pyproject.toml``, ``sendguard.toml``)
    or JSON policy file; a file without the ``tool.sendguard`` prefix is the table itself."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise PolicyError(f"{path}: cannot read the policy file ({exc.strerror})") from None
    except UnicodeDecodeError:
        raise PolicyError(f"{path}: the policy file is not UTF-8 text") from None
    try:
        document = json.loads(raw) if path.suffix == ".json" else tomllib.loads(raw)
    except (tomllib.TOMLDecodeError, json.JSONDecodeError) as exc:
        raise PolicyError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from None
    if path.name == "pyproject.toml" or "tool" in document:
        return document.get("tool", {}).get("sendguard", {})
    return document


def load_policy_file(path: str | Path) -> Policy:
    """Read a policy file: TOML (``pyproject.toml`` or ``sendguard.toml``) or JSON."""
    return policy_from_mapping(read_policy_document(path), str(path))


def find_policy_file(start: str | Path) -> Path | None:
    """The nearest ``sendguard.toml``, or ``pyproject.toml`` with ``[tool.sendguard]``,
    walking up from ``start`` the way ruff and Vale find their configuration."""
    here = Path(start).resolve()
    if here.is_file():
        here = here.parent
    for folder in (here, *here.parents):
        candidate = folder / "sendguard.toml"
        if candidate.is_file():
            return candidate
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            try:
                if "sendguard" in tomllib.loads(pyproject.read_text("utf-8")).get("tool", {}):
                    return pyproject
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
                continue
    return None


def discover_policy(start: str | Path = ".") -> Policy:
    found = find_policy_file(start)
    return load_policy_file(found) if found else Policy()
