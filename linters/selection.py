"""Rule selection, the way ruff reads ``select``, ``extend-select``, ``ignore`` and
``per-file-ignores``.

A selector is a rule id (``SG201``), a prefix of one (``SG2`` is every SG2xx rule) or
``ALL``. Selection comes in layers, applied in order: the configuration's top level
(``[tool.sendguard]``), then its ``lint`` table (``sendguard lint`` only), then the
command line. Within a layer the most specific matching selector decides for each rule;
on a tie, ``ignore`` wins. A layer with ``select`` starts over (only what it selects is
on, whatever an earlier layer said, as ruff's ``--select`` replaces the configuration's);
a layer without it changes only the rules its ``extend-select`` and ``ignore`` name.
Without any ``select`` every rule the policy enables stays on.

SG900 (a template SES cannot render), SG901 (a bad suppression comment) and SG902 (an
input that cannot be linted) are never switched off: no selector, per-file ignore,
``rules`` entry or suppression comment hides them (ruff reports syntax errors whatever
its configuration says, too).
"""

from __future__ import annotations

import dataclasses
import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from .catalog import catalog
from .findings import Action

_SELECTOR = re.compile(r"^(ALL|SG\d{0,3})$")

# Rules about the input itself rather than a message: always reported.
NEVER_IGNORED = frozenset({"SG900", "SG901", "SG902"})

# Configuration keys (ruff's spelling first; the lint table's snake_case also accepted).
SELECTION_KEYS = {
    "select": "select",
    "extend-select": "extend_select",
    "extend_select": "extend_select",
    "ignore": "ignore",
}
PER_FILE_KEYS = ("per-file-ignores", "per_file_ignores")
CONFIG_KEYS = (*SELECTION_KEYS, *PER_FILE_KEYS)


class SelectionError(ValueError):
    """A selector that names no rule; the message says which."""


@cache
def _known() -> tuple[str, ...]:
    return tuple(entry["id"] for entry in catalog())


def parse_selectors(option: str, values: Iterable[str] | None) -> tuple[str, ...]:
    """``["SG1,SG201", "sg3"]`` -> ``("SG1", "SG201", "SG3")``, each checked against the catalog."""
    known = _known()
    selectors: list[str] = []
    for value in values or ():
        for item in value.split(","):
            selector = item.strip().upper()
            if not selector:
                continue
            if not _SELECTOR.match(selector) or not any(_covers(selector, rule) for rule in known):
                raise SelectionError(f"{option} {item.strip()}: no rule matches (see `sendguard rule --all`)")
            selectors.append(selector)
    return tuple(selectors)


def _covers(selector: str, rule_id: str) -> bool:
    return selector == "ALL" or rule_id.startswith(selector)


def _specificity(selector: str) -> int:
    return 0 if selector == "ALL" else len(selector)


@dataclass(frozen=True, slots=True)
class Selection:
    """One layer of selection: the command line's flags, or a configuration table's keys."""

    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()

    @property
    def is_default(self) -> bool:
        return self.select is None and not self.extend_select and not self.ignore

    def decision(self, rule_id: str) -> bool | None:
        """On (True) or off (False) by this layer's most specific selector; None when no
        selector of the layer matches ``rule_id``."""
        best, on = -1, None
        for selector in (*(self.select or ()), *self.extend_select):
            if _covers(selector, rule_id) and _specificity(selector) > best:
                best, on = _specificity(selector), True
        for selector in self.ignore:
            if _covers(selector, rule_id) and _specificity(selector) >= best:
                best, on = _specificity(selector), False
        return on

    def enabled(self, rule_id: str) -> bool:
        """Whether this layer alone leaves ``rule_id`` on (SG900-SG902 always are)."""
        return resolve((self,), rule_id)

    def apply(self, policy):  # type: ignore[no-untyped-def]  - a linters.policy.Policy
        """A copy of ``policy`` with every rule the selection turns off set to off: the
        policy's own (configuration) layers first, then this one."""
        return apply_layers(policy, self)

    def describe(self) -> dict[str, list[str] | None]:
        return {
            "select": list(self.select) if self.select is not None else None,
            "extend_select": list(self.extend_select),
            "ignore": list(self.ignore),
        }


def resolve(layers: Iterable[Selection], rule_id: str) -> bool:
    """Whether ``rule_id`` is on after every layer, in order (ruff's resolution)."""
    if rule_id in NEVER_IGNORED:
        return True
    on = True
    for layer in layers:
        decided = layer.decision(rule_id)
        if layer.select is not None:
            on = bool(decided)  # a select starts over
        elif decided is not None:
            on = decided
    return on


def apply_layers(policy, *layers: Selection):  # type: ignore[no-untyped-def]
    """``policy`` with its configuration layers and then ``layers`` applied. The actions
    before any selection are kept (``policy.configured``), so a later layer (the command
    line) can turn back on what the configuration turned off, as in ruff."""
    every = (*getattr(policy, "selection", ()), *layers)
    if all(layer.is_default for layer in every):
        return policy
    configured = getattr(policy, "configured", None)
    base = dict(policy.actions if configured is None else configured)
    off = {rule: Action.OFF for rule in _known() if not resolve(every, rule)}
    return dataclasses.replace(
        policy,
        actions={**base, **off},
        settings=dict(policy.settings),
        selection=every,
        configured=base,
    )


def switch_off(policy, rule_ids: Iterable[str]):  # type: ignore[no-untyped-def]
    """A copy of ``policy`` with ``rule_ids`` off for good (a per-file ignore): a later
    selection layer does not turn them back on. SG900-SG902 stay on."""
    off = {rule: Action.OFF for rule in rule_ids if rule not in NEVER_IGNORED}
    if not off:
        return policy
    configured = getattr(policy, "configured", None)
    changes: dict[str, Any] = {"actions": {**policy.actions, **off}, "settings": dict(policy.settings)}
    if configured is not None:
        changes["configured"] = {**configured, **off}
    return dataclasses.replace(policy, **changes)


def selection_from_args(
    select: list[str] | None, extend: list[str] | None, ignore: list[str] | None
) -> Selection:
    chosen = parse_selectors("--select", select) if select else None
    return Selection(chosen, parse_selectors("--extend-select", extend), parse_selectors("--ignore", ignore))


# --- configuration ------------------------------------------------------------------


def _one_spelling(table: Mapping[str, Any], names: Iterable[str], where: str) -> tuple[str, Any] | None:
    given = [name for name in names if name in table]
    if len(given) > 1:
        raise SelectionError(f"{where}{given[0]} and {given[1]} are the same setting; keep one")
    return (given[0], table[given[0]]) if given else None


def _selector_list(where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise SelectionError(f'{where}: expected a list of rule ids or prefixes, such as ["SG2", "SG302"]')
    return value


def selection_from_config(table: Mapping[str, Any], where: str) -> Selection:
    """The ``select`` / ``extend-select`` / ``ignore`` keys of a configuration table as a
    layer (the default layer when it has none). SelectionError names a bad key or id."""
    values: dict[str, tuple[str, ...] | None] = {}
    for field in ("select", "extend_select", "ignore"):
        found = _one_spelling(table, [k for k, v in SELECTION_KEYS.items() if v == field], where)
        if found is None:
            continue
        key, value = found
        values[field] = parse_selectors(f"{where}{key}", _selector_list(f"{where}{key}", value))
    return Selection(
        values.get("select"),
        values.get("extend_select") or (),
        values.get("ignore") or (),
    )


@dataclass(frozen=True, slots=True)
class PerFileIgnore:
    """``"legacy/**/*.hbs" = ["SG3", "SG201"]``: rules off for the files a glob matches."""

    pattern: str
    rules: tuple[str, ...]
    negated: bool
    regex: re.Pattern[str]

    def matches(self, relative: str | None, name: str) -> bool:
        found = self.regex.fullmatch(name) is not None or (
            relative is not None and self.regex.fullmatch(relative) is not None
        )
        return found != self.negated


def glob_regex(pattern: str) -> re.Pattern[str]:
    """A glob as ruff's ``per-file-ignores`` reads it (globset's defaults): ``*`` matches
    any run of characters, ``/`` included; ``**/`` also matches no folder at all; ``?``
    one character; ``[abc]`` / ``[!abc]`` a class; ``{a,b}`` either."""
    out: list[str] = []
    i, depth = 0, 0
    while i < len(pattern):
        char = pattern[i]
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
            continue
        if char == "*":
            out.append(".*")
        elif char == "?":
            out.append("[^/]")
        elif char == "[" and (end := pattern.find("]", i + 2)) > 0:
            body = pattern[i + 1 : end]
            negate = body.startswith("!")
            body = (body[1:] if negate else body).replace("\\", "\\\\").replace("[", "\\[")
            out.append("[" + ("^" if negate else "\\" if body.startswith("^") else "") + body + "]")
            i = end + 1
            continue
        elif char == "{":
            out.append("(?:")
            depth += 1
        elif char == "}" and depth:
            out.append(")")
            depth -= 1
        elif char == "," and depth:
            out.append("|")
        else:
            out.append(re.escape(char))
        i += 1
    if depth:
        raise ValueError("unclosed {")
    return re.compile("".join(out))


def per_file_ignores_from_config(table: Mapping[str, Any], where: str) -> tuple[PerFileIgnore, ...]:
    """The ``per-file-ignores`` table: glob -> list of rule ids or prefixes. A glob starting
    with ``!`` applies to the files it does not match."""
    found = _one_spelling(table, PER_FILE_KEYS, where)
    if found is None:
        return ()
    key, value = found
    if not isinstance(value, Mapping):
        raise SelectionError(
            f'{where}{key}: expected a table of glob = [rule ids], such as {{"legacy/*" = ["SG3"]}}'
        )
    entries = []
    for pattern, rules in value.items():
        at = f"{where}{key}.{pattern}"
        negated = pattern.startswith("!")
        glob = pattern[1:] if negated else pattern
        if not glob:
            raise SelectionError(f"{at}: an empty glob")
        try:
            regex = glob_regex(glob)
        except (ValueError, re.error) as exc:
            raise SelectionError(f"{at}: not a glob ({exc})") from None
        selectors = parse_selectors(at, _selector_list(at, rules))
        entries.append(PerFileIgnore(pattern, selectors, negated, regex))
    return tuple(entries)


def ignored_for_file(
    entries: Iterable[PerFileIgnore], path: str | Path | None, root: str | Path | None
) -> frozenset[str]:
    """The rule ids ``entries`` switch off for ``path``, matched (as ruff does) against its
    path relative to ``root`` (the configuration file's folder) and against its name.
    SG900-SG902 are never among them."""
    entries = tuple(entries)
    if not entries or path is None:
        return frozenset()
    absolute = Path(path).resolve()
    try:
        relative: str | None = absolute.relative_to(Path(root or Path.cwd()).resolve()).as_posix()
    except ValueError:
        relative = None  # outside the configuration's folder: only the name can match
    selectors = [s for entry in entries if entry.matches(relative, absolute.name) for s in entry.rules]
    if not selectors:
        return frozenset()
    return frozenset(
        rule for rule in _known() if rule not in NEVER_IGNORED and any(_covers(s, rule) for s in selectors)
    )


def suggest(name: str, choices: Iterable[str]) -> str:
    """``"; did you mean 'select'?"`` for a misspelt key, or an empty string."""
    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
