"""What a release ships: the catalog snapshot, the README's rules table, SARIF for code scanning."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from linters.catalog import (
    README,
    REFERENCE_END,
    REFERENCE_START,
    RULES_PAGE,
    TABLE_END,
    TABLE_START,
    build_catalog,
    catalog,
    markdown_table,
    rule_reference,
)
from linters.cli import main

ROOT = Path(__file__).resolve().parent.parent


def test_the_catalog_snapshot_matches_the_registered_rules():
    assert catalog() == build_catalog(), "stale linters/data/catalog.json: run `make catalog`"


def test_the_readme_has_one_rules_table_and_it_matches_rule_all(capsys):
    readme = README.read_text("utf-8")
    assert readme.count(TABLE_START) == 1
    table = readme[readme.index(TABLE_START) + len(TABLE_START) : readme.index(TABLE_END)].strip()
    assert table == markdown_table(catalog()), "stale README rules table: run `make catalog`"
    main(["rule", "--all"])
    listed = [line.split()[0] for line in capsys.readouterr().out.splitlines()]
    in_table = [row.split("|")[1].strip() for row in table.splitlines()[2:]]
    assert listed == in_table


def test_the_rules_page_explains_every_rule_under_its_help_uri_anchor():
    page = RULES_PAGE.read_text("utf-8")
    reference = page[page.index(REFERENCE_START) + len(REFERENCE_START) : page.index(REFERENCE_END)].strip()
    assert reference == rule_reference(catalog()), "stale docs/rules.md reference: run `make catalog`"
    for entry in catalog():
        assert f'<a id="{entry["id"].lower()}"></a>' in reference


def test_every_rule_has_help_text_and_a_help_uri():
    from linters.formats.sarif import sarif_document

    rules = sarif_document([], [])["runs"][0]["tool"]["driver"]["rules"]
    ids = {rule["id"] for rule in rules}
    assert {"SG000", "SG900", "SG901", "SG902", "SG101"} <= ids
    for rule in rules:
        assert rule["help"]["text"].strip(), rule["id"]
        assert rule["helpUri"].endswith("#" + rule["id"].lower())


def _lint_sarif(folder: Path, capsys) -> dict:
    main(["lint", str(folder), "--format", "sarif"])
    return json.loads(capsys.readouterr().out)


def test_sarif_uris_are_relative_to_the_repo_root_and_percent_encoded(tmp_path, capsys, monkeypatch):
    (tmp_path / ".git").mkdir()
    folder = tmp_path / "mail templates"
    folder.mkdir()
    (folder / "promo #1.hbs").write_text("Dear Current Resident, URGENT information for you.\n")
    monkeypatch.chdir(folder)  # run from a subfolder: URIs are still from the root
    document = _lint_sarif(folder, capsys)
    run = document["runs"][0]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"]}
    assert uris == {"mail%20templates/promo%20%231.hbs"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.resolve().as_uri() + "/"
    assert run["tool"]["driver"]["informationUri"].startswith("https://")


def test_partial_fingerprints_survive_a_rerun_and_moved_lines(tmp_path, capsys, monkeypatch):
    (tmp_path / ".git").mkdir()
    monkeypatch.chdir(tmp_path)
    template = tmp_path / "promo.hbs"
    template.write_text("Dear Current Resident, URGENT information for you.\n")
    first = _lint_sarif(tmp_path, capsys)["runs"][0]["results"]
    template.write_text("\n\n\nDear Current Resident, URGENT information for you.\n")
    moved = _lint_sarif(tmp_path, capsys)["runs"][0]["results"]
    prints = [r["partialFingerprints"]["sendguardFinding/v1"] for r in first]
    assert prints == [r["partialFingerprints"]["sendguardFinding/v1"] for r in moved]
    assert len(set(prints)) == len(prints)


def test_the_version_has_one_source():
    from sendguard import __version__

    out = subprocess.run(
        [sys.executable, "-m", "linters.cli", "--version"], cwd=ROOT, capture_output=True, text=True
    ).stdout
    assert out.strip() == f"sendguard {__version__}"
    assert (ROOT / "LICENSE").read_text().startswith("MIT License")
    assert f"## {__version__}" in (ROOT / "CHANGELOG.md").read_text()
