"""The ruff-style flags of `sendguard check` and `sendguard lint`, as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from linters import cli
from sendguard._entry import main
from tests.conftest import make_request

ROOT = Path(__file__).resolve().parent.parent

# The footer every real marketing email carries (CAN-SPAM: postal address and opt-out), so
# these messages are judged on what each test is about rather than on SG702.
FOOTER = (
    "\n\nNorthwind Outfitters, 12 Harbour Street, Portland, OR 97201\n"
    "Unsubscribe: https://northwind.example/unsubscribe"
)

# A one-time buyer told she is a VIP, with urgency: SG201 (rewrite) and SG302 (warn).
VIP = make_request(
    {
        "subject": "Only for our VIP customers",
        "text": "Hi Ana,\n\nAs one of our most valuable customers, you get early access. Last chance: act now!"
        + FOOTER,
    },
    id="vip-1",
    customer={
        "first_name": "Ana",
        "purchase_count": 1,
        "tier": "standard",
        "consent": {"email_marketing": True},
    },
)
# A generic addressee with urgency: SG301 blocks.
URGENT = make_request(
    {"subject": "URGENT for you", "text": "Dear Current Resident,\n\nRates rise Friday."}, id="urgent-1"
)


def write_json(tmp_path: Path, name: str, document: object) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return str(path)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_version_prints_the_distribution_version(capsys):
    from sendguard import __version__

    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    assert capsys.readouterr().out.strip() == f"sendguard {__version__}"


@pytest.mark.parametrize("argv", [["rule", "--all"], ["rule", "SG201"], ["--help"], ["lint", "--help"]])
def test_rule_and_help_answer_without_loading_spacy(argv):
    code = (
        "import sys\nfrom sendguard._entry import main\n"
        f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass\n"
        "print('LOADED' if 'spacy' in sys.modules else 'LIGHT', file=sys.stderr)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stderr.strip().endswith("LIGHT")


def test_select_keeps_only_the_named_family(tmp_path, capsys):
    path = write_json(tmp_path, "vip.json", VIP)
    code, out, _ = run(capsys, "check", path, "--format", "json", "--select", "SG3")
    rules = {f["rule"] for f in json.loads(out)["findings"]}
    assert rules and all(r.startswith("SG3") for r in rules)
    assert code == 0  # SG302 only warns


def test_ignore_wins_over_a_broader_select_and_extend_select_adds(tmp_path, capsys):
    path = write_json(tmp_path, "vip.json", VIP)
    _, out, _ = run(capsys, "check", path, "--format", "json", "--select", "SG2,SG3", "--ignore", "SG302")
    assert {f["rule"] for f in json.loads(out)["findings"]} == {"SG201"}
    _, out, _ = run(
        capsys, "check", path, "--format", "json", "--select", "SG302", "--extend-select", "SG201"
    )
    assert {f["rule"] for f in json.loads(out)["findings"]} == {"SG201", "SG302"}


def test_unknown_selector_is_a_usage_error(tmp_path, capsys):
    path = write_json(tmp_path, "vip.json", VIP)
    code, _, err = run(capsys, "check", path, "--select", "SG999")
    assert code == 2
    assert "--select SG999: no rule matches" in err


def test_exit_zero_keeps_the_report_but_not_the_failure(tmp_path, capsys):
    path = write_json(tmp_path, "urgent.json", URGENT)
    assert run(capsys, "check", path)[0] == 1
    code, out, _ = run(capsys, "check", path, "--exit-zero")
    assert code == 0
    assert "SG301" in out


def test_statistics_counts_findings_per_rule(tmp_path, capsys):
    path = write_json(tmp_path, "two.json", [URGENT, {**URGENT, "id": "urgent-2"}])
    code, out, _ = run(capsys, "check", path, "--statistics")
    assert code == 1
    first = out.splitlines()[0].split()
    # One a message at least: "URGENT" in the subject (the vocabulary); the claim reader
    # may add "Rates rise Friday." to "Current Resident" as urgency (the model decides).
    assert first[1] == "SG301" and int(first[0]) in (2, 4)


def test_quiet_prints_only_messages_with_findings(tmp_path, capsys):
    # A shipping notice is not commercial email: sent as transactional, as a real sender does.
    clean = make_request(
        {"subject": "Your receipt", "text": "Hi Ana,\n\nOrder 1042 shipped."},
        id="ok-1",
        purpose="transactional",
    )
    path = write_json(tmp_path, "mixed.json", [clean, URGENT])
    _, out, _ = run(capsys, "check", path, "--quiet")
    assert "urgent-1" in out and "ok-1" not in out


def test_config_is_accepted_by_check_as_by_lint(tmp_path, capsys):
    (tmp_path / "strict.toml").write_text('[rules]\nSG302 = "block"\n')
    path = write_json(tmp_path, "vip.json", VIP)
    assert run(capsys, "check", path, "--config", str(tmp_path / "strict.toml"))[0] == 1
    assert run(capsys, "check", path, "--policy", str(tmp_path / "strict.toml"))[0] == 1


def test_show_settings_prints_the_resolved_policy_and_exits(tmp_path, capsys):
    (tmp_path / "strict.toml").write_text('[rules]\nSG302 = "block"\n')
    code, out, _ = run(
        capsys, "check", "unused.json", "--config", str(tmp_path / "strict.toml"), "--show-settings"
    )
    settings = json.loads(out)
    assert code == 0
    assert settings["rules"]["SG302"]["action"] == "block"
    assert settings["source"].endswith("strict.toml")


def test_output_file_creates_missing_folders(tmp_path, capsys):
    path = write_json(tmp_path, "urgent.json", URGENT)
    target = tmp_path / "reports" / "deep" / "check.json"
    code, out, _ = run(capsys, "check", path, "--format", "json", "--output-file", str(target))
    assert code == 1 and out == ""
    assert json.loads(target.read_text())["decision"] == "block"


def test_lint_output_file_creates_missing_folders(tmp_path, capsys):
    template = tmp_path / "promo.hbs"
    template.write_text("Dear Current Resident, URGENT information for you.\n")
    target = tmp_path / "out" / "lint.sarif"
    main(["lint", str(template), "--format", "sarif", "-o", str(target)])
    assert json.loads(target.read_text())["version"] == "2.1.0"


def test_color_always_paints_and_no_color_wins(tmp_path, capsys, monkeypatch):
    path = write_json(tmp_path, "urgent.json", URGENT)
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, out, _ = run(capsys, "check", path, "--color", "always")
    assert "\033[" in out
    monkeypatch.setenv("NO_COLOR", "1")
    _, out, _ = run(capsys, "check", path, "--color", "always")
    assert "\033[" not in out


def test_lint_reads_stdin_with_a_filename(tmp_path, monkeypatch, capsys):
    import io

    text = "Dear Current Resident,\n\nURGENT information for you.\n"
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(text.encode())))
    code, out, _ = run(capsys, "lint", "-", "--stdin-filename", "mail/promo.txt")
    assert code == 1
    assert out.startswith("mail/promo.txt:")


def test_a_crash_exits_2_not_1(tmp_path, capsys, monkeypatch):
    def explode(args):
        raise RuntimeError("boom")

    monkeypatch.setattr(cli, "command_check", explode)
    code, _, err = run(capsys, "check", write_json(tmp_path, "u.json", URGENT))
    assert code == 2
    assert "internal error" in err and "RuntimeError: boom" in err


def test_piping_into_head_leaves_no_traceback(tmp_path):
    path = write_json(tmp_path, "many.json", [{**URGENT, "id": f"u-{i}"} for i in range(40)])
    script = f"{sys.executable} -m sendguard._entry check {path} | head -1"
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True)
    assert done.stdout.startswith("u-0: BLOCK")
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_completion_script_names_the_commands(capsys):
    code, out, _ = run(capsys, "completion", "bash")
    assert code == 0
    assert "preflight" in out or "lint" in out


# --- lint keeps going ------------------------------------------------------------------


def test_one_bad_input_does_not_stop_the_others(tmp_path, capsys):
    good = tmp_path / "promo.hbs"
    good.write_text("Dear Current Resident, URGENT information for you.\n")
    binary = tmp_path / "logo.hbs"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\xff")
    not_ses = tmp_path / "package.json"
    not_ses.write_text('{"name": "shop"}')
    code, out, _ = run(
        capsys,
        "lint",
        str(tmp_path / "missing.hbs"),
        str(binary),
        str(not_ses),
        str(good),
        "--format",
        "json",
    )
    findings = json.loads(out)["findings"]
    by_rule: dict[str, list[str]] = {}
    for f in findings:
        by_rule.setdefault(f["rule"], []).append(Path(f["path"]).name)
    assert sorted(by_rule["SG902"]) == ["logo.hbs", "missing.hbs", "package.json"]
    assert "promo.hbs" in by_rule["SG301"]
    assert code == 1


def test_a_repository_without_templates_says_so(tmp_path, capsys, monkeypatch):
    (tmp_path / "README.md").write_text("# Shop\n\nOur VIP customers love us.\n")
    (tmp_path / "package.json").write_text('{"name": "shop"}')
    (tmp_path / "requirements.txt").write_text("flask\n")
    monkeypatch.chdir(tmp_path)
    code, out, err = run(capsys, "lint")
    assert code == 0
    assert "no templates found in ." in err
    assert "All templates passed" not in out


def test_templates_only_skips_named_files_that_are_not_templates(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text("# Shop\n\nAct now! Our most valuable customers get URGENT news.\n")
    package = tmp_path / "package.json"
    package.write_text('{"name": "shop"}')
    template = tmp_path / "welcome.hbs"
    template.write_text("Hi {{first_name}}, welcome back!\n")
    code, out, _ = run(
        capsys, "lint", "--templates-only", str(readme), str(package), str(template), "--format", "json"
    )
    paths = {Path(f["path"]).name for f in json.loads(out)["findings"]}
    assert paths <= {"welcome.hbs"}
    assert code in (0, 1)
