"""Configuration as wide as ruff's (issue 32, item 7): ``select``, ``extend-select``,
``ignore`` and ``per-file-ignores`` in ``sendguard.toml``, ``[tool.sendguard]`` of
pyproject.toml and the lint table; command-line flags override them; unknown keys fail
naming the key with a suggestion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from linters.lint.config import config_from_mapping, load_config_file
from linters.policy import policy_from_mapping
from linters.selection import Selection, glob_regex, resolve
from sendguard._entry import main
from tests.conftest import make_request

# A win-back mail: SG103 (name with no fallback, block), SG201 (an unearned status,
# rewrite) and SG302 twice (manufactured pressure, warn).
WINBACK = """\
---
purpose: marketing
subject: We saved something for you
---
Hi {{first_name}},
As one of our most valuable customers, you get early access.
Last chance: the offer ends tonight.
"""


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A repository with templates/winback.hbs and templates/legacy/spring.hbs, run from its root."""
    (tmp_path / "templates" / "legacy").mkdir(parents=True)
    (tmp_path / "templates" / "winback.hbs").write_text(WINBACK)
    (tmp_path / "templates" / "legacy" / "spring.hbs").write_text(WINBACK)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def lint(capsys, *argv: str) -> tuple[int, dict[str, set[str]], str]:
    """(exit code, {template path: rules found}, stderr)."""
    code = main(["lint", *argv, "--format", "json"])
    out, err = capsys.readouterr()
    found: dict[str, set[str]] = {}
    for finding in json.loads(out)["findings"] if out else []:
        found.setdefault(finding["path"], set()).add(finding["rule"])
    return code, found, err


WIN, SPRING = "templates/winback.hbs", "templates/legacy/spring.hbs"


# --- select / ignore / extend-select ------------------------------------------------------


def test_ignore_in_sendguard_toml(project, capsys):
    (project / "sendguard.toml").write_text('ignore = ["SG103", "SG302"]\n')
    code, found, _ = lint(capsys, "templates")
    assert found == {WIN: {"SG201"}, SPRING: {"SG201"}}
    assert code == 0  # SG201 only rewrites


def test_select_in_the_lint_table_of_pyproject(project, capsys):
    (project / "pyproject.toml").write_text(
        '[project]\nname = "shop"\n\n[tool.sendguard.lint]\nselect = ["SG3"]\n'
    )
    code, found, _ = lint(capsys, "templates")
    assert found == {WIN: {"SG302"}, SPRING: {"SG302"}}
    assert code == 0


def test_extend_select_after_a_narrow_select(project, capsys):
    (project / "pyproject.toml").write_text('[tool.sendguard]\nselect = ["SG3"]\nextend-select = ["SG201"]\n')
    _, found, _ = lint(capsys, WIN)
    assert found == {WIN: {"SG201", "SG302"}}


def test_the_lint_table_is_a_layer_after_the_top_level(project, capsys):
    (project / "sendguard.toml").write_text('ignore = ["SG2", "SG3"]\n\n[lint]\nextend_select = ["SG302"]\n')
    _, found, _ = lint(capsys, WIN)
    assert found == {WIN: {"SG103", "SG302"}}


def test_command_line_flags_override_the_configuration(project, capsys):
    (project / "sendguard.toml").write_text('select = ["SG3"]\nignore = ["SG302"]\n')
    _, found, _ = lint(capsys, WIN)
    assert found == {}
    _, found, _ = lint(capsys, WIN, "--extend-select", "SG302")  # turns back on what config ignored
    assert found == {WIN: {"SG302"}}
    _, found, _ = lint(capsys, WIN, "--select", "SG1")  # replaces the configuration's select and ignore
    assert found == {WIN: {"SG103"}}
    _, found, _ = lint(capsys, WIN, "--ignore", "SG3")
    assert found == {}


def test_rules_actions_still_apply_to_selected_rules(project, capsys):
    (project / "sendguard.toml").write_text('select = ["SG3"]\n\n[rules]\nSG302 = "block"\n')
    code, found, _ = lint(capsys, WIN)
    assert (code, found) == (1, {WIN: {"SG302"}})


def test_check_reads_the_top_level_selection_too(tmp_path, capsys):
    (tmp_path / "strict.toml").write_text('ignore = ["SG3"]\n')
    request = make_request(  # a one-time buyer told she is a VIP, with urgency
        {
            "subject": "Only for our VIP customers",
            "text": "Hi Ana,\n\nAs one of our most valuable customers, you get early access. Last chance: act now!",
        },
        customer={
            "first_name": "Ana",
            "purchase_count": 1,
            "tier": "standard",
            "consent": {"email_marketing": True},
        },
    )
    path = tmp_path / "vip.json"
    path.write_text(json.dumps(request))
    main(["check", str(path), "--format", "json", "--config", str(tmp_path / "strict.toml")])
    rules = {f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert "SG201" in rules and not any(r.startswith("SG3") for r in rules)
    strict = str(tmp_path / "strict.toml")
    main(["check", str(path), "--format", "json", "--config", strict, "--extend-select", "SG302"])
    assert "SG302" in {f["rule"] for f in json.loads(capsys.readouterr().out)["findings"]}


# --- per-file-ignores ----------------------------------------------------------------


def test_per_file_ignores_match_the_path_relative_to_the_config_folder(project, capsys):
    (project / "sendguard.toml").write_text('[per-file-ignores]\n"templates/legacy/*" = ["SG103", "SG2"]\n')
    code, found, _ = lint(capsys, "templates")
    assert found == {WIN: {"SG103", "SG201", "SG302"}, SPRING: {"SG302"}}
    assert code == 1  # winback.hbs still blocks on SG103


def test_per_file_ignores_in_the_lint_table_of_pyproject_from_another_folder(project, capsys, monkeypatch):
    (project / "pyproject.toml").write_text(
        '[tool.sendguard.lint.per-file-ignores]\n"templates/legacy/**/*.hbs" = ["SG1", "SG3"]\n'
    )
    monkeypatch.chdir(project / "templates")  # relative to pyproject.toml's folder, not the cwd
    _, found, _ = lint(capsys, ".")
    assert found == {"winback.hbs": {"SG103", "SG201", "SG302"}, "legacy/spring.hbs": {"SG201"}}


def test_per_file_ignores_by_file_name_and_negated(project, capsys):
    (project / "sendguard.toml").write_text(
        'per-file-ignores = { "spring.hbs" = ["SG302"], "!templates/legacy/*" = ["SG201"] }\n'
    )
    _, found, _ = lint(capsys, "templates")
    assert found == {WIN: {"SG103", "SG302"}, SPRING: {"SG103", "SG201"}}


def test_per_file_ignores_are_not_undone_by_extend_select(project, capsys):
    (project / "sendguard.toml").write_text('per-file-ignores = { "templates/legacy/*" = ["ALL"] }\n')
    _, found, _ = lint(capsys, "templates", "--extend-select", "SG302")
    assert found == {WIN: {"SG103", "SG201", "SG302"}}


def test_per_file_ignores_with_config_flag_are_relative_to_that_file(project, tmp_path_factory, capsys):
    elsewhere = tmp_path_factory.mktemp("ci") / "sendguard.toml"
    elsewhere.write_text('per-file-ignores = { "*" = ["SG3"] }\n')
    (project / "sendguard.toml").write_text('per-file-ignores = { "templates/*" = ["ALL"] }\n')
    _, found, _ = lint(capsys, "templates", "--config", str(elsewhere))
    assert found == {WIN: {"SG103", "SG201"}, SPRING: {"SG103", "SG201"}}


def test_loaded_config_keeps_its_folder_and_ignores_per_file(project):
    (project / "sendguard.toml").write_text('[lint]\nper_file_ignores = { "templates/legacy/*" = ["SG2"] }\n')
    config = load_config_file(project / "sendguard.toml")
    assert config.root == project.resolve()
    assert "SG201" in config.ignored_for(project / SPRING)
    assert config.ignored_for(project / WIN) == frozenset()
    assert config.for_file(project / SPRING) is config.for_file(project / SPRING)
    assert str(config.for_file(project / SPRING).policy.actions["SG201"]) == "off"


def test_globs_read_like_ruffs():
    assert glob_regex("**/legacy/*.hbs").fullmatch("legacy/a.hbs")
    assert glob_regex("**/legacy/*.hbs").fullmatch("emails/legacy/old/a.hbs")  # * crosses folders
    assert glob_regex("emails/{promo,winback}.hbs").fullmatch("emails/winback.hbs")
    assert not glob_regex("emails/[!p]*.hbs").fullmatch("emails/promo.hbs")


# --- bad keys fail loudly ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ('selct = ["SG2"]\n', "unknown key 'selct'; did you mean 'select'?"),
        (
            '[lint]\nextend-selct = ["SG2"]\n',
            "lint.extend-selct: unknown setting; did you mean 'extend-select'?",
        ),
        ("[lint]\nper-file-ignore = {}\n", "did you mean 'per-file-ignores'?"),
        ('ignore = ["SG999"]\n', "ignore SG999: no rule matches"),
        ('ignore = "SG302"\n', "ignore: expected a list of rule ids or prefixes"),
        ('per-file-ignores = ["templates/*"]\n', "per-file-ignores: expected a table of glob"),
        ('per-file-ignores = { "legacy/*" = ["SG2x"] }\n', "per-file-ignores.legacy/* SG2x: no rule matches"),
        ('[lint]\nextend-select = ["SG2"]\nextend_select = ["SG3"]\n', "the same setting; keep one"),
    ],
)
def test_bad_selection_configuration_is_a_usage_error_naming_the_key(project, capsys, config, message):
    (project / "sendguard.toml").write_text(config)
    code = main(["lint", WIN])
    err = capsys.readouterr().err
    assert code == 2
    assert message in err and "sendguard.toml" in err


def test_the_policy_reads_the_top_level_selection():
    policy = policy_from_mapping({"select": ["SG3"], "rules": {"SG302": "block"}}, "policy")
    assert str(policy.actions["SG201"]) == "off" and str(policy.actions["SG302"]) == "block"
    again = Selection(extend_select=("SG201",)).apply(policy)  # the command line's layer on top
    assert "SG201" not in again.actions and str(again.actions["SG302"]) == "block"


def test_lint_table_selection_does_not_reach_check():
    document = {"lint": {"ignore": ["SG3"]}}
    assert policy_from_mapping(document, "policy").actions == {}
    assert str(config_from_mapping(document, "config").policy.actions["SG302"]) == "off"


def test_layers_resolve_as_ruffs():
    config = Selection(select=("SG2", "SG3"), ignore=("SG302",))
    assert not resolve([config], "SG302") and resolve([config], "SG201") and not resolve([config], "SG103")
    assert resolve([config, Selection(extend_select=("SG302",))], "SG302")
    assert not resolve([config, Selection(select=("SG1",))], "SG201")
    assert resolve([config, Selection(select=("SG1",))], "SG900")  # never off
