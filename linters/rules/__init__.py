"""The rule families; importing this package registers every rule.

One module per family, named by the id's hundred, so SG2xx lives in
``sg2_claims.py``: find a rule from its id at a glance.
"""

from . import (  # noqa: F401
    sg1_personalization,
    sg2_claims,
    sg3_pressure,
    sg4_privacy,
    sg5_relevance,
    sg6_contact,
    sg7_human_path,
    sg8_integrity,
)
