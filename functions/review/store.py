"""Review states of quarantined messages, kept on their rows in the decisions table.

A row the guard quarantined (``quarantined = true``) is **pending** until a reviewer
**releases** or **denies** it. A pending row whose delivery record is gone (records live
``delivery.RECORD_DAYS``; the request body lives in the record) can no longer be
released: it is **expired**, and the first release or deny that finds it so writes
that state. Every transition is one conditional ``UpdateItem`` (the row must still be
pending), so two reviewers, or one reviewer clicking twice, cannot decide a message
twice; the loser gets :class:`AlreadyDecided` naming the state that won.

Row attributes written here: ``review_state``, ``review_by`` (an IAM principal ARN,
or the CLI user), ``review_at`` (ISO UTC), ``review_reason``, ``review_override``
(the rule ids a release accepted), and ``review_log``: a list of every transition
(``state``, ``by``, ``at``, ``why``), the audit record. The guard writes
``release_outcome`` when it acts on a release.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from functions import aws, ledger
from functions.guard import delivery
from linters.models import RequestError

PENDING, RELEASED, DENIED, EXPIRED = "pending", "released", "denied", "expired"
STATES = (PENDING, RELEASED, DENIED, EXPIRED)
# The body a release needs lives in the delivery record, which expires after this.
REVIEW_WINDOW = timedelta(days=delivery.RECORD_DAYS)
MAX_BATCH = 500  # Gmail's admin quarantine acts on at most 500 messages at once
MAX_REASON = 1000
REVIEW_FIELDS = ("review_state", "review_by", "review_at", "review_reason", "review_override", "review_log")


class AlreadyDecided(RuntimeError):
    """The row is no longer pending (another reviewer, or an earlier click, decided it)."""

    def __init__(self, key: str, state: str) -> None:
        super().__init__(f"{key}: already {state}; a message is decided once")
        self.key = key
        self.state = state


class NotFound(LookupError):
    def __init__(self, key: str) -> None:
        super().__init__(f"{key}: no quarantined message with this id")
        self.key = key


def _table() -> Any:
    return aws.table(aws.DECISIONS_TABLE)


def _parse_time(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def state_of(row: dict[str, Any], now: datetime) -> str:
    """The row's review state; a pending row past the review window is expired."""
    state = row.get("review_state") or PENDING
    if state != PENDING:
        return state
    at = _parse_time(row.get("at"))
    return EXPIRED if at is not None and now - at > REVIEW_WINDOW else PENDING


def is_review_row(row: dict[str, Any]) -> bool:
    return bool(row.get("quarantined")) or "review_state" in row


@dataclass(frozen=True)
class Filters:
    """What ``review list`` and a batch pick: all conditions must hold."""

    state: str | None = PENDING
    rule: str | None = None
    campaign: str | None = None
    since: datetime | None = None

    def match(self, row: dict[str, Any], now: datetime) -> bool:
        if self.state and state_of(row, now) != self.state:
            return False
        if self.rule and self.rule.upper() not in rules_of(row):
            return False
        if self.campaign and row.get("campaign") != self.campaign:
            return False
        at = _parse_time(row.get("at"))
        return not (self.since and (at is None or at < self.since))


def rules_of(row: dict[str, Any]) -> list[str]:
    return sorted({f.get("rule", "") for f in findings_of(row)})


def findings_of(row: dict[str, Any]) -> list[dict[str, Any]]:
    try:
        found = json.loads(row.get("findings") or "[]")
    except json.JSONDecodeError:
        return []
    return [f for f in found if isinstance(f, dict)] if isinstance(found, list) else []


def summary(row: dict[str, Any], now: datetime) -> dict[str, Any]:
    """One line of a listing (``sendguard review list``, the console's list)."""
    return {
        "id": row["id"],
        "state": state_of(row, now),
        "at": row.get("at"),
        "campaign": row.get("campaign"),
        "rules": rules_of(row),
        "reason": row.get("reason"),
        "review_by": row.get("review_by"),
        "review_reason": row.get("review_reason"),
    }


def scan_rows() -> Iterator[dict[str, Any]]:
    """Every row that is or was in quarantine, page by page."""
    from boto3.dynamodb.conditions import Attr

    kwargs: dict[str, Any] = {
        "FilterExpression": Attr("quarantined").eq(True) | Attr("review_state").exists()
    }
    while True:
        page = _table().scan(**kwargs)
        yield from page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def find(filters: Filters, now: datetime, limit: int | None = None) -> list[dict[str, Any]]:
    """Rows matching ``filters``, oldest first."""
    rows = sorted((r for r in scan_rows() if filters.match(r, now)), key=lambda r: str(r.get("at", "")))
    return rows[:limit] if limit is not None else rows


def get(key: str) -> dict[str, Any]:
    row = _table().get_item(Key={"id": key}, ConsistentRead=True).get("Item")
    if not row or not is_review_row(row):
        raise NotFound(key)
    return row


def check_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise RequestError("reason", "a release or deny needs a reason (it is kept in the audit record)")
    if len(text) > MAX_REASON:
        raise RequestError("reason", f"the reason is longer than {MAX_REASON} characters")
    return text


def transition(
    key: str, state: str, who: str, why: str, now: datetime, override: list[str] | None = None
) -> dict[str, Any]:
    """pending -> ``state``, only if the row is still pending; returns the audit entry."""
    entry = {"state": state, "by": who, "at": now.astimezone(UTC).isoformat(), "why": why}
    names = {f"#{name}": name for name in REVIEW_FIELDS}
    values: dict[str, Any] = {
        ":state": state,
        ":by": who,
        ":at": entry["at"],
        ":why": why,
        ":entry": [entry],
        ":empty": [],
        ":pending": PENDING,
    }
    update = (
        "SET #review_state = :state, #review_by = :by, #review_at = :at, #review_reason = :why, "
        "#review_log = list_append(if_not_exists(#review_log, :empty), :entry)"
    )
    if override is not None:
        values[":override"] = override
        update += ", #review_override = :override"
    else:
        del names["#review_override"]
    try:
        _table().update_item(
            Key={"id": key},
            UpdateExpression=update,
            ConditionExpression="attribute_exists(id) AND (attribute_not_exists(#review_state) OR #review_state = :pending)",
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
        )
    except ClientError as exc:
        if ledger.conditional_failed(exc):
            current = _table().get_item(Key={"id": key}, ConsistentRead=True).get("Item") or {}
            raise AlreadyDecided(key, current.get("review_state", "gone")) from None
        raise
    return entry


def note_outcome(key: str, outcome: str) -> None:
    """What the guard did with a release (sent, refused, failed), on the row; a row that
    says ``sent`` keeps it (a late failure of a lost race must not hide the send)."""
    try:
        _table().update_item(
            Key={"id": key},
            UpdateExpression="SET release_outcome = :outcome",
            ConditionExpression="attribute_exists(id) AND (attribute_not_exists(release_outcome) OR release_outcome <> :sent)",
            ExpressionAttributeValues={":outcome": outcome, ":sent": "sent"},
        )
    except ClientError as exc:
        if not ledger.conditional_failed(exc):
            raise


def who_am_i() -> str:
    """The CLI user: the caller's IAM ARN (STS), else $USER. Never fails."""
    try:
        return str(aws.client("sts").get_caller_identity()["Arn"])
    except (ClientError, BotoCoreError, KeyError):
        return f"local-user:{os.environ.get('USER') or os.environ.get('USERNAME') or 'unknown'}"
