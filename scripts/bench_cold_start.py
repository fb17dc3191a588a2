"""Cold start, measured as CPU time side by side in one run (part of `make bench`).

Three fresh processes, taken in turn ``--runs`` times (15 by default), after one
uncounted round that compiles the bytecode (see ``bytecode_env``):

- ``python -c "import spacy"``: the yardstick;
- ``sendguard check one.json``: the whole command, process start to exit;
- the guard: a process that imports ``functions.guard.handler`` (the Lambda entry
  point) and calls its ``lambda_handler`` with an SQS batch (events/sqs-batch.json), against a moto server
  this script runs (its CPU is not the child's); counted from process start to the
  first decision (the first return of ``linters.engine.check`` in the handler).

CPU time (user + system) rather than wall time, so the other processes on a shared
machine weigh less. Even so a process's CPU time varies by a fifth from run to run on
this machine, and the best of each column picks its luckiest run: the ratio printed is
the median of each run's own ratio (the three processes of a run start within a second
of each other, under the same load). The target is at most 1.2.

``--instructions`` counts the instructions of the same three processes instead, once
each under valgrind (cachegrind, no cache simulation; about a minute a process), with
a fixed hash seed and fixed addresses (``fixed_addresses``): the same code gives the same count to within about 0.5%, whatever
else the machine does. That is the way to tell whether a change to the cold start
helps: run it before and after. The counts are not the CPU time: an import spends much
of its time in the kernel and waiting on memory, which instructions do not show, so
their ratio to ``import spacy`` is higher than the CPU ratio, and it is not the target.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from pathlib import Path
from statistics import median
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
REQUEST = ROOT / "events" / "requests" / "01-arthur-winback.json"
BATCH = ROOT / "events" / "sqs-batch.json"
TARGET = 1.2

# `sendguard check one.json`, as the console script runs it.
CHECK_CHILD = """
import sys
from linters.cli import main
sys.exit(main(["check", sys.argv[1]]))
"""

# The guard as Lambda's runtime would load it, timed at the first decision
# (sys.argv[2] names the file the child's marks go to; a third argument,
# --exit-at-decision, ends the process there, for counting instructions).
GUARD_CHILD = """
import json, os, sys, time
marks = {}
import functions.guard.handler  # the Lambda entry point, as template.yaml names it
import functions.guard.app as app

marks["imported"] = time.process_time()
check = app.check


def timed_check(*args, **kwargs):
    result = check(*args, **kwargs)
    if sys.argv[3:] == ["--exit-at-decision"]:
        sys.stdout.flush()
        os._exit(0)
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


response = functions.guard.handler.lambda_handler(json.loads(open(sys.argv[1]).read()), Context())
marks["exit"] = time.process_time()
marks["failures"] = len(response.get("batchItemFailures", []))
open(sys.argv[2], "w").write(json.dumps(marks))
"""


YARDSTICK = 'python -c "import spacy"'
SPACY_COMMAND = [sys.executable, "-c", "import spacy"]
CHECK_COMMAND = [sys.executable, "-c", CHECK_CHILD, str(REQUEST)]


def guard_command(event_file: Path, marks_file: Path, *extra: str) -> list[str]:
    return [sys.executable, "-c", GUARD_CHILD, str(event_file), str(marks_file), *extra]


def child_cpu(command: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0,)) -> float:
    """User + system CPU seconds of one child process, start to exit."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL)
    if done.returncode not in ok:
        raise SystemExit(f"bench_cold_start: {command[:3]} exited with {done.returncode}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def check_cpu(work: Path, env: dict[str, str]) -> float:
    """CPU of `sendguard check one.json` (exit 1 is "stopped", a normal answer)."""
    return child_cpu(CHECK_COMMAND, env, ok=(0, 1))


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
    child_cpu(guard_command(event_file, marks_file), env)
    marks = json.loads(marks_file.read_text(encoding="utf-8"))
    if "decision" not in marks:
        raise SystemExit("bench_cold_start: the guard made no decision; see its output")
    return marks


def bytecode_env(work: Path) -> dict[str, str]:
    """The environment of every child: bytecode compiled once, into a cache of its own.

    An installed wheel and the Lambda package (scripts/package.py) both ship compiled
    bytecode; a checkout run with PYTHONDONTWRITEBYTECODE (as CI and this machine set)
    would recompile sendguard's modules in every child, about 0.1 s that no deployment
    pays. The prefix holds the bytecode of every module, spaCy's included, so the
    yardstick is compiled the same way.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return {**env, "PYTHONPYCACHEPREFIX": str(work / "pycache")}


VALGRIND = ["valgrind", "--tool=cachegrind", "--cache-sim=no", "--cachegrind-out-file=/dev/null"]


@cache
def fixed_addresses() -> list[str]:
    """``setarch -R`` where it works: the child runs without address-space randomisation.
    Without it, objects land at other addresses in every run, and what depends on an
    address (the hash of an object, so the order of a set of objects; the allocator's
    paths) moves the count by several percent between two runs of the same code. Where
    setarch is missing, or may not turn randomisation off (a container whose seccomp
    profile refuses it), the count runs without it, as before."""
    setarch = shutil.which("setarch")
    if setarch is None:
        return []
    command = [setarch, platform.machine(), "-R"]
    probe = subprocess.run([*command, "true"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return command if probe.returncode == 0 else []


def instructions(command: list[str], env: dict[str, str]) -> int:
    """Instructions one child process executes, start to exit, counted by valgrind."""
    done = subprocess.run(
        [*fixed_addresses(), *VALGRIND, *command],
        cwd=ROOT,
        env={**env, "PYTHONHASHSEED": "0"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    counted = re.search(r"I\s+refs:\s+([\d,]+)", done.stderr)
    if counted is None:
        raise SystemExit(
            f"bench_cold_start: valgrind counted nothing for {command[:3]}:\n{done.stderr[-2000:]}"
        )
    return int(counted.group(1).replace(",", ""))


def count_instructions(plain_env: dict[str, str], guard_env: dict[str, str], work: Path) -> None:
    event_file = work / "event-instructions.json"
    event_file.write_text(json.dumps(batch_with_fresh_ids(10**6)), encoding="utf-8")
    yardstick = instructions(SPACY_COMMAND, plain_env)
    counts = {
        "sendguard check one.json": instructions(CHECK_COMMAND, plain_env),
        "guard: start to first decision": instructions(
            guard_command(event_file, work / "unused.json", "--exit-at-decision"), guard_env
        ),
    }
    print("\ncold start, instructions (valgrind; compare runs of two versions, not with the CPU target)")
    print(f"  {YARDSTICK:<44}{yardstick / 1e9:>7.3f} G")
    for label, count in counts.items():
        print(f"  {label:<44}{count / 1e9:>7.3f} G   {count / yardstick:.3f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--verbose", action="store_true", help="print every run")
    parser.add_argument(
        "--instructions",
        action="store_true",
        help="count instructions under valgrind instead (deterministic)",
    )
    args = parser.parse_args(argv)
    if args.instructions and shutil.which("valgrind") is None:
        raise SystemExit("bench_cold_start: --instructions needs valgrind (apt-get install valgrind)")

    from functions import local

    spacy_runs, check_runs, guard_runs, guard_exit, guard_import = [], [], [], [], []
    with local.embedded_moto(), tempfile.TemporaryDirectory() as work:
        stack = local.provision()
        local.seed_stack(stack, ROOT / "events" / "customers.jsonl", ROOT / "events" / "history.jsonl")
        local.verify_senders([r.get("from", "") for r in local.requests_in_event(batch_with_fresh_ids(0))])
        bytecode = bytecode_env(Path(work))
        guard_env = {**bytecode, **stack.function_environment("GuardFunction")}
        plain_env = {k: v for k, v in bytecode.items() if not k.startswith("AWS_ENDPOINT")}
        for run in range(-1, 0 if args.instructions else args.runs):  # run -1 only writes the bytecode
            spacy = child_cpu(SPACY_COMMAND, plain_env)
            check = check_cpu(Path(work), plain_env)
            marks = guard_cpu(run, guard_env, Path(work))
            if run < 0:
                continue
            spacy_runs.append(spacy)
            check_runs.append(check)
            guard_runs.append(marks["decision"])
            guard_exit.append(marks["exit"])
            guard_import.append(marks["imported"])
            if args.verbose:
                print(
                    f"run {run}: import spacy {spacy:.2f} s, check {check:.2f} s, guard {marks['decision']:.2f} s"
                )
        if args.instructions:
            count_instructions(plain_env, guard_env, Path(work))
            return 0
    print(
        f"\ncold start, CPU seconds (median of {args.runs} runs; ratio: the median of each run's own ratio;"
        f" target: at most {TARGET}x import spacy)"
    )
    print(f"  {YARDSTICK:<44}{median(spacy_runs):>7.2f} s")
    for label, runs in (
        ("sendguard check one.json", check_runs),
        ("guard: start to first decision", guard_runs),
    ):
        ratios = sorted(cpu / base for cpu, base in zip(runs, spacy_runs, strict=True))
        print(
            f"  {label:<44}{median(runs):>7.2f} s   {median(ratios):.2f}x"
            f"   (runs: {ratios[0]:.2f}x to {ratios[-1]:.2f}x)"
        )
    print(
        f"  guard: import {median(guard_import):.2f} s; batch of 4 done {median(guard_exit):.2f} s"
        " (boto3, its clients and the AWS calls before a decision are the guard's own)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
