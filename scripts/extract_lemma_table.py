"""Copy spacy-lookups-data's English lemma table into linters/data (see linters/lemmas.py).

Run after upgrading spacy-lookups-data (a dev dependency):
    .venv/bin/python scripts/extract_lemma_table.py
"""

from __future__ import annotations

import shutil
from importlib import metadata, resources
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "linters" / "data"
SOURCE_TABLE = "en_lemma_lookup.json.gz"
SOURCE_LICENCE = "en_license.txt"


def main() -> None:
    source = resources.files("spacy_lookups_data").joinpath("data")
    with resources.as_file(source.joinpath(SOURCE_TABLE)) as table:
        shutil.copyfile(table, DATA / SOURCE_TABLE)
    version = metadata.version("spacy-lookups-data")
    licence = source.joinpath(SOURCE_LICENCE).read_text(encoding="utf-8")
    (DATA / "en_lemma_lookup.LICENSE.txt").write_text(
        f"linters/data/{SOURCE_TABLE} is data/{SOURCE_TABLE} of spacy-lookups-data {version}\n"
        "(https://github.com/explosion/spacy-lookups-data), MIT licence, Copyright (c) 2019\n"
        "ExplosionAI GmbH. Its English data comes with the following licence (the package's\n"
        f"data/{SOURCE_LICENCE}):\n\n{licence}",
        encoding="utf-8",
    )
    print(f"wrote {DATA / SOURCE_TABLE} from spacy-lookups-data {version}")


if __name__ == "__main__":
    main()
