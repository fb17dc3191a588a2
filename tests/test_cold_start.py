"""What a cold start imports: no spaCy CLI, no X-Ray SDK with tracing off, no spaCy in
the feedback function. Each case runs in a fresh interpreter (imports are per process);
speed itself is measured by `make bench`, never asserted here."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REQUEST = ROOT / "events" / "requests" / "01-arthur-winback.json"


def modules_after(code: str, **env: str) -> set[str]:
    environment = {k: v for k, v in os.environ.items() if k != "LAMBDA_TASK_ROOT"} | env
    script = f"{code}\nimport json, sys\nprint(json.dumps(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )
    return set(json.loads(done.stdout.splitlines()[-1]))


def test_guard_import_and_a_decision_load_neither_spacy_cli_nor_xray():
    loaded = modules_after(
        "import functions.guard.app\n"
        "from linters.engine import check\nfrom linters.models import parse_request\n"
        f"check(parse_request(open({str(REQUEST)!r}).read()))"
    )
    assert "spacy" in loaded and "functions.guard.app" in loaded
    assert not {m for m in loaded if m.startswith(("spacy.cli", "aws_xray_sdk.core", "typer", "weasel"))}
    assert "spacy_lookups_data" not in loaded


def test_spacy_cli_still_imports_when_asked_for():
    loaded = modules_after("import linters.nlp\nimport spacy.cli\nassert callable(spacy.cli.info)")
    assert "spacy.cli.download" in loaded


def test_feedback_function_loads_no_spacy():
    loaded = modules_after("import functions.feedback.app")
    assert not {m for m in loaded if m.split(".")[0] in {"spacy", "thinc", "numpy", "aws_xray_sdk"}}


def test_tracing_follows_powertools_rules(monkeypatch):
    from functions.tracing import NoTracing, make_tracer, tracing_enabled

    monkeypatch.delenv("LAMBDA_TASK_ROOT", raising=False)
    assert not tracing_enabled()
    assert isinstance(make_tracer("sendguard-test").provider, NoTracing)
    monkeypatch.setenv("LAMBDA_TASK_ROOT", "/var/task")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "false")
    assert tracing_enabled()
    monkeypatch.setenv("AWS_SAM_LOCAL", "true")
    assert not tracing_enabled()
    monkeypatch.delenv("AWS_SAM_LOCAL")
    monkeypatch.setenv("POWERTOOLS_TRACE_DISABLED", "true")
    assert not tracing_enabled()


def test_a_disabled_tracer_still_wraps_handlers():
    from functions.tracing import make_tracer

    tracer = make_tracer("sendguard-test")

    @tracer.capture_method
    def double(x: int) -> int:
        return 2 * x

    assert double(21) == 42
