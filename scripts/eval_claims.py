"""Measure the claim reader (``make eval``): sentences per class, and whole messages.

Three measurements, each printed as a table:

1. the held-out tenth of the training data (``train_claims.dev_split``: never trained
   on; the thresholds were chosen on it, so its precision is optimistic), per class;
2. for each evaluation set (training/claims/eval/; eval2/, written later by another
   session that never saw the training data, since eval/ was partly seen while
   diagnosing; eval3/, written by a third such session once eval2/'s aggregate figures
   had been used to choose between models), sentences.jsonl per class: precision and recall at the shipped
   thresholds. The sets were written apart from the training data and are never
   trained on; this script is the only code that reads them;
3. each set's messages.jsonl: each line a send request and the expected
   answer (``stop``: any decision but allow; ``allow``); every request is judged by
   ``linters.engine.check`` with the claim reader, and again without it (its scores
   forced to zero), so the table shows what the reader adds: problem messages stopped,
   and honest messages stopped (false alarms).

    python scripts/eval_claims.py            # all three
    python scripts/eval_claims.py --json     # the figures as JSON (for docs)
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from train_claims import figures, read_rows, training_files  # noqa: E402

from linters import claim_reader  # noqa: E402
from linters.claim_reader import CLASSES, classify, default_thresholds  # noqa: E402

# The evaluation sets, oldest first. No engineer has read eval2's or eval3's items, but
# eval2's aggregate figures have chosen between models: eval3 is the independent one.
EVAL_DIRS = tuple(ROOT / "training" / "claims" / name for name in ("eval", "eval2", "eval3"))


def jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def sentence_figures(rows: list[dict[str, Any]], thresholds: dict[str, float]) -> dict[str, Any]:
    scores = classify(row["text"] for row in rows)
    return figures(scores, [set(row["labels"]) for row in rows], thresholds)


def held_out(thresholds: dict[str, float]) -> tuple[int, dict[str, Any]]:
    from train_claims import dev_split

    rows, _ = read_rows(training_files())
    dev = [row for row in rows if dev_split(row["text"])]
    return len(dev), sentence_figures(dev, thresholds)


@contextmanager
def reader_off() -> Iterator[None]:
    """Judge as if the reader found nothing (every score 0): the vocabulary alone."""
    original = claim_reader._scores
    zero = (0.0,) * len(CLASSES)
    claim_reader._scores = lambda texts: [zero] * len(texts)  # type: ignore[assignment]
    claim_reader._skeleton_reads_in.cache_clear()  # it keeps the scores of each template's sentences
    try:
        yield
    finally:
        claim_reader._scores = original
        claim_reader._skeleton_reads_in.cache_clear()


def judge(entry: dict[str, Any]) -> tuple[str, list[str]]:
    from linters.engine import check
    from linters.models import RequestError, parse_request

    try:
        result = check(parse_request(entry["request"]))
    except RequestError as exc:
        return "refused", [f"refused: {exc}"]
    return str(result.decision), [f"{f.rule} {f.message}" for f in result.findings]


def message_figures(entries: list[dict[str, Any]]) -> dict[str, Any]:
    problems = [e for e in entries if e["expect"] == "stop"]
    honest = [e for e in entries if e["expect"] == "allow"]
    found: dict[str, Any] = {"problem_messages": len(problems), "honest_messages": len(honest)}
    for mode in ("with_reader", "vocabulary_only"):
        decisions = {}
        if mode == "vocabulary_only":
            with reader_off():
                decisions = {e["id"]: judge(e) for e in entries}
        else:
            decisions = {e["id"]: judge(e) for e in entries}
        stopped = [e for e in problems if decisions[e["id"]][0] != "allow"]
        false_alarms = [e for e in honest if decisions[e["id"]][0] != "allow"]
        missed = Counter(e.get("kind", "?") for e in problems if decisions[e["id"]][0] == "allow")
        found[mode] = {
            "problems_stopped": len(stopped),
            "honest_stopped": len(false_alarms),
            "missed_by_kind": dict(sorted(missed.items())),
            "false_alarms": [{"id": e["id"], "findings": decisions[e["id"]][1]} for e in false_alarms],
        }
    return found


def print_classes(title: str, found: dict[str, Any], thresholds: dict[str, float]) -> None:
    print(title)
    print(f"  {'class':<20} {'threshold':>9} {'support':>7} {'precision':>9} {'recall':>7}  fp  fn")
    for name in CLASSES:
        row = found[name]
        p = "-" if row["precision"] is None else f"{row['precision']:.3f}"
        r = "-" if row["recall"] is None else f"{row['recall']:.3f}"
        print(f"  {name:<20} {thresholds[name]:>9.3f} {row['support']:>7} {p:>9} {r:>7} {row['fp']:>3} {row['fn']:>3}")


def print_messages(found: dict[str, Any], path: Path) -> None:
    problems, honest = found["problem_messages"], found["honest_messages"]
    print(f"whole messages ({path.relative_to(ROOT)}): {problems} problem, {honest} honest")
    for mode, title in (("with_reader", "with the claim reader"), ("vocabulary_only", "vocabulary only")):
        row = found[mode]
        share = row["problems_stopped"] / problems if problems else 0.0
        print(
            f"  {title:<22} problem messages stopped {row['problems_stopped']}/{problems} ({share:.0%}); "
            f"honest messages stopped {row['honest_stopped']}/{honest}"
        )
    row = found["with_reader"]
    if row["missed_by_kind"]:
        print("  missed, by kind: " + ", ".join(f"{k} {v}" for k, v in row["missed_by_kind"].items()))
    for alarm in row["false_alarms"]:
        print(f"  false alarm {alarm['id']}: {'; '.join(alarm['findings'])[:200]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    args = parser.parse_args(argv)
    thresholds = default_thresholds()
    report: dict[str, Any] = {"model": claim_reader.model_info().get("data_sha256"), "thresholds": thresholds}
    count, report["held_out"] = held_out(thresholds)
    report["held_out_sentences"] = count
    report["sets"] = {folder.name: set_figures(folder, thresholds) for folder in EVAL_DIRS}
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print_classes(f"held-out tenth of the training data ({count} sentences; thresholds chosen on it):",
                  report["held_out"], thresholds)  # fmt: skip
    for folder in EVAL_DIRS:
        print_set(folder, report["sets"][folder.name], thresholds)
    return 0


def set_figures(folder: Path, thresholds: dict[str, float]) -> dict[str, Any]:
    """One evaluation set's figures: its sentences per class, its whole messages."""
    found: dict[str, Any] = {}
    sentences, messages = folder / "sentences.jsonl", folder / "messages.jsonl"
    if sentences.is_file():
        rows = jsonl(sentences)
        found["sentences"] = len(rows)
        found["classes"] = sentence_figures(rows, thresholds)
    if messages.is_file():
        found["messages"] = message_figures(jsonl(messages))
    return found


def print_set(folder: Path, found: dict[str, Any], thresholds: dict[str, float]) -> None:
    sentences, messages = folder / "sentences.jsonl", folder / "messages.jsonl"
    print()
    if "classes" in found:
        title = f"evaluation sentences ({found['sentences']}, {sentences.relative_to(ROOT)}):"
        print_classes(title, found["classes"], thresholds)
    else:
        print(f"no evaluation sentences ({sentences.relative_to(ROOT)})")
    if "messages" in found:
        print_messages(found["messages"], messages)
    else:
        print(f"no evaluation messages ({messages.relative_to(ROOT)})")


if __name__ == "__main__":
    raise SystemExit(main())
