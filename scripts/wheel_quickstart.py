"""CI (.ci/run): the README's quick starts, verbatim, from the built wheel in a clean venv.

Builds the wheel from this checkout (``pip wheel --no-deps``; its backend, setuptools>=77
and wheel, comes from the package index unless this Python has it), creates a virtual
environment in a temporary folder, installs the wheel with its dependencies (pip's own
cache is reused, so spaCy is downloaded once per machine), and then, in a scratch
project folder that holds only sample files copied from the repository (``templates/``,
``events/``, ``promo.hbs``, ``list.jsonl``), runs every command of the README's quick
starts and of "The command line", and the Python API example, exactly as written.

Commands that cannot work from a wheel (``pip install sendguard==0.2.0`` from the index,
``make``, ``sam deploy``, a placeholder ``send({...})``, ``sendguard review list`` against
a deployed stack) are printed as "not run" with the reason; a command the script does not
know fails the run, so a new README command is either run here or given a reason.

Last, the local tools without the ``local`` extra: ``sendguard invoke`` and ``sendguard
review --serve`` must end in one line naming ``sendguard[local]`` (exit 2), not a trace.

    python3 scripts/wheel_quickstart.py [--keep]

Exit 0 when everything ran as the README says, 1 otherwise. About 1 minute with a warm
pip cache (spaCy and its dependencies downloaded once take a few minutes more).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
SECTIONS = (
    "Quick start: templates in pull requests",
    "Python API",
    "Quick start: the send guard",
    "The command line",
)
# Commands of those sections that cannot run from a wheel on a machine without AWS:
# (pattern on the command line, reason). Printed, never run.
NOT_FROM_A_WHEEL: tuple[tuple[str, str], ...] = (
    (
        r"^pip install git\+https://github\.com/sendguard/sendguard",
        "installs from the repository (CI reaches the package index only); the built wheel is installed instead",
    ),
    (
        r"^pip install 'sendguard\[local\] @ git\+https://github\.com/sendguard/sendguard'",
        "the local extra: installed from the built wheel below (the local tools with the local extra)",
    ),
    (
        r"^pip install \./client",
        "the producer package of a clone (tests/test_ecosystem.py installs client/)",
    ),
    (r"^python -c .*send\(\{\.\.\.\}\)", "a placeholder request ({...}) and an outbox queue to send to"),
    (r"^make ", "a target of the source checkout (a fresh clone's .venv), not of the wheel"),
    (r"^sam deploy", "deploys to an AWS account"),
    (r"^sendguard review list", "reads the quarantine table of a deployed stack (AWS credentials)"),
)
# sendguard's exit codes: 1 is "findings stop a message", which the sample files have.
FINDINGS_ALLOWED = {"check", "lint", "preflight"}
BUILD_FILES = ("setup.py", "pyproject.toml", "README.md", "LICENSE", "template.yaml")
BUILD_PACKAGES = ("sendguard", "linters", "functions", "events")


class Failed(Exception):
    pass


def say(text: str) -> None:
    print(text, flush=True)


def run(argv: list[str], **kwargs) -> subprocess.CompletedProcess[str]:
    say("$ " + shlex.join(str(a) for a in argv))
    return subprocess.run([str(a) for a in argv], capture_output=True, text=True, **kwargs)


def show(done: subprocess.CompletedProcess[str], limit: int = 40) -> None:
    for stream in (done.stdout, done.stderr):
        lines = stream.rstrip("\n").splitlines()
        for line in lines[:limit]:
            say("    " + line)
        if len(lines) > limit:
            say(f"    ... ({len(lines) - limit} more lines)")


# --- the README ------------------------------------------------------------------------


def sections(text: str) -> dict[str, str]:
    found, title, body = {}, None, []
    for line in text.splitlines():
        heading = re.match(r"^(#{2,3}) (.+)$", line)
        if heading and heading.group(1) == "##":
            if title is not None:
                found[title] = "\n".join(body)
            title, body = heading.group(2).strip(), []
        elif title is not None:
            body.append(line)
    if title is not None:
        found[title] = "\n".join(body)
    return found


def code_blocks(section: str) -> list[tuple[str, str]]:
    """(language, text) of each fenced block, in order."""
    return [(m.group(1), m.group(2)) for m in re.finditer(r"^```(\w*)\n(.*?)^```", section, re.M | re.S)]


def shell_commands(block: str) -> list[str]:
    commands = []
    for line in block.splitlines():
        words = shlex.split(line, comments=True)
        if words:
            commands.append(shlex.join(words) if words[0] != "python" else line.split("  #")[0].strip())
    return commands


def reason_not_run(command: str) -> str | None:
    return next((why for pattern, why in NOT_FROM_A_WHEEL if re.search(pattern, command)), None)


# --- building and installing -----------------------------------------------------------


def has_build_backend() -> bool:
    from importlib import metadata

    try:
        major = int(metadata.version("setuptools").split(".")[0])
        metadata.version("wheel")
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return major >= 77


def build_wheel(scratch: Path) -> Path:
    """The wheel of what a fresh clone holds, built in ``scratch`` (no build/ in the checkout)."""
    source = scratch / "src"
    source.mkdir()
    for name in BUILD_FILES:
        shutil.copy2(ROOT / name, source / name)
    for name in BUILD_PACKAGES:
        shutil.copytree(ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    dist = scratch / "dist"
    isolation = ["--no-build-isolation"] if has_build_backend() else []
    done = run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", *isolation, "-w", dist, source])
    if done.returncode != 0:
        show(done)
        raise Failed("the wheel did not build")
    [wheel] = dist.glob("sendguard-*.whl")
    say(f"    built {wheel.name}")
    return wheel


def install(scratch: Path, wheel: Path) -> Path:
    folder = scratch / "venv"
    say(f"$ {sys.executable} -m venv {folder}")
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    done = run([python, "-m", "pip", "install", "--quiet", wheel])  # pip's cache: spaCy once per machine
    if done.returncode != 0:
        show(done)
        raise Failed("the wheel did not install")
    return folder / "bin"


def project(scratch: Path) -> Path:
    """A user's folder with the files the README's commands name, copied from this repository."""
    work = scratch / "project"
    work.mkdir()
    shutil.copytree(ROOT / "tests/data/lint/project/templates", work / "templates")
    shutil.copytree(ROOT / "events", work / "events", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    shutil.copy2(ROOT / "tests/data/lint/promo.hbs", work / "promo.hbs")
    shutil.copy2(ROOT / "events/campaign/recipients.jsonl", work / "list.jsonl")
    return work


# --- running ---------------------------------------------------------------------------


def clean_env(bin_dir: Path, home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "VIRTUAL_ENV", "AWS_"))}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '/usr/bin:/bin')}", VIRTUAL_ENV=str(bin_dir.parent)
    )
    env.update(HOME=str(home), NO_COLOR="1")
    return env


def crashed(done: subprocess.CompletedProcess[str]) -> bool:
    return "Traceback (most recent call last)" in done.stderr or "internal error" in done.stderr


def run_sendguard(command: str, work: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command)
    done = run(argv, cwd=work, env=env, timeout=300)
    show(done)
    allowed = {0, 1} if len(argv) > 1 and argv[1] in FINDINGS_ALLOWED else {0}
    if done.returncode not in allowed or crashed(done):
        raise Failed(f"{command!r} exited {done.returncode} (expected {sorted(allowed)})")
    if "--format sarif" in command and "-o" in argv:
        sarif = json.loads((work / argv[argv.index("-o") + 1]).read_text("utf-8"))
        assert sarif["version"] == "2.1.0", sarif.get("version")
        say(
            f"    {argv[argv.index('-o') + 1]}: SARIF {sarif['version']}, {len(sarif['runs'][0]['results'])} results"
        )
    return done


def run_python(block: str, work: Path, bin_dir: Path, env: dict[str, str]) -> None:
    script = work / "readme_example.py"
    script.write_text(block, "utf-8")
    done = run([bin_dir / "python", script.name], cwd=work, env=env, timeout=300)
    show(done)
    if done.returncode != 0:
        raise Failed("the README's Python example failed")
    # `print(...)   # rewrite Hi Bob,`: the comment is what the README says it prints.
    for expected in re.findall(r"^print\(.*\)\s+#\s*(.+)$", block, re.M):
        if expected.strip() not in done.stdout:
            raise Failed(f"the README's Python example did not print {expected.strip()!r}")


def readme_commands(work: Path, bin_dir: Path, env: dict[str, str]) -> list[str]:
    found = sections(README.read_text("utf-8"))
    not_run = []
    for title in SECTIONS:
        if title not in found:
            raise Failed(f"README.md has no section {title!r}")
        say(f"\n## {title}")
        outputs = []
        for language, block in code_blocks(found[title]):
            if language == "python":
                run_python(block, work, bin_dir, env)
            elif language in ("sh", "console", "bash"):
                for command in shell_commands(block):
                    why = reason_not_run(command)
                    if why:
                        say(f"not run: {command}  ({why})")
                        not_run.append(command)
                    elif command.startswith("sendguard "):
                        outputs.append(run_sendguard(command, work, env).stdout)
                    else:
                        raise Failed(f"unknown quick-start command {command!r}: run it here or give a reason")
            elif language == "" and outputs:
                # A sample output printed after the commands: every line of it is in theirs.
                printed = "\n".join(outputs)
                missing = [
                    line for line in block.splitlines() if line.strip() and line.rstrip() not in printed
                ]
                if missing:
                    raise Failed(f"the README's sample output differs from the commands' output: {missing}")
                say(f"    sample output of {title!r}: {len(block.splitlines())} lines as printed")
    return not_run


def local_tools_need_the_extra(work: Path, env: dict[str, str]) -> None:
    say("\n## the local tools without the local extra")
    for command in ("sendguard invoke guard events/sqs-batch.json", "sendguard review --serve"):
        done = run(shlex.split(command), cwd=work, env=env, timeout=120)
        show(done)
        if done.returncode != 2 or crashed(done) or "sendguard[local]" not in done.stderr:
            raise Failed(f"{command!r} without moto: expected one line naming sendguard[local], exit 2")


def local_tools_with_the_extra(wheel: Path, bin_dir: Path, work: Path, env: dict[str, str]) -> None:
    """With ``sendguard[local]``, ``sendguard invoke`` runs the guard on embedded moto from
    the wheel alone: the stack (template.yaml) and the sample data ship inside it."""
    say("\n## the local tools with the local extra")
    done = run([bin_dir / "python", "-m", "pip", "install", "--quiet", f"{wheel}[local]"])
    if done.returncode != 0:
        show(done)
        raise Failed("the local extra did not install")
    command = "sendguard invoke guard events/sqs-batch.json"
    say(f"$ {command}")
    done = run(shlex.split(command), cwd=work, env=env, timeout=300)
    show(done, limit=12)
    if done.returncode not in (0, 1) or crashed(done):
        raise Failed(f"{command!r} with the local extra: exit {done.returncode}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    if sys.version_info < (3, 11):  # noqa: UP036 (CI runs this with python3, whatever it is)
        say(
            f"wheel quick start FAILED: sendguard needs Python 3.11 or later, this is {sys.version.split()[0]}"
        )
        return 1
    started = time.monotonic()
    scratch = Path(tempfile.mkdtemp(prefix="sendguard-quickstart-"))
    say(f"wheel quick start in {scratch}")
    try:
        wheel = build_wheel(scratch)
        bin_dir = install(scratch, wheel)
        work = project(scratch)
        env = clean_env(bin_dir, scratch / "home")
        (scratch / "home").mkdir()
        not_run = readme_commands(work, bin_dir, env)
        local_tools_need_the_extra(work, env)
        local_tools_with_the_extra(wheel, bin_dir, work, env)
    except (Failed, AssertionError, subprocess.TimeoutExpired) as exc:
        say(f"\nwheel quick start FAILED: {exc}")
        return 1
    finally:
        if args.keep:
            say(f"kept {scratch}")
        else:
            shutil.rmtree(scratch, ignore_errors=True)
    say(
        f"\nwheel quick start passed in {time.monotonic() - started:.0f} s; not run from a wheel: {len(not_run)}"
    )
    for command in not_run:
        say(f"  {command}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
