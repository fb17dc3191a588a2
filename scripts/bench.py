"""Benchmark of the guard's hot path (DESIGN section 6). Run with `make bench`.

Prints, for a realistic 150-word marketing email and a 40-word SMS:
- warm latency per decision (render + lint + decide, no AWS), median and 99th percentile,
  for a campaign (one template, a different recipient each time) and for unique texts
  (every message different, so nothing is cached: the worst case);
- decisions per second on one core, and what that means for a million recipients;
- the time from process start to the first decision, next to `python -c "import spacy"`.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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


if __name__ == "__main__":
    main()
