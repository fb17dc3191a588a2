"""The real-mail corpus: legitimate messages from public repositories must pass.

Each line of tests/corpus/real_mail.jsonl is a real product email or SMS (source and
licence recorded on the line and in tests/corpus/SOURCES.md), addressed to one
long-standing customer who has given every consent (tests/corpus/recipient.json).
A message gets exactly the findings its line lists: ``expect`` (deserved, each with
its reason) plus ``known_false_alarms`` (undeserved, left to the rule family that
owns them, each with its reason). Anything else is a regression: a new false alarm,
or a deserved finding lost.
"""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from linters.engine import check
from linters.models import Channel, parse_request

CORPUS = Path(__file__).parent / "corpus"
_ADDRESS = {
    Channel.EMAIL: "maggie.okafor@example.com",
    Channel.SMS: "+447700900123",
    Channel.PUSH: "arn:aws:sns:eu-west-1:123456789012:endpoint/APNS/shop-app/4f1c2d",
}


@cache
def corpus() -> tuple[dict[str, Any], ...]:
    # real_mail.jsonl, then each later batch (real_mail_<batch>.jsonl), in name order.
    lines = [
        line
        for path in sorted(CORPUS.glob("real_mail*.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
    ]
    return tuple(json.loads(line) for line in lines if line.strip())


def send_request(entry: dict[str, Any]) -> dict[str, Any]:
    recipient = json.loads((CORPUS / "recipient.json").read_text(encoding="utf-8"))
    request = {"id": entry["id"], **recipient, **entry["request"]}
    request["to"] = _ADDRESS[Channel(request["channel"])]
    return request


def test_corpus_is_large_and_attributed() -> None:
    entries = corpus()
    assert len(entries) >= 150
    assert len({e["id"] for e in entries}) == len(entries)
    for entry in entries:
        source = entry["source"]
        assert source["repo"] and source["path"] and source["commit"], entry["id"]
        assert source["license"] in {
            "MIT",
            "Apache-2.0",
            "BSD-2-Clause",
            "BSD-3-Clause",
            "ISC",
            "MPL-2.0",
            "CC0-1.0",
            "CC-BY-4.0",
        }, entry["id"]
        for listed in entry["expect"] + entry.get("known_false_alarms", []):
            assert listed["rule"] and listed["why"], entry["id"]
    sources = (CORPUS / "SOURCES.md").read_text(encoding="utf-8")
    assert all(e["source"]["repo"] in sources for e in entries)


def test_recipient_is_a_long_standing_customer_with_every_consent() -> None:
    customer = json.loads((CORPUS / "recipient.json").read_text(encoding="utf-8"))["customer"]
    assert customer["purchase_count"] >= 10 and customer["preferred_name"]
    assert all(customer["consent"].values())


@pytest.mark.parametrize("entry", corpus(), ids=lambda e: e["id"])
def test_real_message_gets_exactly_the_findings_it_deserves(entry: dict[str, Any]) -> None:
    result = check(parse_request(send_request(entry)))
    listed = entry["expect"] + entry.get("known_false_alarms", [])
    got = Counter(f.rule for f in result.findings)
    assert got == Counter(item["rule"] for item in listed), [f.message for f in result.findings]
    if not listed:
        assert result.decision == "allow"
