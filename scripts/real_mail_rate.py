"""Print the false-alarm rate of the engine on the real-mail corpus (tests/corpus).

    python scripts/real_mail_rate.py

A false alarm is a finding the corpus line does not list as deserved (``expect``).
"Stopped" counts the messages with one that were not allowed as written (blocked,
held or rewritten). The README section "Real mail: false-alarm rate" quotes this.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from linters.engine import check
from linters.models import parse_request

CORPUS = Path(__file__).resolve().parent.parent / "tests" / "corpus"
_ADDRESS = {
    "email": "maggie.okafor@example.com",
    "sms": "+447700900123",
    "push": "arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/shop-app/4f1c2d",
}


def main() -> int:
    recipient = json.loads((CORPUS / "recipient.json").read_text(encoding="utf-8"))
    lines = [
        line for path in sorted(CORPUS.glob("real_mail*.jsonl")) for line in path.read_text(encoding="utf-8").splitlines()
    ]
    entries = [json.loads(line) for line in lines if line.strip()]
    alarmed, stopped = 0, 0
    for entry in entries:
        request = {"id": entry["id"], **recipient, **entry["request"]}
        request["to"] = _ADDRESS[request["channel"]]
        result = check(parse_request(request))
        undeserved = Counter(f.rule for f in result.findings) - Counter(e["rule"] for e in entry["expect"])
        if undeserved:
            alarmed += 1
            stopped += result.decision != "allow"
            print(f"{entry['id']}: {result.decision} {sorted(undeserved.elements())}")
    total = len(entries)
    print(
        f"{total} messages; {alarmed} with a false alarm ({alarmed / total:.1%}); {stopped} stopped ({stopped / total:.1%})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
