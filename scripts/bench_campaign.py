"""Campaign benchmark (issue 13), run by `make bench` after scripts/bench.py.

Prints, for one 160-word marketing email and distinct customer records:

1. decisions per second of the campaign path (linters/campaign.py: record -> validated
   request -> render -> rules -> decision, as `sendguard preflight` runs it) next to
   spaCy's tokenizer alone over the same rendered messages (subject and body), measured
   in interleaved rounds on one core so both see the same machine load; once with every
   first name distinct (the worst case: no two recipients share a rendered text) and once
   with first names drawn from a pool of 2,000 (Zipf-like, as real name lists are);
2. the peak RSS of a `sendguard preflight` process over 10,000 and 100,000 recipients
   (and 1,000,000 with --million), to show memory stays flat.

With --instructions it prints instead the instructions a recipient costs, counted by
valgrind (cachegrind, no cache simulation, a fixed hash seed): the campaign path and the
tokenizer over the same rendered texts, over 3,000 recipients (after 50 to warm up)
with address-space randomisation off (``setarch -R``). Two runs of the same code agree
to within about 0.3% whatever else the machine does, so it tells whether a change
helps; CPU time here moves by 15%. Python runs fewer instructions per cycle than spaCy's compiled
tokenizer, so its ratio is higher than the CPU ratio: compare versions with it, not
the goal.

Usage: python scripts/bench_campaign.py [--rounds N] [--per-round N] [--sizes 10000,100000] [--million]
       python scripts/bench_campaign.py --instructions [--per-round N]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_common import engine_tokenizer, positive, render_messages, tokenize_messages  # noqa: E402

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
SUBJECT = "{{first_name}}, the {{collection}} collection is here"
BODY = (
    "Hi {{first_name}},\n\n"
    "Winter is nearly here, and the {{collection}} collection has landed in our {{city}} store and online. "
    "This year we worked with a small mill in Yorkshire on the wool for our coats, and the difference "
    "shows: they are warmer, lighter and cut a little longer, so they sit well over a thick jumper. The "
    "boots are waterproofed by hand and resoled for free for the first two years. If you bought the "
    "{{last_item}} last spring, the matching scarf is back in three new colours.\n\n"
    "Our stylists are in store every Saturday from ten until four if you would like a second opinion, or "
    "you can book a video call at a time that suits you. Delivery is free on orders over fifty pounds, "
    "and returns are free for thirty days.\n\n"
    "See the collection: https://northwind.example/winter\n\n"
    "Questions? Reply to this email and a person on our team will answer.\n\n"
    "Northwind Outfitters, 12 Harbour Street, Portland"
)
TEMPLATE_FILE = (
    f'---\nchannel: email\npurpose: marketing\ncampaign: winter\nsubject: "{SUBJECT}"\n---\n{BODY}\n'
)
CITIES = ["Portland", "Leeds", "Bristol", "Boston", "Austin", "Dublin"]
ITEMS = ["Fell jacket", "Harbour coat", "Tarn boots", "Ridge scarf"]
TIERS = [None, None, None, "silver", "gold"]
_CONSONANTS, _VOWELS = "bcdfghjklmnprstvz", "aeiou"


def made_up_name(i: int) -> str:
    """A distinct, pronounceable name for every i (no list of real people needed)."""
    letters = []
    for k in range(4):
        letters.append(_CONSONANTS[(i // 85**k) % 17])
        letters.append(_VOWELS[(i // (17 * 85**k)) % 5])
    return "".join(letters).capitalize()


def recipient(i: int, name: str) -> dict:
    since = NOW - timedelta(days=30 + (i * 37) % 3000)
    return {
        "id": f"c{i}",
        "to": f"customer{i}@example.com",
        "customer": {
            "customer_id": f"c{i}",
            "first_name": name,
            "last_name": made_up_name(i * 7919 + 3),
            "purchase_count": i % 23,
            "tier": TIERS[i % len(TIERS)],
            "customer_since": since.isoformat(),
            "consent": {"email_marketing": i % 50 != 0},  # one in fifty has not opted in
            "timezone": "Europe/London",
        },
        "data": {
            "first_name": name,
            "collection": "Harbour",
            "city": CITIES[i % len(CITIES)],
            "last_item": ITEMS[i % len(ITEMS)],
        },
    }


def distinct_names(start: int, count: int) -> list[str]:
    return [made_up_name(i) for i in range(start, start + count)]


def pooled_names(start: int, count: int, pool: int = 2000) -> list[str]:
    # Rank r of the pool is drawn about 1/r as often (Zipf): a few names are common.
    weights = [1 / (r + 1) for r in range(pool)]
    total = sum(weights)
    cumulative, running = [], 0.0
    for w in weights:
        running += w / total
        cumulative.append(running)
    import bisect

    return [
        made_up_name(1_000_000 + bisect.bisect_left(cumulative, ((i * 0.6180339887) % 1)))
        for i in range(start, start + count)
    ]


def throughput(rounds: int, per_round: int, names) -> tuple[float, float, float, float, float, float]:
    """Per CPU-second: campaign decisions, `check` decisions, `check` with spaCy on every
    merge value (as before issue 13), tokenizer messages; the median of the rounds'
    campaign/tokenizer ratios; and the share of recipients given a verdict kept for their
    class (linters/recipient_classes.py). All run in interleaved rounds over the same records."""
    from linters.campaign import Campaign, CampaignTemplate, request_from_record
    from linters.engine import check

    template = CampaignTemplate(
        {"subject": SUBJECT, "text": BODY}, {"channel": "email", "purpose": "marketing"}
    )
    campaign = Campaign(template, now=NOW)
    campaign.judge_record(0, recipient(10**7, made_up_name(10**7)))  # warm: pipeline, caches
    tokenizer = engine_tokenizer()
    campaign_rates, check_rates, before_rates, tokenizer_rates, ratios = [], [], [], [], []
    for r in range(rounds):
        batch = [recipient(r * per_round + i, n) for i, n in enumerate(names(r * per_round, per_round))]
        texts = render_messages({"subject": SUBJECT, "text": BODY}, [b["data"] for b in batch])
        t0 = time.process_time()
        tokenize_messages(tokenizer, texts)
        t1 = time.process_time()
        for i, record in enumerate(batch):
            campaign.judge_record(i, record)
        t2 = time.process_time()
        # `check` for comparison, on fresh records (a quarter round each), so that it does
        # not find the names the campaign path has just seen in the caches.
        start = 10**6 + r * per_round
        fresh = [recipient(start + i, n) for i, n in enumerate(names(start, per_round // 2))]
        quarter, other_quarter = fresh[: per_round // 4], fresh[per_round // 4 :]
        for record in quarter:
            check(request_from_record(record, template), now=NOW)
        t3 = time.process_time()
        with every_value_through_spacy():
            for record in other_quarter:
                check(request_from_record(record, template), now=NOW)
        t4 = time.process_time()
        tokenizer_rates.append(per_round / (t1 - t0))
        campaign_rates.append(per_round / (t2 - t1))
        check_rates.append(len(quarter) / (t3 - t2))
        before_rates.append(len(other_quarter) / (t4 - t3))
        ratios.append((t1 - t0) / (t2 - t1))
    return (
        statistics.median(campaign_rates),
        statistics.median(check_rates),
        statistics.median(before_rates),
        statistics.median(tokenizer_rates),
        statistics.median(ratios),
        campaign._memo.hits / (rounds * per_round),
    )


@contextmanager
def every_value_through_spacy():
    """`check` as it was before issue 13: every merge value analysed by spaCy."""
    import linters.nlp

    kept = linters.nlp.value_needs_pipeline
    linters.nlp.value_needs_pipeline = lambda text, extension=(): True
    try:
        yield
    finally:
        linters.nlp.value_needs_pipeline = kept


def write_recipients(path: Path, count: int) -> None:
    with path.open("w") as handle:
        for i in range(count):
            handle.write(json.dumps(recipient(i, made_up_name(i))) + "\n")


_MEASURE = """
import resource, sys, time
from linters.cli import main
started = time.process_time()
code = main(["preflight", "--template", sys.argv[1], "--recipients", sys.argv[2], "--format", "json",
             "--output", "/dev/null", "--now", "2026-11-20T15:00:00Z", "--no-progress"])
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, time.process_time() - started, code)
"""


def peak_rss(template: Path, recipients: Path) -> tuple[float, float]:
    """(peak RSS in MiB, CPU seconds) of one preflight process, start-up included."""
    done = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(template), str(recipients)],
        cwd=ROOT,
        check=True,
        capture_output=True,
        text=True,
    )
    rss_kib, seconds, _ = done.stdout.split()
    return int(rss_kib) / 1024, float(seconds)


# One child process of --instructions: warm the campaign path, build the records and
# texts, then run one of the two workloads (or neither: the baseline to subtract).
_COUNTED = """
import sys
sys.path[:0] = [sys.argv[3], sys.argv[3] + "/scripts"]
from bench_campaign import BODY, NOW, SUBJECT, made_up_name, recipient
from bench_common import engine_tokenizer, render_messages, tokenize_messages
from linters.campaign import Campaign, CampaignTemplate
workload, count = sys.argv[1], int(sys.argv[2])
template = CampaignTemplate({"subject": SUBJECT, "text": BODY}, {"channel": "email", "purpose": "marketing"})
campaign = Campaign(template, now=NOW)
for i in range(50):
    campaign.judge_record(i, recipient(10**7 + i, made_up_name(10**7 + i)))
tokenizer = engine_tokenizer()
records = [recipient(i, made_up_name(i)) for i in range(count)]
texts = render_messages({"subject": SUBJECT, "text": BODY}, [r["data"] for r in records])
if workload == "campaign":
    for i, record in enumerate(records):
        campaign.judge_record(i, record)
elif workload == "tokenizer":
    tokenize_messages(tokenizer, texts)
"""


def count_instructions(per_round: int) -> None:
    """Instructions a recipient costs: each workload's process less the baseline's."""
    from bench_cold_start import bytecode_env, instructions

    with tempfile.TemporaryDirectory() as work:
        env = bytecode_env(Path(work))
        for workload in ("none", "campaign", "tokenizer"):  # compile the bytecode first
            subprocess.run([sys.executable, "-c", _COUNTED, workload, "3", str(ROOT)], env=env, check=True)
        counts = {
            workload: instructions([sys.executable, "-c", _COUNTED, workload, str(per_round), str(ROOT)], env)
            for workload in ("none", "campaign", "tokenizer")
        }
    campaign = (counts["campaign"] - counts["none"]) / per_round
    tokenizer = (counts["tokenizer"] - counts["none"]) / per_round
    print(f"instructions a recipient (valgrind; {per_round:,} recipients, less a baseline process)")
    print(f"  campaign path       {campaign / 1e3:>9,.0f} k")
    print(
        f"  spaCy's tokenizer   {tokenizer / 1e3:>9,.0f} k   (tokenizer / campaign {tokenizer / campaign:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--per-round",
        type=positive,
        default=None,
        help="recipients a round (default 1,000; with --instructions 3,000, for a steadier count)",
    )
    parser.add_argument("--sizes", default="10000,100000", help="recipients per RSS run, comma-separated")
    parser.add_argument("--million", action="store_true", help="add a 1,000,000-recipient RSS run")
    parser.add_argument(
        "--instructions", action="store_true", help="count instructions a recipient under valgrind instead"
    )
    args = parser.parse_args()
    if args.instructions:
        if shutil.which("valgrind") is None:
            raise SystemExit("bench_campaign: --instructions needs valgrind (apt-get install valgrind)")
        count_instructions(3000 if args.per_round is None else args.per_round)
        return

    words = len(BODY.split()) + len(SUBJECT.split())
    print(f"campaign benchmark (one core; one {words}-word marketing email; distinct customer records)\n")
    print("per CPU-second (this machine is shared: CPU time, not wall time)")
    print(
        f"{'first names':<24}{'campaign':>9}{'check':>8}{'before':>8}{'tokenizer':>11}{'ratio':>7}  goal >= 1.3"
    )
    for label, names in (("all distinct", distinct_names), ("pool of 2,000 (Zipf)", pooled_names)):
        per_round = 1000 if args.per_round is None else args.per_round
        campaign, check, before, tokenizer, ratio, shared = throughput(args.rounds, per_round, names)
        print(f"{label:<24}{campaign:>9,.0f}{check:>8,.0f}{before:>8,.0f}{tokenizer:>11,.0f}{ratio:>7.2f}")
        print(f"{'':<24}{shared:.1%} of recipients given the verdict kept for their class")
        if label == "all distinct":
            print(f"{'':<24}a million recipients: about {1_000_000 / campaign:,.0f} CPU-s on one core")

    sizes = [int(s) for s in args.sizes.split(",") if s] + ([1_000_000] if args.million else [])
    print(
        f"\n{'recipients':>12}{'peak RSS':>12}{'CPU s':>10}{'per CPU s':>12}  (sendguard preflight, one process)"
    )
    with tempfile.TemporaryDirectory() as folder:
        template = Path(folder) / "winter.hbs"
        template.write_text(TEMPLATE_FILE)
        first = None
        for size in sizes:
            recipients = Path(folder) / f"r{size}.jsonl"
            write_recipients(recipients, size)
            rss, seconds = peak_rss(template, recipients)
            recipients.unlink()
            first = first or rss
            print(
                f"{size:>12,}{rss:>10,.0f}MB{seconds:>10,.0f}{size / seconds:>12,.0f}  (+{rss - first:,.0f} MB)"
            )


if __name__ == "__main__":
    main()
