"""The rule families; importing this package registers every rule.

One module per family, named by the id's hundred, so SG2xx lives in
``sg2_claims.py``: find a rule from its id at a glance. SG000 (the rewrite's safety)
and SG900-SG902 (what ``sendguard lint`` says about its input) register like the others.
"""

from __future__ import annotations

from functools import cache

from ..registry import MESSAGE, RULES, Rule
from . import (  # noqa: F401  - importing the families registers them
    sg0_rewrite,
    sg1_personalization,
    sg2_claims,
    sg3_pressure,
    sg4_privacy,
    sg5_relevance,
    sg6_contact,
    sg7_human_path,
    sg8_integrity,
    sg9_input,
)


@cache
def registered_rules() -> tuple[Rule, ...]:
    """Every rule, by id: the catalog."""
    return tuple(RULES[key] for key in sorted(RULES))


@cache
def all_rules() -> tuple[Rule, ...]:
    """The rules the engine runs on every message (a policy configures these), by id."""
    return tuple(RULES[key] for key in sorted(RULES) if RULES[key].stage == MESSAGE)
