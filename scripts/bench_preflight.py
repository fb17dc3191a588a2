"""The rule-interface targets (issue 28), run by `make bench`.

Prints:

1. `sendguard preflight` end to end over 50,000 recipients (``--recipients``; ``--quick``:
   5,000), CPU time with start-up on both sides, for three templates: a newsletter whose
   names vary per recipient; the same letter with a points balance, an order total and a
   renewal date per recipient; a win-back letter whose claims make SG201 and SG202 read
   the record (tier, purchase_count, last_purchase_at, lifetime_value vary). Each round
   runs, in turn, two child processes: ``.venv/bin/sendguard preflight ... --format json
   --no-progress`` and a baseline that starts Python, imports spaCy as the engine does and
   tokenizes the same rendered messages with the engine's tokenizer (the messages are
   rendered by ``linters.render`` in this process beforehand and read from a file).
   CPU is ``getrusage(RUSAGE_CHILDREN)`` around each child; the ratio baseline/preflight
   (higher is better; target >= 1.3) is the median of the rounds' own ratios. Then the
   decisions, and whether preflight's equal ``sendguard.check``'s for 200 recipients.
2. The peak RSS of the preflight child over 10,000 recipients and over the full count.
3. The guard on a known template with each recipient's own data, and the first message
   of a new template (``scripts/bench.py``'s ``print_known_template``).
4. A 15,000-word newsletter (varied prose, never judged before in the process): refused
   by the readable-text limit today, and the time to judge it with that limit raised in
   this process (for information).

Figures to read, never a test: the machine is shared, so every figure is a ratio against
a baseline run side by side.

Usage: python scripts/bench_preflight.py [--rounds N] [--recipients N] [--quick]
"""

from __future__ import annotations

import argparse
import calendar
import json
import random
import statistics
import sys
import tempfile
import time
import unicodedata
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "scripts"))  # its siblings, when imported as scripts.bench_preflight

from bench import print_known_template  # noqa: E402
from bench_cold_start import bytecode_env  # noqa: E402
from bench_common import (  # noqa: E402
    SURNAMES,
    child_usage,
    given_names,
    positive,
    render_messages,
    tokenizer_command,
    write_messages,
)

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
SEED = 28
TARGET = 1.3
SENDGUARD = ROOT / ".venv" / "bin" / "sendguard"
SAMPLE = 200

LETTER = (
    "Hi {{first_name}},\n\n"
    "Spring has reached the workshop, and with it the first of this year's linen. We spent the "
    "winter with a weaver in Kortrijk who still dries her flax in the fields, and the shirts, "
    "aprons and table runners cut from it are in the shop from today. They soften with every "
    "wash, and the natural colour will fade a little over the years, as it should.\n\n"
    "{{extra}}"
    "The Saturday repair mornings are back as well: bring a jacket with a broken zip or a bag "
    "with a torn strap to any of our shops between nine and twelve, and one of our tailors will "
    "mend it while you wait, at no charge. Last year we fixed more than three thousand things "
    "that would otherwise have been thrown away.\n\n"
    "See the new linen: https://northwind.example/linen\n\n"
    "Questions? Reply to this email and a person on our team will answer.\n\n"
    "Northwind Outfitters, 12 Harbour Street, Portland\n"
    "Unsubscribe: https://northwind.example/unsubscribe"
)
BALANCES = (
    "Your balance stands at {{points}} points, worth {{points_value}} off your next order. "
    "Your last order came to {{order_total}}, and your membership renews on {{renewal_date}}; "
    "nothing changes in the price.\n\n"
)
WINBACK = (
    "Hi {{first_name}},\n\n"
    "As one of our most valued customers, you are the first to hear that the linen is back. "
    "We've missed you since your last visit, and we would love to see you in the shop again.\n\n"
    "Thank you for your loyalty over the years. To welcome you back, here is 15% off anything "
    "in the new collection until the end of the month, online or in any of our shops.\n\n"
    "The Saturday repair mornings are back as well: bring anything with a broken zip or a torn "
    "strap, and one of our tailors will mend it while you wait, at no charge.\n\n"
    "See the new linen: https://northwind.example/linen\n\n"
    "Northwind Outfitters, 12 Harbour Street, Portland\n"
    "Unsubscribe: https://northwind.example/unsubscribe"
)
FRONT = '---\nchannel: email\npurpose: marketing\ncampaign: {campaign}\nsubject: "{subject}"\n---\n'
TEMPLATES = {
    "newsletter": (
        "spring-linen",
        "{{first_name}}, the spring linen is here",
        LETTER.replace("{{extra}}", ""),
    ),
    "balances": (
        "spring-linen-balances",
        "{{first_name}}, the spring linen is here",
        LETTER.replace("{{extra}}", BALANCES),
    ),
    "win-back": ("win-back", "We've missed you, {{first_name}}", WINBACK),
}
LABELS = {
    "newsletter": "(a) newsletter, names vary",
    "balances": "(b) + points, total, renewal date",
    "win-back": "(c) win-back, rules read the record",
}
MONTHS = list(calendar.month_name)[1:]  # January ... December
TIERS = [None, None, None, "bronze", "silver", "gold", "platinum"]


def _ascii(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalnum()) or "x"


def recipients(kind: str, count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """Recipient records of one template: real given names, amounts, dates; a fixed seed."""
    rng, names = random.Random(f"{seed}-{kind}"), given_names()
    records = []
    for i in range(count):
        first, last = rng.choice(names), rng.choice(SURNAMES)
        purchases = min(int(rng.expovariate(1 / 6)), 80)
        since = NOW - timedelta(days=rng.randint(20, 4000))
        customer: dict[str, Any] = {
            "customer_id": f"c{i}",
            "first_name": first,
            "last_name": last,
            "purchase_count": purchases,
            "tier": rng.choice(TIERS),
            "customer_since": since.isoformat(),
            "consent": {"email_marketing": rng.random() > 0.02, "personalization": True},
            "timezone": rng.choice(["Europe/London", "Europe/Dublin", "America/New_York"]),
        }
        if purchases:
            customer["last_purchase_at"] = (NOW - timedelta(days=rng.randint(60, 900))).isoformat()
            customer["lifetime_value"] = round(purchases * rng.uniform(25, 160), 2)
        data: dict[str, Any] = {"first_name": first}
        if kind == "balances":
            points = rng.randint(0, 9000)
            data.update(
                points=f"{points:,}",
                points_value=f"£{points / 100:,.2f}",
                order_total=f"£{rng.randint(9, 640)}.{rng.randrange(100):02d}",
                renewal_date=f"{rng.randint(1, 28)} {rng.choice(MONTHS)} {rng.choice([2026, 2027])}",
            )
        records.append(
            {
                "id": f"r{i}",
                "to": f"{_ascii(first)}.{_ascii(last)}.{i}@example.com",
                "customer": customer,
                "data": data,
            }
        )
    return records


def preflight_command(template: Path, recipients_file: Path, output: str) -> list[str]:
    return [
        str(SENDGUARD),
        "preflight",
        "--template",
        str(template),
        "--recipients",
        str(recipients_file),
        "--format",
        "json",
        "--no-progress",
        "--now",
        NOW.isoformat(),
        "--output-file",
        output,
    ]


def write_jsonl(path: Path, records: list[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for record in records:
            handle.write(json.dumps(record) + "\n")


def sample_agrees(
    template_file: Path, records: list[dict[str, Any]], verdicts: dict[str, Any]
) -> tuple[int, int]:
    """(equal, compared): preflight's decision and rules against ``sendguard.check``'s for
    ``SAMPLE`` recipients spread over the file, each record made into the request preflight
    makes of it (``linters.campaign.request_from_record`` on the template file)."""
    from linters.api import check
    from linters.campaign import request_from_record
    from linters.models import RequestError
    from linters.preflight import load_template

    template = load_template(str(template_file))
    step = max(1, len(records) // SAMPLE)
    equal = compared = 0
    for record in records[::step][:SAMPLE]:
        line = verdicts[record["id"]]
        try:
            result = check(request_from_record(record, template), now=NOW)
            mine = (str(result.decision), sorted({f.rule for f in result.findings}))
        except RequestError as exc:
            mine = ("error", exc.problem)
        theirs = (line.get("decision", "error"), line.get("rules", line.get("error")))
        compared += 1
        equal += mine == theirs
        if mine != theirs and compared - equal <= 3:
            print(f"    differs, {record['id']}: check {mine}, preflight {theirs}")
    return equal, compared


def preflight_figures(args: argparse.Namespace) -> None:
    count = args.recipients
    print(
        f"1. sendguard preflight end to end, {count:,} recipients a template: CPU seconds of child "
        f"processes, start-up included\n   (median of {args.rounds} interleaved rounds; baseline: "
        "python + spaCy imported as the engine does + the engine's tokenizer over the same\n"
        "   rendered messages, rendered by linters.render in this process beforehand and read "
        "from a file; preflight writes to /dev/null,\n   round 1 to a file, to count decisions)"
    )
    with tempfile.TemporaryDirectory(prefix="bench-preflight-") as work:
        folder = Path(work)
        env = bytecode_env(folder)
        files: dict[str, dict[str, Any]] = {}
        small = min(10_000, count)
        for kind, (campaign, subject, body) in TEMPLATES.items():
            template = folder / f"{kind}.hbs"
            template.write_text(
                FRONT.format(campaign=campaign, subject=subject) + body + "\n", encoding="utf-8"
            )
            records = recipients(kind, count)
            write_jsonl(folder / f"{kind}.jsonl", records)
            write_jsonl(folder / f"{kind}-small.jsonl", records[:small])
            write_jsonl(folder / f"{kind}-warm.jsonl", records[:20])
            messages = render_messages({"subject": subject, "text": body}, [r["data"] for r in records])
            write_messages(folder / f"{kind}.messages", messages)
            write_messages(folder / f"{kind}-warm.messages", messages[:20])
            files[kind] = {"template": template, "records": records}
        # One uncounted round: each child's bytecode compiled into the cache (bytecode_env).
        kind = next(iter(TEMPLATES))
        child_usage(tokenizer_command(folder / f"{kind}-warm.messages"), env)
        child_usage(
            preflight_command(files[kind]["template"], folder / f"{kind}-warm.jsonl", "/dev/null"),
            env,
            ok=(0, 1),
        )

        cpu: dict[str, dict[str, list[float]]] = {k: {"base": [], "pre": [], "ratio": []} for k in TEMPLATES}
        rss: dict[str, float] = {}
        for round_ in range(args.rounds):
            for kind in TEMPLATES:
                output = str(folder / f"{kind}.out.jsonl") if round_ == 0 else "/dev/null"
                baseline_command = tokenizer_command(folder / f"{kind}.messages")
                command = preflight_command(files[kind]["template"], folder / f"{kind}.jsonl", output)
                if round_ % 2 == 0:  # which child goes first alternates between rounds
                    base = child_usage(baseline_command, env)
                    pre = child_usage(command, env, ok=(0, 1))
                else:
                    pre = child_usage(command, env, ok=(0, 1))
                    base = child_usage(baseline_command, env)
                cpu[kind]["base"].append(base.cpu)
                cpu[kind]["pre"].append(pre.cpu)
                cpu[kind]["ratio"].append(base.cpu / pre.cpu)
                rss[kind] = max(rss.get(kind, 0.0), pre.peak_rss_mib)

        print(
            f"\n   {'template':<38}{'baseline':>9}{'preflight':>11}{'ratio':>8}  rounds' ratios   target >= {TARGET}"
        )
        for kind in TEMPLATES:
            ratio = statistics.median(cpu[kind]["ratio"])
            runs = " ".join(f"{r:.2f}" for r in cpu[kind]["ratio"])
            verdict = "met" if ratio >= TARGET else "NOT met"
            print(
                f"   {LABELS[kind]:<38}{statistics.median(cpu[kind]['base']):>8.2f}s"
                f"{statistics.median(cpu[kind]['pre']):>10.2f}s{ratio:>7.2f}x  {runs:<16} {verdict}"
            )
        print("\n   decisions (round 1's output), and preflight against sendguard.check on a sample:")
        for kind in TEMPLATES:
            lines = (folder / f"{kind}.out.jsonl").read_text(encoding="utf-8").splitlines()
            summary = json.loads(lines[-1])["summary"]
            verdicts = {v["id"]: v for v in map(json.loads, lines[:-1])}
            decided = Counter(v.get("decision", "error") for v in verdicts.values())
            counts = ", ".join(f"{d} {n:,}" for d, n in decided.most_common())
            rules = ", ".join(f"{r} {n:,}" for r, n in sorted(summary.get("rules", {}).items()))
            print(f"   {LABELS[kind]:<38}{counts}   (findings by rule: {rules or 'none'})")
            equal, compared = sample_agrees(files[kind]["template"], files[kind]["records"], verdicts)
            status = "equal" if equal == compared else "DIFFERENT"
            print(
                f"   {'':<38}sample of {compared}: {equal} equal to sendguard.check (decision and rules): {status}"
            )

        print("\n2. peak RSS of the sendguard preflight child (its own ru_maxrss; target: flat)")
        print(f"   {'template':<38}{f'{small:,}':>10}{f'{count:,}':>10}")
        for kind in TEMPLATES:
            small = child_usage(
                preflight_command(files[kind]["template"], folder / f"{kind}-small.jsonl", "/dev/null"),
                env,
                ok=(0, 1),
            )
            print(f"   {LABELS[kind]:<38}{small.peak_rss_mib:>8.0f}MB{rss[kind]:>8.0f}MB")


# --- 4. a 15,000-word newsletter ---------------------------------------------------------

_SUBJECTS = [
    "the new linen",
    "our Saturday repair mornings",
    "the weaver in Kortrijk",
    "the autumn walking boots",
    "the recycled wool blankets",
    "our shop in the old fire station",
    "the apprentices' first coats",
    "the beeswax jackets",
    "the spring planting guide",
    "our bread oven at the Leeds shop",
    "the allotment on the roof",
    "the canvas tote bags",
    "the village hall concerts",
    "the hand-dyed scarves",
    "the winter soup recipes",
    "our delivery bikes",
    "the sheep on the Pennine farm",
    "the cycling maps of the Dales",
]
_PEOPLE = [
    "Margaret, who has run the cutting room for thirty years",
    "our new apprentice Tomasz",
    "a customer from Harrogate",
    "the farmer who shears our sheep",
    "Priya from the Bristol shop",
    "the potter next door",
    "two students from the textile college",
    "a retired sailor who mends nets",
    "the woman who keeps our bees",
    "our driver, Kwame",
    "the team in the dye house",
    "a teacher from Wakefield",
]
_PLACES = [
    "Kortrijk",
    "the Yorkshire Dales",
    "a mill outside Huddersfield",
    "the Cornish coast",
    "Glasgow's west end",
    "a market in Lyon",
    "the Harbour Street workshop",
    "the Norfolk Broads",
    "a village near Tralee",
    "the Peak District",
    "the banks of the Wear",
    "a farm in Perthshire",
]
_TIMES = [
    "last Tuesday",
    "in the first week of March",
    "over the winter",
    "early one foggy morning",
    "after the shop had closed",
    "during the long weekend",
    "on the coldest day of the year",
    "a fortnight ago",
    "at the end of the summer",
    "before the spring rain",
]
_THINGS = [
    "a bolt of undyed linen",
    "a box of old brass buttons",
    "a coat that had been worn for forty years",
    "a sketchbook full of patterns",
    "three baskets of walnut husks",
    "a letter written in pencil",
    "a bicycle with a wicker basket",
    "a jar of madder root",
    "a hand loom from the nineteen fifties",
    "a pair of boots resoled five times",
    "a tin of mixed seeds",
    "a photograph of the first shop",
]
_QUALITIES = [
    "warmer than it looks",
    "lighter than last year's",
    "surprisingly easy to care for",
    "softer with every wash",
    "built to be mended rather than replaced",
    "dyed with plants from the garden",
    "cut a little longer in the back",
    "stitched by hand at the collar",
    "made from wool we can trace to the farm",
    "finished with horn buttons",
]
_FRAMES = [
    "We met {person} in {place} {time}, and the conversation turned, as it often does, to {subject}.",
    "{time_cap}, {person} brought us {thing}, which is now on the wall behind the till.",
    "If you have ever wondered how {subject} come together, the answer starts in {place}.",
    "The result is {quality}, and we think it shows in the way the cloth falls.",
    "Nobody planned it, but {subject} became the thing everyone in the shop talked about {time}.",
    "{person_cap} told us that {thing} was the reason they started sewing at all.",
    "We tried four versions of {subject} before settling on one that was {quality}.",
    "There is a small exhibition about {subject} at {place} until the end of the month.",
    "Most of what we know about {subject} we learned from {person}.",
    "The first batch sold out in a week, so we have asked {place} for twice as much this time.",
    "It took longer than we hoped, partly because of the weather and partly because of {thing}.",
    "{person_cap} will be in the shop on Saturday to talk about {subject}; tea is on us.",
    "You can read the whole story on our website, with photographs taken in {place}.",
    "We are still learning, and every season teaches us something new about {subject}.",
    "One of our favourite moments of the year was finding {thing} in {place} {time}.",
    "The cloth is {quality}, which matters more to us than any label.",
    "Several of you wrote to ask about {subject}, so here is a longer answer than usual.",
    "{time_cap}, we drove to {place} with {person} and came back with {thing}.",
    "What surprised us most was how quickly {person} could tell good wool from poor.",
    "If you visit {place}, ask for the tea room above the old dairy; you will not regret it.",
    "The recipe is simple: leeks, potatoes, a little cream and a lot of patience.",
    "Prices stay the same this season, although the cost of carriage has gone up again.",
    "A reader sent us {thing} with a note asking whether we could use it; we could.",
    "None of this would happen without {person}, who deserves more thanks than we give.",
    "Our aim, as always, is to make fewer things and to make them well.",
    "The workshop will close for a week in August while we replace the old floor.",
    "We planted two hundred trees on the farm {time}, with help from {person}.",
    "The walk from the station to {place} takes about an hour and is worth every step.",
]
_HEADINGS = [
    "From the workshop",
    "Letters from readers",
    "On the road",
    "In the kitchen",
    "New in the shops",
    "The farm diary",
    "Mending corner",
    "Dates for your diary",
    "People we met",
    "A note on prices",
]


def newsletter(seed: int, words: int = 15_000) -> str:
    """A long newsletter of varied prose: paragraphs of sentences drawn from frames and
    word lists with a seeded generator, under section headings; about ``words`` words."""
    rng = random.Random(seed)
    pieces, total = ["Hi {{first_name}},"], 2
    while total < words:
        heading = f"{rng.choice(_HEADINGS)}, part {len(pieces)}"
        pieces.append(heading)
        total += len(heading.split())
        for _ in range(rng.randint(2, 4)):
            sentences = []
            for _ in range(rng.randint(3, 7)):
                person, time_ = rng.choice(_PEOPLE), rng.choice(_TIMES)
                sentence = rng.choice(_FRAMES).format(
                    person=person,
                    person_cap=person[0].upper() + person[1:],
                    place=rng.choice(_PLACES),
                    time=time_,
                    time_cap=time_[0].upper() + time_[1:],
                    subject=rng.choice(_SUBJECTS),
                    thing=rng.choice(_THINGS),
                    quality=rng.choice(_QUALITIES),
                )
                sentences.append(sentence)
                total += len(sentence.split())
            pieces.append(" ".join(sentences))
    pieces.append(
        "Northwind Outfitters, 12 Harbour Street, Portland\nUnsubscribe: https://northwind.example/unsubscribe"
    )
    return "\n\n".join(pieces)


def newsletter_request(seed: int) -> dict[str, Any]:
    return {
        "id": f"almanac-{seed}",
        "channel": "email",
        "purpose": "marketing",
        "from": "hello@northwind.example",
        "to": "margaret.okafor@example.com",
        "template": {"subject": "The Northwind almanac, spring edition", "text": newsletter(seed)},
        "data": {"first_name": "Margaret"},
        "customer": {
            "first_name": "Margaret",
            "last_name": "Okafor",
            "purchase_count": 12,
            "consent": {"email_marketing": True, "personalization": True},
        },
        "now": NOW.isoformat(),
    }


# Status and shared-history claims, one at the end of every paragraph: to a one-time
# buyer each is rewritten, so the whole newsletter is read twice.
_CLAIMS = (
    "As one of our most valued customers, you get first pick.",
    "Thanks for years of loyalty.",
    "As one of our VIP members, you hear about it first.",
    "After all these years together, you know how we work.",
)


def newsletter_case(seed: int, claims: bool) -> dict[str, Any]:
    """A 15,000-word newsletter of varied prose, honest or with a claim in every
    paragraph: long mail up to Gmail's clipping size is judged (also in the worst-case
    corpus, scripts/bench_worst_case.py)."""
    request = newsletter_request(seed)
    if claims:
        paragraphs = request["template"]["text"].split("\n\n")
        request["template"]["text"] = "\n\n".join(
            f"{paragraph} {_CLAIMS[n % len(_CLAIMS)]}" if len(paragraph.split()) > 12 else paragraph
            for n, paragraph in enumerate(paragraphs)
        )
        request["customer"]["purchase_count"] = 1
    return {"request": request, "expect": "judged"}


def newsletter_figures(runs: int = 3) -> None:
    """The 15,000-word newsletter (issue 28: judged within 0.5 s), honest and with a
    claim in every paragraph (each rewritten, so the text is read twice), each one a
    newsletter this process has not judged before."""

    from linters import limits
    from linters.engine import check
    from linters.models import parse_request

    check(parse_request(newsletter_request(0) | {"template": {"text": "Hi {{first_name}}, see you soon."}}))
    text = newsletter_request(1)["template"]["text"]
    print(
        f"\n4. a {len(text.split()):,}-word newsletter ({len(text):,} characters; varied prose; CPU; "
        f"readable-text limit {limits.MAX_READABLE_CHARS:,} characters; goal 0.5 s)"
    )
    for label, claims in (("honest", False), ("a claim in every paragraph", True)):
        timings, outcome = [], ""
        for seed in range(2, 2 + runs):
            parsed = parse_request(newsletter_case(seed + (100 if claims else 0), claims)["request"])
            t0 = time.process_time()
            result = check(parsed)
            timings.append(time.process_time() - t0)
            outcome = f"{result.decision}, {len(result.findings)} findings"
        print(
            f"   {label}: {statistics.median(timings):.2f} s median of {runs} "
            f"({min(timings):.2f} to {max(timings):.2f} s; {outcome})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=positive, default=3)
    parser.add_argument(
        "--recipients", type=positive, default=50_000, help="recipients a template (default 50,000)"
    )
    parser.add_argument("--quick", action="store_true", help="5,000 recipients a template")
    args = parser.parse_args()
    if args.quick:
        args.recipients = 5_000
    if not SENDGUARD.exists():
        raise SystemExit(f"bench_preflight: {SENDGUARD} is missing (run make bench, which installs it)")
    started = datetime.now(UTC)
    print(f"rule-interface targets (issue 28), {started:%Y-%m-%d %H:%M} UTC, one core a process\n")
    preflight_figures(args)
    print("\n3. ", end="")
    print_known_template()
    newsletter_figures()


if __name__ == "__main__":
    main()
