"""Helpers the benchmarks share: the tokenizer baseline, and child processes' CPU and memory.

The yardstick of the campaign figures (scripts/bench_campaign.py, scripts/bench_preflight.py)
is spaCy's English tokenizer over the same rendered messages: the engine's own tokenizer
(``linters.tokenizer.english_tokenizer``, what ``spacy.blank("en")`` builds, with its affix
patterns from the regex cache), each message's parts rendered by ``linters.render`` with
the recipient's data and tokenized one part at a time, as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def positive(text: str) -> int:
    """An argparse type: a whole number above zero."""
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {number}")
    return number


def engine_tokenizer() -> Any:
    """spaCy's English tokenizer as the engine builds it (``linters.nlp.pipeline``'s,
    without the sentencizer and lemmatizer): the same rules as ``spacy.blank("en")``'s."""
    from spacy.lang.en import English

    from linters.tokenizer import english_tokenizer

    return English(create_tokenizer=english_tokenizer).tokenizer


def render_messages(parts: Mapping[str, str], datas: Iterable[Mapping[str, Any]]) -> list[tuple[str, ...]]:
    """Each recipient's message: every part rendered with its data (``linters.render``)."""
    from linters.render import render

    return [
        tuple(render(text, dict(data), escape_html=name == "html").text for name, text in parts.items())
        for data in datas
    ]


def tokenize_messages(tokenizer: Any, messages: Iterable[Sequence[str]]) -> None:
    """The baseline's work: every part of every message through the tokenizer."""
    for message in messages:
        for text in message:
            tokenizer(text)


def write_messages(path: Path, messages: Iterable[Sequence[str]]) -> None:
    """Rendered messages, one JSON list of parts a line, for ``TOKENIZER_CHILD``."""
    with path.open("w", encoding="utf-8") as handle:
        for message in messages:
            handle.write(json.dumps(list(message)) + "\n")


# The baseline process: start Python, import spaCy as the engine does (linters/ installs
# spacy_loader, so spaCy comes without spacy.cli), build the engine's tokenizer and
# tokenize every message of a file written by ``write_messages``.
TOKENIZER_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[2])
from spacy.lang.en import English
from linters.tokenizer import english_tokenizer
tokenizer = English(create_tokenizer=english_tokenizer).tokenizer
with open(sys.argv[1], encoding="utf-8") as handle:
    for line in handle:
        for text in json.loads(line):
            tokenizer(text)
"""


def tokenizer_command(messages_file: Path) -> list[str]:
    return [sys.executable, "-c", TOKENIZER_CHILD, str(messages_file), str(ROOT)]


@dataclass(frozen=True)
class Usage:
    cpu: float  # user + system seconds, from getrusage(RUSAGE_CHILDREN) around the child
    peak_rss_mib: float  # the child's own ru_maxrss (os.wait4)
    code: int


# Children are started by this small process, not by the benchmark itself: Linux counts in
# a child's ru_maxrss the memory of the process it was forked from (the old image's high
# water mark is kept at exec), so a child of a benchmark holding 50,000 records would
# report the benchmark's size. One JSON request a line: [command, env]; one answer a line.
_SPAWNER = """
import json, os, resource, subprocess, sys
for line in sys.stdin:
    command, env = json.loads(line)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    _, status, own = os.wait4(process.pid, 0)
    process.returncode = code = os.waitstatus_to_exitcode(status)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(json.dumps([cpu, own.ru_maxrss, code]), flush=True)
"""
_spawner: subprocess.Popen | None = None


def child_usage(
    command: list[str], env: Mapping[str, str] | None = None, ok: tuple[int, ...] = (0,)
) -> Usage:
    """CPU time and peak RSS of one child process, start to exit (its output discarded)."""
    global _spawner
    if _spawner is None:
        _spawner = subprocess.Popen(
            [sys.executable, "-c", _SPAWNER],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
    assert _spawner.stdin is not None and _spawner.stdout is not None
    _spawner.stdin.write(json.dumps([command, dict(env if env is not None else os.environ)]) + "\n")
    _spawner.stdin.flush()
    cpu, rss_kib, code = json.loads(_spawner.stdout.readline())
    if code not in ok:
        raise SystemExit(f"{Path(sys.argv[0]).name}: {command[:4]} exited with {code}")
    return Usage(cpu, rss_kib / 1024, code)


# --- realistic recipients --------------------------------------------------------------

SURNAMES = [
    "Smith",
    "Jones",
    "Taylor",
    "Brown",
    "Williams",
    "Wilson",
    "Johnson",
    "Davies",
    "Patel",
    "Wright",
    "Robinson",
    "Thompson",
    "Evans",
    "Walker",
    "White",
    "Roberts",
    "Green",
    "Hall",
    "Thomas",
    "Clarke",
    "Jackson",
    "Wood",
    "Harris",
    "Edwards",
    "Turner",
    "Martin",
    "Cooper",
    "Hill",
    "Ward",
    "Hughes",
    "Moore",
    "Clark",
    "King",
    "Harrison",
    "Lewis",
    "Baker",
    "Lee",
    "Allen",
    "Morris",
    "Khan",
    "Scott",
    "Watson",
    "Davis",
    "Parker",
    "James",
    "Bennett",
    "Young",
    "Phillips",
    "Richardson",
    "Mitchell",
    "Bailey",
    "Carter",
    "Cook",
    "Singh",
    "Shaw",
    "Bell",
    "Collins",
    "Morgan",
    "Kelly",
    "Begum",
    "Miller",
    "Cox",
    "Hussain",
    "Marshall",
    "Simpson",
    "Price",
    "Anderson",
    "Adams",
    "Wilkinson",
    "Ali",
    "Ahmed",
    "Foster",
    "Ellis",
    "Murphy",
    "Chapman",
    "Mason",
    "Gray",
    "Richards",
    "Webb",
    "Griffiths",
    "Hunt",
    "Palmer",
    "Campbell",
    "Holmes",
    "Mills",
    "Rogers",
    "Barnes",
    "Knight",
    "Matthews",
    "Barker",
    "Powell",
    "Stevens",
    "Kaur",
    "Fisher",
    "Butler",
    "Dixon",
    "Russell",
    "Harvey",
    "Pearson",
    "Graham",
    "Okafor",
    "Nguyen",
    "Kowalski",
    "Silva",
    "Rossi",
    "Dubois",
    "Müller",
    "García",
    "Fernández",
    "Novak",
    "Hansen",
    "Jensen",
    "Murray",
    "O'Brien",
    "MacDonald",
    "Fraser",
    "Reid",
    "Ross",
    "Chen",
    "Wang",
    "Tanaka",
    "Sato",
    "Kim",
    "Park",
    "Mensah",
    "Mwangi",
    "Okonkwo",
]


def given_names() -> list[str]:
    """The given names the engine knows (linters/data/given_names.json: census and Faker lists)."""
    data = json.loads((ROOT / "linters" / "data" / "given_names.json").read_text(encoding="utf-8"))
    return list(data["names"])
