"""`sendguard review` tells a newcomer what to do, in one line, instead of botocore's words
or a traceback (issue 32, item 4)."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sendguard._entry import main

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def no_aws_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "DECISIONS_TABLE", "IDEMPOTENCY_TABLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


def test_review_list_without_a_region_names_the_flag_and_the_local_console(
    no_aws_settings: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["review", "list"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "You must specify a region" not in err
    assert "--region" in err and "AWS_DEFAULT_REGION" in err and "review --serve" in err


def test_review_list_without_a_stack_asks_which_stack(
    no_aws_settings: None, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    assert main(["review", "show", "winter-boots-julia"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--stack NAME" in err


def test_review_serve_on_a_busy_port_says_so_and_exits_2(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "sendguard._entry", "review", "--serve", "--port", str(port)],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=180,
        )
    assert done.returncode == 2, done.stderr
    assert f"port {port} on 127.0.0.1 is in use" in done.stderr and "--port 0" in done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
