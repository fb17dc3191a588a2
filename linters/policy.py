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

    [tool.sendguard]             # rule selection, as ruff's (linters/selection.py)
    select = ["ALL"]
    ignore = ["SG302"]
    extend-select = ["SG201"]
    per-file-ignores = {"legacy/*" = ["SG3"]}   # read by `sendguard lint` (linters/lint/config.py)

An unknown rule id, action, threshold or word class is an error that names it, and so
is a document nested deeper than ``MAX_DEPTH`` (checked before anything recursive reads
it: the TOML parser, json, pydantic). The word classes are those of ``linters/data/*.json`` (see ``linters.vocabulary``); the
matchers for a policy's extension are built once per distinct extension.
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from .findings import Action
from .models import load_json
from .registry import RULES, Rule
from .selection import (
    CONFIG_KEYS,
    NEVER_IGNORED,
    Selection,
    SelectionError,
    per_file_ignores_from_config,
    selection_from_config,
    suggest,
)
from .vocabulary import Extension, VocabularyError, extension_from


class PolicyError(ValueError):
    """A policy document that cannot be used; the message names the key."""


# The deepest a real document goes is tool.sendguard.rules.SG201.top_tiers[0] (five
# levels); every level past this is refused before a recursive reader meets it.
MAX_DEPTH = 16


def _too_deep(where: str, path: str) -> PolicyError:
    at = f"{path}: " if path else ""
    return PolicyError(f"{where}: {at}nested more than {MAX_DEPTH} levels deep (a policy is a few levels)")


def check_depth(document: Any, source: str) -> None:
    """Refuse tables and lists nested deeper than ``MAX_DEPTH``, naming the key where
    it happens. Iterative, so it cannot itself run out of stack."""
    stack: list[tuple[Any, int, str]] = [(document, 0, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, dict):
            children = [(v, f"{path}.{k}" if path else str(k)) for k, v in value.items()]
        elif isinstance(value, list | tuple):
            children = [(v, f"{path}[{i}]") for i, v in enumerate(value)]
        else:
            continue
        if depth >= MAX_DEPTH and children:
            raise _too_deep(source, _shown_key(path))
        stack.extend((child, depth + 1, child_path) for child, child_path in children)


_INDEX_RUN = re.compile(r"((?:\[\d+\]){2})(?:\[\d+\])+")


def _shown_key(path: str, limit: int = 80) -> str:
    """A key path for a message: the part a person recognises, not 500 ``[0]``s."""
    path = _INDEX_RUN.sub(r"\1[...]", path)
    if len(path) <= limit:
        return path
    return path[:limit].rsplit(".", 1)[0] + "..."


_SIGNIFICANT = re.compile(r"[\n#\"'\[\]{}]")
# Where a string that starts here ends: a backslash escapes in basic strings only; a
# one-line string also ends (unterminated, for tomllib to report) at the line's end.
_STRING_END = {
    '"""': re.compile(r'\\.|"""', re.DOTALL),
    "'''": re.compile("'''"),
    '"': re.compile(r'\\.|["\n]'),
    "'": re.compile("['\n]"),
}


def _string_end(text: str, start: int, quote: str) -> int:
    """The index just past the string whose opening ``quote`` is at ``start``."""
    for found in _STRING_END[quote].finditer(text, start + len(quote)):
        if not found.group().startswith("\\"):
            return found.end()
    return len(text)


def _toml_depth_problem(text: str) -> tuple[int, str] | None:
    """(line, key) where ``text`` nests arrays or inline tables deeper than ``MAX_DEPTH``,
    or None. A scan of brackets outside strings and comments, because tomllib itself
    recurses once per level and ends in RecursionError long before it reports anything.
    Dotted keys and table headers nest without recursion; ``check_depth`` sees those."""
    depth, line, line_start = 0, 1, 0
    header = key = ""
    i = 0
    while (found := _SIGNIFICANT.search(text, i)) is not None:
        i = found.start()
        char = found.group()
        if char == "\n":
            line += 1
            line_start = i + 1
        elif char == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif char in "\"'":
            quote = char * 3 if text.startswith(char * 3, i) else char
            end = _string_end(text, i, quote)
            newlines = text.count("\n", i, end)
            if newlines:
                line += newlines
                line_start = text.rindex("\n", i, end) + 1
            i = end
            continue
        elif char in "[{":
            if depth == 0:
                before = text[line_start:i]
                if "=" in before:
                    key = before.split("=", 1)[0].strip()
                elif char == "[" and not before.strip():
                    end = text.find("\n", i)
                    header = text[i : len(text) if end < 0 else end].split("#", 1)[0].strip("[] \t\r")
                    key = ""
            depth += 1
            if depth > MAX_DEPTH:
                return line, ".".join(part for part in (header, key) if part)
        else:  # ] or }
            depth = max(0, depth - 1)
        i += 1
    return None


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """``tomllib.loads``, refusing too-deep nesting (PolicyError) before it can recurse."""
    problem = _toml_depth_problem(text)
    if problem is not None:
        line, key = problem
        raise PolicyError(
            f"{source}: line {line}: {key + ': ' if key else ''}nested more than {MAX_DEPTH} levels deep "
            "(a policy is a few levels)"
        )
    try:
        return tomllib.loads(text)
    except RecursionError:  # the scan should have caught it; never a crash
        raise PolicyError(f"{source}: nested too deeply to read") from None


@dataclass(slots=True)
class Policy:
    actions: dict[str, Action] = field(default_factory=dict)
    settings: dict[str, BaseModel] = field(default_factory=dict)
    source: str = "defaults"
    # Words added to vocabulary classes; hashable, so it keys the matcher cache.
    vocabulary: Extension = ()
    # The selection layers applied to ``actions`` (the configuration's, then the command
    # line's) and the actions before them, so a later layer starts from the configured
    # actions (linters/selection.py: apply_layers).
    selection: tuple[Selection, ...] = ()
    configured: dict[str, Action] | None = None

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
        problem = first["msg"]
        if first["type"] == "extra_forbidden":
            problem = "unknown setting" + suggest(str(first["loc"][0]), rule.settings.model_fields)
        known = ", ".join(rule.settings.model_fields) or "none"
        raise PolicyError(f"{where}.{key}: {problem} (settings of {rule.id}: {known})") from None


def policy_from_mapping(document: dict[str, Any], source: str = "policy") -> Policy:
    """Build a Policy from the ``[tool.sendguard]`` table (already decoded)."""
    if not isinstance(document, dict):
        raise PolicyError(
            f"{source}: the policy must be a table (a JSON object), not {type(document).__name__}"
        )
    check_depth(document, source)
    from .rules import all_rules  # the rule families load spaCy: not for `sendguard rule`

    rules = {r.id: r for r in all_rules()}
    # SG900-SG902 (about lint's input) may be named, but their entries change nothing:
    # they are never switched off, SG900/SG902 are always block and SG901's action is
    # lint.bad_suppression (linters/selection.py: NEVER_IGNORED).
    fixed = {rule_id: RULES[rule_id] for rule_id in NEVER_IGNORED if rule_id in RULES}
    # The lint table belongs to `sendguard lint` (linters/lint/config.py), which validates it.
    top_keys = ("rules", "lint", "vocabulary", *CONFIG_KEYS)
    unknown_top = sorted(set(document) - set(top_keys), key=str)
    if unknown_top:
        key = str(unknown_top[0])
        raise PolicyError(
            f"{source}: unknown key {key!r}{suggest(key, top_keys)} "
            "(policy has: rules, lint, vocabulary, select, extend-select, ignore, per-file-ignores)"
        )
    try:
        layer = selection_from_config(document, f"{source}: ")
        per_file_ignores_from_config(document, f"{source}: ")  # sendguard lint's; checked here too
    except SelectionError as exc:
        raise PolicyError(str(exc)) from None
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
        where = f"{source}: rules.{rule_id}"
        if str(rule_id).upper() in fixed:
            _rule_entry(fixed[str(rule_id).upper()], where, entry)  # checked, then left out
            continue
        rule = rules.get(str(rule_id).upper())
        if rule is None:
            raise PolicyError(f"{where}: unknown rule id (see `sendguard rule --all`)")
        action, settings = _rule_entry(rule, where, entry)
        if action is not None:
            policy.actions[rule.id] = action
        policy.settings[rule.id] = settings
    return layer.apply(policy)


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
        document = load_json(raw) if path.suffix == ".json" else parse_toml(raw, str(path))
    except json.JSONDecodeError as exc:
        if exc.msg == "nested too deeply":  # load_json's word for a RecursionError
            raise _too_deep(str(path), "") from None
        raise PolicyError(f"{path}: not valid JSON: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{path}: not valid {path.suffix.lstrip('.') or 'TOML'}: {exc}") from None
    if not isinstance(document, dict):
        raise PolicyError(
            f"{path}: the policy must be a table (a JSON object), not {type(document).__name__}"
        )
    if path.name == "pyproject.toml" or "tool" in document:
        tool = document.get("tool", {})
        document = tool.get("sendguard", {}) if isinstance(tool, dict) else {}
    # Only the table sendguard reads is walked; another tool's table is its own business.
    check_depth(document, str(path))
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
                text = pyproject.read_text("utf-8")
                if "sendguard" not in text:
                    continue
                tool = parse_toml(text, str(pyproject)).get("tool", {})
                if isinstance(tool, dict) and "sendguard" in tool:
                    return pyproject
            except PolicyError:
                return pyproject  # too deep to read: loading it says so, naming the file
            except (tomllib.TOMLDecodeError, UnicodeDecodeError, OSError):
                continue
    return None


def discover_policy(start: str | Path = ".") -> Policy:
    found = find_policy_file(start)
    return load_policy_file(found) if found else Policy()


def load_policy(path: str | None) -> Policy:
    """The policy file at ``path``, else the one found from the working directory (as
    ``sendguard check``, ``lint`` and ``preflight`` look for it), else the defaults."""
    return load_policy_file(path) if path else discover_policy(Path.cwd())
