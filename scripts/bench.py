"""Benchmark of the guard's hot path (docs/design.md, section 6: Budgets). Run with `make bench`.

Prints, for a realistic 150-word marketing email and a 40-word SMS:
- warm latency per decision (render + lint + decide, no AWS), median and 99th percentile,
  for a campaign (one template, a different recipient each time) and for unique texts
  (every message different, so nothing is cached: the worst case);
- decisions per second on one core, and what that means for a million recipients;
- the time from process start to the first decision, next to `python -c "import spacy"`;
- the guard on a known template with each recipient's own data (issue 28): the median
  CPU time of ``linters.engine.check`` a message over 2,000 messages of one transactional
  template, each with its own name, order number, total and date, against spaCy's
  tokenizer on the same rendered messages, interleaved message by message (target: at
  most 2x the tokenizer); and the first message of a new template (median of several).
"""

from __future__ import annotations

import calendar
import json
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_common import SURNAMES, engine_tokenizer, given_names, render_messages  # noqa: E402

EMAIL_TEXT = (
    "Hi {{first_name}},\n\n"
    "Winter is nearly here, and the {{collection}} collection has landed in our {{city}} store and online. "
    "This year we worked with a small mill in Yorkshire on the wool for our coats, and the difference shows: "
    "they are warmer, lighter and cut a little longer, so they sit well over a thick jumper. The boots are "
    "waterproofed by hand and resoled for free for the first two years. If you bought the {{last_item}} last "
    "spring, the matching scarf is back in three new colours.\n\n"
    "Our stylists are in store every Saturday from ten until four if you would like a second opinion, or you can "
    "book a video call at a time that suits you. Delivery is free on orders over fifty pounds, and returns are "
    "free for thirty days.\n\n"
    "See the collection: https://northwind.example/winter\n\n"
    "Questions? Reply to this email and a person on our team will answer.\n\n"
    "Northwind Outfitters, 12 Harbour Street, Portland\n\n{{note}}"
)
SMS_TEXT = (
    "Hi {{first_name}}, your table for {{party}} at Bramble is booked for {{time}} on Friday. "
    "Parking is free after six behind the market hall. Need to change it? Reply CHANGE or call 0161 555 0199. {{note}}"
)
NAMES = ["Ana", "Ben", "Chidi", "Dana", "Emre", "Fatima", "Goran", "Hana", "Ines", "Jonas", "Kofi", "Lena"]


def note(i: int, unique: bool) -> str:
    """A long data value: unique per message, or the same for the whole campaign."""
    if unique:
        return f"P.S. Your reference for this letter is {i}, should you need to quote it."
    return "P.S. Your reference is on the back of your loyalty card, should you need it."


def email_request(i: int, unique: bool) -> dict:
    text = EMAIL_TEXT
    name = NAMES[i % len(NAMES)]
    return {
        "id": f"bench-email-{i}",
        "channel": "email",
        "from": "hello@northwind.example",
        "to": f"{name.lower()}{i}@example.com",
        "template": {"subject": "The {{collection}} collection is here, {{first_name}}", "text": text},
        "data": {
            "first_name": name,
            "collection": "Harbour",
            "city": "Portland",
            "last_item": "Fell jacket",
            "note": note(i, unique),
        },
        "customer": {"first_name": name, "purchase_count": i % 7, "consent": {"email_marketing": True}},
        "now": "2026-11-20T15:00:00Z",
    }


def sms_request(i: int, unique: bool) -> dict:
    text = SMS_TEXT
    name = NAMES[i % len(NAMES)]
    return {
        "id": f"bench-sms-{i}",
        "channel": "sms",
        "purpose": "service",
        "to": "+15035550100",
        "template": {"text": text},
        "data": {"first_name": name, "party": str(2 + i % 5), "time": "7:30pm", "note": note(i, unique)},
        "customer": {"first_name": name, "consent": {"sms_marketing": True}},
        "now": "2026-11-20T15:00:00Z",
    }


def measure(make, count: int, unique: bool) -> tuple[float, float, float]:
    from linters.engine import check
    from linters.models import parse_request

    requests = [parse_request(make(i, unique)) for i in range(count)]
    check(parse_request(make(10**6, unique)))  # warm the pipeline and compiled templates
    timings = []
    started = time.perf_counter()
    for request in requests:
        t0 = time.perf_counter()
        check(request)
        timings.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.99) - 1], count / elapsed


def first_decision_seconds() -> float:
    code = (
        "import json,sys;from linters.engine import check;from linters.models import parse_request;"
        f"check(parse_request(json.loads({json.dumps(json.dumps(email_request(0, False)))})))"
    )
    return _wall([sys.executable, "-c", code])


def _wall(command: list[str], runs: int = 3) -> float:
    best = float("inf")
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(command, check=True, cwd=ROOT)
        best = min(best, time.perf_counter() - t0)
    return best


# --- the guard on a known template, each message with its own data (issue 28) ----------

ORDER_SUBJECT = "Your {{brand}} order {{order_number}} is on its way"
ORDER_LINES = {
    "thanks": [
        "Thanks for your order, placed on {{order_date}}.",
        "Thank you for shopping with us on {{order_date}}.",
        "We received your order on {{order_date}} and it is now packed.",
    ],
    "dispatch": [
        "It left our {{city}} warehouse this morning and should reach you in two to three working days.",
        "Our courier collected it from the {{city}} workshop today; most parcels arrive within three days.",
        "It was handed to the courier at our {{city}} depot an hour ago and travels by tracked post.",
    ],
    "total": [
        "The total charged to your card ending {{card_last4}} was {{order_total}}, VAT included.",
        "We took {{order_total}} from the card ending {{card_last4}}; your receipt is attached.",
        "Your card ending {{card_last4}} was charged {{order_total}} including delivery.",
    ],
    "track": [
        "Track it at https://{{domain}}/track/{{order_number}} or reply with any question.",
        "You can follow the parcel at https://{{domain}}/track/{{order_number}}.",
        "The tracking page is https://{{domain}}/track/{{order_number}}; it updates every few hours.",
    ],
    "returns": [
        "If something is not right, returns are free for thirty days from delivery.",
        "Changed your mind? Send it back within thirty days and we refund you in full.",
        "Anything that does not fit can come back free of charge within a month.",
    ],
}
BRANDS = [
    ("Northwind", "northwind.example"),
    ("Alder & Finch", "alderfinch.example"),
    ("Copperleaf", "copperleaf.example"),
    ("Harrow Street Books", "harrowbooks.example"),
    ("Kestrel Outdoor", "kestrel.example"),
    ("Lumen Home", "lumenhome.example"),
    ("Oakridge Cycles", "oakridge.example"),
    ("Saltmarsh Tea", "saltmarsh.example"),
    ("Pinecone Toys", "pinecone.example"),
]
CITIES = ["Leeds", "Bristol", "Glasgow", "Cardiff", "Norwich", "Derby", "Exeter", "York"]
MONTHS = list(calendar.month_name)[1:]  # January ... December


def order_template(variant: int) -> dict[str, str]:
    """A transactional order email; each variant's fixed text differs (a new template)."""
    lines = [ORDER_LINES[key][(variant // 3**k) % 3] for k, key in enumerate(ORDER_LINES)]
    brand, _ = BRANDS[variant % len(BRANDS)]
    body = (
        "Hi {{first_name}},\n\n"
        + " ".join(lines[:2])
        + "\n\n"
        + " ".join(lines[2:])
        + (f"\n\nThe {brand} team\n{10 + variant} Mill Lane, {CITIES[variant % len(CITIES)]}")
    )
    return {"subject": ORDER_SUBJECT, "text": body}


def order_request(
    i: int, template: dict[str, str], variant: int, rng: random.Random, names: list[str]
) -> dict:
    brand, domain = BRANDS[variant % len(BRANDS)]
    first, last = rng.choice(names), rng.choice(SURNAMES)
    data = {
        "first_name": first,
        "brand": brand,
        "domain": domain,
        "order_number": f"NW-{rng.randrange(10**6, 10**7)}",
        "order_date": f"{rng.randint(1, 28)} {rng.choice(MONTHS)} 2026",
        "order_total": f"£{rng.randint(8, 420)}.{rng.randrange(100):02d}",
        "card_last4": f"{rng.randrange(10**4):04d}",
        "city": CITIES[variant % len(CITIES)],
    }
    return {
        "id": f"order-{variant}-{i}",
        "channel": "email",
        "purpose": "transactional",
        "from": f"orders@{domain}",
        "to": f"customer{i}@example.com",
        "template": template,
        "data": data,
        "customer": {"first_name": first, "last_name": last, "purchase_count": 1 + i % 9},
        "now": "2026-11-20T15:00:00Z",
    }


def known_template(count: int = 2000, seed: int = 28) -> tuple[float, float, float, str]:
    """(median CPU seconds of ``check`` a message, of the tokenizer on the same rendered
    message, their ratio, the decisions) over ``count`` messages of one template, each with
    its own data, measured message by message in turn after a warm-up of 50 messages."""
    from collections import Counter

    from linters.engine import check
    from linters.models import parse_request

    rng, names = random.Random(seed), given_names()
    template = order_template(0)
    tokenizer = engine_tokenizer()
    for i in range(50):  # warm: the pipeline, the template's analysis, the tokenizer's cache
        request = order_request(10**6 + i, template, 0, rng, names)
        check(parse_request(request))
        for text in render_messages(template, [request["data"]])[0]:
            tokenizer(text)
    documents = [order_request(i, template, 0, rng, names) for i in range(count)]
    requests = [parse_request(d) for d in documents]
    messages = render_messages(template, [d["data"] for d in documents])
    checks, tokenized, decisions = [], [], Counter()
    clock = time.process_time
    for request, message in zip(requests, messages, strict=True):
        t0 = clock()
        for text in message:
            tokenizer(text)
        t1 = clock()
        decisions[str(check(request).decision)] += 1
        t2 = clock()
        tokenized.append(t1 - t0)
        checks.append(t2 - t1)
    check_median, tokenizer_median = statistics.median(checks), statistics.median(tokenized)
    counts = ", ".join(f"{d} {n:,}" for d, n in decisions.most_common())
    return check_median, tokenizer_median, check_median / tokenizer_median, counts


def new_template_first(templates: int = 7, seed: int = 29) -> list[float]:
    """CPU seconds of the first ``check`` of each of ``templates`` templates the process
    has not seen (after the pipeline is built and another template judged)."""
    from linters.engine import check
    from linters.models import parse_request

    rng, names = random.Random(seed), given_names()
    check(parse_request(order_request(0, order_template(0), 0, rng, names)))  # warm: the pipeline
    firsts = []
    for variant in range(1, templates + 1):
        request = parse_request(order_request(variant, order_template(variant * 4), variant, rng, names))
        t0 = time.process_time()
        check(request)
        firsts.append(time.process_time() - t0)
    return firsts


def print_known_template(count: int = 2000) -> None:
    check_s, tokenizer_s, ratio, decisions = known_template(count)
    firsts = new_template_first()
    print(
        f"guard on a known template, each message its own name, order number, total and date "
        f"({count:,} messages; CPU, median a message)"
    )
    print(f"  linters.engine.check        {check_s * 1e6:>8.0f} us   ({decisions})")
    print(f"  spaCy's tokenizer, same text{tokenizer_s * 1e6:>8.0f} us")
    verdict = "met" if ratio <= 2 else "NOT met"
    print(f"  check / tokenizer           {ratio:>8.2f}x     target: at most 2x ({verdict})")
    print(
        f"  first message of a new template: {statistics.median(firsts) * 1e3:.1f} ms median of "
        f"{len(firsts)} templates ({min(firsts) * 1e3:.1f} to {max(firsts) * 1e3:.1f} ms)"
    )


def main() -> None:
    words = len(EMAIL_TEXT.split())
    print(f"sendguard benchmark (one core; email {words} words, sms {len(SMS_TEXT.split())} words)\n")
    print(f"{'case':<34}{'median':>10}{'p99':>10}{'per second':>13}")
    rows = [
        ("email, campaign (warm)", email_request, 3000, False),
        ("email, every text unique", email_request, 1000, True),
        ("sms, campaign (warm)", sms_request, 3000, False),
        ("sms, every text unique", sms_request, 1000, True),
    ]
    campaign_rate = 0.0
    for label, make, count, unique in rows:
        median, p99, rate = measure(make, count, unique)
        if label.startswith("email, campaign"):
            campaign_rate = rate
        print(f"{label:<34}{median * 1e3:>8.3f}ms{p99 * 1e3:>8.3f}ms{rate:>13,.0f}")
    print(f"\none template to a million recipients: about {1_000_000 / campaign_rate:,.0f} s on one core")
    spacy_import = _wall([sys.executable, "-c", "import spacy"])
    first = first_decision_seconds()
    print(f"process start to first decision: {first:.2f} s  (python -c 'import spacy': {spacy_import:.2f} s)")
    print()
    print_known_template()


if __name__ == "__main__":
    main()
