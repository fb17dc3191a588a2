"""sendguard in other people's tools: the client alone, pre-commit in a plain repo, the Action.

These install into scratch virtual environments from the package index (no network
other than it), so they take longer than the rest of the suite; each is one test.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from pathlib import Path

import boto3
import pytest
import yaml
from moto.server import ThreadedMotoServer

ROOT = Path(__file__).resolve().parent.parent
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _scratch_venv(folder: Path) -> Path:
    venv.create(folder, with_pip=True)
    return folder / "bin" / "python"


def test_the_client_installs_alone_and_puts_a_request_on_the_outbox(tmp_path, monkeypatch):
    python = _scratch_venv(tmp_path / "venv")
    subprocess.run([python, "-m", "pip", "install", "--quiet", str(ROOT / "client")], check=True)
    installed = subprocess.run(
        [python, "-m", "pip", "list", "--format", "json"], capture_output=True, text=True
    )
    names = {p["name"].lower() for p in json.loads(installed.stdout)}
    assert "sendguard-client" in names and "boto3" in names
    assert not names & {"spacy", "sendguard", "pydantic"}

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        for key, value in AWS_ENV.items():
            monkeypatch.setenv(key, value)
        sqs = boto3.client("sqs", endpoint_url=endpoint)
        url = sqs.create_queue(QueueName="outbox")["QueueUrl"]
        script = (
            "from sendguard_client import send\n"
            "print(send({'id': 'r-1', 'channel': 'email', 'to': 'ada@example.com',"
            " 'from': 'news@northwind.example', 'template': {'name': 'spring-sale'},"
            " 'data': {'season': 'spring'}}))\n"
        )
        env = {**os.environ, **AWS_ENV, "AWS_ENDPOINT_URL": endpoint, "OUTBOX_QUEUE_URL": url}
        subprocess.run([python, "-c", script], check=True, env=env, cwd=tmp_path)
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        assert [json.loads(m["Body"])["id"] for m in messages] == ["r-1"]
    finally:
        server.stop()


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def _hook_repo(tmp_path: Path) -> Path:
    """A snapshot of this checkout as its own git repo (try-repo installs from a git ref)."""
    hook = tmp_path / "hook"
    shutil.copytree(
        ROOT,
        hook,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "*.egg-info", ".pytest_cache", ".hypothesis", "node_modules"
        ),
    )
    _git(hook, "init", "-q")
    _git(hook, "add", "-A")
    _git(hook, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "snapshot")
    return hook


def test_pre_commit_try_repo_lints_only_templates_in_an_ordinary_repo(tmp_path):
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    hook = _hook_repo(tmp_path)
    project = tmp_path / "shop"
    (project / "emails").mkdir(parents=True)
    (project / "package.json").write_text('{"name": "shop", "version": "1.0.0"}\n')
    (project / "README.md").write_text("# Shop\n\nAct now! Our most valuable customers get URGENT news.\n")
    (project / "emails" / "receipt.hbs").write_text(
        "{{#if first_name}}Hi {{first_name}},{{else}}Hello,{{/if}}\n\nYour order {{order}} has shipped.\n"
    )
    _git(project, "init", "-q")
    _git(project, "add", "-A")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"), "NO_COLOR": "1"}
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pre_commit",
            "try-repo",
            str(hook),
            "sendguard-lint",
            "--all-files",
            "--verbose",
        ],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Passed" in done.stdout
    assert "README.md" not in done.stdout and "package.json" not in done.stdout

    (project / "emails" / "winback.hbs").write_text("Dear Current Resident, URGENT information for you.\n")
    _git(project, "add", "-A")
    done = subprocess.run(
        [sys.executable, "-m", "pre_commit", "try-repo", str(hook), "sendguard-lint", "--all-files"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 1
    assert "emails/winback.hbs" in done.stdout and "SG301" in done.stdout


def _action_lint_script() -> str:
    steps = yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]
    return next(step["run"] for step in steps if step.get("id") == "lint")


def _run_action(
    tmp_path: Path, paths: str, **extra: str
) -> tuple[subprocess.CompletedProcess[str], dict[str, str]]:
    output = tmp_path / "github_output"
    output.write_text("")
    bin_dir = Path(sys.executable).parent
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "PATHS": paths,
        "FAIL_ON": "block",
        "CONFIG": "",
        "CUSTOMERS": "",
        "SARIF_FILE": str(tmp_path / "out" / "sendguard.sarif"),
        "GITHUB_OUTPUT": str(output),
        **extra,
    }
    done = subprocess.run(
        ["bash", "-c", _action_lint_script()], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    outputs = dict(line.split("=", 1) for line in output.read_text().splitlines() if "=" in line)
    return done, outputs


def test_the_action_lints_once_handles_spaces_and_sets_outputs(tmp_path):
    folder = tmp_path / "mail templates"
    folder.mkdir()
    (folder / "winback.hbs").write_text("Dear Current Resident, URGENT information for you.\n")
    done, outputs = _run_action(tmp_path, "mail templates\n")
    assert done.returncode == 1
    assert re.search(r"^::error file=mail templates/winback.hbs", done.stdout, re.M)
    assert int(outputs["findings"]) >= 1
    assert Path(outputs["sarif-file"]).is_file()
    assert outputs["exit-code"] == "1"


def test_the_action_never_hides_an_error(tmp_path):
    (tmp_path / "bad.toml").write_text("[rules]\nSG999 = 'block'\n")
    (tmp_path / "a.hbs").write_text("Hello.\n")
    done, outputs = _run_action(tmp_path, "a.hbs", CONFIG=str(tmp_path / "bad.toml"))
    assert done.returncode == 2
    assert outputs["exit-code"] == "2"
    assert "::error title=sendguard::" in done.stdout


# --- what reaches the pre-commit hook -----------------------------------------------------


def _hook_reads(hook: dict, path: Path, relative: str) -> bool:
    """pre-commit's own filter: ``files``/``exclude`` with re.search on the path it passes
    (relative, with /), then ``types``/``types_or``/``exclude_types`` on identify's tags."""
    from identify.identify import tags_from_path

    if not re.search(hook.get("files", ""), relative) or re.search(hook.get("exclude", "^$"), relative):
        return False
    tags = tags_from_path(str(path))
    return (
        set(hook.get("types", ["file"])) <= tags
        and (not hook.get("types_or") or bool(set(hook["types_or"]) & tags))
        and not set(hook.get("exclude_types", [])) & tags
    )


def test_the_pre_commit_hook_is_handed_template_files_only(tmp_path):
    pytest.importorskip("identify")
    from linters.lint.config import LintSettings

    [hook] = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert "--templates-only" in hook["entry"]  # for what the pattern still lets through
    folders = [re.fullmatch(r"\*/(\w+)/\*", glob).group(1) for glob in LintSettings().template_folders]
    templates = [
        "receipt.hbs",
        "emails/receipt.hbs",
        "src/views/welcome.handlebars",
        "templates/ses/spring-sale.json",
        "site/emails/deep/promo.html",
        "templates/promo.md",
        *(f"{folder}/note.{suffix}" for folder in folders for suffix in ("html", "htm", "txt", "json")),
    ]
    others = [
        "README.md",
        "package.json",
        "setup.py",
        "scripts/build.py",
        "templates/render.py",
        "requirements.txt",
        "docs/index.html",
        "tests/data/request.json",
        ".pre-commit-config.yaml",
    ]
    for relative in (*templates, *others):
        path = tmp_path / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("{}\n" if relative.endswith(".json") else "Hello {{name}}.\n")
    assert [p for p in templates if not _hook_reads(hook, tmp_path / p, p)] == []
    assert [p for p in others if _hook_reads(hook, tmp_path / p, p)] == []


# --- the local tools from the wheel without the local extra -------------------------------

_WITHOUT_MOTO = """
import sys
sys.modules["moto"] = None  # as if the local extra were not installed
from functions.cli_commands import main
sys.exit(main(sys.argv[1:]))
"""


@pytest.mark.parametrize("argv", [["invoke", "guard", "events/sqs-batch.json"], ["review", "--serve"]])
def test_the_local_tools_without_moto_name_the_extra_in_one_line(argv):
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    done = subprocess.run(
        [sys.executable, "-c", _WITHOUT_MOTO, *argv],
        cwd=ROOT,
        env={**env, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith(f"sendguard {argv[0]}: ") and 'pip install "sendguard[local]"' in line
    assert "moto is not installed" in line


def test_only_the_local_extras_packages_are_reported_as_missing():
    import tomllib

    from functions.cli_commands import LOCAL_PACKAGES, missing_local_package

    assert missing_local_package(ModuleNotFoundError("No module named 'moto'", name="moto"))
    assert missing_local_package(ModuleNotFoundError("No module named 'flask'", name="flask"))
    assert not missing_local_package(ModuleNotFoundError("No module named 'yaml'", name="yaml"))
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    local = project["optional-dependencies"]["local"]
    assert any(req.startswith("moto[server]") for req in local), local
    assert "moto" in LOCAL_PACKAGES


# --- the Action's install -------------------------------------------------------------------


def _action_steps() -> list[dict]:
    return yaml.safe_load((ROOT / "action.yml").read_text())["runs"]["steps"]


def test_the_action_sets_up_python_before_installing_and_never_hashes_its_own_path(tmp_path):
    text = (ROOT / "action.yml").read_text()
    assert not re.search(r"hashFiles\([^)]*action_path", text), "hashFiles() cannot see github.action_path"
    steps = _action_steps()
    uses = [step.get("uses", "") for step in steps]
    install = next(i for i, step in enumerate(steps) if "pip install" in step.get("run", ""))
    setup = next(i for i, name in enumerate(uses) if name.startswith("actions/setup-python@"))
    cache = next(i for i, name in enumerate(uses) if name.startswith("actions/cache@"))
    assert setup < cache < install
    default = yaml.safe_load(text)["inputs"]["python-version"]["default"]
    assert default in ("3.11", "3.12"), default
    assert steps[setup]["with"]["python-version"] == "${{ inputs.python-version }}"
    assert "steps.key.outputs.key" in steps[cache]["with"]["key"]

    # The key step's script: the key moves with the action's ref and with the interpreter.
    script = next(step["run"] for step in steps if step.get("id") == "key")

    def key(ref: str, python: str) -> str:
        output = tmp_path / "github_output"
        output.write_text("")
        env = {
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_ACTION_PATH": str(ROOT),
            "GITHUB_OUTPUT": str(output),
            "ACTION_REF": ref,
            "SENDGUARD_VERSION": "",
            "PYTHON_VERSION": python,
            "RUNNER": "Linux",
        }
        subprocess.run(["bash", "-c", script], env=env, check=True, capture_output=True, text=True)
        outputs = dict(line.split("=", 1) for line in output.read_text().splitlines())
        assert outputs["key"].startswith(outputs["prefix"])
        return outputs["key"]

    first = key("v0.2.0", "3.12.7")
    assert "3.12.7" in first and "v0.2.0" in first
    assert first == key("v0.2.0", "3.12.7")
    assert len({first, key("v0.3.0", "3.12.7"), key("v0.2.0", "3.11.9")}) == 3
