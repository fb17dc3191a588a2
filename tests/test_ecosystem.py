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
