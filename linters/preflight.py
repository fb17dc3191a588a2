"""``sendguard preflight``: what the guard would do to each recipient of a campaign.

    sendguard preflight --template winback.hbs --recipients customers.jsonl \\
        [--format text|json|html] [--jobs N] [--output-file FILE] [--config FILE] [--now TIME]
        [--select|--ignore RULES] [--statistics] [--exit-zero] [--quiet] [--show-settings]

Recipients are read and judged as a stream (linters/recipients.py), in batches, on
``--jobs`` processes, and written in input order, so memory stays flat however long
the file. Exit codes as `sendguard check`: 0 every recipient sendable (allow or
rewrite), 1 some would be blocked or held, 2 a bad template, policy or record.
"""

from __future__ import annotations

import argparse
import sys
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from itertools import islice
from pathlib import Path
from typing import IO, Any

from . import formats
from .campaign import Campaign, CampaignTemplate, Verdict
from .options import add_common_options, policy_settings, print_settings, statistics_lines
from .preflight_report import Summary
from .recipients import FORMATS, Item, guess_format, open_binary, read_items
from .safe_text import error_line
from .selection import selection_from_args

EXIT_OK, EXIT_STOPPED, EXIT_BAD_INPUT = 0, 1, 2
BATCH = 256  # records per task: large enough to pay for the pickling, small enough to stream
_IN_FLIGHT_PER_JOB = 4


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.description = "Judge one template for every recipient of a campaign, before the send."
    parser.add_argument(
        "--template", required=True, metavar="FILE", help="template file (as `sendguard lint`)"
    )
    parser.add_argument(
        "--recipients", required=True, metavar="FILE", help="recipients, JSON Lines or CSV; - for stdin"
    )
    parser.add_argument("--recipients-format", choices=FORMATS, help="default: from the file name or content")
    parser.add_argument("--format", choices=formats.PREFLIGHT_FORMATS, default="text")
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="processes to judge on (default 1)")
    parser.add_argument(
        "--now", metavar="TIME", help="judge as of this ISO 8601 time (default: the time preflight starts)"
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar, even on a terminal")
    add_common_options(parser, policy_alias=True)


def load_template(path: str) -> CampaignTemplate:
    """The template file as `sendguard lint` reads it; ValueError names what is wrong."""
    from .handlebars import TemplateSyntaxError
    from .lint.inputs import InputError, load_path
    from .render import compile_template

    try:
        source = load_path(Path(path), explicit=True)
    except InputError as exc:
        raise ValueError(str(exc)) from None
    if source is None:
        raise ValueError(f"{path}: not a template file")
    template = CampaignTemplate.from_source(source)
    for name, text in template.parts.items():
        try:
            compile_template(text, name == "html")
        except TemplateSyntaxError as exc:
            raise ValueError(f"{path}: {name} part: {exc}") from None
    return template


def _parse_now(value: str | None) -> datetime:
    if not value:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"--now: not an ISO 8601 time: {value!r}") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


# --- judging, in this process or in a pool ---------------------------------------------

_worker: Campaign | None = None


def _start_worker(template: CampaignTemplate, policy: Any, now: datetime) -> None:
    global _worker
    _worker = Campaign(template, policy, now)


def judge_batch(campaign: Campaign, batch: list[Item]) -> list[Verdict]:
    verdicts = []
    for item in batch:
        if item.error is not None:
            verdicts.append(Verdict(item.line, None, None, error=item.error, field=item.field))
            continue
        try:
            verdicts.append(campaign.judge_record(item.line, item.record))
        except Exception as exc:  # a bug must not stop the other recipients; the record is reported
            record_id = item.record.get("id") if isinstance(item.record, dict) else None
            verdicts.append(Verdict(item.line, record_id, None, error=f"internal error: {exc!r}"))
    return verdicts


def _judge_in_worker(batch: list[Item]) -> list[Verdict]:
    assert _worker is not None, "the pool initializer builds the campaign"
    return judge_batch(_worker, batch)


def _batches(items: Iterable[Item]) -> Iterator[list[Item]]:
    iterator = iter(items)
    while batch := list(islice(iterator, BATCH)):
        yield batch


def verdicts(
    items: Iterable[Item], template: CampaignTemplate, policy: Any, now: datetime, jobs: int = 1
) -> Iterator[list[Verdict]]:
    """Verdict batches in input order. With jobs > 1 a bounded number of batches is in
    flight at once, so a long file is never read ahead into memory."""
    if jobs <= 1:
        campaign = Campaign(template, policy, now)
        for batch in _batches(items):
            yield judge_batch(campaign, batch)
        return
    with ProcessPoolExecutor(jobs, initializer=_start_worker, initargs=(template, policy, now)) as pool:
        pending: deque = deque()
        for batch in _batches(items):
            pending.append(pool.submit(_judge_in_worker, batch))
            if len(pending) >= jobs * _IN_FLIGHT_PER_JOB:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()


# --- the command -----------------------------------------------------------------------


def _progress(enabled: bool) -> Any:
    from tqdm import tqdm

    return tqdm(
        unit=" recipients",
        unit_scale=True,
        disable=not enabled,
        file=sys.stderr,
        mininterval=0.5,
        leave=False,
    )


def _report_line(verdict: Verdict, fmt: str, origin: str) -> str | None:
    if verdict.error is not None:
        where = f" (id {verdict.id})" if verdict.id else ""
        field = f"{verdict.field}: " if verdict.field else ""
        print(error_line(f"{origin}:{verdict.index}{where}: error: {field}{verdict.error}"), file=sys.stderr)
    if fmt == "json":
        return formats.json.preflight_verdict(verdict)
    if fmt == "text" and verdict.decision in ("block", "hold"):
        return formats.text.preflight_stopped(verdict)
    return None


class RewriteSamples:
    """For the HTML report: a few rewritten recipients judged again in this process, to
    show their text before and after (a verdict carries no text). Records are kept only
    while they are being judged, and only until the summary has its examples; at most
    ``TRIES`` recipients are judged again, each of rules no other was."""

    TRIES = 10

    def __init__(self, summary: Summary, template: CampaignTemplate, policy: Any, now: datetime):
        self.summary = summary
        self.template, self.policy, self.now = template, policy, now
        self.records: dict[int, Any] = {}
        self.tried: set[tuple[str, ...]] = set()
        self._campaign: Campaign | None = None

    @property
    def wanted(self) -> bool:
        return self.summary.wants_rewrites and len(self.tried) < self.TRIES

    def watch(self, items: Iterable[Item]) -> Iterator[Item]:
        for item in items:
            if item.error is None and self.wanted:
                self.records[item.line] = item.record
            yield item

    def see(self, verdict: Verdict) -> None:
        record = self.records.pop(verdict.index, None)
        if record is None or verdict.rules in self.tried or not self.summary.wants_rewrite(verdict):
            return
        from .campaign import request_from_record

        self.tried.add(verdict.rules)
        if self._campaign is None:
            self._campaign = Campaign(self.template, self.policy, self.now)
        try:
            result = self._campaign.judge(request_from_record(record, self.template))
        except Exception:  # the verdict stands; the report only lacks this example
            result = None
        if result is not None and str(result.decision) == "rewrite" and result.original is not None:
            self.summary.add_rewrite(verdict, result.original, result.message)
        if not self.wanted:
            self.records.clear()


def run_preflight(args: argparse.Namespace, out: IO[str]) -> int:
    from .policy import PolicyError, load_policy

    try:
        template = load_template(args.template)
        selection = selection_from_args(args.select, args.extend_select, args.ignore)
        policy = selection.apply(load_policy(args.config))
        now = _parse_now(args.now)
        stream = open_binary(args.recipients)
    except (PolicyError, ValueError) as exc:
        print(error_line(f"sendguard preflight: {exc}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.show_settings:
        stream.close()
        print_settings(policy_settings(policy))
        return EXIT_OK
    origin = "<stdin>" if args.recipients == "-" else args.recipients
    kind = args.recipients_format or guess_format(
        origin, stream.peek(64)[:64] if hasattr(stream, "peek") else b""
    )
    summary = Summary(template=args.template, recipients=origin, now=now.isoformat())
    summary.describe_template(template.parts)
    samples = RewriteSamples(summary, template, policy, now) if args.format == "html" else None
    show = not (args.no_progress or args.quiet) and sys.stderr.isatty()
    try:
        with stream, _progress(show) as bar:
            items = read_items(stream, kind)
            if samples is not None and not args.statistics:
                items = samples.watch(items)
            for batch in verdicts(items, template, policy, now, max(1, args.jobs)):
                for verdict in batch:
                    summary.add(verdict)
                    if samples is not None:
                        samples.see(verdict)
                    line = None if args.statistics else _report_line(verdict, args.format, origin)
                    if line is not None:
                        out.write(line + "\n")
                bar.update(len(batch))
    except BrokenProcessPool:
        # A worker died (out of memory, killed): what was written stands, the rest is unjudged.
        print(
            f"sendguard preflight: a worker process died after {summary.total:,} recipients", file=sys.stderr
        )
        return EXIT_BAD_INPUT
    if args.statistics:
        out.write(statistics_lines(_rule_rows(summary)) + "\n")
    elif args.quiet and args.format == "text":
        pass  # the blocked and held recipients only, no summary
    elif args.format == "json":
        out.write(formats.json.preflight_summary(summary) + "\n")
    elif args.format == "html":
        out.write(formats.html.preflight_summary(summary))
    else:
        out.write(formats.text.preflight_summary(summary) + "\n")
    if summary.decisions["error"]:
        return EXIT_BAD_INPUT
    return EXIT_STOPPED if summary.stopped_count and not args.exit_zero else EXIT_OK


def _rule_rows(summary: Summary) -> list[tuple[str, str, str]]:
    """(id, name, default action) once per finding, for ``--statistics``."""
    from .catalog import catalog

    known = {entry["id"]: entry for entry in catalog()}
    rows = []
    for rule_id, count in summary.rules.items():
        entry = known.get(rule_id, {"name": rule_id.lower(), "default_action": "?"})
        rows += [(rule_id, entry["name"], entry["default_action"])] * count
    return rows


def run(args: argparse.Namespace) -> int:
    if args.jobs < 1:
        print("sendguard preflight: --jobs must be 1 or more", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.output_file:
        return run_preflight(args, sys.stdout)
    try:
        target = Path(args.output_file)
        target.parent.mkdir(parents=True, exist_ok=True)
        with target.open("w", encoding="utf-8") as out:
            return run_preflight(args, out)
    except OSError as exc:
        print(error_line(f"sendguard preflight: cannot write {args.output_file} ({exc.strerror})"), file=sys.stderr)
        return EXIT_BAD_INPUT
