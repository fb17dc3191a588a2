"""Rebuild linters/data/given_names.json (run by hand; not part of the build).

    pip install names==0.3.0 faker==40.40.0
    python scripts/build_given_names.py

Sources and licences: linters/data/given_names.LICENSE.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
from importlib import resources
from pathlib import Path

_LATIN_WORD = re.compile(r"^[A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u024f'\u2019-]+$")
_TARGET = Path(__file__).resolve().parent.parent / "linters" / "data" / "given_names.json"


def census_names() -> set[str]:
    folder = resources.files("names")
    found: set[str] = set()
    for file in ("dist.male.first", "dist.female.first"):
        for line in folder.joinpath(file).read_text().splitlines():
            if line.strip():
                found.add(line.split()[0].title())
    return found


def faker_names() -> set[str]:
    import faker.providers.person as person

    found: set[str] = set()
    for module in pkgutil.iter_modules(person.__path__):
        provider = importlib.import_module(f"faker.providers.person.{module.name}").Provider
        for attr in ("first_names", "first_names_male", "first_names_female", "first_names_nonbinary"):
            listed = getattr(provider, attr, None)
            if isinstance(listed, (dict, list, tuple)):
                for entry in listed:
                    found.update(w for w in entry.split() if _valid(w))
    return found


def _valid(word: str) -> bool:
    return len(word) > 1 and not word.isupper() and bool(_LATIN_WORD.match(word))


def main() -> None:
    existing = json.loads(_TARGET.read_text(encoding="utf-8"))
    existing["names"] = sorted(census_names() | faker_names(), key=lambda n: (n.casefold(), n))
    _TARGET.write_text(json.dumps(existing, ensure_ascii=False, indent=0), encoding="utf-8")


if __name__ == "__main__":
    main()
