"""Cold start, measured as CPU time side by side in one run (part of `make bench`).

Three fresh processes, taken in turn ``--runs`` times; the best of each is kept (the
least disturbed by the other work on the machine):

- ``python -c "import spacy"``: the yardstick;
- ``sendguard check one.json``: the whole command, process start to exit;
- the guard: a process that imports ``functions.guard.app`` and calls its
  ``lambda_handler`` with an SQS batch (events/sqs-batch.json), against a moto server
  this script runs (its CPU is not the child's); counted from process start to the
  first decision (the first return of ``linters.engine.check`` in the handler).

CPU time (user + system) rather than wall time, so the other processes on a shared
machine weigh less. Prints both ratios to ``import spacy``; the target is at most 1.2.
When ``pybars`` is still imported on the way (its grammar is built at import), the
ratio without that import is printed too.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REQUEST = ROOT / "events" / "requests" / "01-arthur-winback.json"
BATCH = ROOT / "events" / "sqs-batch.json"
TARGET = 1.2

# Runs in the child: the guard as Lambda's runtime would load it, timed at the first decision.
GUARD_CHILD = """
import json, sys, time
import functions.guard.app as app

marks = {"imported": time.process_time()}
check = app.check


def timed_check(*args, **kwargs):
    result = check(*args, **kwargs)
    marks.setdefault("decision", time.process_time())
    return result


app.check = timed_check


class Context:
    function_name = "sendguard-guard"
    memory_limit_in_mb = 1024
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:sendguard-guard"
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self):
        return 30000


response = app.lambda_handler(json.loads(open(sys.argv[1]).read()), Context())
marks["exit"] = time.process_time()
marks["failures"] = len(response.get("batchItemFailures", []))
marks["pybars"] = "pybars" in sys.modules
open(sys.argv[2], "w").write(json.dumps(marks))
"""


def child_cpu(command: list[str], env: dict[str, str] | None = None) -> float:
    """User + system CPU seconds of one child process, start to exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run(command, check=True, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def pybars_import_cpu(env: dict[str, str] | None = None) -> float:
    """What ``import pybars`` adds to a process that has already imported the rest."""
    base = [sys.executable, "-c", "import pydantic, re, spacy"]
    with_pybars = [sys.executable, "-c", "import pydantic, re, spacy, pybars"]
    return max(0.0, child_cpu(with_pybars, env) - child_cpu(base, env))


def batch_with_fresh_ids(run: int) -> dict[str, Any]:
    """The sample batch, its request ids made unique per run (the guard is idempotent)."""
    event = json.loads(BATCH.read_text(encoding="utf-8"))
    for record in event["Records"]:
        body = json.loads(record["body"])
        body["id"] = f"{body['id']}-cold-{os.getpid()}-{run}"
        record["body"] = json.dumps(body)
    return event


def guard_cpu(run: int, env: dict[str, str], work: Path) -> dict[str, Any]:
    event_file, marks_file = work / f"event-{run}.json", work / f"marks-{run}.json"
    event_file.write_text(json.dumps(batch_with_fresh_ids(run)), encoding="utf-8")
    child_cpu([sys.executable, "-c", GUARD_CHILD, str(event_file), str(marks_file)], env)
    marks = json.loads(marks_file.read_text(encoding="utf-8"))
    if "decision" not in marks:
        raise SystemExit("bench_cold_start: the guard made no decision; see its output")
    return marks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args(argv)

    from functions import local

    spacy_runs, check_runs, guard_runs, guard_exit, guard_import = [], [], [], [], []
    pybars_seen = False
    check_command = [sys.executable, "-m", "linters.cli", "check", str(REQUEST)]
    with local.embedded_moto(), tempfile.TemporaryDirectory() as work:
        stack = local.provision()
        local.seed_stack(stack, ROOT / "events" / "customers.jsonl", ROOT / "events" / "history.jsonl")
        local.verify_senders([r.get("from", "") for r in local.requests_in_event(batch_with_fresh_ids(0))])
        guard_env = {**os.environ, **stack.function_environment("GuardFunction")}
        plain_env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_ENDPOINT")}
        for run in range(args.runs):
            spacy_runs.append(child_cpu([sys.executable, "-c", "import spacy"], plain_env))
            check_runs.append(child_cpu(check_command, plain_env))
            marks = guard_cpu(run, guard_env, Path(work))
            guard_runs.append(marks["decision"])
            guard_exit.append(marks["exit"])
            guard_import.append(marks["imported"])
            pybars_seen = pybars_seen or marks["pybars"]
    spacy_cpu, check_cpu, guard_decision = min(spacy_runs), min(check_runs), min(guard_runs)
    print(f"\ncold start, CPU seconds (best of {args.runs}; target: at most {TARGET}x import spacy)")
    yardstick = 'python -c "import spacy"'
    print(f"  {yardstick:<44}{spacy_cpu:>7.2f} s")
    print(f"  {'sendguard check one.json':<44}{check_cpu:>7.2f} s   {check_cpu / spacy_cpu:.2f}x")
    print(
        f"  {'guard: start to first decision':<44}{guard_decision:>7.2f} s   {guard_decision / spacy_cpu:.2f}x"
        f"   (of which import: {min(guard_import):.2f} s; batch of 4 done: {min(guard_exit):.2f} s)"
    )
    if pybars_seen:
        pybars = pybars_import_cpu(plain_env)
        print(
            f"  without pybars' import ({pybars:.2f} s; linters.render still uses it): "
            f"check {(check_cpu - pybars) / spacy_cpu:.2f}x, guard {(guard_decision - pybars) / spacy_cpu:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
