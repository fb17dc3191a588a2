"""The rules; importing this package registers every rule.

One home per rule: a family is a folder named for what its rules judge (SG2xx in
``claims/``), and each rule is one module in it named for what it catches, its
registered name with underscores (SG201 unearned-status is
``claims/unearned_status.py``), like ruff's ``rules/assert_false.rs``. Helpers several
rules of one family use are in the family's ``_shared.py``; helpers across families in
``common.py``. Every module of every family is imported here, so adding a rule is
adding one file (and its fixtures and data): there is no list to edit. SG000 (the
rewrite's safety) and SG900-SG902 (what ``sendguard lint`` says about its input)
register like the others.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from types import ModuleType

from ..registry import MESSAGE, RULES, Rule


def _import_rules() -> tuple[ModuleType, ...]:
    """Every rule module of every family package, in name order: importing one registers
    its rule. Modules whose names start with "_" (``_shared``) are helpers, imported by
    the rules that use them."""
    found = []
    for family in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if not family.ispkg or family.name.startswith("_"):
            continue
        package = importlib.import_module(f"{__name__}.{family.name}")
        for info in sorted(pkgutil.iter_modules(package.__path__), key=lambda info: info.name):
            if not info.name.startswith("_"):
                found.append(importlib.import_module(f"{package.__name__}.{info.name}"))
    return tuple(found)


RULE_MODULES = _import_rules()


@cache
def registered_rules() -> tuple[Rule, ...]:
    """Every rule, by id: the catalog."""
    return tuple(RULES[key] for key in sorted(RULES))


@cache
def all_rules() -> tuple[Rule, ...]:
    """The rules the engine runs on every message (a policy configures these), by id."""
    return tuple(RULES[key] for key in sorted(RULES) if RULES[key].stage == MESSAGE)
